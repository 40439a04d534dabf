#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite, as CI runs it (tools/bootstrap.sh test calls this after
# building): unit tests, integration and escape tests in root and rootless
# mode, the same again under AddressSanitizer+UBSan, and every fuzz target for
# a bounded time. Required tests never skip here: AG3_MUST_WORK=1 makes a skip
# a failure. Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export AG3_MUST_WORK=1
FUZZ_SECONDS=${AG3_FUZZ_SECONDS:-10}
status=0
passed=0
failed=0
say() { printf '== %s\n' "$*"; }

count() { # adds a meson testlog's results to the totals
	local c
	c=$(python3 - "$1" <<'PY'
import json, sys
p = f = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t.get("result") in ("OK", "EXPECTEDFAIL"):
        p += 1
        continue
    f += 1   # AG3_MUST_WORK: a skip is a failure too
    # meson's --print-errorlogs shows stderr only; a TAP case's reason is on
    # stdout, under its "not ok" line: CI's log must say why
    show = False
    for l in (t.get("stdout") or "").splitlines():
        if l.startswith("not ok") or (l.startswith("ok ") and "# SKIP" in l):
            show = True
        elif not l.startswith("#"):
            show = False
        if show:
            print("%s: %s" % (t.get("name"), l), file=sys.stderr)
print(p, f)
PY
)
	passed=$((passed + ${c% *}))
	failed=$((failed + ${c#* }))
}

bash tests/setup-test-user.sh >/dev/null

# The rootless tests run as the test user, who must reach the build, the scripts
# and ../shared: a clone under a private directory (mktemp -d makes them 0700)
# would turn every rootless test into a failure. Each ancestor the user cannot
# search gets search permission only (o+x: no listing) for the run, and is
# given back its mode at the end.
opened=()
if [ "$(id -u)" = 0 ]; then
	d=$PWD
	while [ "$d" != / ]; do
		if ! runuser -u "${AG3_TEST_USER:-ag3ntum-test}" -- test -x "$d"; then
			chmod o+x "$d" && opened+=("$d")
			say "for the rootless tests, search permission on $d (until the end of the run)"
		fi
		d=$(dirname "$d")
	done
fi
restore() {
	local d
	for d in "${opened[@]}"; do chmod o-x "$d"; done
}
trap restore EXIT

say "tests (build/)"
meson test -C build --print-errorlogs --num-processes 1 || status=1
count build/meson-logs/testlog.json

say "tests under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)"
if [ ! -f build-asan/build.ninja ]; then
	meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=false >/dev/null
fi
ninja -C build-asan >/dev/null || status=1
# -Dwerror=false above: the plain build (build/) enforces -Werror; GCC's warnings
# under sanitizer instrumentation include false positives, and clang's list
# differs. The sandbox's processes end with _exit after fork: leak checks there
# are noise.
# Every test but those that only repeat another one on a different path of the
# same code (the forced-ENOSYS escape run, exec without the init binary, the
# relay's attacks: test-net drives the same relay under the sanitizers; the
# escape probes through a session: session, session-attacks and api-session
# drive the session code under them) or check the sources' formatting: they ran
# in build/ above, and CI stays short. Likewise the rootless twins of the
# longest suites whose root run is in this pass (escape, session, stdio: the
# rootless set-up code runs here in exec, net, api-session, result, ...), and
# the command-line-only suites that run no new C code twice (README examples,
# usage errors, cli-ops (man pages, completion; lint's SARIF is a writer over
# the report policy-cli drives here) and interactive rootless).
asan_tests=$(meson test -C build-asan --list 2>/dev/null | sed -n 's|^[^ ]* / ||p' |
	grep -vxE 'escape-enosys-root|exec-noinitbin-root|exec-noinitbin-rootless|net-attacks-root|net-attacks-rootless|escape-session-root|escape-session-rootless|format|escape-rootless|session-rootless|stdio-rootless|readme-root|readme-rootless|usage|cli-ops-root|cli-ops-rootless|interactive-rootless')
# shellcheck disable=SC2086 # one test name per word
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --print-errorlogs --num-processes 1 $asan_tests || status=1
count build-asan/meson-logs/testlog.json

if command -v clang >/dev/null; then
	say "fuzzing (${FUZZ_SECONDS}s per target)"
	if [ ! -f build-fuzz/build.ninja ]; then
		CC=clang meson setup build-fuzz -Dfuzzers=true -Dtests=false -Db_lundef=false -Dwerror=false \
			-Dc_args=-fsanitize=fuzzer-no-link,address,undefined \
			-Dc_link_args=-fsanitize=address,undefined >/dev/null
	fi
	ninja -C build-fuzz >/dev/null || status=1
	for f in build-fuzz/tests/fuzz/fuzz-*; do
		[ -f "$f" ] && [ -x "$f" ] || continue
		name=$(basename "$f")
		corpus=tests/fuzz/corpus/${name#fuzz-}
		work=$(mktemp -d)
		[ -d "$corpus" ] && cp -r "$corpus/." "$work/"
		if "$f" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix="$work/" "$work" >"$work.log" 2>&1; then
			say "fuzz $name: ok ($(grep -o 'Done [0-9]* runs' "$work.log" | tail -1))"
			passed=$((passed + 1))
		else
			say "fuzz $name: FAILED"
			tail -n 40 "$work.log"
			ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null
			failed=$((failed + 1))
			status=1
		fi
		rm -rf "$work" "$work.log"
	done
else
	say "fuzzing: FAILED (clang is not installed)"
	failed=$((failed + 1))
	status=1
fi

say "leftovers check"
if findmnt -rn -o TARGET | grep -q 'ag3-it\|ag3-rootless'; then
	say "mounts left behind"; failed=$((failed + 1)); status=1
fi
left=$(find /sys/fs/cgroup -maxdepth 4 -type d -name 'ag3ntum-*' 2>/dev/null)
if [ -n "$left" ]; then
	say "cgroups left behind: $left"; failed=$((failed + 1)); status=1
fi
echo "$passed passed, $failed failed"
exit $status
