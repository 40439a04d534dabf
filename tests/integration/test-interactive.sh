#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Interactive use, as an operator at a real terminal: `exec -- bash -i` gets
# job control (background jobs, Ctrl-Z, fg), Ctrl-C reaches the command as
# SIGINT (status 130, nothing left running), window size changes pass through
# (SIGWINCH and `stty size` inside), and `tty` works, in a fresh sandbox and in
# a session (`exec --session`). The terminal is a pty made by
# interactive-harness.py (on stdio-harness.py's helpers); exec is its
# foreground job, as under a login shell. Run as root and rootless (run-root.sh,
# run-rootless.sh); prints TAP. Every wait is bounded; only processes started
# here are signalled, by pid.
source "$(dirname "$0")/lib.sh"
HARNESS=$(dirname "$(readlink -f "$0")")/interactive-harness.py
command -v python3 >/dev/null || skip_all "python3 is needed for the terminal harness"
# bash -i is the shell under test: the default profile binds /usr, so it must be on the host
[ -x /bin/bash ] || skip_all "no /bin/bash on this host"

for t in job-control ctrl-c winsize tty; do
	for m in fresh session; do
		eval "t_${t//-/_}_$m() { AG3=\"\$AG3\" timeout 180 python3 \"\$HARNESS\" $t $m; }"
		run_test "$t-$m" "t_${t//-/_}_$m"
	done
done
finish
