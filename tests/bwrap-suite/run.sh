#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bubblewrap's own test suite (v0.11.1: tests/test-run.sh, test-specifying-userns.sh,
# test-specifying-pidns.sh, test-seccomp.py, test-utils), run case by case against
# one binary: README "Replacing bwrap" gives the figures. Not part of CI (the
# suite is bubblewrap's, fetched by whoever runs this, and stays outside the
# repository); as root:
#
#   tests/bwrap-suite/run.sh BUBBLEWRAP_SRC BINARY root|user [OUTDIR]
#
# BUBBLEWRAP_SRC: a checkout of containers/bubblewrap at v0.11.1. BINARY: a bwrap,
# or build/tools/ag3ntum-sandbox (then run through a symlink named bwrap). user:
# as $AG3_TEST_USER (default ag3ntum-test; tests/setup-test-user.sh makes it).
# Needs gcc, libcap-dev and python3-seccomp (Debian's). upstream's test-run.sh
# stops at its first failure (set -e); here each of its `ok` blocks is a case of
# its own (tests/bwrap-suite/patch-tests.py), so one failure hides no other.
# Prints "LABEL MODE: pass=N fail=N skip=N total=N"; OUTDIR (default
# /tmp/bwrap-suite-results) gets results.tsv, failures.txt and each script's output.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "${1:?usage: run.sh BUBBLEWRAP_SRC BINARY root|user [OUTDIR]}" && pwd)
BIN=$(readlink -f "${2:?usage: run.sh BUBBLEWRAP_SRC BINARY root|user [OUTDIR]}")
MODE=${3:?usage: run.sh BUBBLEWRAP_SRC BINARY root|user [OUTDIR]}
RESULTS=${4:-/tmp/bwrap-suite-results}
TUSER=${AG3_TEST_USER:-ag3ntum-test}
[ -f "$SRC/tests/test-run.sh" ] || { echo "run.sh: $SRC is not a bubblewrap checkout" >&2; exit 2; }
case "$MODE" in
user) PFX=(runuser -u "$TUSER" --) ;;
root) PFX=() ;;
*) echo "run.sh: the mode is root or user" >&2; exit 2 ;;
esac

# The suite's files, edited copies and helpers, in a directory the test user reads.
SUITE=$(mktemp -d /tmp/bwrap-suite.XXXXXX)
chmod 755 "$SUITE"
trap 'rm -rf "$SUITE"' EXIT
mkdir -p "$SUITE/tests" "$SUITE/cfg" "$SUITE/bin"
python3 "$HERE/patch-tests.py" "$SRC" "$SUITE" || exit 1
gcc -O2 -o "$SUITE/tests/try-syscall" "$SRC/tests/try-syscall.c" || exit 1
printf '#pragma once\n#define PACKAGE_STRING "bubblewrap 0.11.1"\n' >"$SUITE/cfg/config.h"
gcc -O2 -D_GNU_SOURCE -I"$SRC" -I"$SUITE/cfg" -o "$SUITE/tests/test-utils" \
	"$SRC/tests/test-utils.c" "$SRC/utils.c" || exit 1

# The binary must be invoked under the name "bwrap".
if [ "$(basename "$BIN")" = bwrap ]; then
	LABEL=$BIN
else
	ln -s "$BIN" "$SUITE/bin/bwrap"
	LABEL=$(basename "$BIN")
	BIN=$SUITE/bin/bwrap
fi
OUT=$RESULTS/$(basename "$LABEL")-$MODE
rm -rf "$OUT"
mkdir -p "$OUT/cases"
WORK=$(mktemp -d /tmp/bwrap-suite-run.XXXXXX)
chmod 777 "$WORK"
trap 'rm -rf "$SUITE" "$WORK"' EXIT
ls -d /var/tmp/tap-test.* /tmp/bwrap-test-* 2>/dev/null | sort >"$WORK/tmp-before"

ENVV=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp
	BWRAP="$BIN" G_TEST_SRCDIR="$SUITE" G_TEST_BUILDDIR="$SUITE")

