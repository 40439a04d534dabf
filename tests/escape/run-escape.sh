#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The escape suite: each test copies one attack probe (probes/*.c, built by
# meson into the directory given as $1 or AG3_PROBES) into a fresh workspace,
# runs it INSIDE `ag3ntum-sandbox exec` with the embedded default profile and
# checks that the attack failed: the probe prints `BLOCKED <name>: <how>` and
# exits 0 (`ESCAPED <name>: <what opened>`, exit 1, is a finding; `ERROR`,
# exit 2, a probe that could not run: both fail the test; `SKIP`, exit 3, only
# when the kernel lacks the feature). Some attacks need host-side set-up or
# host-side checks (a listener on the host's loopback, a host process, a
# planted symlink, survivors after the sandbox): those are shell functions
# below. Runs as root (root mode) and as the unprivileged test user (rootless
# mode) through ../integration/run-root.sh and run-rootless.sh; prints TAP.
#
# Everything is bounded in time (exec --timeout, and `timeout` on the host),
# nothing is sent to any address but loopback, and only processes this script
# started are killed, by pid.
source "$(dirname "$0")/../integration/lib.sh"

PROBES=${1:-${AG3_PROBES:-}}
[ -d "${PROBES:-/nonexistent}" ] ||
	skip_all "no probe directory (pass it as the first argument or AG3_PROBES)"
PROBES=$(cd "$PROBES" && pwd)
[ -r "$PROBES/probe-fs" ] || skip_all "the probes are not built or not readable in $PROBES (ninja -C build)"
PY=$(command -v python3) || skip_all "python3 is needed for the host-side listeners and spec edits"
# Checking that the probes can fail: AG3_ESCAPE_PROFILE runs them under another
# profile (e.g. tests/integration/profiles/no-seccomp.yaml). Never set in CI.
PROFILE_OPTS=()
[ -n "${AG3_ESCAPE_PROFILE:-}" ] && PROFILE_OPTS=(--profile "$AG3_ESCAPE_PROFILE")

# ---------------------------------------------------------------------------
# Harness

