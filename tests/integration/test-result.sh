#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The result record is always there and honest (README "The result record"): a
# profile, spec or session that does not compile or cannot be reached still gets
# one (setup_failed, its stage and file:line:col); a --result path that cannot be
# written is refused before anything runs; the record is strict UTF-8 JSON
# whatever bytes argv or paths hold; the enforcement flags say what was applied
# (a command that was not found ran into its execve with all of it).
source "$(dirname "$0")/lib.sh"

# check FILE PYTHON...: FILE read strictly as UTF-8 JSON (bytes in, json.loads
# decodes them as UTF-8 and refuses what is not), `r` the record.
check() {
	local f=$1
	shift
	python3 - "$f" "$MODE" "$@" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
raw.decode("utf-8", errors="strict")
lines = raw.splitlines()
assert lines, "no record"
r = json.loads(lines[-1])
mode = sys.argv[2]
for expr in sys.argv[3:]:
    assert eval(expr), (expr, r)
PY
}

t_compile_failure_record() {
	mkdir ws && chmod 777 ws
	printf 'name: bad\nsandbox:\n  enabled: true\n  static_mounts: [\n' > bad.yaml
	"$AG3" exec --profile bad.yaml --workspace "$PWD/ws" --result "$PWD/r.json" --json-fd 3 \
		-- touch /workspace/ran 3>fd.json 2>err.txt && RC=0 || RC=$?
	[ "$RC" = 125 ] || fail "exit $RC, want 125: $(cat err.txt)"
	[ ! -e ws/ran ] || fail "the command ran"
	grep -q 'bad.yaml:[0-9]*:[0-9]*: ' err.txt || fail "no file:line:col on stderr: $(cat err.txt)"
	for f in r.json fd.json; do
		check "$f" 'r["status"] == "setup_failed"' 'r["cli_exit_code"] == 125' \
			'r["setup_error"]["stage"] == "compile"' \
			'r["setup_error"]["path"] == "bad.yaml"' \
			'__import__("re").match(r"bad\.yaml:\d+:\d+: YAML", r["setup_error"]["message"])' \
			'not r["enforcement"]["capabilities_dropped"]' \
			'r["enforcement"]["mode"] is None and r["enforcement"]["uid"] is None' \
			'r["enforcement"]["gid"] is None and r["enforcement"]["namespaces"] == []' ||
			fail "$f: $(cat "$f")"
	done
	# an unknown key: its position, in the record as on stderr
	printf 'name: bad\nsandbox:\n  enabeld: true\n' > bad2.yaml
	sbx exec --profile bad2.yaml --json -- true
	expect_rc 125
	printf '%s\n' "$ERR" | tail -n 1 > j.json
	check j.json 'r["setup_error"]["stage"] == "compile"' \
		'r["setup_error"]["message"].startswith("bad2.yaml:3:3: ")' || fail "$ERR"
	# a spec that does not load
	echo '{"version": 1, "bogus": true}' > spec.json
	sbx exec --spec spec.json --result "$PWD/s.json" -- true
	expect_rc 125
	check s.json 'r["setup_error"]["stage"] == "compile"' 'r["setup_error"]["path"] == "spec.json"' ||
		fail "$(cat s.json)"
}

# exec --session: a session that is not there still gets a record.
t_session_unreachable_record() {
	sbx exec --session "$PWD/none.sock" --result "$PWD/r.json" -- true
	expect_rc 125
	check r.json 'r["status"] == "setup_failed"' 'r["setup_error"]["stage"] == "session"' \
		"r['setup_error']['path'].endswith('/none.sock')" 'r["setup_error"]["errno_name"] == "ENOENT"' ||
		fail "$(cat r.json)"
}