# run NAME CMD...: run in its own session (so stray processes can be found by
# session id and killed by pid afterwards), with a timeout, cwd=$WORK.
run() {
	local name=$1; shift
	(cd "$WORK" && setsid sh -c 'echo $$ > "$0"; exec "$@"' "$WORK/$name.sid" \
		timeout 900 "${PFX[@]}" "${ENVV[@]}" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" < /dev/null)
	echo $? > "$WORK/$name.rc"
	local sid; sid=$(cat "$WORK/$name.sid" 2>/dev/null)
	if [ -n "$sid" ]; then
		for i in 1 2 3; do   # give exiting processes/zombies up to 3 s to go away
			[ -z "$(ps -eo sid= | awk -v s="$sid" '$1==s')" ] && break; sleep 1
		done
		for i in 1 2 3; do
			local pids; pids=$(ps -eo pid=,sid= | awk -v s="$sid" '$2==s {print $1}')
			[ -z "$pids" ] && break
			echo "stray processes after $name: $pids" >> "$OUT/strays.txt"
			ps -o pid,sid,args -p $(echo $pids | tr ' ' ,) >> "$OUT/strays.txt" 2>/dev/null
			kill -9 $pids 2>/dev/null; sleep 1
		done
	fi
}

T=$SUITE/tests
run test-utils "$T/test-utils"
run test-run bash "$T/test-run.sh"
run test-specifying-userns bash "$T/test-specifying-userns.sh"
run test-specifying-pidns bash "$T/test-specifying-pidns.sh"
SECCOMP_TESTS="test_no_seccomp test_seccomp_allowlist test_seccomp_denylist test_seccomp_stacked test_seccomp_stacked_allowlist_first test_seccomp_invalid"
for m in $SECCOMP_TESTS; do
	run "test-seccomp.$m" python3 "$T/test-seccomp.py" -v "Test.$m"
done

# --- parse ---
: > "$OUT/results.tsv"
tap() {  # FILE EXPECTED_COUNT DEFAULT_NAME
	local f=$1 n=0
	while IFS= read -r line; do
		case "$line" in
		  "not ok"*) n=$((n+1)); printf '%s\t%d\tfail\t%s\n' "$f" $n "$(echo "$line" | sed -E 's/^not ok [0-9]+( - )?//')";;
		  "ok"*"# SKIP"*) n=$((n+1)); printf '%s\t%d\tskip\t%s\n' "$f" $n "$(echo "$line" | sed -E 's/^ok [0-9]+( - )?//')";;
		  "ok "*) n=$((n+1)); printf '%s\t%d\tpass\t%s\n' "$f" $n "$(echo "$line" | sed -E 's/^ok [0-9]+( - )?//')";;
		esac
	done < "$WORK/$f.out" >> "$OUT/results.tsv"
	while [ $n -lt "$2" ]; do n=$((n+1)); printf '%s\t%d\tfail\t%s (missing: script aborted rc=%s)\n' "$f" $n "$3" "$(cat "$WORK/$f.rc")" >> "$OUT/results.tsv"; done
}
tap test-utils 26 "test-utils case"
tap test-run 69 "test-run.sh case"
tap test-specifying-userns 1 "Test --userns"
tap test-specifying-pidns 1 "Test --pidns"
for m in $SECCOMP_TESTS; do
	# unittest's final verdict line: "OK", "OK (skipped=1)" or "FAILED (...)"
	v=$(grep -E '^(OK|FAILED)' "$WORK/test-seccomp.$m.err" | tail -1)
	case "$v" in "OK") s=pass;; "OK (skipped"*) s=skip;; *) s=fail;; esac
	printf 'test-seccomp.py\t-\t%s\t%s %s\n' $s "$m" "$v" >> "$OUT/results.tsv"
done

# per-case stderr for test-run.sh (split at the END CASE markers)
awk -v d="$OUT/cases" 'BEGIN{n=1} /^### END CASE /{n++; next} {print > (d "/test-run-" n ".err")}' "$WORK/test-run.err"
cp "$WORK"/*.out "$WORK"/*.err "$WORK"/*.rc "$OUT/" 2>/dev/null

# first relevant stderr line per failing case (skip xtrace "+" lines and markers)
: > "$OUT/failures.txt"
while IFS=$'\t' read -r f n s name; do
	[ "$s" = fail ] || continue
	case "$f" in
	  test-run) e="$OUT/cases/test-run-$n.err";;
	  test-seccomp.py) e="$OUT/test-seccomp.${name%% *}.err";;
	  *) e="$OUT/$f.err";;
	esac
	# the last 2 non-trace stderr lines before the first failure marker
	first=$(awk '/^### ERR|^Unexpected nonzero exit status/{exit} {print}' "$e" 2>/dev/null |
			grep -v -E '^\++ |^[[:space:]]|^### |^expect EPERM: *$|^# |^$' | tail -2 | paste -sd'|')
	errl=$(grep -m1 '^### ERR' "$e" 2>/dev/null)
	printf '%s #%s %s\n    stderr: %s\n    %s\n' "$f" "$n" "$name" "$first" "$errl" >> "$OUT/failures.txt"
done < "$OUT/results.tsv"

p=$(awk -F'\t' '$3=="pass"' "$OUT/results.tsv" | wc -l)
fl=$(awk -F'\t' '$3=="fail"' "$OUT/results.tsv" | wc -l)
sk=$(awk -F'\t' '$3=="skip"' "$OUT/results.tsv" | wc -l)
echo "$LABEL $MODE: pass=$p fail=$fl skip=$sk total=$((p+fl+sk))" | tee "$OUT/summary.txt"

# --- cleanup temp dirs created during this run ---
ls -d /var/tmp/tap-test.* /tmp/bwrap-test-* 2>/dev/null | sort > "$WORK/tmp-after"
comm -13 "$WORK/tmp-before" "$WORK/tmp-after" | while read -r d; do rm -rf -- "$d"; done
