#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The embedding API (agent/ag3ntum-sandbox.h, libag3ntum-sandbox.so) driven by
# a consumer program built against the shared library alone: compile, JSON
# round trip, real sandboxed runs and their result records, in root and
# rootless mode. Usage: test-api.sh API_SMOKE_BINARY
source "$(dirname "$0")/lib.sh"
SMOKE=$(readlink -f "${1:?the api-smoke binary}")
# ag3_run from a program that is not beside the init binary: named here.
export AG3NTUM_SANDBOX_INIT=${AG3_INIT:?AG3_INIT must name the ag3ntum-init binary}

t_api_smoke() {
	mkdir ws
	chmod 777 ws
	printf 'name: bad\nsandbox:\n  enabeld: true\n' > bad.yaml
	local rc=0
	"$SMOKE" "$PWD/ws" "$PWD/bad.yaml" > out.txt 2>&1 || rc=$?
	cat out.txt
	[ $rc = 0 ] || fail "api-smoke failed ($rc)"
	grep -q '^0 failures$' out.txt || fail "no summary line"
	[ "$(cat ws/from-api)" = hi ] || fail "workspace file missing"
}

t_only_public_symbols_exported() {
	local lib bad
	lib=$(ldd "$SMOKE" | awk '/libag3ntum-sandbox\.so/ {print $3}')
	[ -n "$lib" ] && [ -f "$lib" ] || fail "api-smoke is not linked to libag3ntum-sandbox.so: $(ldd "$SMOKE")"
	syms=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRWVi]$/ {sub(/@.*/, "", $3); print $3}')
	bad=$(printf '%s\n' "$syms" | grep -v '^ag3_' || true)
	[ -z "$bad" ] || fail "symbols outside the public API are exported: $bad"
	# every function the header declares, and nothing it does not
	want=$(grep -oE '\bag3_[a-z_]+\(' "$AG3_SOURCE_ROOT/agent/ag3ntum-sandbox.h" | tr -d '(' | sort -u)
	[ "$(printf '%s\n' "$syms" | sort -u)" = "$want" ] ||
		fail "exported: $(echo $syms); the header declares: $(echo $want)"
}

for t in $(declare -F | awk '{print $3}' | grep '^t_'); do
	run_test "${t#t_}" "$t"
done
finish
