#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration tests for `ag3ntum-sandbox exec`: each check looks at the
# sandbox from inside (or at the host after it) and fails when the isolation
# step it is about is taken away. Runs as root (root mode) and as an
# unprivileged user (rootless mode): see run-rootless.sh.
source "$(dirname "$0")/lib.sh"
PROFILES=$(cd "$(dirname "$0")/profiles" && pwd)

# The ids a command runs as when none are given.
if [ $MODE = root ]; then
	DEF_UID=65534 DEF_GID=65534 SESS_UID=50001 SESS_GID=50001
else
	DEF_UID=$(id -u) DEF_GID=$(id -g) SESS_UID=5000 SESS_GID=5000
fi

t_uid_default() {
	sbx exec -- sh -c 'echo $(id -u):$(id -g):$(id -G)'
	expect_rc 0
	expect_out "$DEF_UID:$DEF_GID:$DEF_GID"
}

t_uid_given_groups_cleared() {
	sbx exec --uid $SESS_UID --gid $SESS_GID -- sh -c 'echo $(id -u):$(id -g):$(id -G)'
	expect_rc 0
	expect_out "$SESS_UID:$SESS_GID:$SESS_GID"
}

t_uid_zero_refused() {
	sbx exec --uid 0 -- true
	expect_rc 2
	expect_err_has "0 is not allowed"
}

t_caps_all_zero() {
	sbx exec -- grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status
	expect_rc 0
	[ "$(printf '%s\n' "$OUT" | wc -l)" = 5 ] || fail "expected 5 Cap lines: $OUT"
	printf '%s\n' "$OUT" | grep -vq ':[[:space:]]*0000000000000000$' && fail "a capability set is not empty: $OUT"
	return 0
}

t_no_new_privs() {
	sbx exec -- grep '^NoNewPrivs:' /proc/self/status
	expect_rc 0
	expect_out_has '^NoNewPrivs:[[:space:]]+1$'
}

t_seccomp_default_on() {
	sbx exec -- grep '^Seccomp:' /proc/self/status
	expect_rc 0
	expect_out_has '^Seccomp:[[:space:]]+2$'
}

# A profile's own deny rules (on calls outside the default list: stacked as a
# second filter on the precompiled one) deny, and the default list still holds.
t_seccomp_profile_rule_denies() {
	write_profile own-rules "  seccomp:
    rules:
      - {syscall: mkdir, action: errno, errno: EACCES}
      - {syscall: mkdirat, action: errno, errno: EACCES}"
	sbx exec --profile p.yaml -- sh -c 'mkdir /tmp/d; echo "mkdir=$?"; unshare -U true 2>/dev/null; echo "unshare=$?"; grep "^Seccomp:" /proc/self/status'
	expect_rc 0
	expect_out_has '^mkdir=1$'
	expect_out_has '^unshare=[1-9]'
	expect_out_has '^Seccomp:[[:space:]]+2$'
	sbx exec --profile p.yaml -- python3 -c 'import os
try:
    os.mkdir("/tmp/d")
except PermissionError as e:
    print("denied", e.errno)'
	expect_rc 0
	expect_out "denied 13"
}

t_seccomp_off_when_configured() {
	sbx exec --profile "$PROFILES/no-seccomp.yaml" -- grep '^Seccomp:' /proc/self/status
	expect_rc 0
	expect_out_has '^Seccomp:[[:space:]]+0$'
}

t_shadow_unreadable() {
	sbx exec -- sh -c 'cat /etc/shadow >/dev/null 2>&1 && echo READ || echo denied'
	expect_rc 0
	expect_out denied
}

t_usr_not_writable() {
	sbx exec -- sh -c 'touch /usr/ag3-probe 2>/dev/null && echo WROTE; test -w /usr && echo WRITABLE; grep " /usr " /proc/self/mountinfo'
	expect_rc 0
	printf '%s' "$OUT" | grep -qE 'WROTE|WRITABLE' && fail "/usr is writable: $OUT"
	printf '%s' "$OUT" | grep -qE ' /usr ro,' || fail "/usr is not mounted read-only: $OUT"
}

