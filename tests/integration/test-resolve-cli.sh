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

t_custom_lists() {
	make_host
	echo n >"$W/notes.md"
	rs read notes.md
	expect_rc 0
	rs read notes.md --blocklist '*.md'
	expect_rc 1
	expect_out_has "^deny	BLOCKLIST	.*'\\*\\.md'"
	# a given blocklist replaces the default one: .env is readable then
	rs read .env --blocklist '*.md'
	expect_rc 0
	rs read notes.md --blocklist '*.md' --blocklist-exemption notes.md
	expect_rc 0
	rs write notes.md --readonly-prefix notes.md
	expect_rc 1
	expect_out_has '^deny	READ_ONLY	'
	rs write sub/x --readonly-prefix notes.md
	expect_rc 0
	rs read a.txt --blocklist ''
	expect_rc 2
	expect_err_has "--blocklist: '' is not a pattern"
}

# The HEAD profile binds one directory per kind (/mounts/ro, /mounts/rw): the
# platform's ./external/ro/NAME is /mounts/ro/NAME there.
t_head_external_layout() {
	make_host
	local head=$ROOT/../shared/fixtures/ag3ntum/v-48de794/permissions.yaml
	mkdir -p "$H/mounts/ro/datasets" "$H/mounts/rw/proj"
	echo d >"$H/mounts/ro/datasets/README"
	sbx resolve --profile "$head" --host-root "$H" --user alice --session-id $SID --json \
		read ./external/ro/datasets/README
	expect_rc 0
	json_ok 'd["sandbox_path"] == "/mounts/ro/datasets/README" and d["readonly"] is True'
	sbx resolve --profile "$head" --host-root "$H" --user alice --session-id $SID \
		write ./external/ro/datasets/new
	expect_rc 1
	expect_out_has '^deny	READ_ONLY	'
	sbx resolve --profile "$head" --host-root "$H" --user alice --session-id $SID --json \
		write /workspace/external/rw/proj/out.txt
	expect_rc 0
	json_ok 'd["sandbox_path"] == "/mounts/rw/proj/out.txt" and d["readonly"] is False'
	sbx resolve --profile "$head" --host-root "$H" --user alice --session-id $SID \
		read ./external/ro/datasets/../../rw/proj
	expect_rc 1
	expect_out_has '^deny	PATH_TRAVERSAL	'
}

t_usage_errors() {
	make_host
	rs read
	expect_rc 2
	rs frobnicate a.txt
	expect_rc 2
	expect_err_has 'unknown operation'
	sbx resolve --profile /nonexistent read a.txt
	expect_rc 125
	sbx resolve --help
	expect_rc 0
	expect_out_has 'Exit status: 0 allowed; 1 denied; 2 a usage error'
}

json_ok() {
	printf '%s' "$OUT" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)" ||
		fail "JSON check failed: $1 on: $OUT"
}

ck() {
	sbx check --profile "$FIX/permissions.yaml" --mounts "$FIX/external-mounts.yaml.example" \
		--host-root "$H" --user alice --session-id $SID "$@"
}

# `check` on a file tool's call: the rules, then the resolver on the same spec.
t_check_consults_resolver() {
	make_host
	ck mcp__ag3ntum__Read '{"file_path":"/users/bob/sessions/x/workspace/.env"}'
	expect_rc 1
	expect_out_has '^deny: Ag3ntumRead\(/users/bob/sessions/x/workspace/\.env\)$'
	expect_out_has '^  reason:    CROSS_USER_ACCESS_BLOCKED: the path is refused \(read; '
	expect_out_has "^  message:   '/users/bob/sessions/x/workspace/\.env' is in another user's area"
	ck --json mcp__ag3ntum__Write '{"file_path":"../../../etc/passwd","content":"x"}'
	expect_rc 1
	json_ok 'd["decision"] == "deny" and d["reason"] == "PATH_TRAVERSAL" and d["rule"] is None'
	json_ok 'd["path"]["reason"] == "PATH_TRAVERSAL" and d["path"]["operation"] == "write" and d["message"] == d["path"]["message"]'
	json_ok 'd["rules_decision"] in ("allow-rule", "mode-allow") and d["interrupt"] is False'
	ck --json mcp__ag3ntum__Write '{"file_path":"sub/.env","content":"x"}'
	expect_rc 1
	json_ok 'd["reason"] == "BLOCKLIST"'
	ck --json mcp__ag3ntum__Edit '{"file_path":"/etc/hosts","old_string":"a","new_string":"b"}'
	expect_rc 1
	json_ok 'd["reason"] == "OUTSIDE_ALLOWED"'
	ck --json mcp__ag3ntum__Write '{"file_path":"./external/ro/datasets/new.txt","content":"x"}'
	expect_rc 1
	json_ok 'd["reason"] == "READ_ONLY"'
	# allowed by both; an absent file is the tool's business, not a policy refusal
	ck --json mcp__ag3ntum__Read '{"file_path":"a.txt"}'
	expect_rc 0
	json_ok 'd["decision"] == "allow" and "path" not in d'
	ck mcp__ag3ntum__Read '{"file_path":"not-there.txt"}'
	expect_rc 0
	ck mcp__ag3ntum__LS '{"path":"sub"}'
	expect_rc 0
	# a symlink out of the workspace is refused at check time too
	ln -s "$H/outside/secret" "$W/link"
	ck --json mcp__ag3ntum__Read '{"file_path":"link"}'
	expect_rc 1
	json_ok 'd["reason"] == "SYMLINK_ESCAPE"'
}

t_check_path_needs_the_session() {
	make_host
	sbx check --profile "$FIX/permissions.yaml" mcp__ag3ntum__Read '{"file_path":"/users/bob/sessions/x/workspace/.env"}'
	expect_rc 2
	expect_err_has "check: Ag3ntumRead's path is checked against the session's mounts"
	# not a file tool: the rules alone, as before
	sbx check --profile "$FIX/permissions.yaml" mcp__ag3ntum__Bash '{"command":"ls"}'
	[ "$RC" != 2 ] || fail "Bash needed the session's values: $ERR"
}

run_test "check: a file tool's path goes through the resolver" t_check_consults_resolver
run_test "check: a file tool's path needs the session's values" t_check_path_needs_the_session
run_test "the issue's examples are refused" t_issue_examples_refused
run_test "allowed paths, text and JSON" t_allowed_text_and_json
run_test "every kind of denial" t_denials
run_test "system binds are not file tools' areas" t_system_binds_refused
run_test "session mounts for commands are not file tools' areas" t_session_mounts_for_commands_refused
run_test "usage errors exit 2, an invalid profile 125" t_usage_errors
run_test "the HEAD profile's /mounts/ro and /mounts/rw layout" t_head_external_layout
run_test "the validator's lists from the command line" t_custom_lists

for t in $(declare -F | awk '{print $3}' | grep '^t_'); do
	grep -q "^run_test .* $t\$" "$0" || { echo "not ok - $t is defined but never run"; TAP_FAILED=$((TAP_FAILED + 1)); }
done
finish
