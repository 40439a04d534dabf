#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ag3ntum-sandbox bootstrap: install what is missing, build, then either run a
# real sandboxed command (`run`, the default) or the whole test suite (`test`).
#
#   bash tools/bootstrap.sh run     # as root on a fresh Debian 12 machine
#   bash tools/bootstrap.sh test    # the same set-up, then every test (CI)
#
# Idempotent and fast when everything is already there: apt-get runs only
# when a package is missing; meson reconfigures only when needed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
what=${1:-run}

PKGS=(gcc libc6-dev pkg-config meson ninja-build python3
      libseccomp-dev libcap-dev libnl-3-dev libnl-route-3-dev libyaml-dev libcjson-dev
      libcriterion-dev)
[ "$what" = test ] && PKGS+=(procps util-linux iproute2 clang libclang-rt-14-dev clang-format)
# test-net.sh's offline world: curl drives HTTP, TLS and the proxy from inside the
# sandbox, openssl makes the world's TLS certificate at test time.
[ "$what" = test ] && PKGS+=(curl openssl)
# test-cli-ops.sh: the man pages rendered (groff-base), the zsh completion run in zsh.
[ "$what" = test ] && PKGS+=(groff-base man-db zsh)
# test-readme.sh runs the README's examples as written: `make test`, git in a session.
[ "$what" = test ] && PKGS+=(make git)

say() { printf '== %s\n' "$*" >&2; }

install_missing() {
	local missing=() p
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		say "missing packages: ${missing[*]} (run as root to install them)"
		exit 1
	fi
	say "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir" >/dev/null
}

install_missing
say "building (build/)"
build build

case "$what" in
run)
	say "running a command in a sandbox with the embedded default profile"
	set -x
	build/tools/ag3ntum-sandbox exec -- sh -c 'id; echo; ls /; echo; grep -E "^(Name|Pid|PPid|Uid|Gid|Groups|NoNewPrivs|Seccomp|Cap(Inh|Prm|Eff|Bnd|Amb)):" /proc/self/status; echo; tail -n +3 /proc/net/dev | cut -d: -f1'
	;;
test)
	exec bash tools/run-tests.sh
	;;
*)
	echo "usage: $0 [run|test]" >&2
	exit 2
	;;
esac
