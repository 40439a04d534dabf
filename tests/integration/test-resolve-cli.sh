#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration tests for `resolve`: the file tools' path decisions for a session
# of the platform's newest fixture profile (v-92aa603) and its external mounts,
# over a fake host built under the scratch directory (--host-root). Nothing is
# run in a sandbox; the files are opened as whoever runs this (root mode and
# rootless mode through run-root.sh / run-rootless.sh).
source "$(dirname "$0")/lib.sh"
ROOT=${AG3_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
FIX=$ROOT/../shared/fixtures/ag3ntum/v-92aa603
[ -r "$FIX/permissions.yaml" ] || skip_all "fixtures not readable at $FIX"
command -v python3 >/dev/null || skip_all "python3 is needed to check the JSON output"
SID=20260127_101500_1a2b3c4d

make_host() {
	H=$PWD/host
	local d
	mkdir -p "$H"
	for d in usr bin lib lib64 etc; do
		if [ -L "/$d" ]; then
			ln -s "$(readlink "/$d")" "$H/$d"
		elif [ -e "/$d" ]; then
			ln -s "/$d" "$H/$d"
		fi
	done
	W=$H/users/alice/sessions/$SID/workspace
	mkdir -p "$W/sub" "$H/skills" "$H/users/alice/venv" "$H/users/alice/ag3ntum/persistent" \
		"$H/users/bob/sessions/x/workspace" "$H/data/ml-datasets" "$H/outside"
	echo a >"$W/a.txt"
	echo KEY=1 >"$W/.env"
	echo BOB=1 >"$H/users/bob/sessions/x/workspace/.env"
	echo s >"$H/outside/secret"
	echo d >"$H/data/ml-datasets/README"
}

rs() {
	sbx resolve --profile "$FIX/permissions.yaml" --mounts "$FIX/external-mounts.yaml.example" \
		--host-root "$H" --user alice --session-id $SID "$@"
}

t_issue_examples_refused() {
	make_host
	rs read /users/bob/sessions/x/workspace/.env
	expect_rc 1
	expect_out_has '^deny	CROSS_USER_ACCESS_BLOCKED	'
	rs write ../../../etc/passwd
	expect_rc 1
	expect_out_has '^deny	PATH_TRAVERSAL	'
	rs read "$H/users/bob/sessions/x/workspace/.env"
	expect_rc 1
	expect_out_has '^deny	(CROSS_USER_ACCESS_BLOCKED|OUTSIDE_ALLOWED)	'
}

t_allowed_text_and_json() {
	make_host
	rs read a.txt
	expect_rc 0
	expect_out "allow	ALLOWED	read /workspace/a.txt: allowed	/workspace/a.txt	$W/a.txt	rw"
	rs read ./external/ro/datasets/README --json
	expect_rc 0
	printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert set(d) == {"allowed", "reason", "message", "operation", "path", "sandbox_path",
                  "host_path", "readonly", "is_directory", "origin"}, d
assert d["allowed"] and d["reason"] == "ALLOWED" and d["readonly"], d
assert d["sandbox_path"] == "/mounts/datasets/README", d
assert d["origin"] == "global.ro[0] datasets", d' || fail "JSON: $OUT"
	rs list /workspace --allow-directory
	expect_rc 0
}

t_denials() {
	make_host
	rs read .env
	expect_rc 1
	expect_out_has '^deny	BLOCKLIST	'
	rs write /etc/passwd
	expect_rc 1
	expect_out_has '^deny	OUTSIDE_ALLOWED	'
	rs edit ./external/ro/datasets/README
	expect_rc 1
	expect_out_has '^deny	READ_ONLY	'
	rs read /tmp/x
	expect_rc 1
	expect_out_has '^deny	SANDBOX_PRIVATE	'
	rs read /workspaceX/a
	expect_rc 1
	expect_out_has '^deny	OUTSIDE_ALLOWED	'
	ln -s "$H/outside/secret" "$W/out"
	rs read out
	expect_rc 1
	expect_out_has '^deny	SYMLINK_ESCAPE	'
	rs read "$(printf 'a\033[2Jb')" --json
	expect_rc 1
	printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["reason"] == "PATH_INVALID", d' || fail "JSON: $OUT"
}

# The fd is opened with the caller's credentials (root here in root mode), not the
# sandbox uid's: the profile's system binds (/etc, /usr ...) are not file tools' areas.
t_system_binds_refused() {
	make_host
	rs read /etc/shadow
	expect_rc 1
	expect_out_has '^deny	OUTSIDE_ALLOWED	.*Bash'
	rs read /etc/passwd --json
	expect_rc 1
	printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert not d["allowed"] and d["reason"] == "OUTSIDE_ALLOWED" and d["host_path"] is None, d' ||
		fail "JSON: $OUT"
	rs list /usr --allow-directory
	expect_rc 1
	expect_out_has '^deny	OUTSIDE_ALLOWED	'
	ln -s /etc/shadow "$W/sh"
	rs read sh
	expect_rc 1
	expect_out_has '^deny	(SYMLINK_ESCAPE|OUTSIDE_ALLOWED)	'
}

# The profile's session mounts for commands (/venv, /root/.ssh) are not file tools'
# areas either; the skills are, read-only.
t_session_mounts_for_commands_refused() {
	make_host
	mkdir -p "$H/users/alice/.ssh" "$H/skills/.claude/skills/x"
	echo k >"$H/users/alice/.ssh/id_ed25519"
	echo v >"$H/users/alice/venv/pyvenv.cfg"
	echo s >"$H/skills/.claude/skills/x/s.py"
	rs read /root/.ssh/id_ed25519
	expect_rc 1
	expect_out_has '^deny	OUTSIDE_ALLOWED	.*session mount.*Bash'
	rs read /venv/pyvenv.cfg
	expect_rc 1
	expect_out_has '^deny	OUTSIDE_ALLOWED	'
	# its host path is not mapped onto the bind (the scratch host may lie under /tmp)
	rs read "$H/users/alice/.ssh/id_ed25519"
	expect_rc 1
	expect_out_has '^deny	(OUTSIDE_ALLOWED|SANDBOX_PRIVATE)	'
	rs read /skills/.claude/skills/x/s.py
	expect_rc 0
	expect_out_has '^allow	ALLOWED	.*	ro$'
	rs write /skills/.claude/skills/x/s.py
	expect_rc 1
	expect_out_has '^deny	READ_ONLY	'
}

t_usage_errors() {
	make_host
	rs read
	expect_rc 125
	rs frobnicate a.txt
	expect_rc 125
	expect_err_has 'unknown operation'
	sbx resolve --profile /nonexistent read a.txt
	expect_rc 125
	sbx resolve --help
	expect_rc 0
	expect_out_has 'Exit status: 0 allowed; 1 denied; 125'
}

run_test "the issue's examples are refused" t_issue_examples_refused
run_test "allowed paths, text and JSON" t_allowed_text_and_json
run_test "every kind of denial" t_denials
run_test "system binds are not file tools' areas" t_system_binds_refused
run_test "session mounts for commands are not file tools' areas" t_session_mounts_for_commands_refused
run_test "usage errors exit 125" t_usage_errors

for t in $(declare -F | awk '{print $3}' | grep '^t_'); do
	grep -q "^run_test .* $t\$" "$0" || { echo "not ok - $t is defined but never run"; TAP_FAILED=$((TAP_FAILED + 1)); }
done
finish