t_root_not_writable() {
	sbx exec -- sh -c 'mkdir /ag3-probe 2>/dev/null && echo WROTE; grep " / / " /proc/self/mountinfo'
	expect_rc 0
	printf '%s' "$OUT" | grep -q WROTE && fail "the root is writable: $OUT"
	expect_out_has ' / / ro,'
}

t_tmp_writable_tmpfs() {
	sbx exec -- sh -c 'echo x > /tmp/probe && cat /tmp/probe && stat -f -c %T /tmp && stat -c %a /tmp'
	expect_rc 0
	expect_out "x
tmpfs
1777"
}

t_workspace_writable_owned_by_session() {
	mkdir ws
	if [ $MODE = root ]; then
		chown $SESS_UID:$SESS_GID ws
		chmod 700 ws
		want=$SESS_UID
	else
		want=$(id -u)
	fi
	sbx exec --workspace "$PWD/ws" --uid $SESS_UID --gid $SESS_GID -- sh -c 'pwd; echo hi > created; ls -n created | cut -d" " -f3'
	expect_rc 0
	expect_out "/workspace
$SESS_UID"
	[ "$(stat -c %u ws/created)" = "$want" ] || fail "host owner is $(stat -c %u ws/created), want $want"
	[ "$(cat ws/created)" = hi ] || fail "content lost"
}

t_ephemeral_workspace_without_flag() {
	sbx exec -- sh -c 'pwd; touch f && echo ok; stat -f -c %T .'
	expect_rc 0
	expect_out "/workspace
ok
tmpfs"
}

t_pid1_is_init() {
	sbx exec -- sh -c 'cat /proc/1/comm; echo $$; tr -d "\0" < /proc/1/cmdline; echo; cat /proc/1/environ >/dev/null 2>&1 && echo ENVIRON-READABLE; ls -l /proc/1/exe >/dev/null 2>&1 && echo EXE-READABLE; true'
	expect_rc 0
	# init's comm and cmdline are ours; the caller's argv (host paths, options) and
	# environment are not readable through /proc/1, nor is its executable.
	expect_out "ag3ntum-init
2
ag3ntum-init"
}

# init, the one runtime process the command can see, holds no more than the
# command: its ids, no capability in any set, no_new_privs.
t_init_holds_no_privilege() {
	sbx exec -- grep -E '^(Uid|Gid|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' /proc/1/status
	expect_rc 0
	expect_out_has "^Uid:[[:space:]]+$DEF_UID[[:space:]]+$DEF_UID[[:space:]]+$DEF_UID[[:space:]]+$DEF_UID\$"
	expect_out_has "^Gid:[[:space:]]+$DEF_GID[[:space:]]+$DEF_GID[[:space:]]+$DEF_GID[[:space:]]+$DEF_GID\$"
	[ "$(printf '%s\n' "$OUT" | grep -c '^Cap...:[[:space:]]*0000000000000000$')" = 5 ] ||
		fail "init holds a capability: $OUT"
	expect_out_has '^NoNewPrivs:[[:space:]]+1$'
}

# Nothing the sandbox mounts shows up on the host while it runs (its tree is
# made private: no propagation into the caller's mount namespace), and nothing
# is left after. This host's mounts are private already, so root mode runs the
# check in a mount namespace whose mounts are all shared, as on systemd hosts;
# rootless mode (a user namespace makes them slaves anyway) runs it as is.
t_no_mount_reaches_the_host() {
	mkdir ws && chmod 777 ws
	cat > check.sh <<'SH'
set -u
AG3=$1 tag=$2 ws=$3
mounts() { awk '{print $5}' /proc/self/mountinfo | sort; }
before=$(mounts)
"$AG3" exec --workspace "$ws" -- sleep "$tag" </dev/null >/dev/null 2>&1 &
ep=$!
for _ in $(seq 50); do pgrep -f "^sleep $tag" >/dev/null && break; sleep 0.1; done
pgrep -f "^sleep $tag" >/dev/null || { kill -9 $ep; echo "the command never started"; exit 1; }
during=$(mounts)
kill -TERM $ep
wait $ep 2>/dev/null
after=$(mounts)
[ "$during" = "$before" ] || { echo "mounts appeared on the host:"; comm -13 <(echo "$before") <(echo "$during") | head; exit 1; }
[ "$after" = "$before" ] || { echo "mounts were left on the host"; exit 1; }
SH
	local out rc=0
	if [ $MODE = root ]; then
		out=$(unshare -m --propagation shared bash check.sh "$AG3" 9307.$$ "$PWD/ws" 2>&1) || rc=$?
	else
		out=$(bash check.sh "$AG3" 9307.$$ "$PWD/ws" 2>&1) || rc=$?
	fi
	[ $rc = 0 ] || fail "$out"
}

