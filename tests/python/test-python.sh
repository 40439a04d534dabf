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
exec "$py" -m unittest -v "$@"
