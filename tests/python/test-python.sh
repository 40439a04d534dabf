#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Python package's unittest suites (tests/python/test_*.py) under Debian's
# python3 (/usr/bin/python3 when present: the one the package is installed
# for), with the package from the source tree and the CLI from $AG3.
# run-root.sh / run-rootless.sh start it. Usage: test-python.sh [MODULE...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
export AG3NTUM_SANDBOX=$AG3
export PYTHONPATH=$AG3_SOURCE_ROOT/python:$here
export PYTHONDONTWRITEBYTECODE=1
cd "$here" || exit 1
if [ $# -eq 0 ]; then
	set -- $(ls test_*.py | sed 's/\.py$//')
fi
# A skip is a failure where everything must work (AG3_MUST_WORK: CI, run-tests.sh):
# the only skips these suites have are for a missing serve or kernel feature.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$py" -m unittest -v "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
if [ "$rc" = 0 ] && [ "${AG3_MUST_WORK:-0}" = 1 ] && grep -q '^OK (.*skipped=' "$log"; then
	echo "FAIL: tests were skipped and AG3_MUST_WORK=1 (see the 'skipped' lines above)"
	exit 1
fi
exit "$rc"
