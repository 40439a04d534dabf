#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs an integration script in root mode; a SKIP (or, with AG3_MUST_WORK=1, a
# failure) when not root.
set -u
script=$1
shift
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "root mode needs root"
exec bash "$script" "$@"
