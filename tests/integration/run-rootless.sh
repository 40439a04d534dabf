#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs an integration script as the unprivileged test user (rootless mode).
# The user is created by tests/setup-test-user.sh (the README's test command
# and .ci/run call it). Without it the run is a SKIP with the reason, which CI
# (AG3_MUST_WORK=1) turns into a failure.
set -u
script=$1
shift
user=${AG3_TEST_USER:-ag3ntum-test}
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "rootless run needs root to switch to the test user '$user'"
id "$user" >/dev/null 2>&1 || skip_all "no test user '$user' (run tests/setup-test-user.sh as root)"
# Everything the user needs must be reachable: the binary and the scripts.
for p in "$AG3" "$script"; do
	runuser -u "$user" -- test -r "$p" || skip_all "'$user' cannot read $p (a parent directory is not world-searchable)"
done
max=$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 1)
[ "$max" != 0 ] || skip_all "user namespaces are disabled (user.max_user_namespaces=0)"
tmp=$(mktemp -d /tmp/ag3-rootless.XXXXXX)
chown "$user" "$tmp"
runuser -u "$user" -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$tmp" TMPDIR="$tmp" \
	AG3="$AG3" AG3_REAL="${AG3_REAL:-}" AG3_ENOSYS="${AG3_ENOSYS:-}" AG3_PROBES="${AG3_PROBES:-}" \
	AG3_SOURCE_ROOT="${AG3_SOURCE_ROOT:-}" AG3_SESSION_COMMANDS="${AG3_SESSION_COMMANDS:-}" \
	AG3NTUM_SANDBOX_INIT="${AG3NTUM_SANDBOX_INIT:-}" AG3_INIT="${AG3_INIT:-}" AG3_MUST_WORK="${AG3_MUST_WORK:-0}" bash "$script" "$@"
rc=$?
rm -rf "$tmp"
exit $rc