# A caller with supplementary groups and inheritable/ambient capabilities: none of
# them reaches init or the command. (Root mode: only root can hand those down;
# rootless mode checks the same sets from its own caller, which has none.)
t_caller_groups_and_caps_do_not_leak() {
	local pre=()
	[ $MODE = root ] && pre=(setpriv --inh-caps +net_raw --ambient-caps +net_raw --groups 4,27 --)
	RC=0
	OUT=$("${pre[@]}" "$AG3" exec -- grep -E '^(Groups|CapInh|CapAmb):' /proc/self/status /proc/1/status \
		</dev/null 2>err) || RC=$?
	ERR=$(cat err)
	expect_rc 0
	[ "$(printf '%s\n' "$OUT" | grep -cE ':Cap(Inh|Amb):[[:space:]]*0000000000000000$')" = 4 ] ||
		fail "an inheritable or ambient capability leaked: $OUT"
	if [ $MODE = root ]; then
		[ "$(printf '%s\n' "$OUT" | grep -cE ':Groups:[[:space:]]*$')" = 2 ] ||
			fail "the caller's groups leaked: $OUT"
	else
		# a user namespace cannot drop the caller's own groups (setgroups is denied
		# there): they stay, shown as the mapped gid or the overflow gid 65534
		printf '%s\n' "$OUT" | grep ':Groups:' | grep -qvE ":Groups:[[:space:]]*(($(id -g)|65534) ?)*$" &&
			fail "a group other than the caller's own: $OUT"
	fi
	return 0
}

# Refusals the CLI alone does not show: a spec (no compile step) with uid 0, and one
# that turns seccomp off while its minimum requires it, are refused by the runtime.
t_runtime_refuses_unsafe_specs() {
	"$AG3" compile -o spec.json
	python3 - spec.json <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
u = dict(s); u["identity"] = dict(s["identity"], uid=0, gid=0)
json.dump(u, open("uid0.json", "w"))
n = json.loads(json.dumps(s)); n["security"]["seccomp"]["enabled"] = False
n["security"]["minimum"]["seccomp"] = True
json.dump(n, open("noseccomp.json", "w"))
PY
	sbx exec --spec uid0.json -- echo RAN
	expect_rc 125
	[ -z "$OUT" ] || fail "ran as uid 0: $OUT"
	sbx exec --spec noseccomp.json -- echo RAN
	expect_rc 125
	[ -z "$OUT" ] || fail "ran without the seccomp its minimum requires: $OUT"
	expect_err_has seccomp
}

# Issue 7 item 5: a spec's supplementary groups go through the uid policy like
# --uid/--gid (42 is shadow on Debian: a system id, refused); an id inside the
# policy still applies in root mode (rootless refuses groups at all).
t_spec_groups_go_through_the_uid_policy() {
	"$AG3" compile --uid $SESS_UID --gid $SESS_GID -o spec.json
	python3 - spec.json $SESS_GID <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
g = int(sys.argv[2])
for name, groups in (("sys", [g + 1, 42]), ("ok", [g + 1])):
	json.dump(dict(s, identity=dict(s["identity"], groups=groups)), open(name + ".json", "w"))
PY
	sbx exec --spec sys.json -- sh -c 'id -G; echo RAN'
	expect_rc 125
	[ -z "$OUT" ] || fail "ran with a system group: $OUT"
	expect_err_has "identity.groups\[1\]: 42 is a system id"
	sbx exec --spec sys.json --uid-mode any -- true
	expect_rc 125
	expect_err_has "identity.groups\[1\]: 42"
	sbx exec --spec ok.json -- sh -c 'id -G'
	if [ $MODE = root ]; then
		expect_rc 0
		expect_out "$SESS_GID $((SESS_GID + 1))"
	else
		expect_rc 125
		expect_err_has "supplementary groups need root mode"
	fi
}

