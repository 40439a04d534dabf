#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Memory limits and what bounds them: the delegated cgroup v2 parent a
# rootless sandbox uses when it has one, and, without a cgroup, the RLIMIT_AS
# fallback's statement of what is and is NOT bounded (result record, doctor),
# with the claims of that statement checked from inside a sandbox.
source "$(dirname "$0")/lib.sh"

# doctor --json, the result record of `exec -- true` and the degraded memory entry.
doctor_and_record() {
	sbx doctor --json
	expect_rc 0
	printf '%s' "$OUT" > doctor.json
	sbx exec --result "$PWD/r.json" -- true
	expect_rc 0
}

t_degraded_says_what_is_not_bounded() {
	doctor_and_record
	python3 - doctor.json r.json "$MODE" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); r = json.load(open(sys.argv[2])); mode = sys.argv[3]
mem = [e for e in r["enforcement"]["degraded"] if e.startswith("memory: ")]
if d["limits"] != "rlimits":
    assert mem == [], mem
    print("memory is limited by", d["limits"], "here: nothing to state")
    sys.exit(0)
assert len(mem) == 1, r["enforcement"]["degraded"]
b, nb = d["memory"]["bounded"], d["memory"]["not_bounded"]
# The record and doctor say it in the same words.
want = "Bounded: " + "; ".join(b) + ". NOT bounded: " + "; ".join(nb) + "."
assert mem[0].endswith("; RLIMIT_AS (per process) applied instead. " + want), (mem[0], want)
for s in ["each process's address space (RLIMIT_AS at the memory limit",
          "/tmp, /var/tmp and /dev/shm (tmpfs sizes: limits.tmp_size for each of /tmp and /var/tmp, 64 MiB for /dev/shm)",
          "the size of each file and memfd (RLIMIT_FSIZE, limits.fsize)"]:
    assert any(x.startswith(s) for x in b), (s, b)
for s in ["the sandbox as a whole", "memfds and SysV shared memory held without a mapping",
          "SysV message queues", "socket buffers", "pipe buffers", "kernel memory"]:
    assert any(x.startswith(s) for x in nb), (s, nb)
print(mem[0])
PY
}

t_doctor_says_what_is_not_bounded() {
	doctor_and_record
	python3 - doctor.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
b, nb = d["memory"]["bounded"], d["memory"]["not_bounded"]
assert b and all(isinstance(x, str) and x for x in b + nb), d["memory"]
assert "parent" in d["cgroup_v2"], d["cgroup_v2"]
adv = d["minimum_isolation_advice"]
if d["minimum_isolation_possible"]["cgroup"]:
    assert d["limits"] in ("cgroup_v1", "cgroup_v2") and adv.startswith("cgroup: true makes"), d
else:
    assert d["limits"] == "rlimits" and "refuses every run here" in adv, d
    assert any(x.startswith("socket buffers") for x in nb), nb
PY
	sbx doctor
	expect_rc 0
	expect_out_has '^memory bounded  '
	expect_out_has '^memory NOT bounded  '
	expect_out_has '^  minimum_isolation\.cgroup: true '
	expect_out_has '^  sandbox cgroups  '
}

# The claims the statement makes, from inside: /dev/shm is a 64 MiB tmpfs...
t_dev_shm_is_bounded() {
	sbx exec -- sh -c 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=80 2>&1; echo rc=$?; rm -f /dev/shm/fill'
	expect_rc 0
	expect_out_has 'No space left on device'
	expect_out_has '^rc=1$'
}

# ... /var/tmp is a tmpfs of limits.tmp_size of its own, besides /tmp's (the
# statement counts both) ...
t_var_tmp_is_bounded() {
	write_profile small-tmp "  limits:
    tmp_size: 1M"
	sbx exec --profile p.yaml -- sh -c 'dd if=/dev/zero of=/var/tmp/fill bs=64k count=32 2>&1; echo rc=$?
		dd if=/dev/zero of=/tmp/fill bs=64k count=8 2>/dev/null && echo tmp-own'
	expect_rc 0
	expect_out_has 'No space left on device'
	expect_out_has '^rc=1$'
	expect_out_has '^tmp-own$'
}