# Like lib.sh's run_test, plus: a test that writes $SCRATCH/.skip is reported
# as skipped with that reason (only probes do, when the kernel lacks the
# feature), and a passing test's verdict line is printed as a TAP comment.
run_escape() {
	local name=$1 func=$2 out rc skip=""
	TAP_N=$((TAP_N + 1))
	new_scratch
	out=$( (set -e; cd "$SCRATCH"; "$func") 2>&1 )
	rc=$?
	[ -f "$SCRATCH/.skip" ] && skip=$(cat "$SCRATCH/.skip")
	rm -rf "$SCRATCH" 2>/dev/null || true
	if [ $rc = 0 ] && [ -n "$skip" ]; then
		echo "ok $TAP_N - [$MODE] $name # SKIP $skip"
	elif [ $rc = 0 ]; then
		echo "ok $TAP_N - [$MODE] $name"
		printf '%s\n' "$out" | tail -n 3 | sed 's/^/# /'
	else
		echo "not ok $TAP_N - [$MODE] $name"
		printf '%s\n' "$out" | tail -n 25 | sed 's/^/# /'
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

# Runs the binary bounded in time on the host; $OUT, $ERR, $RC like lib.sh's sbx.
run_ag3() {
	local o e
	o=$(mktemp "$SCRATCH/.out.XXXXXX")
	e=$(mktemp "$SCRATCH/.err.XXXXXX")
	RC=0
	timeout -k 5 "${HOST_TIMEOUT:-180}" "$AG3" "$@" >"$o" 2>"$e" </dev/null || RC=$?
	OUT=$(cat "$o")
	ERR=$(cat "$e")
	rm -f "$o" "$e"
}

# A fresh workspace directory in the scratch directory, writable by the
# sandbox's uid (65534 in root mode).
new_ws() {
	WS=$SCRATCH/ws
	mkdir -p "$WS"
	chmod 777 "$WS"
}

# Copies probe-BIN into the workspace, readable and executable by anyone.
put() {
	cp "$PROBES/probe-$1" "$WS/probe-$1"
	chmod 755 "$WS/probe-$1"
}

# probe [EXEC_OPTION...] -- BIN [ARG...]: runs /workspace/probe-BIN ARG... in a
# fresh sandbox made from the default profile, with a new workspace holding a
# copy of the probe. $P_TIMEOUT is the sandbox's timeout (default 120 s).
probe() {
	local opts=() bin
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	bin=$1
	shift
	new_ws
	put "$bin"
	run_ag3 exec "${PROFILE_OPTS[@]}" --workspace "$WS" --timeout "${P_TIMEOUT:-120}" "${opts[@]}" \
		-- "/workspace/probe-$bin" "$@"
}

# The probe printed exactly "BLOCKED NAME: ..." and exited 0. A "SKIP NAME:
# ..." with exit 3 (the kernel lacks the feature) marks the test skipped.
expect_blocked() {
	local v=$1 n
	n=$(printf '%s\n' "$OUT" | grep -c . || true)
	if [ "$RC" = 0 ] && [ "$n" = 1 ] && [[ "$OUT" == "BLOCKED $v: "* ]]; then
		echo "$OUT"
		return 0
	fi
	if [ "$RC" = 3 ] && [ "$n" = 1 ] && [[ "$OUT" == "SKIP $v: "* ]]; then
		echo "${OUT#SKIP "$v": }" >"$SCRATCH/.skip"
		return 0
	fi
	fail "want 'BLOCKED $v: ...' and status 0; got status $RC; stdout: $OUT; stderr: $ERR"
}

# Waits (5 s) until no process's command line holds PATTERN. Survivors are
# processes this test started (the pattern holds a unique tag): they are
# killed by pid, and the test fails.
gone() {
	local pattern=$1 pids
	wait_proc "$pattern" 50 gone && return 0
	pids=$(pgrep -f -- "$pattern" | tr '\n' ' ' || true)
	local what
	what=$(ps -o pid=,user=,args= -p "${pids// /,}" 2>/dev/null | head -5 || true)
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill -9 $pids 2>/dev/null
	fail "processes outlived the sandbox: $what"
}

# A unique tag usable as a `sleep` duration.
new_tag() { echo "93$((RANDOM % 90 + 10)).$$$RANDOM"; }

# ---------------------------------------------------------------------------
# Plain probes: run, expect BLOCKED.

t_generic() {
	probe -- "$P_BIN" "${P_ARGS[@]}"
	expect_blocked "$P_VERDICT"
}

# plain TAP_NAME BIN VERDICT_NAME [ARG...]
plain() {
	P_BIN=$2 P_VERDICT=$3
	P_ARGS=("${@:4}")
	run_escape "$1" t_generic
}

# variants BIN VARIANT...: one test per variant (argv[1] = the variant).
variants() {
	local bin=$1 v
	shift
	for v in "$@"; do
		plain "$v" "$bin" "$v" "$v"
	done
}

# ---------------------------------------------------------------------------
# Probes with host-side set-up or checks.

t_fd_leak() {
	new_ws
	put fdleak
	# Host fds the runtime must not pass on: a directory (the classic way out
	# of a chroot), a file, a file open for writing.
	exec 7<"$SCRATCH" 8</etc/hostname 9>"$SCRATCH/leak"
	run_ag3 exec "${PROFILE_OPTS[@]}" --workspace "$WS" --timeout 60 -- /workspace/probe-fdleak
	exec 7<&- 8<&- 9>&-
	expect_blocked fd-leak
}

t_suid_euid() {
	new_ws
	put suid
	chown 0:0 "$WS/probe-suid"
	chmod 4755 "$WS/probe-suid"
	[ -u "$WS/probe-suid" ] || fail "could not make the probe setuid-root on the host"
	probe_setuid_run() {
		run_ag3 exec "${PROFILE_OPTS[@]}" --workspace "$WS" --timeout 60 "$@" -- /workspace/probe-suid suid-euid
		expect_blocked suid-euid
	}
	probe_setuid_run
	probe_setuid_run --uid 50001 --gid 50001
}

t_host_file_invisible() {
	local n=ag3-escape-$$-$RANDOM
	echo secret >"/tmp/$n"
	echo secret >"/dev/shm/$n"
	chmod 644 "/tmp/$n" "/dev/shm/$n"
	probe -- fs host-file-invisible "/tmp/$n" "/dev/shm/$n"
	rm -f "/tmp/$n" "/dev/shm/$n"
	expect_blocked host-file-invisible
}

t_kill_host() {
	sleep 300 >/dev/null 2>&1 &
	local hp=$!
	probe -- kill kill-host "$hp"
	kill "$hp" 2>/dev/null || true
	wait "$hp" 2>/dev/null || true
	expect_blocked kill-host
}

# Starts a host-side listener: `listener tcp` (127.0.0.1, a free port) or
# `listener unix NAME` (abstract). Sets LPID and LADDR; it exits by itself
# after 60 s, and is killed by pid at the end of the test.
listener() {
	"$PY" - "$SCRATCH/laddr" "$@" >/dev/null 2>"$SCRATCH/listener.err" <<'PY' &
import os, socket, sys, time
out, kind = sys.argv[1], sys.argv[2]
if kind == "tcp":
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    addr = str(s.getsockname()[1])
else:
    s = socket.socket(socket.AF_UNIX)
    s.bind("\0" + sys.argv[3])
    addr = sys.argv[3]
s.listen(16)
with open(out + ".tmp", "w") as f:
    f.write(addr)
os.rename(out + ".tmp", out)
time.sleep(60)
PY
	LPID=$!
	local i
	for ((i = 0; i < 50; i++)); do
		[ -s "$SCRATCH/laddr" ] && break
		sleep 0.1
	done
	LADDR=$(cat "$SCRATCH/laddr" 2>/dev/null) || fail "the host listener did not start: $(cat "$SCRATCH/listener.err")"
}

stop_listener() {
	kill "$LPID" 2>/dev/null || true
	wait "$LPID" 2>/dev/null || true
}

t_net_host_tcp() {
	listener tcp
	# The host itself reaches it: a refusal inside is the sandbox's own loopback.
	"$PY" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2).close()' \
		"$LADDR" || { stop_listener; fail "the host cannot reach its own listener"; }
	probe -- net net-host-tcp "$LADDR"
	stop_listener
	expect_blocked net-host-tcp
}

