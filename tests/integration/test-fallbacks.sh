#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fault injection: with each of openat2, mount_setattr, clone3,
# landlock_create_ruleset and close_range failing with ENOSYS (as on an older
# kernel), the sandbox must still hold through its fallback, or refuse to run
# (status 125) — never run with less isolation than it says.
source "$(dirname "$0")/lib.sh"
: "${AG3_ENOSYS:?AG3_ENOSYS must name the enosys helper}"
AG3_ENOSYS=$(readlink -f "$AG3_ENOSYS")

# The isolation a sandbox must show from inside, whatever fallback built it.
CHECK='grep -E "^(CapBnd|CapEff|NoNewPrivs|Seccomp):" /proc/self/status | tr -s "\t" " "
ls /proc/self/fd | tr "\n" " "; echo
for p in /usr/x /x /dev/x /etc/x /proc/sys/kernel/x; do touch $p 2>/dev/null && echo WROTE $p; done
echo $(tail -n +3 /proc/net/dev | cut -d: -f1)
grep -E " (/|/usr|/etc|/dev|/proc/sys) " /proc/self/mountinfo | cut -d" " -f5,6 | tr "\n" ";"; echo'

check_isolated() {
	expect_rc 0
	expect_out_has '^CapBnd: 0000000000000000$'
	expect_out_has '^CapEff: 0000000000000000$'
	expect_out_has '^NoNewPrivs: 1$'
	expect_out_has '^Seccomp: 2$'
	# only 0, 1, 2 and ls's own directory fd
	expect_out_has '^0 1 2 3 $'
	printf '%s' "$OUT" | grep -q WROTE && fail "a read-only path was writable: $OUT"
	expect_out_has '^lo$'
	for m in / /usr /etc /dev /proc/sys; do
		printf '%s' "$OUT" | grep -qE "(^|;)$m ro," || fail "$m is not read-only: $OUT"
	done
	return 0
}

under() { # under SYSCALLS exec ARGS...: runs the binary with SYSCALLS failing with ENOSYS
	local sc=$1
	shift
	local o e
	o=$(mktemp) e=$(mktemp)
	RC=0
	"$AG3_ENOSYS" "$sc" -- "$AG3" "$@" >"$o" 2>"$e" </dev/null || RC=$?
	OUT=$(cat "$o") ERR=$(cat "$e")
	rm -f "$o" "$e"
}

t_baseline() {
	sbx exec -- sh -c "$CHECK"
	check_isolated
}

t_no_openat2() {
	under openat2 exec -- sh -c "$CHECK"
	check_isolated
}

# Dynamic subpaths are resolved without following any symlink on the openat(O_NOFOLLOW)
# path too (issue 7): a link inside the base, even to an allowed sibling, is refused.
t_no_openat2_dynamic_follows_no_symlink() {
	mkdir -p base/real base/.ssh && echo key >base/.ssh/authorized_keys
	ln -s ../.ssh base/s
	ln -s real base/r
	printf 'dynamic:\n  enabled: true\n  security: {global_blocked_subpaths: [.ssh]}\n  bases:\n    - {name: b, host_path: %s/base, max_mode: rw, authorization: {allowed_users: [alice]}}\n' \
		"$PWD" >m.yaml
	under openat2 exec --mounts m.yaml --user alice --dynamic b/real -- sh -c 'ls /mounts/b'
	expect_rc 0
	expect_out real
	local req
	for req in s r; do
		under openat2 exec --mounts m.yaml --user alice --dynamic b/$req -- sh -c 'ls /mounts/b/*; echo RAN'
		expect_rc 125
		[ -z "$OUT" ] || fail "b/$req was bound: $OUT"
		expect_err_has "--dynamic b/$req: SYMLINK_IN_PATH"
	done
}

t_no_openat2_still_refuses_planted_symlink() {
	mkdir ws && chmod 777 ws
	"$AG3" compile --workspace "$PWD/ws" -o spec.json
	python3 - spec.json <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["mounts"].append({"op": "bind", "source": "/usr/share", "target": "/workspace/sub/t",
                    "ro": True, "nosuid": True, "nodev": True, "origin": "test"})
json.dump(s, open(sys.argv[1], "w"))
PY
	ln -s /etc ws/sub
	under openat2 exec --spec spec.json -- true
	expect_rc 125
	expect_err_has '/workspace/sub/t'
	expect_err_has 'symlink|ELOOP|ENOTDIR'
	[ -L ws/sub ] || fail "the planted symlink was replaced"
}

t_no_mount_setattr() {
	under mount_setattr exec -- sh -c "$CHECK"
	check_isolated
}

t_no_clone3() {
	under clone3 exec -- sh -c "$CHECK"
	check_isolated
}

t_no_close_range() {
	under close_range exec -- sh -c "$CHECK"
	check_isolated
}

t_no_landlock_is_recorded() {
	under landlock_create_ruleset exec --json -- sh -c "$CHECK"
	check_isolated
	printf '%s' "$ERR" | grep -q '"landlock_abi":0' || fail "landlock_abi is not 0: $ERR"
	printf '%s' "$ERR" | grep -q 'landlock: not available' || fail "the downgrade is not recorded: $ERR"
}

t_no_landlock_refused_when_required() {
	write_profile needs-landlock "  minimum_isolation:
    landlock_abi: 1"
	under landlock_create_ruleset exec --profile p.yaml -- echo RAN
	expect_rc 125
	[ -z "$OUT" ] || fail "the command ran: $OUT"
	expect_err_has 'landlock'
}

t_everything_missing_at_once() {
	under openat2,mount_setattr,clone3,close_range,landlock_create_ruleset exec -- sh -c "$CHECK"
	check_isolated
}

for t in $(declare -F | awk '{print $3}' | grep '^t_'); do
	run_test "${t#t_}" "$t"
done
finish
