#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The installed library as a user of it sees it: `meson install` into a
# scratch DESTDIR, then api-smoke.c built with nothing but
# `pkg-config --cflags --libs ag3ntum-sandbox` and run against the installed
# libag3ntum-sandbox.so (real sandboxes: root, or rootless with user namespaces); the
# man pages and the bash and zsh completion in their directories.
# Usage: test-install.sh BUILD_DIR SOURCE_DIR
set -u
BUILD=$(readlink -f "${1:?build dir}")
SRC=$(readlink -f "${2:?source dir}")
dest=$(mktemp -d "${TMPDIR:-/tmp}/ag3-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT
chmod 755 "$dest"
echo "1..1"
fail() {
	echo "not ok 1 - install, pkg-config, build and run a consumer"
	printf '%s\n' "$@" | sed 's/^/# /'
	exit 1
}
out=$(meson install -C "$BUILD" --destdir "$dest" --no-rebuild --quiet 2>&1) || fail "meson install failed" "$out"
pc=$(find "$dest" -name ag3ntum-sandbox.pc | head -1)
[ -n "$pc" ] || fail "no ag3ntum-sandbox.pc installed"
[ -f "$(find "$dest" -path '*/include/ag3ntum/ag3ntum-sandbox.h' | head -1)" ] || fail "header not installed"
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$dest
flags=$(pkg-config --cflags --libs ag3ntum-sandbox 2>&1) || fail "pkg-config failed" "$flags"
libdir=$(pkg-config --variable=libdir ag3ntum-sandbox)
# shellcheck disable=SC2086
out=$(cc -std=c11 -Wall -Werror -o "$dest/api-smoke" "$SRC/tests/integration/api-smoke.c" $flags 2>&1) ||
	fail "a consumer does not build from the pkg-config flags ($flags)" "$out"
mkdir "$dest/ws" && chmod 777 "$dest/ws"
printf 'name: bad\nsandbox:\n  enabeld: true\n' > "$dest/bad.yaml"
out=$(LD_LIBRARY_PATH="$libdir" "$dest/api-smoke" "$dest/ws" "$dest/bad.yaml" 2>&1) ||
	fail "the consumer failed against the installed library" "$out"
LD_LIBRARY_PATH="$libdir" ldd "$dest/api-smoke" | grep -q "$dest.*libag3ntum-sandbox" ||
	fail "the consumer did not load the installed library" "$(LD_LIBRARY_PATH="$libdir" ldd "$dest/api-smoke")"
# The manual pages (one per command) and the shell completion, where man, bash-completion
# and zsh look for them.
for page in ag3ntum-sandbox exec session compile lint explain check resolve serve bwrap doctor; do
	[ "$page" = ag3ntum-sandbox ] || page=ag3ntum-sandbox-$page
	[ -f "$(find "$dest" -path "*/share/man/man1/$page.1" | head -1)" ] ||
		fail "man page $page.1 not installed in share/man/man1" "$(find "$dest" -name '*.1')"
done
bc=$(find "$dest" -path '*/share/bash-completion/completions/ag3ntum-sandbox' | head -1)
[ -f "$bc" ] || fail "bash completion not installed in share/bash-completion/completions"
zc=$(find "$dest" -path '*/share/zsh/site-functions/_ag3ntum-sandbox' | head -1)
[ -f "$zc" ] || fail "zsh completion not installed in share/zsh/site-functions"
# zsh's sources bash's from where it is installed
grep -qx "source ${bc#"$dest"}" "$zc" || fail "_ag3ntum-sandbox does not source ${bc#"$dest"}" "$(cat "$zc")"
# The Python package, as Debian's python3 imports it from the installed tree.
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
pkgdir=$(find "$dest" -path '*/ag3ntum_sandbox/__init__.py' | head -1)
[ -n "$pkgdir" ] || fail "the Python package ag3ntum_sandbox was not installed"
pypath=$(dirname "$(dirname "$pkgdir")")
sysdir=${pypath#"$dest"}
"$py" -c "import sys; sys.exit(0 if '$sysdir' in sys.path else 1)" ||
	fail "ag3ntum_sandbox was installed in $sysdir, which $py does not import from"
out=$(cd / && PYTHONPATH=$pypath AG3NTUM_SANDBOX=$(find "$dest" -path '*/bin/ag3ntum-sandbox' | head -1) \
	"$py" -c 'import ag3ntum_sandbox, ag3ntum_sandbox.platform as p; print(ag3ntum_sandbox.find_cli()); print(p.SandboxExecutor.__name__)' 2>&1) ||
	fail "the installed package does not import" "$out"
echo "ok 1 - install, pkg-config ($flags), build and run a consumer; man pages and completion installed; python3 imports ag3ntum_sandbox from $sysdir"