# A bind source that is a symlink when the sandbox starts (swapped in after compile)
# is refused, naming it; root mode also checks a /dev/null that is not the 1:3
# device (a private mount namespace binds a regular file over it) is refused.
t_runtime_refuses_swapped_sources() {
	mkdir ws real && chmod 777 ws real
	"$AG3" compile --workspace "$PWD/ws" -o spec.json
	rmdir ws
	ln -s real ws
	sbx exec --spec spec.json -- echo RAN
	expect_rc 125
	[ -z "$OUT" ] || fail "ran with a symlinked bind source: $OUT"
	expect_err_has 'symlink'
	if [ $MODE = root ]; then
		: > fake-null
		RC=0
		OUT=$(unshare -m bash -c 'mount --bind "$1" /dev/null && exec "$2" exec -- echo RAN' _ \
			"$PWD/fake-null" "$AG3" </dev/null 2>err) || RC=$?
		ERR=$(cat err)
		expect_rc 125
		[ -z "$OUT" ] || fail "ran with a fake /dev/null: $OUT"
		expect_err_has '/dev/null'
	fi
}

# The executor resolves a parent directory once for consecutive targets in it
# (mounts/executor.c, struct resolver). A mount attached on that directory, or on
# one of its ancestors, changes what its path means: a later target through it
# must land inside the new mount, as each target resolved from the root would.
# (/w: a tmpfs on the cached parent itself; /v: on its ancestor; /u: a mount
# below the parent, after which the parent is still the same directory.)
t_later_targets_land_in_a_mount_over_their_parent() {
	"$AG3" compile -o spec.json
	python3 - spec.json <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
def op(kind, target, **kw):
    m = {"op": kind, "target": target, "origin": "test"}
    m.update(kw)
    s["mounts"].append(m)
for top, parent in (("/w", "/w"), ("/v", "/v/s")):
    op("dir", parent + "/under")
    op("tmpfs", top, mode=0o755)
    op("file", parent + "/marker", content="inside " + top + "\n", mode=0o644)
    op("dir", parent + "/over")
op("dir", "/u/a")
op("tmpfs", "/u/a", mode=0o755)
op("file", "/u/marker", content="inside /u\n", mode=0o644)
json.dump(s, open(sys.argv[1], "w"))
PY
	sbx exec --spec spec.json -- sh -c 'cat /w/marker /v/s/marker /u/marker; ls /w /v/s /u | tr "\n" " "'
	expect_rc 0
	expect_out "inside /w
inside /v
inside /u
/u: a marker  /v/s: marker over  /w: marker over "
}

t_children_reaped() {
	# An orphan that exits while the command still runs must not stay a zombie.
	sbx exec -- sh -c '(sleep 0.2 &); sleep 1; cat /proc/[0-9]*/stat 2>/dev/null | awk "{print \$3}" | grep -c Z || true'
	expect_rc 0
	expect_out 0
}

t_no_host_process_visible() {
	sbx exec -- sh -c 'ls -d /proc/[0-9]* | wc -l; cat /proc/[0-9]*/comm | sort | tr "\n" " "'
	expect_rc 0
	n=$(printf '%s\n' "$OUT" | head -1)
	# init, sh, ls/cat: never the host's hundreds
	[ "$n" -le 4 ] || fail "$n processes visible: $OUT"
	printf '%s' "$OUT" | grep -qE 'systemd|sshd|bash|ag3ntum-sandbox' && fail "a host process is visible: $OUT"
	return 0
}

t_only_loopback_and_up() {
	sbx exec -- sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
	expect_rc 0
	expect_out lo
	sbx exec -- python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
c = socket.create_connection(s.getsockname(), timeout=2); print("lo-up")'
	expect_rc 0
	expect_out lo-up
}

