#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every example of README.md runs as written: readme-examples.py runs each
# ```sh block in an empty directory with the built binary first on PATH as
# `ag3ntum-sandbox`, fails naming the README line of the command that failed,
# and counts the blocks run and the ones excluded (`<!-- example not run:
# REASON -->`). Root and rootless (run-root.sh, run-rootless.sh): the examples
# say what differs between the two. Prints TAP.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip_all "python3 is needed to extract the examples"
README=${AG3_SOURCE_ROOT:-$(dirname "$(readlink -f "$0")")/../..}/README.md
[ -r "$README" ] || skip_all "README.md not readable at $README"
exec timeout 600 python3 "$(dirname "$(readlink -f "$0")")/readme-examples.py" "$README" "$AG3"
