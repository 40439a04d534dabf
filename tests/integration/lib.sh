# SPDX-License-Identifier: MIT
# A small TAP harness for integration tests that drive the real binary.
#
# Each test is a shell function; `run_test NAME FUNC` runs it in a subshell
# with a fresh scratch directory and prints "ok N - NAME" or "not ok N - NAME"
# with the failure's diagnostics. `skip_all REASON` prints a TAP plan with a
# SKIP reason and exits 77 (meson's skip) unless AG3_MUST_WORK=1, in which
# case a skip is a failure: CI sets it so the core isolation tests cannot
# silently not run.

set -u
: "${AG3:?AG3 must name the ag3ntum-sandbox binary}"
AG3=$(readlink -f "$AG3")

TAP_N=0
TAP_FAILED=0
MODE=root
[ "$(id -u)" = 0 ] || MODE=rootless

skip_all() {
	if [ "${AG3_MUST_WORK:-0}" = 1 ]; then
		echo "1..1"
		echo "not ok 1 - required tests could not run: $*"
		exit 1
	fi
	echo "1..0 # SKIP $*"
	exit 77
}

# Ends the current test (inside run_test) as a TAP SKIP with the reason: for a
# kernel or host feature this machine lacks, never for a failure.
skip_test() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "$*" >&2
	return 1
}

# Scratch directory, removed after each test. Readable by others (root mode
# binds parts of it for other uids).
new_scratch() {
	SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/ag3-it.XXXXXX") || exit 1
	chmod 755 "$SCRATCH"
}

run_test() {
	local name=$1 func=$2 out rc
	TAP_N=$((TAP_N + 1))
	new_scratch
	out=$( (set -e; cd "$SCRATCH"; "$func") 2>&1 )
	rc=$?
	rm -rf "$SCRATCH" 2>/dev/null || true
	if [ $rc = 77 ] && printf '%s\n' "$out" | grep -q '^SKIP: '; then
		echo "ok $TAP_N - [$MODE] $name # SKIP $(printf '%s\n' "$out" | sed -n 's/^SKIP: //p' | tail -n 1)"
	elif [ $rc = 0 ]; then
		echo "ok $TAP_N - [$MODE] $name"
	else
		echo "not ok $TAP_N - [$MODE] $name"
		printf '%s\n' "$out" | tail -n 25 | sed 's/^/# /'
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

finish() {
	echo "1..$TAP_N"
	[ $TAP_FAILED = 0 ]
}

# Runs the binary, capturing stdout in $OUT, stderr in $ERR and the status in $RC.
sbx() {
	local o e
	o=$(mktemp) e=$(mktemp)
	RC=0
	"$AG3" "$@" >"$o" 2>"$e" </dev/null || RC=$?
	OUT=$(cat "$o")
	ERR=$(cat "$e")
	rm -f "$o" "$e"
	return 0
}

expect_rc() {
	[ "$RC" = "$1" ] || fail "expected exit status $1, got $RC; stdout: $OUT; stderr: $ERR"
}

expect_out() {
	[ "$OUT" = "$1" ] || fail "expected stdout '$1', got '$OUT' (status $RC; stderr: $ERR)"
}

expect_out_has() {
	printf '%s' "$OUT" | grep -qE -- "$1" || fail "stdout lacks /$1/: $OUT (stderr: $ERR)"
}

expect_err_has() {
	printf '%s' "$ERR" | grep -qE -- "$1" || fail "stderr lacks /$1/: $ERR"
}

# Waits (bounded: $2 tenths of a second) until a process whose command line
# matches the pattern exists (mode "up") or does not (mode "gone"). For "up",
# anchor the pattern ("^sleep TAG"): the exec's own command line holds the
# command's words too, and would match before the sandbox exists.
wait_proc() {
	local pattern=$1 tenths=$2 mode=$3 i
	for ((i = 0; i < tenths; i++)); do
		if pgrep -f -- "$pattern" >/dev/null; then
			[ "$mode" = up ] && return 0
		else
			[ "$mode" = gone ] && return 0
		fi
		sleep 0.1
	done
	return 1
}

# Waits (bounded: 10 s) until FILE exists and is not empty; fails if it never is.
wait_file() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# Prints the child-pid of a bwrap --info-fd file once it is written (bounded: 10 s);
# fails if it never is.
info_child_pid() {
	wait_file "$1" || true # a file never written fails in the parse, with its reason
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["child-pid"])' "$1"
}

# Writes p.yaml: a minimal profile (the system directories read-only, the
# workspace at /workspace) named $1, with the lines of $2 added under sandbox:
# (indented by two spaces, like "  minimum_isolation:\n    cgroup: true").
write_profile() {
	{
		printf 'name: %s\nsandbox:\n  enabled: true\n  static_mounts:\n' "$1"
		printf '    system_usr: {source: /usr, target: /usr, mode: ro}\n'
		printf '    system_bin: {source: /bin, target: /bin, mode: ro}\n'
		printf '    system_lib: {source: /lib, target: /lib, mode: ro}\n'
		printf '    system_lib64: {source: /lib64, target: /lib64, mode: ro, optional: true}\n'
		printf '  session_mounts:\n'
		printf '    workspace: {source: "{workspace_dir}", target: /workspace, mode: rw}\n'
		printf '%s\n' "$2"
	} > p.yaml
}

# Prints the sandbox cgroups (ag3ntum-PID-N, in every v1 hierarchy and the v2
# tree) whose supervisor PID is gone: what a SIGKILLed exec leaves, until the
# next run sweeps it.
stale_cgroups() {
	local d pid
	for d in $(find /sys/fs/cgroup -maxdepth 4 -type d -name 'ag3ntum-*' 2>/dev/null); do
		pid=${d##*/ag3ntum-}
		pid=${pid%%-*}
		kill -0 "$pid" 2>/dev/null || [ -d "/proc/$pid" ] || echo "$d"
	done
}
