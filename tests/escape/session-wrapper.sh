#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Session mode for a suite written against fresh `exec`: each
# `exec [PROFILE/SESSION OPTIONS] [RUN OPTIONS] -- CMD` becomes `session open`
# with the profile and session options (owned by this wrapper's process, so a
# SIGKILL of it takes the session along), `exec --session` with the run
# options, and `session close`. Every other command goes to the binary as it is.
# The exit status is exec's, or session open's 125 when it could not be built.
set -u
real=${AG3_REAL:?}
[ "${1:-}" = exec ] || exec "$real" "$@"
shift
src=() run=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	case $1 in
	--json | --capture | --no-die-with-parent) run+=("$1") ;;
	--timeout | --result | --json-fd | --parent-pid) run+=("$1" "$2"); shift ;;
	--*=*) src+=("$1") ;;
	*) src+=("$1" "$2"); shift ;;
	esac
	shift
done
sock=$(mktemp -u "${TMPDIR:-/tmp}/ag3-session.XXXXXX")
"$real" session open --owner-pid $$ "${src[@]}" --socket "$sock" >/dev/null || exit 125
"$real" exec --session "$sock" "${run[@]}" "$@"
rc=$?
"$real" session close "$sock" || rc=125
exit $rc