t_abstract_unix() {
	listener unix "ag3-escape-$$-$RANDOM"
	"$PY" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect("\0" + sys.argv[1]); s.close()' \
		"$LADDR" || { stop_listener; fail "the host cannot reach its own abstract socket"; }
	probe -- net abstract-unix "$LADDR"
	stop_listener
	expect_blocked abstract-unix
}

t_ipc_host_shm() {
	local id
	id=$(ipcmk -M 4096 -p 0644 | sed -n 's/^Shared memory id: //p')
	[ -n "$id" ] || fail "ipcmk could not create a segment on the host"
	probe -- net ipc-host-shm "$id"
	ipcrm -m "$id" || true
	expect_blocked ipc-host-shm
}

t_fork_bomb() {
	local tag
	tag=ag3bomb$$x$RANDOM
	probe -- bombs fork-bomb "$tag"
	gone "probe-bombs fork-bomb $tag"
	expect_blocked fork-bomb
}

t_mem_bomb() {
	probe --json -- bombs "$P_VERDICT"
	# A cgroup OOM kill of the whole sandbox leaves the probe no time to print.
	if [ "$RC" = 137 ] && [ -z "$OUT" ] && printf '%s' "$ERR" | grep -q '"status": *"oom"'; then
		echo "BLOCKED $P_VERDICT: the sandbox was OOM-killed (result status oom)"
		return 0
	fi
	expect_blocked "$P_VERDICT"
}

