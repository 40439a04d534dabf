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

# A near miss of an option or a command names the one meant; a word near
# nothing gets no guess.
t_did_you_mean() {
	sbx exec --worksapce /tmp -- touch "$PWD/ran"
	expect_rc 2
	expect_err_has "^exec: unrecognized option '--worksapce'; did you mean '--workspace'\?$"
	sbx exec --timeuot=5 -- touch "$PWD/ran"
	expect_rc 2
	expect_err_has "'--timeuot=5'; did you mean '--timeout'\?"
	sbx lint --formta json x.yaml
	expect_rc 2
	expect_err_has "did you mean '--format'\?"
	sbx explain --profiel p.yaml /workspace
	expect_rc 2
	expect_err_has "did you mean '--profile'\?"
	sbx exec --frobnicate -- touch "$PWD/ran"
	expect_rc 2
	printf '%s' "$ERR" | grep -q "did you mean" && fail "a guess for a word near nothing: $ERR"
	sbx exce -- touch "$PWD/ran"
	expect_rc 2
	expect_err_has "unknown command 'exce'; did you mean 'exec'\?"
	sbx session opne --socket "$PWD/s.sock"
	expect_rc 2
	expect_err_has "unknown subcommand 'opne' \(open, close\); did you mean 'open'\?"
	[ ! -e ran ] && [ ! -e s.sock ] || fail "something ran after a usage error"
	# a long argument is not compared (bounded work): no guess, the same status
	sbx exec "--$(head -c 5000 /dev/zero | tr '\0' w)" -- true
	expect_rc 2
	printf '%s' "$ERR" | grep -q "did you mean" && fail "a guess for a 5000-byte option"
	return 0
}

# `help` is a command like the others: help, help COMMAND, help help.
t_help_command() {
	sbx help
	expect_rc 0
	expect_out_has "^Commands:"
	sbx help exec
	expect_rc 0
	expect_out_has "^Usage: ag3ntum-sandbox exec"
	local exec_help=$OUT
	sbx exec --help
	[ "$OUT" = "$exec_help" ] || fail "help exec differs from exec --help"
	sbx help help
	expect_rc 0
	expect_out_has "^Usage: ag3ntum-sandbox help \[COMMAND\]"
	sbx help --help
	expect_rc 0
	expect_out_has "^Usage: ag3ntum-sandbox help \[COMMAND\]"
	sbx help session
	expect_rc 0
	expect_out_has "session open"
	sbx help bogus
	expect_rc 2
	expect_err_has "unknown command 'bogus'"
	[ -z "$OUT" ] || fail "help bogus printed on stdout: $OUT"
	sbx help lnt
	expect_rc 2
	expect_err_has "unknown command 'lnt'; did you mean 'lint'\?"
	sbx help exec extra
	expect_rc 2
	expect_err_has "help: unexpected argument 'extra'"
}

# Arguments a subcommand does not take are refused, named, status 2, and
# nothing is done with the rest.
t_stray_arguments() {
	write_profile ok ""
	sbx doctor foo
	expect_rc 2
	expect_err_has "^ag3ntum-sandbox: doctor: unexpected argument 'foo'"
	[ -z "$OUT" ] || fail "doctor probed anyway: $OUT"
	sbx doctor --json -- --foo
	expect_rc 2
	expect_err_has "doctor: unexpected argument '--foo'"
	sbx compile --profile p.yaml extra
	expect_rc 2
	expect_err_has "compile: unexpected argument 'extra'"
	[ -z "$OUT" ] || fail "compile printed a spec: $OUT"
	sbx explain --profile p.yaml /workspace /tmp
	expect_rc 2
	expect_err_has "explain: unexpected argument '/tmp'"
	sbx explain --profile p.yaml --tool Read --input '{}' /tmp
	expect_rc 2
	expect_err_has "explain: unexpected argument '/tmp'"
	sbx check --profile p.yaml Bash '{"command":"ls"}' extra
	expect_rc 2
	expect_err_has "check: unexpected argument 'extra'"
	[ -z "$OUT" ] || fail "check decided anyway: $OUT"
	sbx resolve --profile p.yaml read /workspace/a extra
	expect_rc 2
	expect_err_has "resolve: unexpected argument 'extra'"
	sbx lint --list-rules p.yaml
	expect_rc 2
	expect_err_has "--list-rules takes no PROFILE \('p.yaml'\)"
	sbx session close "$PWD/a.sock" "$PWD/b.sock"
	expect_rc 2
	expect_err_has "session close: unexpected argument '.*/b.sock'"
	sbx session close
	expect_rc 2
	expect_err_has "session close: give the session's socket path"
	sbx session open --socket "$PWD/s.sock" extra
	expect_rc 2
	expect_err_has "session open: unexpected argument 'extra'"
	[ ! -e s.sock ] || fail "session open made its socket"
	sbx serve extra
	expect_rc 2
	expect_err_has "serve: unexpected argument 'extra'"
	# the operands a command takes still work
	sbx lint p.yaml
	expect_rc 0
	# an argument's control characters are escaped, not sent to the terminal
	sbx doctor $'\e]0;pwned\a'
	expect_rc 2
	printf '%s' "$ERR" | grep -qF "unexpected argument '\x1b]0;pwned\x07'" ||
		fail "not escaped: $(printf '%s' "$ERR" | od -c | head -5)"
}

