#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration tests: bubblewrap's command line on our runtime (tools/cli_bwrap.c,
# README "Replacing bwrap"), through `ag3ntum-sandbox bwrap` and a `bwrap`
# symlink: its texts and exit status, the setup operations in order, the status
# fds, and (root mode) the agent platform's newest argv done as it meant.
# Runs in root mode and rootless mode (run-rootless.sh).
source "$(dirname "$0")/lib.sh"

# Root mode: the lines below give the command a uid (without one it would be bwrap's
# root command, t_root_command).
if [ $MODE = root ]; then
	IDS=(--unshare-user --uid 50000 --gid 50000)
else
	IDS=()
fi

bw() { sbx bwrap "$@"; }

t_help_and_usage() {
	bw --help
	expect_rc 0
	expect_out_has "^usage: ag3ntum-sandbox bwrap \[OPTIONS...\] \[--\] COMMAND \[ARGS...\]"
	ln -s "$AG3" "$PWD/bwrap"
	RC=0
	OUT=$("$PWD/bwrap" --help 2>&1) || RC=$?
	expect_rc 0
	expect_out_has "^usage: $PWD/bwrap "
	bw
	expect_rc 1
	expect_err_has "^usage: "
	bw --ro-bind / /
	expect_rc 1
	expect_err_has "^usage: "
}

t_errors_are_bwraps() {
	bw --bogus true
	expect_rc 1
	expect_err_has "^bwrap: Unknown option --bogus$"
	bw "${IDS[@]}" --bind /nonexistent-source /x true
	expect_rc 1
	expect_err_has "^bwrap: Can't find source path /nonexistent-source: No such file or directory$"
	bw --json-status-fd -1 true
	expect_rc 1
	expect_err_has "^bwrap: Invalid fd: -1$"
	bw --pidns 11 true 11</proc/self/ns/pid
	expect_rc 1
	expect_err_has "^bwrap: --pidns is not supported by ag3ntum-sandbox: the sandbox always has a pid namespace of its own"
	bw --as-pid-1 true
	expect_rc 1
	expect_err_has "^bwrap: Specifying --as-pid-1 requires --unshare-pid$"
	bw --unshare-pid --as-pid-1 --lock-file /x true
	expect_rc 1
	expect_err_has "^bwrap: Specifying --as-pid-1 and --lock-file is not permitted$"
	bw "${IDS[@]}" --level-prefix --chdir / --chdir / --cap-add CAP_KILL true
	expect_rc 1
	expect_err_has "^<4>bwrap: Only the last --chdir option will take effect$"
	expect_err_has "^<3>bwrap: --cap-add is only supported for a root command"
	bw --cap-drop CAP_NOPE true
	expect_rc 1
	expect_err_has "^bwrap: unknown cap: CAP_NOPE$"
}

t_ops_in_order_and_exit_status() {
	printf 'file data' >"$PWD/data"
	RC=0
	OUT=$("$AG3" bwrap "${IDS[@]}" --ro-bind / / --tmpfs /tmp --dir /tmp/d --symlink d /tmp/l \
		--perms 0640 --file 3 /tmp/l/f --size 1048576 --tmpfs /tmp/small \
		sh -c 'cat /tmp/d/f; echo; stat -c %a /tmp/d/f; df -k /tmp/small | tail -1; exit 7' \
		3<"$PWD/data" 2>"$PWD/err") || RC=$?
	ERR=$(cat "$PWD/err")
	expect_rc 7
	expect_out_has "^file data$"
	expect_out_has "^640$"
	expect_out_has " 1024 "
	RC=0
	"$AG3" bwrap "${IDS[@]}" --ro-bind / / sh -c 'kill -TERM $$' 2>/dev/null || RC=$?
	expect_rc 143
}

t_dev_as_bwraps() {
	bw "${IDS[@]}" --ro-bind / / --unshare-pid --dev /dev sh -c \
		'readlink /dev/core; ls /dev/stdin /dev/stdout /dev/stderr /dev/null /dev/fd >/dev/null && echo ok'
	expect_rc 0
	expect_out "/proc/kcore
ok"
}

t_host_tmp_through_binds() {
	# the new root is staged outside every bind's source (--bind /tmp /tmp)
	local f
	f=$(mktemp /tmp/ag3-bwrap.XXXXXX)
	echo host >"$f"
	chmod 644 "$f"
	bw "${IDS[@]}" --bind / / --bind /tmp /tmp cat "$f"
	local rc1=$RC out1=$OUT
	bw "${IDS[@]}" --bind / / --bind /tmp /mnt cat "/mnt/${f#/tmp/}"
	rm -f "$f"
	RC=$rc1 OUT=$out1 expect_rc 0
	[ "$out1" = host ] || fail "--bind /tmp /tmp: got '$out1'"
	expect_rc 0
	expect_out host
}

t_symlinks() {
	bw "${IDS[@]}" --ro-bind / / --tmpfs /tmp --dir /tmp/dir --symlink dir /tmp/link \
		--bind /etc /tmp/link ls /tmp/dir/passwd
	expect_rc 0
	expect_out /tmp/dir/passwd
	bw "${IDS[@]}" --ro-bind / / --tmpfs /tmp --symlink /dev/null /tmp/s --symlink /dev/null \
		/tmp/s true
	expect_rc 0
	bw "${IDS[@]}" --ro-bind / / --tmpfs /tmp --symlink /dev/null /tmp/s --symlink /dev/zero \
		/tmp/s true
	expect_rc 1
	expect_err_has "^bwrap: Can't make symlink at /tmp/s: existing destination is /dev/null"
}

t_environment_and_cwd() {
	local here=$PWD
	RC=0
	OUT=$(cd / && env -i A=1 B=2 HOME=/nonexistent "$AG3" bwrap "${IDS[@]}" --ro-bind / / \
		--unsetenv A --setenv C 3 env 2>"$here/err") || RC=$?
	ERR=$(cat "$here/err")
	expect_rc 0
	printf '%s\n' "$OUT" | grep -q '^A=' && fail "--unsetenv A kept it: $OUT"
	expect_out_has "^B=2$"
	expect_out_has "^C=3$"
	expect_out_has "^PWD=/$"
	bw "${IDS[@]}" --ro-bind / / --clearenv --chdir /usr env
	expect_rc 0
	expect_out "PWD=/usr"
}