# The sandbox-wide memory limit needs a cgroup (v2 delegated, or v1 in root mode on
# hybrid hosts). Where this user has none (rootless on a host whose v2 tree is not
# delegated), the documented contract is the per-process RLIMIT_AS (mem-bomb above)
# and the downgrade named in the result record: check exactly that, and say so. With
# a cgroup, the 3 GiB spread over 6 processes must be contained.
t_mem_bomb_procs() {
	probe --json -- bombs mem-bomb-procs
	if [ "$RC" = 137 ] && [ -z "$OUT" ] && printf '%s' "$ERR" | grep -q '"status": *"oom"'; then
		echo "BLOCKED mem-bomb-procs: the sandbox was OOM-killed (result status oom)"
		return 0
	fi
	local entry
	entry=$(printf '%s' "$ERR" | grep -o '"memory: [^"]*RLIMIT_AS[^"]*"' | head -1)
	if [ -n "$entry" ]; then
		printf '%s' "$OUT" | grep -q '^ESCAPED mem-bomb-procs' ||
			printf '%s' "$OUT" | grep -q '^BLOCKED mem-bomb-procs' ||
			fail "the probe did not run: $OUT / $ERR"
		echo "DEGRADED mem-bomb-procs: no cgroup for this user here, so memory is bounded per process only, and the result record says so: $entry"
		return 0
	fi
	expect_blocked mem-bomb-procs
}

# output_flood READER...: the probe writes 64 MiB on stdout, read by READER
# (a pipeline stage); sets RC (exec's status), N (bytes READER saw) and ERR.
output_flood() {
	local tag=$1
	shift
	new_ws
	put bombs
	timeout -k 5 30 "$AG3" exec "${PROFILE_OPTS[@]}" "${FLOOD_OPTS[@]}" --workspace "$WS" --timeout 25 \
		-- /workspace/probe-bombs output-flood "$tag" </dev/null 2>"$SCRATCH/err" | "$@" >"$SCRATCH/n"
	RC=${PIPESTATUS[0]}
	N=$(tr -d ' ' <"$SCRATCH/n")
	ERR=$(head -c 4096 "$SCRATCH/err")
}

t_output_flood_read_all() {
	local tag
	tag=ag3flood$$x$RANDOM
	FLOOD_OPTS=()
	SECONDS=0
	output_flood "$tag" wc -c
	gone "output-flood $tag"
	[ "$RC" = 0 ] || fail "exec ended with $RC after ${SECONDS}s (124/137: stuck): $ERR"
	printf '%s' "$ERR" | grep -q 'FLOOD output-flood: wrote 67108864 bytes, complete' ||
		fail "the command could not write its 64 MiB: $ERR"
	echo "BLOCKED output-flood-read-all: 64 MiB passed through in ${SECONDS}s, the reader got $N bytes"
}

t_output_flood_reader_stops() {
	local tag
	tag=ag3flood$$x$RANDOM
	FLOOD_OPTS=()
	SECONDS=0
	output_flood "$tag" sh -c 'head -c 1048576 >/dev/null; echo 1048576'
	gone "output-flood $tag"
	case $RC in
	0 | 141) ;;
	*) fail "exec ended with $RC after ${SECONDS}s when its reader stopped (124/137: stuck): $ERR" ;;
	esac
	echo "BLOCKED output-flood-reader-stops: exec ended ($RC) ${SECONDS}s after its reader stopped: ${ERR%%$'\n'*}"
}

t_output_flood_capture() {
	local tag max
	tag=ag3flood$$x$RANDOM
	FLOOD_OPTS=(--capture)
	max=$((1048576 + 4096))
	SECONDS=0
	output_flood "$tag" wc -c
	gone "output-flood $tag"
	[ "$RC" = 0 ] || fail "exec --capture ended with $RC after ${SECONDS}s (124/137: stuck): $ERR"
	[ "$N" -le $max ] || fail "exec --capture printed $N bytes of stdout, more than limits.output (1 MiB)"
	printf '%s' "$ERR" | grep -q 'wrote 67108864 bytes, complete' ||
		fail "the supervisor stopped draining: the command could not write its 64 MiB: $ERR"
	echo "BLOCKED output-flood-capture: 64 MiB written, $N bytes kept, ${SECONDS}s"
}

