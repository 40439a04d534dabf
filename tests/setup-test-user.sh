#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Creates the unprivileged user the rootless integration and escape tests run
# as (idempotent). Run as root.
set -eu
user=${AG3_TEST_USER:-ag3ntum-test}
if ! id "$user" >/dev/null 2>&1; then
	useradd --create-home --user-group --shell /bin/bash "$user"
fi
id "$user"
