#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Usage errors, as a user mistyping a command line meets them: status 2 in
# every subcommand (125 stays exec's "the sandbox could not be set up"), a
# message naming what is wrong, nothing run. No sandbox is entered here.
source "$(dirname "$0")/lib.sh"

# Every subcommand refuses an unknown option with status 2, its "Try" line,
# and does nothing (exec runs no command).
t_unknown_option_exits_2_everywhere() {
	local cmd
	for cmd in exec compile lint explain check resolve serve doctor "session open" \
		"session close"; do
		# shellcheck disable=SC2086 # "session open" is two words
		sbx $cmd --bogus-option -- touch "$PWD/ran"
		expect_rc 2 || return 1
		expect_err_has "unrecognized option '--bogus-option'" || return 1
		expect_err_has "Try 'ag3ntum-sandbox $cmd --help'" || return 1
	done
	[ ! -e ran ] || fail "a command ran after a usage error"
}

# A bad value, a missing COMMAND, options that contradict: usage errors (2);
# a profile whose workspace is missing: a setup failure (125).
t_usage_errors_2_setup_failures_125() {
	sbx exec --timeout soon -- touch "$PWD/ran"
	expect_rc 2
	expect_err_has "--timeout: 'soon' is not a number of seconds"
	sbx exec --uid 0 --gid 0 -- touch "$PWD/ran"
	expect_rc 2
	expect_err_has "0 is not allowed"
	sbx exec --workspace relative -- touch "$PWD/ran"
	expect_rc 2
	expect_err_has "not an absolute path"
	sbx exec --profile a.yaml --profile b.yaml -- touch "$PWD/ran"
	expect_rc 2
	expect_err_has "given twice"
	sbx exec --timeout 5
	expect_rc 2
	expect_err_has "no command given"
	sbx exec --no-die-with-parent --parent-pid $$ -- touch "$PWD/ran"
	expect_rc 2
	expect_err_has "contradict"
	sbx exec --session /nonexistent/s.sock --workspace /tmp -- touch "$PWD/ran"
	expect_rc 2
	expect_err_has "session open"
	sbx exec --json-fd 1 -- touch "$PWD/ran"
	expect_rc 2
	expect_err_has "3 or more"
	sbx exec --timeout
	expect_rc 2
	expect_err_has "requires an argument"
	[ ! -e ran ] || fail "a command ran after a usage error"
	sbx exec --workspace /nonexistent/ag3-usage-ws -- touch "$PWD/ran"
	expect_rc 125
	[ ! -e ran ] || fail "a command ran although setup failed"
	sbx session open --workspace /tmp
	expect_rc 2
	expect_err_has -- "--socket PATH is required"
	sbx serve --allow-uid 1000
	expect_rc 2
	expect_err_has "is for --socket"
	sbx resolve read
	expect_rc 2
	sbx resolve frobnicate /x
	expect_rc 2
	expect_err_has "unknown operation 'frobnicate'"
}

# The help texts say so.
t_help_texts_name_status_2() {
	sbx exec --help
	expect_rc 0
	expect_out_has "^  2 +a usage error"
	expect_out_has "^  125 +the sandbox could not be set up"
	sbx serve --help
	expect_out_has "2 a usage error"
	sbx resolve --help
	expect_out_has "2 a usage error"
	sbx doctor --help
	expect_out_has "2 a usage error"
	sbx session --help
	expect_out_has "usage error .*:"
}

run_test "an unknown option exits 2 in every subcommand, nothing run" t_unknown_option_exits_2_everywhere
run_test "usage errors exit 2, a setup failure 125" t_usage_errors_2_setup_failures_125
run_test "the help texts name status 2" t_help_texts_name_status_2
# every t_ function above is in the list: a test written and never run is a defect
for t in $(declare -F | awk '{print $3}' | grep '^t_'); do
	grep -q "^run_test .* $t\$" "$0" || { echo "not ok - $t is defined but never run"; TAP_FAILED=$((TAP_FAILED + 1)); }
done
finish