# The sandbox's share of its caller's per-user inotify pool: a quarter of the
# host's limit (runtime/ucounts.h), set in the sandbox's own user namespace.
# Root mode without a user namespace has no namespace of its own to bound:
# there the probe's uid (the session's, not the caller's) has the host's pool,
# and the host's limits must be left as they were (README "Limits").
t_inotify_pool() {
	local host n before
	host=$(cat /proc/sys/fs/inotify/max_user_instances)
	n=$((host / 4))
	before=$(cat /proc/sys/user/max_inotify_instances /proc/sys/user/max_user_namespaces)
	probe --json -- bombs inotify-pool "$n"
	[ "$before" = "$(cat /proc/sys/user/max_inotify_instances /proc/sys/user/max_user_namespaces)" ] ||
		fail "the host's /proc/sys/user limits changed: $before"
	if printf '%s' "$ERR" | grep -q '"namespaces":\["mount"'; then
		[ $MODE = root ] || fail "rootless without a user namespace: $ERR"
		printf '%s' "$OUT" | grep -q '^ESCAPED inotify-pool' || fail "the probe did not run: $OUT / $ERR"
		# the same with a user namespace of the sandbox's own: bounded
		new_ws
		put bombs
		"$AG3" compile --workspace "$WS" -o "$SCRATCH/spec.json"
		"$PY" - "$SCRATCH/spec.json" <<'PY'
import json, sys
p = sys.argv[1]
s = json.load(open(p))
s["namespaces"]["user"] = "always"
json.dump(s, open(p, "w"), indent=1)
PY
		run_ag3 exec --spec "$SCRATCH/spec.json" --timeout 60 -- /workspace/probe-bombs inotify-pool "$n"
		expect_blocked inotify-pool
		echo "root mode: not bounded without a user namespace (host limits untouched), bounded with one"
		return 0
	fi
	expect_blocked inotify-pool
}

t_daemon_exit() {
	local tag
	tag=$(new_tag)
	probe -- daemon daemon-exit "$tag"
	gone "sleep $tag"
	if [ "$RC" != 0 ] || [[ "$OUT" != "STARTED daemon-exit: "* ]]; then
		fail "the probe did not run: $RC: $OUT $ERR"
	fi
	echo "BLOCKED daemon-exit: the setsid'd, SIGTERM-ignoring daemon died with the command"
}

t_daemon_timeout() {
	local tag
	tag=$(new_tag)
	P_TIMEOUT=2 probe -- daemon daemon-wait "$tag"
	gone "sleep $tag"
	expect_rc 124
	[[ "$OUT" == "STARTED daemon-wait: "* ]] || fail "the probe did not run: $OUT $ERR"
	echo "BLOCKED daemon-timeout: the timeout killed the probe and its daemon (status 124)"
}

t_daemon_sigkill_exec() {
	local tag pid
	tag=$(new_tag)
	new_ws
	put daemon
	"$AG3" exec "${PROFILE_OPTS[@]}" --workspace "$WS" --timeout 60 -- /workspace/probe-daemon daemon-wait "$tag" \
		</dev/null >/dev/null 2>&1 &
	pid=$!
	wait_proc "^sleep $tag" 50 up || {
		kill -9 "$pid"
		fail "the daemon never started"
	}
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	gone "sleep $tag"
	gone "daemon-wait $tag"
	# the killed exec's cgroups are swept by the next run
	run_ag3 exec "${PROFILE_OPTS[@]}" -- true
	[ -z "$(stale_cgroups)" ] || fail "cgroups of the killed exec were left: $(stale_cgroups)"
	echo "BLOCKED daemon-sigkill-exec: nothing survived SIGKILL of exec"
}

# What a redirected mount would change on the host.
host_state() {
	stat -c '%n %d:%i' /etc /etc/passwd /usr/share
	sha256sum /etc/passwd
	findmnt -rn -o TARGET,SOURCE | grep -E "^(/etc|/usr/share|$SCRATCH)" || true
}

# spec_add_bind: the default spec for $WS plus a read-only bind of /usr/share
# at /workspace/sub/target (below the workspace, where a symlink can be planted).
spec_add_bind() {
	"$AG3" compile --workspace "$WS" -o "$SCRATCH/spec.json"
	"$PY" - "$SCRATCH/spec.json" <<'PY'
import json, sys
p = sys.argv[1]
s = json.load(open(p))
s["mounts"].append({"op": "bind", "source": "/usr/share", "target": "/workspace/sub/target",
                    "ro": True, "nosuid": True, "nodev": True})
json.dump(s, open(p, "w"), indent=1)
PY
}