# ... and a memfd cannot grow past RLIMIT_FSIZE (limits.fsize).
t_memfd_is_bounded_by_fsize() {
	write_profile small-fsize "  limits:
    fsize: 1M"
	sbx exec --profile p.yaml -- /usr/bin/python3 -c '
import os
fd = os.memfd_create("x")
os.ftruncate(fd, 1 << 20)
try:
    os.ftruncate(fd, 2 << 20)
    print("GREW")
except OSError as e:
    print("refused", e.errno == 27)
try:
    os.write(fd, b"x" * 4096) and os.pwrite(fd, b"x", (1 << 20) + 1)
    print("WROTE")
except OSError as e:
    print("refused", e.errno == 27)'
	expect_rc 0
	expect_out "refused True
refused True"
}

# A delegated cgroup v2 subtree, as the kernel's delegation rules make one (and a
# systemd user manager does): a directory owned by the test user, with its
# cgroup.procs, cgroup.threads and cgroup.subtree_control, the user's shell in a
# leaf below it. A rootless exec from that shell must put its sandbox in a cgroup
# under the delegated directory (the leaf holds a process and cannot), with the
# memory and pids limits, and nothing degraded about them.
# Defined in the root run only (not a skip in the rootless one): root sets the
# delegation up and runs exec as the test user, so it is the rootless case.
if [ "$MODE" = root ]; then
t_delegated_v2_subtree() {
	local user=${AG3_TEST_USER:-ag3ntum-test} v2 ctl sub c
	id "$user" >/dev/null 2>&1 || skip_test "no test user '$user' (run tests/setup-test-user.sh as root)"
	runuser -u "$user" -- test -x "$AG3" || skip_test "'$user' cannot run $AG3"
	v2=$(awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") print $5; break } }' \
		/proc/self/mountinfo | head -n 1)
	[ -n "$v2" ] || skip_test "no cgroup v2 mount on this host"
	ctl=$(cat "$v2/cgroup.controllers")
	sub=$(cat "$v2/cgroup.subtree_control")
	for c in memory pids; do
		case " $ctl " in *" $c "*) ;; *)
			skip_test "the cgroup v2 tree at $v2 has no $c controller (cgroup.controllers: '$ctl'): it is bound to cgroup v1 on this host, so delegating it cannot be tested here" ;;
		esac
		case " $sub " in *" $c "*) ;; *)
			skip_test "$c is not enabled in $v2/cgroup.subtree_control ('$sub'); enabling it host-wide is not this test's business" ;;
		esac
	done
	D=$v2/ag3-deleg-test-$$
	trap 'for d in "$D"/ag3ntum-* "$D/leaf" "$D"; do [ -d "$d" ] && rmdir "$d"; done 2>/dev/null' EXIT
	mkdir "$D"
	echo "+memory +pids" > "$D/cgroup.subtree_control"
	mkdir "$D/leaf"
	chown "$user" "$D" "$D/cgroup.procs" "$D/cgroup.threads" "$D/cgroup.subtree_control" \
		"$D/leaf" "$D/leaf/cgroup.procs" "$D/leaf/cgroup.threads"
	mkdir out && chown "$user" out
	RC=0
	OUT=$(runuser -u "$user" -- sh -c 'echo $$ > "$1/leaf/cgroup.procs" && exec "$2" exec --result "$3" -- sh -c "echo RAN"' \
		sh "$D" "$AG3" "$PWD/out/r.json" 2>&1) || RC=$?
	expect_rc 0
	expect_out RAN
	python3 - out/r.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
dg = r["enforcement"]["degraded"]
assert not [e for e in dg if e.startswith(("memory:", "pids:"))], dg
assert r["enforcement"]["mode"] == "rootless", r["enforcement"]
assert r["peak_memory"] > 0, r  # read from the sandbox's own cgroup
PY
}
fi

for t in $(declare -F | awk '{print $3}' | grep '^t_'); do
	run_test "${t#t_}" "$t"
done
finish