# --uid without --gid (or the reverse) would leave the other id at its
# default (65534 as root, the caller's own rootless): refused, saying what to add.
t_uid_without_gid() {
	sbx exec --uid 50001 -- touch "$PWD/ran"
	expect_rc 2
	expect_err_has "^ag3ntum-sandbox: --uid 50001 given without --gid: give both .*--gid 50001\)$"
	sbx compile --gid 50002
	expect_rc 2
	expect_err_has -- "--gid 50002 given without --uid: give both .*--uid 50002\)$"
	[ -z "$OUT" ] || fail "compile printed a spec: $OUT"
	sbx session open --uid 50001 --socket "$PWD/s.sock"
	expect_rc 2
	expect_err_has -- "--uid 50001 given without --gid"
	[ ! -e ran ] && [ ! -e s.sock ] || fail "something ran after a usage error"
	sbx compile --uid 50001 --gid 50001
	expect_rc 0
	expect_out_has '"uid": 50001'
	expect_out_has '"gid": 50001'
}

# A profile indented with a tab: the file, the line and column of the tab, and
# that YAML indents with spaces (libyaml says "cannot start any token").
t_yaml_tab_named() {
	printf 'name: t\npermissions:\n\tallow: []\n' >tab.yaml
	printf 'name: t\npermissions:\n  allow:\n  \t- Read\n' >tab2.yaml
	sbx lint tab.yaml
	expect_rc 2
	expect_out_has "tab.yaml:3:1: error: YAML syntax error: a tab; YAML indents with spaces"
	sbx compile --profile "$PWD/tab2.yaml"
	expect_rc 2
	expect_err_has "tab2.yaml:4:3: YAML syntax error: a tab; YAML indents with spaces"
	sbx exec --profile "$PWD/tab.yaml" -- touch "$PWD/ran"
	expect_rc 125
	expect_err_has "tab.yaml:3:1: YAML syntax error: a tab"
	[ ! -e ran ] || fail "the command ran"
	# the external mounts file goes through the same loader
	printf 'global:\n\tro: []\n' >m.yaml
	sbx lint --mounts "$PWD/m.yaml" tab2.yaml
	expect_rc 2
	expect_out_has "m.yaml:2:1: error: YAML syntax error: a tab"
	# a tab that is not indentation (inside a value, after a colon) is no error
	write_profile ok ""
	{ printf 'description:\t"a\tb"\n'; cat p.yaml; } >ok.yaml
	sbx lint ok.yaml
	expect_rc 0
	# other syntax errors keep libyaml's words
	printf 'name: [unclosed\n' >bad.yaml
	sbx lint bad.yaml
	expect_rc 2
	expect_out_has "bad.yaml:[0-9]+:[0-9]+: error: YAML syntax error: "
	printf '%s' "$OUT" | grep -q "a tab" && fail "a tab named where there is none: $OUT"
	return 0
}

run_test "an unknown option exits 2 in every subcommand, nothing run" t_unknown_option_exits_2_everywhere
run_test "usage errors exit 2, a setup failure 125" t_usage_errors_2_setup_failures_125
run_test "the help texts name status 2" t_help_texts_name_status_2
run_test "did you mean: options, commands, session subcommands" t_did_you_mean
run_test "help, help COMMAND, help help, help bogus" t_help_command
run_test "stray arguments refused and named" t_stray_arguments
run_test "--uid without --gid (and the reverse) refused" t_uid_without_gid
run_test "a tab in a YAML file's indentation named as such" t_yaml_tab_named
# every t_ function above is in the list: a test written and never run is a defect
for t in $(declare -F | awk '{print $3}' | grep '^t_'); do
	grep -q "^run_test .* $t\$" "$0" || { echo "not ok - $t is defined but never run"; TAP_FAILED=$((TAP_FAILED + 1)); }
done
finish