t_status_fds() {
	RC=0
	"$AG3" bwrap "${IDS[@]}" --unshare-all --ro-bind / / --proc /proc --info-fd 42 \
		--json-status-fd 43 sh -c 'stat -L -c %i /proc/self/ns/net; exit 42' \
		42>"$PWD/info.json" 43>"$PWD/status.json" >"$PWD/ino" 2>"$PWD/err" || RC=$?
	ERR=$(cat "$PWD/err")
	expect_rc 42
	grep -q '"child-pid": [0-9]' "$PWD/info.json" || fail "info: $(cat "$PWD/info.json")"
	grep -q "\"net-namespace\": $(cat "$PWD/ino")" "$PWD/info.json" ||
		fail "the net namespace is not the command's: $(cat "$PWD/info.json") vs $(cat "$PWD/ino")"
	grep -q '"exit-code": 42' "$PWD/status.json" || fail "status: $(cat "$PWD/status.json")"
	# bwrap's layouts: info one key per line (scripts take the number after the last
	# ": " of the child-pid line, as bubblewrap's own tests do), status one line each
	local pid
	pid=$(grep child-pid "$PWD/info.json" | sed 's/^.*: //; s/,$//')
	[ "$(grep -c -- '-namespace": ' "$PWD/info.json")" = 6 ] || fail "info: $(cat "$PWD/info.json")"
	[[ $pid =~ ^[0-9]+$ ]] && ! grep -q namespace <<<"$(grep child-pid "$PWD/info.json")" ||
		fail "child-pid's line: $(cat "$PWD/info.json")"
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$PWD/info.json" ||
		fail "info is not JSON: $(cat "$PWD/info.json")"
	[ "$(head -n 1 "$PWD/status.json" | grep -o -- '-namespace' | wc -l)" = 6 ] ||
		fail "status: $(cat "$PWD/status.json")"
	# a command that cannot be run: no exit-code line, status 1
	RC=0
	"$AG3" bwrap "${IDS[@]}" --ro-bind / / --json-status-fd 43 / 43>"$PWD/status2.json" \
		2>/dev/null || RC=$?
	expect_rc 1
	grep -q exit-code "$PWD/status2.json" && fail "exec failed, yet: $(cat "$PWD/status2.json")"
	true
}

# A directory the command's uid owns (root mode: 50000, IDS's).
own_dir() {
	mkdir -p "$1"
	if [ $MODE = root ]; then chown 50000:50000 "$1"; fi
}

# bwrap's modes: --dir's and --perms', exactly (no umask), an existing directory
# left as it is; parents 0755, less the group's or the others' access when the
# op's mode gives them none; --chmod afterwards.
t_modes_of_dirs_and_parents() {
	local S=$PWD/m
	own_dir "$S"
	mkdir "$S/existed"
	chmod 0710 "$S/existed"
	bw "${IDS[@]}" --bind / / --perms 1741 --dir "$S/set" --dir "$S/default" \
		--perms 0777 --dir "$S/all" --perms 0741 --dir "$S/existed" \
		--dir "$S/p755/d" --perms 1777 --dir "$S/p1777/d" --perms 0720 --dir "$S/p750/d" \
		--perms 0604 --dir "$S/p705/d" --perms 0 --dir "$S/p700/d" \
		--bind-data 3 "$S/pdata/f" --perms 0640 --file 4 "$S/pfile/f" \
		--dir "$S/chm" --chmod 1755 "$S/chm" true 3</dev/null 4</dev/null
	expect_rc 0
	local want="1741 set
755 default
777 all
710 existed
755 p755
755 p1777
750 p750
705 p705
0 p700/d
700 p700
700 pdata
600 pdata/f
750 pfile
640 pfile/f
1755 chm" got="" x
	while read -r _ x; do
		got+="$(stat -c %a "$S/$x") $x"$'\n'
	done <<<"$want"
	[ "$got" = "$want"$'\n' ] || fail "modes: got
$got
wanted
$want"
}

t_chmod() {
	# in the new root, through a symlink made earlier (as bwrap, which follows it)
	bw "${IDS[@]}" --ro-bind / / --tmpfs /tmp --file 3 /tmp/f --symlink f /tmp/l \
		--chmod 0604 /tmp/l --dir /tmp/d --chmod 0 /tmp/d stat -c '%a %n' /tmp/f /tmp/d 3</dev/null
	expect_rc 0
	expect_out "604 /tmp/f
0 /tmp/d"
	bw "${IDS[@]}" --ro-bind / / --tmpfs /tmp --chmod 0600 /tmp/absent true
	expect_rc 1
	expect_err_has "^bwrap: .*/tmp/absent: chmod .*No such file or directory"
	# a symlink of the host's in a bound directory is never followed: what it points
	# to keeps its mode (bwrap would chmod the file it names)
	local S=$PWD/c
	own_dir "$S"
	echo x >"$S/target"
	chmod 0644 "$S/target"
	[ $MODE = root ] && chown 50000:50000 "$S/target"
	ln -s "$S/target" "$S/evil"
	bw "${IDS[@]}" --ro-bind / / --bind "$S" /mnt --chmod 0666 /mnt/evil true
	expect_rc 1
	expect_err_has "/mnt/evil: chmod .*a symlink is in the way"
	[ "$(stat -c %a "$S/target")" = 644 ] || fail "the symlink was followed: $(stat -c %a "$S/target")"
}

t_remount_ro() {
	local S=$PWD/r
	own_dir "$S"
	bw "${IDS[@]}" --ro-bind / / --bind "$S" /mnt --tmpfs /mnt/sub --remount-ro /mnt \
		sh -c 'touch /mnt/sub/below && echo below; touch /mnt/top 2>/dev/null || echo top-ro;
			grep " /mnt " /proc/self/mountinfo | grep -c " ro,nosuid,nodev"'
	expect_rc 0
	expect_out "below
top-ro
1"
	[ -e "$S/top" ] && fail "--remount-ro /mnt: the bind stayed writable"
	# only a mount point can be remounted (bwrap: not in the mount table)
	bw "${IDS[@]}" --ro-bind / / --tmpfs /tmp --dir /tmp/d --remount-ro /tmp/d true
	expect_rc 1
	expect_err_has "/tmp/d: remount_ro .*not a mount point"
}

t_mqueue() {
	bw "${IDS[@]}" --ro-bind / / --unshare-ipc --tmpfs /tmp --mqueue /tmp/mq \
		sh -c 'grep -c " /tmp/mq .* - mqueue " /proc/self/mountinfo'
	expect_rc 0
	expect_out 1
}

# --bind-fd FD: exactly the file the caller's fd is, or an error; never another
# file that took its path, never an fd the caller did not have open.
t_bind_fd() {
	local S=$PWD/b
	own_dir "$S"
	mkdir "$S/a"
	echo A >"$S/a/x"
	echo F >"$S/file"
	bw "${IDS[@]}" --ro-bind / / --bind-fd 5 /mnt --tmpfs /tmp --ro-bind-fd 6 /tmp/f \
		sh -c 'cat /mnt/x /tmp/f; touch /tmp/f 2>/dev/null || echo ro' 5<"$S/a" 6<"$S/file"
	expect_rc 0
	expect_out "A
F
ro"
	bw "${IDS[@]}" --ro-bind / / --bind-fd 5 /mnt true
	expect_rc 1
	expect_err_has "^bwrap: Invalid fd: 5 is not open$"
	bw "${IDS[@]}" --ro-bind / / --bind-fd 5 /mnt true 5< <(echo pipe)
	expect_rc 1
	expect_err_has "^bwrap: --bind-fd 5: not a directory, regular file or char device"
	bw "${IDS[@]}" --ro-bind / / --bind-fd 5 /mnt true 5</proc/1
	expect_rc 1
	expect_err_has "^bwrap: --bind-fd /proc/1: binding the host's /proc is not supported"
	cp "$S/file" "$S/gone"
	exec 7<"$S/gone"
	rm "$S/gone"
	bw "${IDS[@]}" --ro-bind / / --tmpfs /tmp --bind-fd 7 /tmp/f true
	exec 7<&-
	expect_rc 1
	expect_err_has "^bwrap: --bind-fd 7: the fd's file is not at "
	# the directory is replaced after bwrap took the fd (it waits on --block-fd):
	# the new one at the same path is not bound
	mkfifo "$PWD/blk"
	"$AG3" bwrap "${IDS[@]}" --ro-bind / / --block-fd 6 --bind-fd 5 /mnt cat /mnt/x \
		5<"$S/a" 6<"$PWD/blk" >"$PWD/out" 2>"$PWD/err" &
	local pid=$! i
	exec 8>"$PWD/blk"
	# bounded: until it waits in read(6) (syscall 0 on fd 6), 10 s at most
	for ((i = 0; i < 100; i++)); do
		grep -q '^0 0x6 ' "/proc/$pid/syscall" 2>/dev/null && break
		sleep 0.1
	done
	mv "$S/a" "$S/a-old"
	mkdir "$S/a"
	echo B >"$S/a/x"
	echo go >&8
	exec 8>&-
	RC=0
	wait $pid || RC=$?
	OUT=$(cat "$PWD/out") ERR=$(cat "$PWD/err")
	[ $i -lt 100 ] || fail "bwrap never waited on --block-fd: $ERR"
	expect_rc 1
	expect_err_has "not the file the fd named for it is any more"
	[ -z "$OUT" ] || fail "bound the directory that took the fd's path: $OUT"
}

# bwrap's root mode: a root caller's command is root with the caller's capabilities,
# less --cap-drop's; never for a caller who came through sudo.
t_root_command() {
	[ $MODE = root ] || skip_test "root mode only"
	local mine
	mine=$(awk '/^Cap(Eff|Bnd):/ {print $1, $2}' /proc/self/status)
	bw --ro-bind / / --unshare-pid sh -c 'id -u; id -g; awk "/^Cap(Eff|Bnd):/ {print \$1, \$2}" /proc/self/status'
	expect_rc 0
	[ "$OUT" = "$(printf '0\n0\n%s' "$mine")" ] || fail "root command: '$OUT', the caller: '$mine'"
	# --cap-drop in order, ALL and names (case as given), the bounding set too
	bw --ro-bind / / --cap-drop ALL --cap-add cap_kill --cap-add CAP_CHOWN --cap-drop CAP_CHOWN \
		awk '/^Cap(Inh|Prm|Eff|Bnd|Amb):/ {print $1, $2}' /proc/self/status
	expect_rc 0
	[ "$OUT" = "$(printf 'CapInh: 0000000000000020\nCapPrm: 0000000000000020\nCapEff: 0000000000000020\nCapBnd: 0000000000000020\nCapAmb: 0000000000000020')" ] ||
		fail "--cap-drop ALL --cap-add cap_kill: $OUT"
	# --unshare-user: uid 0 mapped to itself
	bw --unshare-user --ro-bind / / --cap-drop ALL sh -c 'cat /proc/self/uid_map; id -u; awk "/^CapEff/ {print \$2}" /proc/self/status'
	expect_rc 0
	[ "$(printf '%s' "$OUT" | tr -s ' ' | sed 's/^ //')" = "$(printf '0 0 1\n0\n0000000000000000')" ] ||
		fail "--unshare-user: $OUT"
	# a caller who came through sudo: no root command, the uid policy instead
	RC=0
	OUT=$(SUDO_UID=1000 "$AG3" bwrap --ro-bind / / id -u 2>&1) || RC=$?
	expect_rc 1
	printf '%s' "$OUT" | grep -q "^bwrap: the command would run as uid 0: ag3ntum-sandbox never runs a command as root" ||
		fail "SUDO_UID=1000: $OUT"
	# pkexec and doas name their caller too
	for v in PKEXEC_UID=1000 DOAS_USER=alice; do
		RC=0
		OUT=$(env "$v" "$AG3" bwrap --ro-bind / / id -u 2>&1) || RC=$?
		expect_rc 1
		printf '%s' "$OUT" | grep -q "^bwrap: the command would run as uid 0" || fail "$v: $OUT"
	done
	RC=0
	OUT=$(DOAS_USER=root PKEXEC_UID=0 SUDO_UID=0 "$AG3" bwrap --ro-bind / / id -u 2>&1) || RC=$?
	expect_rc 0
	[ "$OUT" = 0 ] || fail "root through sudo/pkexec/doas is still root: $OUT"
	RC=0
	OUT=$(SUDO_UID=1000 "$AG3" bwrap --ro-bind / / --cap-add ALL id -u 2>&1) || RC=$?
	expect_rc 1
	printf '%s' "$OUT" | grep -q "^bwrap: --cap-add is only supported for a root command" ||
		fail "SUDO_UID=1000 --cap-add: $OUT"
}

# The red team's findings on root mode, each refused or done right.
t_root_command_hostile() {
	[ $MODE = root ] || skip_test "root mode only"
	[ "$(uname -m)" = x86_64 ] || skip_test "the hand-made filter is for x86-64"
	# a one-instruction program that allows everything
	printf '\006\000\000\000\000\000\377\177' >"$PWD/allow.bpf"
	# The root command keeps CAP_SYS_PTRACE, which passes init's non-dumpable flag:
	# with --unshare-pid init (its pid 1) is under the caller's filters too, or the
	# command could make init run what they deny it (bwrap's init loads them as well).
	RC=0 ERR=
	OUT=$("$AG3" bwrap --ro-bind / / --unshare-pid --proc /proc --seccomp 3 \
		sh -c 'grep "^Seccomp_filters:" /proc/1/status /proc/self/status' 3<"$PWD/allow.bpf" \
		2>&1) || RC=$?
	expect_rc 0
	[ "$(printf '%s\n' "$OUT" | tr -d '\t' | sed 's/.*://' | sort -u)" = 1 ] ||
		fail "init is not under the caller's filter: $OUT"
	# without it, as bwrap's monitor, init is not (a filter that denies what init
	# needs, systemd's @default allowlist, must not end the sandbox)
	RC=0 ERR=
	OUT=$("$AG3" bwrap --ro-bind / / --proc /proc --seccomp 3 \
		sh -c 'grep "^Seccomp_filters:" /proc/1/status' 3<"$PWD/allow.bpf" 2>&1) || RC=$?
	expect_rc 0
	[ "$(printf '%s\n' "$OUT" | tr -d '\t' | sed 's/.*://')" = 0 ] ||
		fail "init is under the caller's filter without --unshare-pid: $OUT"
	# --cap-drop ALL keeps nothing: a bounding-set drop that fails unseen (here a
	# filter makes prctl(PR_CAPBSET_DROP) answer EINVAL, which the drop skips as
	# "no such capability") must fail the setup, as any other kept set's does.
	python3 -c '
import struct, sys
def ins(code, jt, jf, k): return struct.pack("<HBBI", code, jt, jf, k)
sys.stdout.buffer.write(b"".join([
    ins(0x20, 0, 0, 4), ins(0x15, 0, 5, 0xc000003e),   # arch: else allow
    ins(0x20, 0, 0, 0), ins(0x15, 0, 3, 157),          # prctl
    ins(0x20, 0, 0, 16), ins(0x15, 0, 1, 24),          # PR_CAPBSET_DROP
    ins(0x06, 0, 0, 0x00050000 | 22),                  # errno EINVAL
    ins(0x06, 0, 0, 0x7fff0000)]))' >"$PWD/nodrop.bpf"
	RC=0 ERR=
	OUT=$("$AG3" bwrap --ro-bind / / --proc /proc --dev /dev --seccomp 3 -- \
		"$AG3" bwrap --ro-bind / / --proc /proc --cap-drop ALL \
		awk '/^CapBnd:/ {print $2}' /proc/self/status 3<"$PWD/nodrop.bpf" 2>&1) || RC=$?
	expect_rc 1
	printf '%s' "$OUT" | grep -q "^bwrap: capabilities: cap_chown is still in the bounding set after the drop$" ||
		fail "--cap-drop ALL ran with a bounding set: $OUT"
}

# A classic-BPF program by hand (no libseccomp in Python): on x86-64, chmod and
# fchmodat fail with ECONNREFUSED (111), everything else is allowed.
bpf_deny_chmod() {
	python3 -c '
import struct, sys
def ins(code, jt, jf, k): return struct.pack("<HBBI", code, jt, jf, k)
LD, JEQ, RET = 0x20, 0x15, 0x06
sys.stdout.buffer.write(b"".join([
    ins(LD, 0, 0, 4), ins(JEQ, 0, 4, 0xc000003e),   # arch: else allow
    ins(LD, 0, 0, 0), ins(JEQ, 2, 0, 90), ins(JEQ, 1, 0, 268),
    ins(RET, 0, 0, 0x7fff0000),                      # allow
    ins(RET, 0, 0, 0x00050000 | 111)]))'            # errno ECONNREFUSED
}

# --seccomp and --add-seccomp-fd: the caller's programs are loaded, each its own
# filter, read the way bwrap reads them.
t_seccomp_fds() {
	[ "$(uname -m)" = x86_64 ] || skip_test "the hand-made filter is for x86-64"
	bpf_deny_chmod >"$PWD/deny.bpf"
	RC=0
	OUT=$("$AG3" bwrap "${IDS[@]}" --ro-bind / / --tmpfs /tmp --add-seccomp-fd 3 \
		sh -c 'touch /tmp/f && chmod 600 /tmp/f; echo "status $?"' 3<"$PWD/deny.bpf" 2>&1) || RC=$?
	expect_rc 0
	printf '%s' "$OUT" | grep -q "Connection refused" || fail "--add-seccomp-fd: chmod ran: $OUT"
	printf '%s' "$OUT" | grep -q "^status 1$" || fail "--add-seccomp-fd: $OUT"
	RC=0
	OUT=$("$AG3" bwrap "${IDS[@]}" --ro-bind / / --tmpfs /tmp --seccomp 3 \
		sh -c 'touch /tmp/f && chmod 600 /tmp/f; echo "status $?"' 3<"$PWD/deny.bpf" 2>&1) || RC=$?
	printf '%s' "$OUT" | grep -q "Connection refused" || fail "--seccomp: chmod ran: $OUT"
	# without one, chmod works (the test's filter is what refused it)
	bw "${IDS[@]}" --ro-bind / / --tmpfs /tmp sh -c 'touch /tmp/f && chmod 600 /tmp/f'
	expect_rc 0
	# the same fd twice: the first read closed it
	RC=0
	ERR=$("$AG3" bwrap "${IDS[@]}" --ro-bind / / --add-seccomp-fd 3 --add-seccomp-fd 3 true \
		3<"$PWD/deny.bpf" 2>&1 >/dev/null) || RC=$?
	expect_rc 1
	expect_err_has "^bwrap: Can't read seccomp data: Bad file descriptor$"
	printf 'x' >>"$PWD/odd.bpf"
	RC=0
	ERR=$("$AG3" bwrap "${IDS[@]}" --ro-bind / / --seccomp 3 true 3<"$PWD/odd.bpf" 2>&1) || RC=$?
	expect_rc 1
	expect_err_has "^bwrap: Invalid seccomp data, must be multiple of 8$"
	RC=0
	ERR=$("$AG3" bwrap "${IDS[@]}" --ro-bind / / --seccomp 3 true 3</dev/null 2>&1) || RC=$?
	expect_rc 1
	expect_err_has "^bwrap: Invalid seccomp data: empty$"
	# a program longer than BPF_MAXINSNS is named so (a multiple of 8 long, too)
	head -c 40000 /dev/zero >"$PWD/long.bpf"
	RC=0
	ERR=$("$AG3" bwrap "${IDS[@]}" --ro-bind / / --seccomp 3 true 3<"$PWD/long.bpf" 2>&1) || RC=$?
	expect_rc 1
	expect_err_has "^bwrap: Invalid seccomp data: more than BPF_MAXINSNS instructions$"
	# three filters: the runtime carries two
	RC=0
	ERR=$("$AG3" bwrap "${IDS[@]}" --ro-bind / / --add-seccomp-fd 3 --add-seccomp-fd 4 \
		--add-seccomp-fd 5 true 3<"$PWD/deny.bpf" 4<"$PWD/deny.bpf" 5<"$PWD/deny.bpf" 2>&1) || RC=$?
	expect_rc 1
	expect_err_has "^bwrap: seccomp: at most two filters"
	RC=0
	ERR=$("$AG3" bwrap "${IDS[@]}" --ro-bind / / --seccomp 3 --add-seccomp-fd 4 true \
		3<"$PWD/deny.bpf" 4<"$PWD/deny.bpf" 2>&1) || RC=$?
	expect_rc 1
	expect_err_has "^bwrap: --add-seccomp-fd cannot be combined with --seccomp$"
}

# --disable-userns: no user namespace can be made inside, whatever the command
# holds; other namespaces and plain forks still work.
t_disable_userns() {
	local probe='unshare -U true 2>/dev/null; echo "user $?"; unshare -Ur true 2>/dev/null; echo "user-root $?"'
	bw "${IDS[@]}" --unshare-user --disable-userns --unshare-net --ro-bind / / --proc /proc --dev /dev sh -c "$probe"
	expect_rc 0
	expect_out "$(printf 'user 1\nuser-root 1')"
	bw "${IDS[@]}" --unshare-user --unshare-net --ro-bind / / --proc /proc --dev /dev sh -c "$probe"
	expect_rc 0
	printf '%s' "$OUT" | grep -q "^user 0$" || fail "without --disable-userns: $OUT"
	if [ $MODE = root ]; then
		# a root command (capabilities in its namespace) cannot lift it either
		bw --unshare-user --disable-userns --unshare-net --ro-bind / / --proc /proc --dev /dev \
			sh -c 'echo 9 >/proc/sys/user/max_user_namespaces; unshare -U true 2>/dev/null; echo "user $?"; unshare -n true && echo "net ok"'
		expect_rc 0
		expect_out "$(printf 'user 1\nnet ok')"
	fi
	bw --disable-userns --ro-bind / / true
	expect_rc 1
	expect_err_has "^bwrap: --disable-userns requires --unshare-user$"
}

# --assert-userns-disabled: checked in the command's process before the command
# runs (after the spec's filters, which carry --disable-userns).
t_assert_userns_disabled() {
	bw "${IDS[@]}" --assert-userns-disabled --ro-bind / / echo ran
	expect_rc 1
	expect_out ""
	expect_err_has "^bwrap: creation of new user namespaces was not disabled as requested$"
	bw "${IDS[@]}" --unshare-user --disable-userns --assert-userns-disabled --ro-bind / / echo ran
	expect_rc 0
	expect_out "ran"
	# a caller's filter comes after the check: one that kills unshare does not kill it
	python3 -c '
import struct, sys
# seccomp_data.nr == __NR_unshare (272): SECCOMP_RET_KILL_PROCESS, else ALLOW
prog = [(0x20, 0, 0, 0), (0x15, 0, 1, 272), (0x06, 0, 0, 0x80000000), (0x06, 0, 0, 0x7fff0000)]
sys.stdout.buffer.write(b"".join(struct.pack("HBBI", *i) for i in prog))' >kill-unshare.bpf
	bw "${IDS[@]}" --unshare-user --disable-userns --assert-userns-disabled --ro-bind / / \
		--seccomp 9 echo ran 9<kill-unshare.bpf
	expect_rc 0
	expect_out "ran"
}

# --userns FD: the sandbox is made in the namespace FD names (another sandbox's,
# here), not in a new one; the command's ids are the caller's there.
t_userns_join() {
	mkfifo -m 666 done
	mkdir -m 777 w # the first sandbox's uid writes here
	local first=(--unshare-user) second=()
	[ $MODE = root ] && first=("${IDS[@]}") second=(--uid 50000 --gid 50000)
	"$AG3" bwrap --info-fd 42 "${first[@]}" --ro-bind / / --bind "$PWD" "$PWD" \
		sh -c "readlink /proc/self/ns/user >$PWD/w/ns1; id -u >$PWD/w/id1; cat <$PWD/done" \
		42>info.json </dev/null >/dev/null 2>first.err &
	local i pid
	pid=$(info_child_pid info.json) || { echo end >done; wait; fail "no child-pid: $(cat first.err)"; }
	wait_file w/id1 || true # what is missing fails below, with the reason
	bw --userns 11 "${second[@]}" --ro-bind / / sh -c 'readlink /proc/self/ns/user; id -u' \
		11</proc/$pid/ns/user
	echo end >done
	wait
	expect_rc 0
	expect_out "$(cat w/ns1 w/id1)"
	# never a new one: it is the first sandbox's namespace, not this process's
	[ "$(head -n 1 w/ns1)" != "$(readlink /proc/self/ns/user)" ] || fail "the test's own namespace"
	bw --userns 11 --ro-bind / / true 11</dev/null
	expect_rc 1
	expect_err_has "^bwrap: --userns: fd 11 is not a user namespace$"
	bw --userns 11 --ro-bind / / true 11</proc/self/ns/user
	expect_rc 1
	expect_err_has "^bwrap: Joining the specified user namespace failed, it might not be a descendant"
	bw --userns 11 --unshare-user --ro-bind / / true 11</proc/self/ns/user
	expect_rc 1
	expect_err_has "^bwrap: --userns not compatible --unshare-user$"
	# its number is closed once joined: never one the front end still uses
	bw --userns 11 --info-fd 11 --ro-bind / / true 11</proc/self/ns/user
	expect_rc 1
	expect_err_has "^bwrap: --userns: fd 11 is also --info-fd$"
	bw --userns 0 --ro-bind / / true
	expect_rc 1
	expect_err_has "^bwrap: --userns: fd 0 is also a standard stream"
	if [ $MODE = rootless ]; then
		# the caller is root there (unshare -r), or not mapped at all: said so
		local kind
		for kind in -Ur -U; do
			unshare $kind sh -c "cat <$PWD/done" &
			pid=$!
			for ((i = 0; i < 100; i++)); do
				[ "$(readlink /proc/$pid/ns/user)" != "$(readlink /proc/self/ns/user)" ] && break
				sleep 0.1
			done
			bw --userns 11 --ro-bind / / true 11</proc/$pid/ns/user
			echo end >done
			wait
			expect_rc 1
			if [ $kind = -Ur ]; then
				expect_err_has "^bwrap: --userns: the caller is uid or gid 0 in that user namespace"
			else
				expect_err_has "^bwrap: --userns: the caller's uid or gid is not mapped"
			fi
		done
	fi
	if [ $MODE = root ]; then
		# root joins only a namespace root made (its owner could drive it there)
		runuser -u "${AG3_TEST_USER:-ag3ntum-test}" -- "$AG3" bwrap --info-fd 42 --unshare-user \
			--ro-bind / / sh -c "cat <$PWD/done" 42>info2.json </dev/null &
		pid=$(info_child_pid info2.json) ||
			{ echo end >done; wait; fail "the test user's sandbox did not start"; }
		bw --userns 11 --uid 50000 --gid 50000 --ro-bind / / true 11</proc/$pid/ns/user
		echo end >done
		wait
		expect_rc 1
		expect_err_has "^bwrap: --userns: the user namespace, or one above it, belongs to uid [1-9][0-9]*; run as root"
		# root's host groups (42: shadow) never reach a command that is not root
		"$AG3" bwrap --info-fd 42 "${IDS[@]}" --ro-bind / / sh -c "cat <$PWD/done" \
			42>info3.json </dev/null >/dev/null 2>&1 &
		pid=$(info_child_pid info3.json) || { echo end >done; wait; fail "no sandbox"; }
		RC=0
		OUT=$(setpriv --groups 0,42 -- "$AG3" bwrap --userns 11 --uid 50000 --gid 50000 \
			--ro-bind / / grep '^Groups:' /proc/self/status 11</proc/$pid/ns/user 2>&1) || RC=$?
		echo end >done
		wait
		expect_rc 0
		[ "$(printf '%s' "$OUT" | tr -d '[:space:]')" = "Groups:" ] || fail "groups kept: $OUT"
		SUDO_UID=1000 bw --userns 11 --ro-bind / / true 11</proc/self/ns/user
		expect_rc 1
		expect_err_has "^bwrap: --userns is refused for a caller who came through sudo"
	fi
}

# A namespace root made whose root is another host uid (a container's kind): that
# root may signal the front end that joins it (it holds CAP_KILL there), but never
# ptrace it (the front end is not dumpable: it is still uid 0 on the host's files).
# And a namespace root made inside one a user made: that user holds every capability
# in it, so root refuses to join it.
t_userns_hostile_root() {
	[ $MODE = root ] || skip_test "root mode only"
	local hostile
	hostile="$(dirname "$0")/userns-hostile.py"
	mkdir -m 777 h
	python3 "$hostile" "$PWD/h" >h/out 2>&1 &
	local py=$! i ns fe
	wait_file h/ns.pid || true # what is missing fails below, with the reason
	ns=$(cat h/ns.pid) || { wait $py; fail "no namespace: $(cat h/out)"; }
	"$AG3" bwrap --userns 11 --uid 50000 --gid 50000 --ro-bind / / sleep 3 \
		11</proc/$ns/ns/user >/dev/null 2>h/fe.err </dev/null &
	fe=$!
	for ((i = 0; i < 100; i++)); do # the front end has joined the namespace
		[ "$(readlink /proc/$fe/ns/user)" = "$(readlink /proc/$ns/ns/user)" ] && break
		sleep 0.05
	done
	echo $fe >h/target.pid
	wait $py || fail "the probe failed: $(cat h/out)"
	wait $fe || fail "the front end: $(cat h/fe.err)"
	grep -qx "ptrace EPERM" h/out || fail "the namespace's root could ptrace the front end: $(cat h/out)"
	mkdir -m 777 n
	python3 "$hostile" --nested "$PWD/n" "$(id -u "${AG3_TEST_USER:-ag3ntum-test}")" >n/out 2>&1 &
	py=$!
	wait_file n/ns.pid || true # what is missing fails below, with the reason
	bw --userns 11 --uid 50000 --gid 50000 --ro-bind / / true 11</proc/$(cat n/ns.pid)/ns/user
	touch n/stop
	wait $py || fail "the nested namespaces: $(cat n/out)"
	expect_rc 1
	expect_err_has "^bwrap: --userns: the user namespace, or one above it, belongs to uid $(id -u "${AG3_TEST_USER:-ag3ntum-test}");"
}

# SELinux labels: ignored with a warning where SELinux is off, as bwrap ignores them.
t_labels() {
	[ ! -e /sys/fs/selinux/enforce ] || skip_test "SELinux is enabled on this host"
	bw "${IDS[@]}" --exec-label system_u:system_r:foo_t:s0 --file-label x --ro-bind / / echo ran
	expect_rc 0
	expect_out "ran"
	expect_err_has "^bwrap: warning: --exec-label: SELinux is not enabled on this host"
	expect_err_has "^bwrap: warning: --file-label: SELinux is not enabled on this host"
}

# --overlay-src with --overlay, --tmp-overlay and --ro-overlay: the last source is
# the top layer; writes go to the upper (the host's, or a tmpfs), never a lower.
t_overlays() {
	local d=$PWD/ovl
	mkdir -p "$d/lower1" "$d/lower2" "$d/up per:,\\" "$d/work"
	printf 1 >"$d/lower1/a"
	printf 2 >"$d/lower1/b"
	printf 3 >"$d/lower2/b"
	# copy-up keeps a file's owner: one the sandbox's user namespace maps
	[ $MODE = root ] && chown -R 50000:50000 "$d"
	bw "${IDS[@]}" --ro-bind / / --tmpfs /tmp --overlay-src "$d/lower1" --overlay-src "$d/lower2" \
		--overlay "$d/up per:,\\" "$d/work" /tmp/x/y \
		sh -c 'cat /tmp/x/y/a /tmp/x/y/b; printf 5 >/tmp/x/y/b; cat /tmp/x/y/b'
	expect_rc 0
	expect_out 135
	[ "$(cat "$d/up per:,\\/b")" = 5 ] || fail "--overlay: the upper lacks the write"
	[ "$(cat "$d/lower2/b")" = 3 ] || fail "--overlay: a lower was written"
	bw "${IDS[@]}" --ro-bind / / --tmpfs /tmp --overlay-src "$d/lower1" --tmp-overlay /tmp/x \
		--overlay-src "$d/lower2" --tmp-overlay /tmp/y \
		sh -c 'cat /tmp/x/b; printf 4 >/tmp/x/b; cat /tmp/x/b /tmp/y/b'
	expect_rc 0
	expect_out 243
	[ "$(cat "$d/lower1/b")" = 2 ] || fail "--tmp-overlay: a lower was written"
	bw "${IDS[@]}" --ro-bind / / --tmpfs /tmp --overlay-src "$d/lower1" --overlay-src "$d/lower2" \
		--ro-overlay /tmp/x sh -c 'cat /tmp/x/a /tmp/x/b; printf 4 >/tmp/x/b'
	expect_rc 2
	expect_out 13
	expect_err_has "Read-only file system"
	bw "${IDS[@]}" --ro-bind / / --overlay-src "$d/nonexistent" --tmp-overlay /tmp true
	expect_rc 1
	expect_err_has "^bwrap: Can't find source path $d/nonexistent: No such file or directory$"
	bw "${IDS[@]}" --ro-bind / / --overlay-src "$d/lower1" --ro-overlay /tmp true
	expect_rc 1
	expect_err_has "^bwrap: --ro-overlay requires at least two --overlay-src$"
}

# The red team's findings on the front end, each refused or done right.
t_hostile_argv() {
	# an fd that is not open could become one of the runtime's own
	bw "${IDS[@]}" --ro-bind / / --info-fd 9 true
	expect_rc 1
	expect_err_has "^bwrap: Invalid fd: 9 is not open$"
	# the host's /proc is the front end's own (its argv): never bound
	bw "${IDS[@]}" --ro-bind / / --ro-bind /proc/self /tmp true
	expect_rc 1
	expect_err_has "binding the host's /proc is not supported"
	# the whole of it (--bind /proc /proc, any spelling): the sandbox's own, said so
	bw "${IDS[@]}" --ro-bind / / --bind //proc/ /proc cat /proc/1/comm
	expect_rc 0
	expect_out ag3ntum-init
	expect_err_has "^bwrap: warning: --bind /proc /proc: ag3ntum-sandbox never binds the host's /proc"
	# a filtered /proc however it is spelled is the sandbox's own
	bw "${IDS[@]}" --ro-bind /usr /usr --ro-bind /bin /bin --ro-bind /lib /lib \
		--ro-bind-try /lib64 /lib64 --tmpfs //proc/ --ro-bind /proc/self /proc/self \
		cat /proc/self/comm
	expect_rc 0
	expect_out cat
	# $HOME cannot add lines to the generated /etc/passwd
	RC=0
	OUT=$(HOME="$(printf '/h\nroot2:x:0:0::/:/bin/sh')" "$AG3" bwrap "${IDS[@]}" \
		--ro-bind /usr /usr --ro-bind /bin /bin --ro-bind /lib /lib --ro-bind-try /lib64 /lib64 \
		cat /etc/passwd 2>/dev/null) || RC=$?
	if [ $MODE = root ]; then
		expect_rc 0
		printf '%s\n' "$OUT" | grep -q root2 && fail "HOME added a line: $OUT"
		expect_out_has "^agent:x:50000:50000:agent:/:/bin/bash$"
	fi
	true
}

t_root_ids_follow_the_uid_policy() {
	[ $MODE = root ] || skip_test "root mode only (rootless ids are the caller's)"
	bw --unshare-user --uid 50000 --gid 42 --ro-bind / / true
	expect_rc 1
	expect_err_has "^bwrap: --gid"
	bw --unshare-user --uid 1000 --gid 50000 --ro-bind / / true
	expect_rc 1
	expect_err_has "^bwrap: --uid"
	# --uid-map alone means a user namespace: only the uid, mapped to itself
	bw --uid-map 50000 50000 1 --gid-map 50000 50000 1 --ro-bind / / cat /proc/self/uid_map
	expect_rc 0
	expect_out_has "^ *50000 +50000 +1$"
}

# --argv0: the command is looked up (in its PATH) by its own name, and gets VALUE
# as argv[0]; through the init binary and without it.
t_argv0() {
	local init
	for init in "" none; do
		export AG3NTUM_SANDBOX_INIT=$init
		bw "${IDS[@]}" --ro-bind / / --proc /proc --argv0 other sh -c 'echo "$0"; tr "\0" "\n" </proc/$$/cmdline | head -n 1'
		expect_rc 0
		expect_out "other
other"
		bw "${IDS[@]}" --ro-bind / / --argv0 /nonexistent/sh sh -c 'echo "$0"'
		expect_rc 0
		expect_out /nonexistent/sh
		# an exec failure names the program, not argv[0]
		bw "${IDS[@]}" --ro-bind / / --argv0 sh /nonexistent/cmd
		expect_rc 1
		expect_err_has "^bwrap: exec: /nonexistent/cmd: No such file or directory"
	done
}

# The status lines of /proc/self/status that say what a process holds.
HELD='/^(Uid|Gid|Groups|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):/ {print} END {}'

# --as-pid-1: the command itself is pid 1, holding exactly what the forked command
# holds (ids, groups, capabilities, no_new_privs, fds), its status is the run's, an
# exec failure is still a setup failure, and it dies with the front end.
t_as_pid_1() {
	local init forked pid1
	for init in "" none; do
		export AG3NTUM_SANDBOX_INIT=$init
		bw "${IDS[@]}" --ro-bind / / --unshare-pid --as-pid-1 sh -c 'echo $$; exit 3'
		expect_rc 3
		expect_out 1
		bw "${IDS[@]}" --ro-bind / / --unshare-pid sh -c "awk '$HELD' /proc/self/status; ls /proc/self/fd"
		expect_rc 0
		forked=$OUT
		bw "${IDS[@]}" --ro-bind / / --unshare-pid --as-pid-1 sh -c "awk '$HELD' /proc/self/status; ls /proc/self/fd; echo \$\$"
		expect_rc 0
		pid1=$OUT
		[ "$pid1" = "$(printf '%s\n1' "$forked")" ] ||
			fail "INIT=$init: as pid 1: $(diff <(echo "$forked") <(echo "$pid1"))"
		if [ $MODE = root ]; then
			# bwrap's root mode, the same way: the caller's capabilities, --cap-drop's edits
			bw --ro-bind / / --unshare-pid --as-pid-1 --cap-drop ALL --cap-add CAP_KILL \
				sh -c "awk '$HELD' /proc/self/status; echo \$\$"
			expect_rc 0
			expect_out_has "^CapEff:	0000000000000020$"
			expect_out_has "^CapBnd:	0000000000000020$"
			expect_out_has "^Uid:	0	0	0	0$"
			expect_out_has "^1$"
		fi
		bw "${IDS[@]}" --ro-bind / / --unshare-pid --as-pid-1 /nonexistent/cmd
		expect_rc 1
		expect_err_has "^bwrap: exec: /nonexistent/cmd: No such file or directory"
	done
	unset AG3NTUM_SANDBOX_INIT
	# the front end is still the supervisor: stopped, it stops pid 1 (which ignores
	# SIGTERM without a handler: SIGKILL after the grace), and says so
	"$AG3" bwrap "${IDS[@]}" --ro-bind / / --unshare-pid --as-pid-1 --info-fd 3 sleep 60 \
		3>"$PWD/info0" </dev/null >/dev/null 2>&1 &
	local fe0=$! rc0=0 j
	for ((j = 0; j < 100; j++)); do
		grep -q child-pid "$PWD/info0" && break
		sleep 0.1
	done
	kill -TERM $fe0
	for ((j = 0; j < 150; j++)); do
		[ -e /proc/$fe0 ] && [ "$(awk '{print $3}' /proc/$fe0/stat 2>/dev/null)" != Z ] || break
		sleep 0.1
	done
	[ $j -lt 150 ] || { kill -KILL $fe0; fail "the front end did not stop its pid 1"; }
	wait $fe0 || rc0=$?
	[ $rc0 = 137 ] || fail "stopped: status $rc0"
	# killed with the front end: pid 1 (the command) goes with it
	"$AG3" bwrap "${IDS[@]}" --ro-bind / / --unshare-pid --as-pid-1 --info-fd 3 sleep 60 \
		3>"$PWD/info" </dev/null >/dev/null 2>&1 &
	local fe=$! cmd="" i
	for ((i = 0; i < 100; i++)); do
		cmd=$(sed -n 's/.*"child-pid": \([0-9]*\).*/\1/p' "$PWD/info")
		[ -z "$cmd" ] || break
		sleep 0.1
	done
	[ -n "$cmd" ] || { kill -KILL $fe; fail "no child-pid"; }
	[ "$(cat /proc/$cmd/comm 2>/dev/null)" = sleep ] || { kill -KILL $fe; fail "child-pid $cmd is not the command"; }
	kill -KILL $fe
	wait $fe 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		[ -e /proc/$cmd ] || return 0
		sleep 0.1
	done
	fail "the command (pid $cmd) outlived the front end"
}

# 0 when PATH can be write-locked now (nobody holds a lock on it), 1 otherwise;
# with "wait", blocks until it can (bounded by timeout).
lock_probe() {
	timeout 20 python3 -c '
import fcntl, struct, sys
f = open(sys.argv[1], "a")
try:
    fcntl.fcntl(f.fileno(), fcntl.F_SETLKW if sys.argv[2] == "wait" else fcntl.F_SETLK,
                struct.pack("hhqqhh", fcntl.F_WRLCK, 0, 0, 0, 0, 0))
except OSError:
    sys.exit(1)' "$1" "$2"
}

# --lock-file: a POSIX read lock on DEST as the sandbox sees it, held while the
# sandbox lives and gone when it ends (--die-with-parent: when the caller dies);
# a symlink the sandbox holds cannot lead to a host file.
t_lock_file() {
	command -v python3 >/dev/null || skip_test "python3 is needed"
	local init i fe sh
	touch "$PWD/lock"
	chmod 666 "$PWD/lock"
	for init in "" none; do
		export AG3NTUM_SANDBOX_INIT=$init
		"$AG3" bwrap "${IDS[@]}" --ro-bind / / --lock-file "$PWD/lock" sleep 60 \
			</dev/null >/dev/null 2>"$PWD/err" &
		fe=$!
		for ((i = 0; i < 100; i++)); do
			lock_probe "$PWD/lock" nowait || break
			sleep 0.1
		done
		if lock_probe "$PWD/lock" nowait; then
			kill -KILL $fe
			fail "INIT=$init: no lock taken: $(cat "$PWD/err")"
		fi
		kill -TERM $fe
		wait $fe 2>/dev/null || true
		lock_probe "$PWD/lock" nowait || fail "INIT=$init: the lock outlived the sandbox"
	done
	unset AG3NTUM_SANDBOX_INIT
	# bwrap's test: the caller killed, the lock goes
	bash -c "exec \"$AG3\" bwrap ${IDS[*]} --die-with-parent --ro-bind / / --lock-file '$PWD/lock' sleep 60 & wait" \
		</dev/null >/dev/null 2>&1 &
	sh=$!
	for ((i = 0; i < 100; i++)); do
		lock_probe "$PWD/lock" nowait || break
		sleep 0.1
	done
	lock_probe "$PWD/lock" nowait && { kill -KILL $sh; fail "--die-with-parent: no lock taken"; }
	kill -KILL $sh
	wait $sh 2>/dev/null || true
	lock_probe "$PWD/lock" wait || fail "--die-with-parent: the lock outlived the caller"
	# what cannot be locked
	bw "${IDS[@]}" --ro-bind / / --lock-file /nonexistent true
	expect_rc 1
	expect_err_has "^bwrap: Unable to open lock file /nonexistent: No such file or directory$"
	bw "${IDS[@]}" --ro-bind / / --lock-file /tmp true
	expect_rc 1
	expect_err_has "^bwrap: Unable to open lock file /tmp: not a regular file$"
	# the sandbox's symlink to the host's file resolves in the sandbox, where it is not
	bw "${IDS[@]}" --ro-bind /usr /usr --ro-bind /bin /bin --ro-bind /lib /lib \
		--ro-bind-try /lib64 /lib64 --tmpfs /t --symlink "$PWD/lock" /t/l --lock-file /t/l true
	expect_rc 1
	expect_err_has "^bwrap: Unable to open lock file /t/l: No such file or directory$"
	bw "${IDS[@]}" --ro-bind /usr /usr --ro-bind /bin /bin --ro-bind /lib /lib \
		--ro-bind-try /lib64 /lib64 --lock-file "/../../..$PWD/lock" true
	expect_rc 1
	expect_err_has "^bwrap: Unable to open lock file /../../..$PWD/lock: No such file or directory$"
	# root mode: DEST is opened as the command, which cannot open a root-only file
	# (a link to /etc/.pwd.lock would otherwise hold the host's passwd tools off)
	if [ $MODE = root ]; then
		install -m 0600 /dev/null "$PWD/rootonly"
		bw "${IDS[@]}" --ro-bind / / --tmpfs /tmp --ro-bind "$PWD" /tmp/d --symlink d/rootonly /tmp/l \
			--lock-file /tmp/l sleep 5
		expect_rc 1
		expect_err_has "^bwrap: Unable to open lock file /tmp/l: Permission denied$"
		SUDO_UID=1000 "$AG3" bwrap "${IDS[@]}" --ro-bind / / --lock-file "$PWD/rootonly" \
			sleep 60 </dev/null >/dev/null 2>"$PWD/err" &
		fe=$!
		for ((i = 0; i < 50; i++)); do
			lock_probe "$PWD/rootonly" nowait || break
			kill -0 $fe 2>/dev/null || break
			sleep 0.1
		done
		if ! lock_probe "$PWD/rootonly" nowait; then
			kill -KILL $fe
			fail "a root-only file was locked for uid 50000"
		fi
		kill -KILL $fe 2>/dev/null || true
		wait $fe 2>/dev/null || true
		grep -q "^bwrap: Unable to open lock file $PWD/rootonly: Permission denied$" \
			"$PWD/err" || fail "not refused: $(cat "$PWD/err")"
	fi
}

# ../shared/reference/agent-platform-sandbox.md 11.4, with this test's paths for
# the platform's: every one of its mistakes is done as meant, with a warning.
t_platform_newest_argv() {
	[ $MODE = root ] || skip_test "root mode only (the platform runs sudo bwrap)"
	local S=$PWD
	mkdir -p "$S"/ws "$S"/venv/bin "$S"/skills "$S"/uskills "$S"/mro "$S"/mrw "$S"/persist "$S"/ssh
	echo '[user]' >"$S/gitconfig"
	chown 50000:50000 "$S/ws" "$S/persist"
	bw --unshare-user --uid-map 50000 50000 1 --gid-map 50000 50000 1 --unshare-pid \
		--unshare-uts --unshare-ipc --die-with-parent --new-session --tmpfs /tmp:size=100M \
		--tmpfs /proc --ro-bind /proc/self /proc/self --ro-bind /proc/cpuinfo /proc/cpuinfo \
		--ro-bind /proc/meminfo /proc/meminfo --ro-bind /proc/uptime /proc/uptime \
		--ro-bind /proc/version /proc/version --dev-bind /dev /dev --ro-bind /usr /usr \
		--ro-bind /lib /lib --ro-bind /bin /bin --ro-bind /etc/resolv.conf /etc/resolv.conf \
		--ro-bind /etc/ssl /etc/ssl --bind "$S/ws" /workspace --ro-bind "$S/venv" /venv \
		--ro-bind "$S/skills" /skills --ro-bind "$S/uskills" /user-skills \
		--ro-bind "$S/mro" /mounts/ro --bind "$S/mrw" /mounts/rw --bind "$S/persist" /persistent \
		--ro-bind "$S/ssh" /root/.ssh --ro-bind "$S/gitconfig" /root/.gitconfig --clearenv \
		--setenv HOME /workspace --setenv PATH /venv/bin:/usr/bin:/bin \
		--setenv AG3NTUM_CONTEXT sandbox --setenv MY_API_KEY sk-xxx --uid 50000 --gid 50000 \
		--chdir /workspace -- bash -c 'echo hello; id -un; id -u; pwd; df -k /tmp | tail -1;
			readlink /proc/self/exe; touch /workspace/made; echo $AG3NTUM_CONTEXT'
	expect_rc 0
	expect_out_has "^hello$"
	expect_out_has "^agent$"
	expect_out_has "^50000$"
	expect_out_has "^/workspace$"
	expect_out_has " 102400 "
	expect_out_has "^/usr/bin/readlink$"
	expect_out_has "^sandbox$"
	[ "$(stat -c %u "$S/ws/made")" = 50000 ] || fail "the file is not the session uid's"
	local w
	for w in "--uid-map is not a bwrap option" "--tmpfs /tmp:size=100M" \
		"--ro-bind /proc/self /proc/self" "/lib64 is not" "no /etc/passwd for uid 50000"; do
		printf '%s\n' "$ERR" | grep -qF -- "$w" || fail "no warning naming '$w': $ERR"
	done
	[ "$(printf '%s\n' "$ERR" | grep -c '^bwrap: warning: ')" = 5 ] || fail "not one warning each: $ERR"
}

for t in $(declare -F | awk '{print $3}' | grep '^t_'); do
	run_test "${t#t_}" "$t"
done
finish