t_env_clean() {
	FOO_SECRET=leak TERM=xterm-leak sbx exec -- env
	expect_rc 0
	printf '%s' "$OUT" | grep -q FOO_SECRET && fail "the caller's environment leaked: $OUT"
	expect_out_has '^HOME=/workspace$'
	expect_out_has '^PATH='
	expect_out_has '^AG3NTUM_CONTEXT=sandbox$'
	# the caller's TERM only through a terminal (test-agent-env.sh); here the profile's
	expect_out_has '^TERM=dumb$'
	printf '%s' "$OUT" | grep -q 'xterm-leak' && fail "the caller's TERM leaked: $OUT"
	return 0
}

t_new_session_no_tty() {
	sbx exec -- sh -c 'ps -o sid= -p $$ 2>/dev/null || cat /proc/self/stat | cut -d" " -f6; cat /proc/self/stat | cut -d" " -f7'
	expect_rc 0
	# session id = own pid (2: setsid), controlling tty 0
	expect_out_has '^ *2$'
	expect_out_has '^0$'
}

t_exit_codes() {
	sbx exec -- true; expect_rc 0
	sbx exec -- sh -c 'exit 3'; expect_rc 3
	sbx exec -- sh -c 'kill -9 $$'; expect_rc 137
	sbx exec --timeout 1 -- sleep 30; expect_rc 124
	sbx exec --workspace /nonexistent/ag3-ws -- true; expect_rc 125
	sbx exec -- ag3-no-such-command; expect_rc 127
}