# --result PATH that cannot be written: 125 and one line naming it and the errno,
# before the command runs; a record already there is left as it was.
t_result_unwritable_refused_up_front() {
	mkdir ws && chmod 777 ws
	local ro=/sys/kernel/ag3-result.json want=EACCES
	if [ "$MODE" = rootless ]; then
		mkdir ro && echo old > ro/r.json && chmod 555 ro
		ro=$PWD/ro/r.json
	fi
	local p
	for p in "$PWD/missing/r.json" "$PWD/ws" "$ro"; do
		sbx exec --workspace "$PWD/ws" --result "$p" --json-fd 3 -- touch /workspace/ran 3>fd.json
		expect_rc 125
		[ ! -e ws/ran ] || fail "--result $p: the command ran"
		[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || fail "not one line: $ERR"
		expect_err_has "^ag3ntum-sandbox: --result $p: .*\((ENOENT|EISDIR|$want)\); nothing was run$"
		check fd.json 'r["setup_error"]["stage"] == "result"' 'r["cli_exit_code"] == 125' ||
			fail "$(cat fd.json)"
	done
	[ "$MODE" = root ] || [ "$(cat ro/r.json)" = old ] || fail "the old record changed"
	[ -z "$(ls -A ws)" ] || fail "something was left in the directory: $(ls -A ws)"
	# the same command with a writable --result does run (the check above can fail)
	sbx exec --workspace "$PWD/ws" --result "$PWD/ok.json" -- touch /workspace/ran
	expect_rc 0
	[ -e ws/ran ] || fail "the command did not run with a writable --result"
	check ok.json 'r["status"] == "exited"' || fail "$(cat ok.json)"
}

# Invalid UTF-8 in argv and in paths: the record stays strict UTF-8 JSON, the bad
# bytes U+FFFD each.
t_invalid_utf8_record() {
	sbx exec --result "$PWD/r.json" --json -- $'\xff\xfe' $'a\xc3'
	expect_rc 127
	printf '%s\n' "$ERR" | tail -n 1 > j.json
	local f
	for f in r.json j.json; do
		check "$f" 'r["setup_error"]["path"] == "\ufffd\ufffd"' \
			'"\ufffd\ufffd: No such file" in r["setup_error"]["message"]' || fail "$f: $(cat "$f")"
	done
	# a profile path (compile failure) with a lone continuation byte and a cut sequence
	sbx exec --profile $'p\x80q\xe2\x82.yaml' --result "$PWD/c.json" -- true
	expect_rc 125
	check c.json 'r["setup_error"]["stage"] == "compile"' \
		'r["setup_error"]["path"] == "p\ufffdq\ufffd\ufffd.yaml"' || fail "$(cat c.json)"
}

# 127.json and 126.json: stage exec, with every flag of a run that got its command
# started ($1: that run's landlock_abi).
exec_failures_applied() {
	local f
	for f in 127.json 126.json; do
		check "$f" 'r["setup_error"]["stage"] == "exec"' \
			'r["enforcement"]["capabilities_dropped"]' 'r["enforcement"]["no_new_privs"]' \
			'r["enforcement"]["seccomp"]' "r['enforcement']['landlock_abi'] == $1" ||
			fail "$f: $(cat "$f")"
	done
}

# A command that is not found (127) or not executable (126) ran into its execve
# with everything applied: the flags say so, as for a command that ran; a setup
# failure before the command's process says false.
t_enforcement_flags_on_exec_failure() {
	sbx exec --result "$PWD/ok.json" -- true
	expect_rc 0
	local ll
	ll=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["enforcement"]["landlock_abi"])' ok.json)
	sbx exec --result "$PWD/127.json" -- /nonexistent-ag3-cmd
	expect_rc 127
	sbx exec --result "$PWD/126.json" -- /etc
	expect_rc 126
	exec_failures_applied "$ll"
	# run time: the workspace is gone when the sandbox is built
	mkdir ws && chmod 777 ws
	"$AG3" compile --workspace "$PWD/ws" -o spec.json
	rmdir ws
	sbx exec --spec spec.json --result "$PWD/m.json" -- true
	expect_rc 125
	check m.json 'r["setup_error"]["stage"] == "mount-source"' \
		'not r["enforcement"]["capabilities_dropped"]' 'not r["enforcement"]["no_new_privs"]' \
		'not r["enforcement"]["seccomp"]' 'r["enforcement"]["landlock_abi"] == 0' ||
		fail "$(cat m.json)"
}

t_enforcement_flags_on_exec_failure_session() {
	mkdir -p ws && chmod 777 ws
	local S=$SCRATCH/s.sock
	sbx session open --owner-pid $BASHPID --workspace "$PWD/ws" --socket "$S"
	expect_rc 0
	sbx exec --session "$S" --result "$PWD/ok.json" -- true
	local rc_ok=$RC
	sbx exec --session "$S" --result "$PWD/127.json" -- /nonexistent-ag3-cmd
	local rc_127=$RC
	sbx exec --session "$S" --result "$PWD/126.json" -- /etc
	local rc_126=$RC
	"$AG3" session close "$S" || fail "session close failed"
	[ "$rc_ok/$rc_127/$rc_126" = 0/127/126 ] || fail "exit statuses $rc_ok/$rc_127/$rc_126"
	local ll
	ll=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["enforcement"]["landlock_abi"])' ok.json)
	exec_failures_applied "$ll"
}

run_test "a profile or spec that does not compile still gets a record, at its file:line:col" t_compile_failure_record
run_test "exec --session: an unreachable session still gets a record" t_session_unreachable_record
run_test "--result that cannot be written: 125 before the command runs" t_result_unwritable_refused_up_front
run_test "invalid UTF-8 in argv and paths: the record is strict UTF-8 JSON" t_invalid_utf8_record
run_test "126/127: the enforcement flags say what was applied" t_enforcement_flags_on_exec_failure
run_test "126/127 in a session: the enforcement flags say what was applied" t_enforcement_flags_on_exec_failure_session
finish
