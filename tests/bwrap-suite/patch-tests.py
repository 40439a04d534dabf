#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Per-case-runnable copies of bubblewrap v0.11.1's tests (tests/bwrap-suite/run.sh).

usage: patch-tests.py BUBBLEWRAP_SRC WORKDIR

Reads BUBBLEWRAP_SRC/tests (a checkout of containers/bubblewrap, never
modified) and writes edited copies into WORKDIR/tests. Nothing of bubblewrap's
is kept in this repository: the edits below are applied at run time.
"""
import os, shutil, sys
src = os.path.join(sys.argv[1], 'tests')
dst = os.path.join(sys.argv[2], 'tests')
os.makedirs(dst, exist_ok=True)
for f in ('libtest.sh', 'libtest-core.sh', 'test-seccomp.py'):
    shutil.copy(os.path.join(src, f), os.path.join(dst, f))

def sub(text, old, new, count=1):
    assert text.count(old) == count, (old, text.count(old))
    return text.replace(old, new)

# --- test-run.sh: one process, but every `ok` block is its own case. ----------
# Upstream's `set -e` is replaced by an ERR trap with errexit semantics
# (same contexts as -e: not in if/&&/||/! ) that marks the *current* case as
# failed; fatal() marks the case failed instead of exiting. `ok` then prints
# "not ok" for a failed block and the next block starts clean.
t = open(os.path.join(src, 'test-run.sh')).read()
t = sub(t, 'set -xeuo pipefail\n', 'set -xo pipefail\n')
t = sub(t, '. ${srcd}/libtest.sh\n', '''. ${srcd}/libtest.sh
# --- bwrap-suite: per-case error handling (replaces set -e) ---
set +e -E
case_failed=0
trap 'rc_=$?; case_failed=1; echo "### ERR rc=$rc_ line=$LINENO: $BASH_COMMAND" >&2' ERR
fatal() { echo "$@" 1>&2; case_failed=1; return 1; }
assert_not_reached () { fatal "$@"; }
''')
t = sub(t, '''ok () {
    test_count=$((test_count + 1))
    echo ok $test_count "$@"
}''', '''ok () {
    test_count=$((test_count + 1))
    if [ "$case_failed" = 1 ]; then
        echo "not ok $test_count $*"
    else
        echo ok $test_count "$@"
    fi
    echo "### END CASE $test_count" >&2
    case_failed=0
}''')
# bound the only potentially infinite wait (if --die-with-parent is broken)
t = sub(t, './lockf-n.py ./lock wait\n', 'timeout 60 ./lockf-n.py ./lock wait\n')
open(os.path.join(dst, 'test-run.sh'), 'w').write(t)

# --- test-specifying-{userns,pidns}.sh: bound the wait loop and release the
# background sandbox (blocked on the fifo) if the script aborts. -------------
for name, marker in (('userns', 'sandbox-userns'), ('pidns', 'sandbox-pidns')):
    t = open(os.path.join(src, 'test-specifying-%s.sh' % name)).read()
    t = sub(t, '    mkfifo donepipe\n', '''    mkfifo donepipe
    trap '[ -p donepipe ] && timeout 5 sh -c "echo foo > donepipe"; cleanup' EXIT
''')
    t = sub(t, 'while ! test -f %s; do sleep 1; done\n' % marker,
            'for _i in $(seq 30); do test -f %s && break; sleep 1; done; test -f %s\n' % (marker, marker))
    open(os.path.join(dst, 'test-specifying-%s.sh' % name), 'w').write(t)