t_setup_error_names_stage_path_errno() {
	# Compile-time: the profile's required workspace is missing.
	sbx exec --workspace /nonexistent/ag3-ws -- echo RAN
	expect_rc 125
	[ -z "$OUT" ] || fail "the command ran although setup failed: $OUT"
	expect_err_has 'sandbox.session_mounts.workspace'
	expect_err_has '/nonexistent/ag3-ws'
	[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || fail "the reason is not one line: $ERR"
	# Run time: the workspace existed when the spec was compiled, not when it runs.
	mkdir ws
	chmod 777 ws
	"$AG3" compile --workspace "$PWD/ws" -o spec.json
	rmdir ws
	sbx exec --spec spec.json -- echo RAN
	expect_rc 125
	[ -z "$OUT" ] || fail "the command ran although setup failed: $OUT"
	expect_err_has '^ag3ntum-sandbox: setup failed: mount-source: '
	expect_err_has "$PWD/ws"
	expect_err_has 'ENOENT'
	[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || fail "the reason is not one line: $ERR"
}

# A setup error names the path: terminal controls in it (a spec may hold any) are
# printed escaped, \xHH, never raw: ESC ] 0;title BEL, ESC [ 2J, U+009B (CSI).
t_setup_error_escapes_path() {
	local ws
	ws="$PWD/ws$(printf '\302\233')2J"
	mkdir "$ws"
	"$AG3" compile --workspace "$ws" -o spec.json
	rmdir "$ws"
	# the spec's path gains what compile refuses in a path: C0 controls
	python3 - spec.json <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for m in s["mounts"]:
    if m["target"] == "/workspace":
        m["source"] += "\x1b]0;pwned\x07\x1b[2J"
json.dump(s, open(sys.argv[1], "w"))
PY
	sbx exec --spec spec.json -- echo RAN
	expect_rc 125
	[ -z "$OUT" ] || fail "the command ran although setup failed: $OUT"
	expect_err_has 'setup failed: mount-source: .*/ws\\xc2\\x9b2J\\x1b\]0;pwned\\x07\\x1b\[2J: '
	if printf '%s' "$ERR" | LC_ALL=C grep -qP '[\x01-\x08\x0b-\x1f\x7f-\x9f]'; then
		fail "raw control bytes on stderr: $(printf '%s' "$ERR" | od -c | head)"
	fi
	# --json prints the record escaped: valid JSON, no raw C1, the same path
	sbx exec --json --spec spec.json -- echo RAN
	expect_rc 125
	if printf '%s' "$ERR" | LC_ALL=C grep -qP '[\x01-\x08\x0b-\x1f\x7f-\x9f]'; then
		fail "raw control bytes in the --json record: $(printf '%s' "$ERR" | od -c | head)"
	fi
	printf '%s\n' "$ERR" | tail -n 1 | python3 -c 'import json, sys; r = json.load(sys.stdin); assert "\x9b2J\x1b]0;pwned" in r["setup_error"]["path"], r' ||
		fail "the --json record: $ERR"
}

t_timeout_kills_background_child() {
	local tag=9301.$$
	start=$(date +%s%N)
	sbx exec --timeout 1 -- sh -c "sleep $tag & sleep $tag"
	end=$(date +%s%N)
	expect_rc 124
	expect_err_has timeout
	ms=$(((end - start) / 1000000))
	[ $ms -lt 8000 ] || fail "took $ms ms"
	wait_proc "sleep $tag" 30 gone || fail "a process survived the timeout: $(pgrep -af "sleep $tag")"
}

# A command that ignores SIGTERM (and a child that inherits that) still ends at the
# timeout: SIGKILL follows after the kill grace (2 s in the default profile).
t_timeout_kills_term_ignoring_command() {
	local tag=9306.$$
	RC=0
	# bounded from outside: without the SIGKILL it would never end (137: the bound hit)
	timeout -s KILL 30 "$AG3" exec --timeout 1 -- sh -c "trap '' TERM; sleep $tag" \
		</dev/null >/dev/null 2>&1 || RC=$?
	[ "$RC" = 124 ] || fail "exec ended with $RC, want 124 (137: it had to be killed from outside)"
	wait_proc "sleep $tag" 30 gone || fail "a process survived the timeout: $(pgrep -af "sleep $tag")"
}

t_background_killed_when_command_exits() {
	local tag=9302.$$
	sbx exec -- sh -c "sleep $tag & echo started"
	expect_rc 0
	expect_out started
	wait_proc "sleep $tag" 30 gone || fail "a background child outlived the command"
}

t_sigkill_of_exec_leaves_nothing() {
	local tag=9303.$$
	"$AG3" exec -- sh -c "sleep $tag & sleep $tag" </dev/null >/dev/null 2>&1 &
	local pid=$!
	wait_proc "^sleep $tag" 50 up || { kill -9 $pid; fail "the command never started"; }
	kill -9 $pid
	wait $pid 2>/dev/null || true
	wait_proc "sleep $tag" 30 gone || fail "processes survived SIGKILL of exec: $(pgrep -af "sleep $tag")"
	# its cgroups (root mode) are left; the next run removes them
	sbx exec -- true
	expect_rc 0
	local left
	left=$(stale_cgroups)
	[ -z "$left" ] || fail "cgroups of a killed exec were not swept by the next run: $left"
}

t_sigterm_of_exec_stops_sandbox() {
	local tag=9304.$$
	"$AG3" exec -- sleep $tag </dev/null >/dev/null 2>&1 &
	local pid=$!
	wait_proc "^sleep $tag" 50 up || { kill -9 $pid; fail "the command never started"; }
	kill -TERM $pid
	RC=0
	wait $pid || RC=$?
	[ $RC = 143 ] || fail "exec ended with $RC, want 143 (128+SIGTERM)"
	wait_proc "sleep $tag" 30 gone || fail "the command survived SIGTERM of exec"
}

t_result_record() {
	sbx exec --result "$PWD/r.json" -- sh -c 'exit 7'
	expect_rc 7
	python3 - "$PWD/r.json" "$MODE" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == "exited" and r["exit_code"] == 7, r
assert r["enforcement"]["mode"] == sys.argv[2], r
assert r["enforcement"]["capabilities_dropped"] and r["enforcement"]["no_new_privs"], r
assert r["enforcement"]["seccomp"], r
assert "net" in r["enforcement"]["namespaces"], r
assert isinstance(r["duration_ms"], (int, float)), r
PY
}

t_dev_minimal() {
	sbx exec -- sh -c 'echo $(ls /dev); echo x > /dev/null && echo null-ok; head -c 4 /dev/urandom | wc -c'
	expect_rc 0
	expect_out "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero
null-ok
4"
}

# The default profile's rlimits (limits.nofile 1024, fsize 1 GiB, core 0) are in force.
t_rlimits_applied() {
	sbx exec -- sh -c 'grep -E "^Max (open files|file size|core file size) " /proc/self/limits | tr -s " "'
	expect_rc 0
	expect_out_has '^Max file size 1073741824 1073741824 bytes'
	expect_out_has '^Max core file size 0 0 bytes'
	expect_out_has '^Max open files 1024 1024 files'
}

# The working directory is resolved without following symlinks: one the sandboxed
# user planted in the workspace, or /dev/fd/N of an fd inherited from the caller
# (runc's CVE-2024-21626: a cwd outside the root), fails the setup instead.
home_profile() {
	write_profile cwd "  environment:
    home: $1"
}

t_cwd_symlink_not_followed() {
	mkdir ws ws/real
	chmod 777 ws
	ln -s /etc ws/sub
	home_profile /workspace/sub
	sbx exec --profile p.yaml --workspace "$PWD/ws" -- pwd
	expect_rc 125
	[ -z "$OUT" ] || fail "the command ran: $OUT"
	expect_err_has 'setup failed: cwd: /workspace/sub: .*ELOOP'
	home_profile /dev/fd/7
	RC=0
	OUT=$("$AG3" exec --profile p.yaml --workspace "$PWD/ws" -- pwd 7</ 2>err) || RC=$?
	ERR=$(cat err)
	expect_rc 125
	[ -z "$OUT" ] || fail "the command ran with cwd $OUT"
	expect_err_has 'setup failed: cwd: /dev/fd/7: .*ELOOP'
	home_profile /workspace/real
	sbx exec --profile p.yaml --workspace "$PWD/ws" -- pwd
	expect_rc 0
	expect_out /workspace/real
}

# init is a copy of the supervisor: it must drop every fd the caller had open (a
# host directory among them) before it builds anything. Root mode looks at init's
# fd table from the host; init is non-dumpable, so rootless can only check that
# nothing of it is readable at all.
t_init_holds_no_caller_fd() {
	local tag=9305.$$ ep init fds
	"$AG3" exec -- sleep $tag </dev/null >/dev/null 2>&1 7</ 8<"$PWD" &
	ep=$!
	wait_proc "^sleep $tag" 50 up || { kill -9 $ep; fail "the command never started"; }
	init=$(cat /proc/$ep/task/*/children 2>/dev/null | tr -s ' ' '\n' | grep -v '^$' | head -1)
	[ -n "$init" ] || { kill -9 $ep; fail "no init under exec ($ep)"; }
	if [ $MODE = root ]; then
		fds=$(ls -l /proc/$init/fd 2>&1 | awk 'NR > 1 {print $9 "->" $11}' | tr '\n' ' ')
	else
		ls /proc/$init/fd >/dev/null 2>&1 && fds="READABLE" || fds=""
	fi
	kill -TERM $ep
	wait $ep 2>/dev/null || true
	if [ $MODE = root ]; then
		[ -n "$fds" ] || fail "could not list init's fds"
		printf '%s' "$fds" | grep -qE '(^| )[78]->' && fail "init holds the caller's fds: $fds"
		printf '%s' "$fds" | grep -qE -- "->(/|$PWD)( |$)" && fail "init holds a host directory: $fds"
	else
		[ -z "$fds" ] || fail "init's fd table is readable from the host: $fds"
	fi
	return 0
}

# --result FILE inside a directory the sandboxed user controls: a symlink the
# command planted there is not followed (in root mode the record is written as root).
t_result_path_symlink_not_followed() {
	mkdir ws target
	chmod 777 ws target
	sbx exec --workspace "$PWD/ws" -- ln -s "$PWD/target" /workspace/out
	expect_rc 0
	[ -L ws/out ] || fail "the command could not plant the link"
	# refused before the run (README "The result record"): the command does not run
	sbx exec --workspace "$PWD/ws" --result "$PWD/ws/out/r.json" -- touch /workspace/ran
	expect_rc 125
	expect_err_has "--result $PWD/ws/out/r.json: .*Too many levels of symbolic links"
	[ ! -e ws/ran ] || fail "the command ran"
	[ -z "$(ls -A target)" ] || fail "the record was written through the link: $(ls -A target)"
	# a link the command plants in place of the directory while it runs: the
	# directory opened before the run is where the record goes, or nowhere
	mkdir ws/d && chmod 777 ws/d
	sbx exec --workspace "$PWD/ws" --result "$PWD/ws/d/r.json" -- \
		sh -c "rmdir /workspace/d && ln -s '$PWD/target' /workspace/d"
	expect_rc 0
	[ -L ws/d ] || fail "the command could not plant the link"
	expect_err_has "--result $PWD/ws/d/r.json: "
	[ -z "$(ls -A target)" ] || fail "the record was written through the link: $(ls -A target)"
	# a plain directory works, relative paths too
	sbx exec --result ws/r.json -- true
	expect_rc 0
	python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["status"] == "exited"' ws/r.json
	[ -z "$(ls -A ws | grep tmp)" ] || fail "a temporary file was left: $(ls -A ws)"
}

# doctor's claims must be what exec does, in this mode: the mode, the landlock ABI
# it applies, and whether a profile requiring cgroup limits runs or is refused.
t_doctor_agrees_with_exec() {
	sbx doctor
	expect_rc 0
	expect_out_has "^mode +$MODE "
	expect_out_has '^sandbox +can be entered$'
	sbx doctor --json
	expect_rc 0
	printf '%s' "$OUT" > doctor.json
	sbx exec --result "$PWD/r.json" -- true
	expect_rc 0
	write_profile needs-cgroup "  minimum_isolation:
    cgroup: true"
	sbx exec --profile p.yaml -- echo RAN
	python3 - doctor.json r.json "$MODE" "$RC" "$OUT" "$ERR" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); r = json.load(open(sys.argv[2]))
mode, rc, out, err = sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
assert d["mode"] == mode and d["can_run"] is True, d
assert d["landlock_abi"] == r["enforcement"]["landlock_abi"], (d, r)
assert d["limits"] in ("cgroup_v2", "cgroup_v1", "rlimits"), d
cg = d["minimum_isolation_possible"]["cgroup"]
assert cg == (d["limits"] != "rlimits"), d
degraded = " ".join(r["enforcement"]["degraded"])
if cg:
    assert rc == 0 and out == "RAN", (rc, out, err)
    assert "memory:" not in degraded and "pids:" not in degraded, degraded
else:
    assert rc == 125 and out == "" and "minimum_isolation requires cgroup" in err, (rc, out, err)
    assert "RLIMIT_AS" in degraded and "RLIMIT_NPROC" in degraded, degraded
print("doctor:", d["limits"], "cgroup possible:", cg)
PY
}

# A tmpfs inside the writable workspace hides a host directory: its parents are
# pinned (mount points of themselves), so the sandbox cannot rename one and carry
# the tmpfs away, which would leave the hidden file at a new host path that no
# mask names (for the next sandbox and for the file tools' resolver).
t_nested_mount_parents_pinned() {
	mkdir -p ws/priv/cache ws/other
	chmod -R 777 ws
	echo secret >ws/priv/cache/secret.txt
	write_profile pinned "  tmpfs_paths: [/workspace/priv/cache]"
	sbx exec --profile p.yaml --workspace "$PWD/ws" -- sh -c '
		cat /workspace/priv/cache/secret.txt 2>/dev/null && echo "read=yes"
		mv /workspace/priv /workspace/moved 2>/dev/null && echo "moved=yes"
		mv /workspace/priv/cache /workspace/c2 2>/dev/null && echo "moved-mount=yes"
		rmdir /workspace/priv 2>/dev/null && echo "removed=yes"
		echo n >/workspace/priv/new && rm /workspace/priv/new && echo "write=ok"
		mv /workspace/other /workspace/other2 && echo "rename-elsewhere=ok"'
	expect_rc 0
	case $OUT in *read=yes* | *moved=yes* | *moved-mount=yes* | *removed=yes*)
		fail "the tmpfs's parent could be moved: $OUT" ;;
	esac
	expect_out_has '^write=ok$'
	expect_out_has '^rename-elsewhere=ok$'
	[ -f ws/priv/cache/secret.txt ] && [ ! -e ws/moved ] || fail "the host tree changed: $(find ws)"
}

for t in $(declare -F | awk '{print $3}' | grep '^t_'); do
	run_test "${t#t_}" "$t"
done
finish