# planted: $WS holds a planted symlink; the sandbox must refuse (125, naming
# the symlink or ELOOP) and the host must not change.
planted() {
	local before after
	before=$(host_state)
	run_ag3 exec --spec "$SCRATCH/spec.json" -- /bin/echo RAN
	after=$(host_state)
	[ "$before" = "$after" ] || fail "the host changed: before: $before; after: $after"
	[ -z "$OUT" ] || fail "the command ran: $OUT (status $RC)"
	expect_rc 125
	printf '%s' "$ERR" | grep -qiE 'symlink|ELOOP' || fail "the refusal names no symlink nor ELOOP: $ERR"
	echo "BLOCKED: $ERR"
}

t_symlink_parent() {
	new_ws
	spec_add_bind
	ln -s /etc "$WS/sub"
	planted
}

t_symlink_target() {
	new_ws
	spec_add_bind
	mkdir "$WS/sub"
	chmod 777 "$WS/sub"
	ln -s /etc "$WS/sub/target"
	planted
}

t_symlink_loop() {
	new_ws
	spec_add_bind
	ln -s a "$WS/sub"
	ln -s sub "$WS/a"
	planted
}

# bad_cwd DIR: a spec whose process.cwd is DIR must be refused (125) before
# the command runs.
bad_cwd() {
	new_ws
	"$AG3" compile --workspace "$WS" -o "$SCRATCH/spec.json"
	"$PY" - "$SCRATCH/spec.json" "$1" <<'PY'
import json, sys
p = sys.argv[1]
s = json.load(open(p))
s["process"]["cwd"] = sys.argv[2]
json.dump(s, open(p, "w"), indent=1)
PY
	run_ag3 exec --spec "$SCRATCH/spec.json" -- /bin/sh -c 'echo RAN; pwd'
	[ -z "$OUT" ] || fail "the command ran in $1: $OUT (status $RC)"
	expect_rc 125
	echo "BLOCKED: $ERR"
}

t_cwd_proc_self_fd() { bad_cwd /proc/self/fd/3; }
t_cwd_proc_1_cwd() { bad_cwd /proc/1/cwd; }

# The generated /etc/passwd and /etc/group over a writable host bind at /etc:
# the runtime writes nothing into that host directory (before, it created the
# files there, where the command replaced them and they stayed on the host).
# Without the files there the setup is refused; with them, the command cannot
# replace them and the host's stay as they were.
t_etc_rw_bind_passwd() {
	new_ws
	mkdir "$SCRATCH/etc"
	chmod 777 "$SCRATCH/etc"
	write_profile p "    etc: {source: $SCRATCH/etc, target: /etc, mode: rw}"
	local swap='mv /etc/passwd /etc/old; rm -f /etc/passwd; echo "x:x:0:0::/:/bin/sh" >/etc/passwd
		mv /etc/group /etc/oldg; echo "x:x:0:" >/etc/group; echo RAN'
	run_ag3 exec --profile p.yaml --workspace "$WS" -- /bin/sh -c "$swap"
	local left
	left=$(ls -A "$SCRATCH/etc")
	[ -z "$left" ] || fail "the runtime wrote into the host directory bound at /etc: $left (status $RC, stdout $OUT)"
	expect_rc 125
	printf '%s' "$ERR" | grep -q 'writes nothing into host directories' || fail "the refusal does not say why: $ERR"
	echo base >"$SCRATCH/etc/passwd"
	echo base >"$SCRATCH/etc/group"
	run_ag3 exec --profile p.yaml --workspace "$WS" -- /bin/sh -c "$swap"
	[ "$(cat "$SCRATCH/etc/passwd" "$SCRATCH/etc/group")" = "$(printf 'base\nbase')" ] ||
		fail "the host's files changed: $(ls -la "$SCRATCH/etc")"
	[ "$(ls -A "$SCRATCH/etc" | sort | tr '\n' ' ')" = "group passwd " ] ||
		fail "the command moved the generated files: $(ls -A "$SCRATCH/etc")"
	echo "BLOCKED etc-rw-bind-passwd: nothing written to the host's directory, the files not replaced"
}

# ---------------------------------------------------------------------------
# The suite.

