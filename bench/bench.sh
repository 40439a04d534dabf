#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Startup cost of one sandboxed /bin/true: ag3ntum-sandbox against bubblewrap,
# side by side in the same run (hyperfine -N, interleaved by case order), as
# root and, when the test user exists, rootless. Prints a table of medians,
# p90s and the ratio to bwrap doing the same work. Needs: hyperfine, bubblewrap
# (apt-get install hyperfine bubblewrap), a built build/.
#
#   bash bench/bench.sh [RUNS]        # default 200 runs per case, 20 warm-up
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-200}
AG3=$PWD/build/tools/ag3ntum-sandbox
for t in hyperfine bwrap python3; do
	command -v $t >/dev/null || { echo "bench: $t is missing (apt-get install hyperfine bubblewrap)" >&2; exit 1; }
done
[ -x "$AG3" ] || { echo "bench: build first (bash tools/bootstrap.sh run)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# bwrap doing what our default profile does: every namespace, ro /usr and /etc,
# merged-/usr symlinks, a 256 MiB /tmp, a new /proc, a minimal /dev, a tmpfs
# workspace as cwd, a clean environment, all capabilities dropped. (bwrap has
# no seccomp or landlock here: ours does both, so the comparison favours bwrap.)
BWRAP=(bwrap --unshare-all --die-with-parent --new-session --cap-drop ALL
	--ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/sbin /sbin
	--symlink usr/lib /lib --symlink usr/lib64 /lib64 --ro-bind /etc /etc
	--size 268435456 --tmpfs /tmp --proc /proc --dev /dev --tmpfs /workspace
	--chdir /workspace --clearenv --setenv PATH /usr/bin:/bin --setenv HOME /workspace)

cases=(
	"true|/bin/true"
	"bwrap --ro-bind / /|bwrap --ro-bind / / /bin/true"
	"bwrap (default-profile equivalent)|${BWRAP[*]} /bin/true"
	"ag3ntum-sandbox exec (default profile)|$AG3 exec -- /bin/true"
	"ag3ntum-sandbox exec --spec (precompiled)|$AG3 exec --spec $out/spec.json -- /bin/true"
	"ag3ntum-sandbox, bwrap's layers only|$AG3 exec --spec $out/like-bwrap.json -- /bin/true"
)
"$AG3" compile -o "$out/spec.json"
# Like for like: the default spec without the layers the bwrap line lacks
# (seccomp, landlock, cgroup/rlimit limits).
python3 - "$out/spec.json" "$out/like-bwrap.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["security"]["seccomp"]["enabled"] = False
s["security"]["minimum"]["seccomp"] = False
s["security"]["landlock"]["enabled"] = False
s["limits"].update(memory_bytes=0, pids=0, cpu_weight=0)
json.dump(s, open(sys.argv[2], "w"))
PY

run_as() { # run_as USER LABEL: hyperfine over every case, as USER (root or the test user)
	local user=$1 i=0 args=()
	for c in "${cases[@]}"; do
		args+=(-n "${c%%|*}" "${c#*|}")
	done
	if [ "$user" = root ]; then
		hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$out/$user.json" "${args[@]}" >/dev/null
	else
		chmod 777 "$out"
		chmod 644 "$out/spec.json" "$out/like-bwrap.json"
		runuser -u "$user" -- hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$out/$user.json" \
			"${args[@]}" >/dev/null
	fi
	python3 - "$out/$user.json" "$user" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
def stats(r):
    t = sorted(r["times"])
    return 1000 * t[len(t) // 2], 1000 * t[int(len(t) * 0.9)]
ref = [r for r in res if r["command"].startswith("bwrap (default")][0]
ref_med = stats(ref)[0]
base = stats(res[0])[0]
print(f"\n{sys.argv[2]} mode ({len(ref['times'])} runs per case)")
print(f"{'case':44} {'median ms':>10} {'p90 ms':>8} {'vs bwrap':>9} {'overhead vs bwrap':>18}")
for r in res:
    med, p90 = stats(r)
    ov = (med - base) / (ref_med - base) if ref_med > base else float('nan')
    print(f"{r['command']:44} {med:10.2f} {p90:8.2f} {med / ref_med:8.2f}x {ov:17.2f}x")
PY
}

run_as root
if id "${AG3_TEST_USER:-ag3ntum-test}" >/dev/null 2>&1; then
	run_as "${AG3_TEST_USER:-ag3ntum-test}"
fi