# Seccomp: every deny in README's "Seccomp" list (probes/sc-*.c).
variants sc-io-uring io_uring_setup io_uring_enter io_uring_register
variants sc-ptrace ptrace-traceme ptrace-attach-child ptrace-attach-init process_vm_readv process_vm_writev \
	kcmp pidfd_getfd
variants sc-kernel bpf perf_event_open userfaultfd syslog iopl ioperm quotactl quotactl_fd
variants sc-keys keyctl add_key request_key
variants sc-host kexec_load kexec_file_load init_module finit_module delete_module reboot swapon swapoff acct
variants sc-time sethostname setdomainname clock_settime settimeofday adjtimex clock_adjtime
variants sc-mount mount umount2 fsopen fsconfig fsmount fspick open_tree move_mount mount_setattr pivot_root chroot
variants sc-ns unshare-user unshare-ns unshare-user-ns unshare-user-net setns clone-newuser \
	clone-newuser-newnet-newns clone3
variants sc-socket socket-vsock socket-vsock-high-bits socket-other-families socket-packet socket-inet-raw socket-inet-raw-flags socket-inet6-raw \
	socket-inet-packet
variants sc-tty tiocsti tiocsti-highbit tioclinux tioclinux-highbit tiocsetd
variants sc-misc personality-addr-no-randomize personality-read-implies-exec open_by_handle_at \
	compat-i386-unshare compat-x32-unshare

# Mounts, /proc, /sys, /dev.
variants fs ro-usr ro-etc ro-bin ro-lib ro-root ro-dev proc-hostname-write proc-sysrq-write proc-sys-write \
	sys-absent read-kcore proc-masks read-kmsg read-sysrq read-shadow other-users root-listing dotdot dev-absent \
	mknod-blk mknod-chr
variants remount remount-usr-rw remount-usr-rw-newapi
variants procs proc1-exe-opath proc1-exe-rdonly proc1-environ proc1-mem proc1-cwd proc1-root proc1-nondumpable \
	self-exe-write host-exe-write
plain open-by-handle handle open-by-handle
run_escape symlink-planted-parent t_symlink_parent
run_escape symlink-planted-target t_symlink_target
run_escape symlink-planted-loop t_symlink_loop
run_escape cwd-proc-self-fd t_cwd_proc_self_fd
run_escape cwd-proc-1-cwd t_cwd_proc_1_cwd
run_escape fd-leak t_fd_leak
run_escape host-file-invisible t_host_file_invisible
run_escape etc-rw-bind-passwd t_etc_rw_bind_passwd
variants etcfiles etc-passwd-write etc-passwd-replace etc-passwd-own-users

# Identity and privileges.
variants identity status-baseline cgroup-ns setuid-root setgroups oom-score-adj
plain hostname identity hostname hostname "$(uname -n)"
[ $MODE = root ] && run_escape suid-euid t_suid_euid
variants suid suid-host mounts-nosuid unshare-cmd

# Processes, network, ipc.
variants kill kill-scan kill-init signal-init-scoped
run_escape kill-host t_kill_host
variants net net-ifaces proc-net-dev
run_escape net-host-tcp t_net_host_tcp
run_escape abstract-unix t_abstract_unix
run_escape ipc-host-shm t_ipc_host_shm

# Resources and lifetime.
run_escape fork-bomb t_fork_bomb
P_VERDICT=mem-bomb run_escape mem-bomb t_mem_bomb
run_escape mem-bomb-procs t_mem_bomb_procs
plain fill-tmp bombs fill fill /tmp
plain fill-dev-shm bombs fill fill /dev/shm
# the sandbox's devpts max= (mounts/executor.c DEV_PTS_MAX, README "How a command runs")
plain pty-pool bombs pty-pool pty-pool 64
run_escape inotify-pool t_inotify_pool
run_escape output-flood-read-all t_output_flood_read_all
run_escape output-flood-reader-stops t_output_flood_reader_stops
"$AG3" help exec 2>/dev/null | grep -q -- '--capture' && run_escape output-flood-capture t_output_flood_capture
run_escape daemon-exit t_daemon_exit
run_escape daemon-timeout t_daemon_timeout
run_escape daemon-sigkill-exec t_daemon_sigkill_exec

finish
