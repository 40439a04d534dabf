#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What operators expect of a CLI (issue 13, item 4): `lint --format sarif`,
# `--version` with the build's features, the man pages (render without warnings,
# document every option of each command's --help), the bash and zsh completion
# (driven as the shell drives it, and its option lists equal to --help's), and
# bench/run's progress line on a terminal. Root and rootless.
source "$(dirname "$0")/lib.sh"
ROOT=${AG3_SOURCE_ROOT:?AG3_SOURCE_ROOT must name the source tree}
FIX=$ROOT/../shared/fixtures/ag3ntum
HEAD_PROFILE=$FIX/v-48de794/permissions.yaml
MAN=$ROOT/doc/man
BASHCOMP=$ROOT/doc/completion/ag3ntum-sandbox.bash
COMMANDS="exec session compile lint explain check resolve serve bwrap doctor"

command -v python3 >/dev/null || skip_all "python3 is needed to check the JSON output"

json_ok() {
	printf '%s' "$OUT" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)" ||
		fail "JSON check failed: $1; stdout: $(printf '%s' "$OUT" | head -c 3000); stderr: $ERR"
}

# The long options a text names ("--name"), one per line, sorted.
long_options() {
	grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u
}

# The long options a man page documents (its roff source: \- is a hyphen).
man_options() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$1" | long_options
}

# Section $2 of man page $1 as text: the arguments of font macros (.B, .BR ...)
# kept, other requests dropped, font escapes removed, \- \e \(aq \& resolved,
# blanks squeezed; one line per source line.
man_section() {
	python3 - "$1" "$2" <<'PY'
import re, sys
out, inside = [], False
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    if line.startswith(".SH "):
        inside = line[4:].strip().strip('"') == sys.argv[2]
        continue
    if not inside or line.startswith('.\\"'):
        continue
    m = re.match(r"\.(B|I|BR|RB|IR|RI|BI|IB|SM|SB)\s+(.*)", line)
    if m:
        args = re.findall(r'"[^"]*"|\S+', m.group(2))
        args = [a.strip('"') for a in args]
        line = " ".join(args) if len(m.group(1)) == 1 else "".join(args)
    elif line.startswith("."):
        continue
    line = re.sub(r"\\f(\[[^]]*\]|\(..|.)", "", line)
    for a, b in (("\\-", "-"), ("\\(aq", "'"), ("\\(dq", '"'), ("\\&", ""), ("\\ ", " "), ("\\e", "\\")):
        line = line.replace(a, b)
    print(" ".join(line.split()))
PY
}

# The paragraph of a help text ($1) that starts with "Exit status", up to a blank line.
help_exit_status() {
	printf '%s\n' "$1" | sed -n '/^Exit status/,/^$/p'
}

# The exit status numbers a text names (128+N as one), one per line, sorted.
status_numbers() {
	python3 -c '
import re, sys
t = sys.stdin.read()
for n in sorted(set(re.findall(r"(?<![\w.+-])\d+(?:\+N)?(?![\w.])", t))):
    print(n)'
}

# ------------------------------------------------------------------ SARIF --

t_lint_sarif_findings() {
	mkdir -p root/usr root/lib root/bin root/etc/ssl root/skills root/mounts/ro root/mounts/rw
	: >root/etc/resolv.conf
	sbx lint --format json --arch x86_64 --host-root "$PWD/root" "$HEAD_PROFILE"
	local json=$OUT json_rc=$RC
	sbx lint --format sarif --arch x86_64 --host-root "$PWD/root" "$HEAD_PROFILE"
	[ "$RC" = "$json_rc" ] || fail "sarif exits $RC, json $json_rc"
	expect_rc 0 # warnings and infos only
	json_ok 'd["version"] == "2.1.0" and "sarif-2.1.0" in d["$schema"] and len(d["runs"]) == 1'
	json_ok 'd["runs"][0]["tool"]["driver"]["name"] == "ag3ntum-sandbox" and d["runs"][0]["tool"]["driver"]["version"]'
	# the whole catalogue, as lint --list-rules --format json has it
	local rules
	rules=$("$AG3" lint --list-rules --format json)
	printf '%s' "$OUT" | RULES=$rules python3 -c '
import json, os, sys
d = json.load(sys.stdin)
cat = json.loads(os.environ["RULES"])
rules = d["runs"][0]["tool"]["driver"]["rules"]
lvl = {"error": "error", "warning": "warning", "info": "note"}
assert [r["id"] for r in rules] == [c["rule"] for c in cat], "rules differ from the catalogue"
for r, c in zip(rules, cat):
    assert r["name"] == c["name"] and r["shortDescription"]["text"] == c["summary"], r
    assert r["defaultConfiguration"]["level"] == lvl[c["severity"]], r
    assert r["help"]["text"] == c["hint"], r
' || fail "driver.rules do not match the catalogue"
	# one result per finding of the json format, same rule, level, place, message
	printf '%s' "$OUT" | JSON=$json PROFILE=$HEAD_PROFILE python3 -c '
import json, os, sys, urllib.parse
d = json.load(sys.stdin)
js = json.loads(os.environ["JSON"])
res = d["runs"][0]["results"]
rules = d["runs"][0]["tool"]["driver"]["rules"]
lvl = {"error": "error", "warning": "warning", "info": "note"}
assert len(res) == len(js) > 5, (len(res), len(js))
for r, f in zip(res, js):
    assert r["ruleId"] == f["rule"] and rules[r["ruleIndex"]]["id"] == f["rule"], (r, f)
    assert r["level"] == lvl[f["severity"]], (r, f)
    assert r["message"]["text"] == f["message"], (r, f)
    pl = r["locations"][0]["physicalLocation"]
    uri = pl["artifactLocation"]["uri"]
    assert uri.startswith("file:///") and urllib.parse.unquote(uri[7:]) == os.environ["PROFILE"], uri
    assert pl["region"]["startLine"] == f["line"] and pl["region"]["startColumn"] == f["column"], (r, f)
assert {"warning", "note"} <= {r["level"] for r in res}
' || fail "results do not match lint --format json's findings"
}

t_lint_sarif_clean_and_errors() {
	sbx lint --format sarif "$ROOT/profiles/default.yaml"
	expect_rc 0
	json_ok 'd["runs"][0]["results"] == [] and len(d["runs"][0]["tool"]["driver"]["rules"]) > 40'
	# an error (no sandbox: section), from a relative path with a space and a '#'
	mkdir sub
	printf 'name: x\npermissions:\n  deny: []\n' >'sub/my #1.yaml'
	sbx lint --format sarif 'sub/my #1.yaml'
	expect_rc 2
	json_ok '[(r["ruleId"], r["level"]) for r in d["runs"][0]["results"]] == [("AG3L001", "error")]'
	json_ok 'd["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "sub/my%20%231.yaml"'
	# a file that does not load: AG3L000 with the loader's message, exit 2
	printf 'sandbox: [\n' >bad.yaml
	sbx lint --format sarif bad.yaml
	expect_rc 2
	json_ok 'd["runs"][0]["results"][0]["ruleId"] == "AG3L000" and d["runs"][0]["results"][0]["level"] == "error"'
	sbx lint --format sarif --list-rules
	expect_rc 0
	json_ok 'd["runs"][0]["results"] == [] and d["runs"][0]["tool"]["driver"]["rules"][0]["id"] == "AG3L000"'
	sbx lint --format xml "$ROOT/profiles/default.yaml"
	expect_rc 2
	expect_err_has "not text, json or sarif"
}

# ---------------------------------------------------------------- version --

t_version_features() {
	sbx --version
	expect_rc 0
	[ "$(printf '%s\n' "$OUT" | head -1)" = "ag3ntum-sandbox $(sed -n "s/^  version : '\(.*\)',/\1/p" "$ROOT/meson.build")" ] ||
		fail "first line is not the name and the project's version: $OUT"
	local k
	for k in seccomp landlock libnl libyaml cjson libcap build sanitizers init_installed init; do
		printf '%s\n' "$OUT" | grep -qE "^$k: ." || fail "no '$k:' line: $OUT"
	done
	expect_out_has '^seccomp: libseccomp [0-9]+\.[0-9]+\.[0-9]+ \(built with [0-9.]+\); this kernel: (yes|no)$'
	expect_out_has "^init: $(dirname "$AG3")/ag3ntum-init\$"
	local text=$OUT
	sbx --version --json
	expect_rc 0
	json_ok 'd["name"] == "ag3ntum-sandbox" and d["version"] and isinstance(d["landlock_abi"], int)'
	# the JSON holds what the text does, and the kernel's ABI is doctor's
	printf '%s' "$OUT" | TEXT=$text python3 -c '
import json, os, sys
d = json.load(sys.stdin)
lines = os.environ["TEXT"].splitlines()[1:]
assert [f"{k}: {v}" for k, v in d["features"].items()] == lines, (d, lines)
' || fail "--version --json differs from --version"
	local abi
	abi=$("$AG3" doctor --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["landlock_abi"])')
	json_ok "d['landlock_abi'] == $abi"
	if [ "$abi" -gt 0 ]; then
		printf '%s\n' "$text" | grep -q "^landlock: this kernel: ABI $abi " || fail "landlock line: $text"
	fi
	AG3NTUM_SANDBOX_INIT=/nonexistent "$AG3" --version | grep -q '^init: /nonexistent: unusable' ||
		fail "an unusable \$AG3NTUM_SANDBOX_INIT is not reported"
	sbx --version --bogus
	expect_rc 2
}

# -------------------------------------------------------------- man pages --

t_man_pages_render() {
	command -v groff >/dev/null || skip_test "groff is not installed (Debian: groff-base)"
	local f err n=0
	for f in "$MAN"/*.1; do
		err=$(groff -man -Tutf8 -ww -z "$f" 2>&1) || fail "groff failed on $f: $err"
		[ -z "$err" ] || fail "groff warns on $(basename "$f"): $err"
		n=$((n + 1))
	done
	[ $n = 11 ] || fail "expected 11 pages, found $n"
	if command -v man >/dev/null; then
		err=$(MANWIDTH=80 man -l -P cat "$MAN/ag3ntum-sandbox-lint.1" 2>&1 >out.txt) ||
			fail "man -l failed: $err"
		[ -z "$err" ] || fail "man -l warns: $err"
		grep -q 'SARIF 2.1.0' out.txt || fail "man -l did not render the page: $(head -20 out.txt)"
	fi
}

t_man_pages_sections() {
	local f s
	for f in "$MAN"/*.1; do
		for s in NAME SYNOPSIS DESCRIPTION OPTIONS 'EXIT STATUS' EXAMPLES 'SEE ALSO'; do
			grep -q "^\.SH $s\$" "$f" || fail "$(basename "$f") has no $s section"
		done
		grep -q '^\.TH ' "$f" || fail "$(basename "$f") has no .TH"
	done
	for c in $COMMANDS; do
		[ -f "$MAN/ag3ntum-sandbox-$c.1" ] || fail "no page for $c"
		grep -q "ag3ntum\\\\-sandbox\\\\-$c (1)" "$MAN/ag3ntum-sandbox.1" ||
			fail "ag3ntum-sandbox.1 does not refer to ag3ntum-sandbox-$c(1)"
	done
}

# Every long option a command's --help names is in its man page.
t_man_pages_document_every_option() {
	local c missing
	for c in $COMMANDS; do
		missing=$(comm -23 <("$AG3" "$c" --help | long_options) <(man_options "$MAN/ag3ntum-sandbox-$c.1"))
		[ -z "$missing" ] || fail "ag3ntum-sandbox-$c.1 lacks: $missing"
	done
	missing=$(comm -23 <("$AG3" --help | long_options) <(man_options "$MAN/ag3ntum-sandbox.1"))
	[ -z "$missing" ] || fail "ag3ntum-sandbox.1 lacks: $missing"
}

# Each "Usage:" line of a command's --help (and its continuation lines) is a line
# of its page's SYNOPSIS; `help help`'s is in ag3ntum-sandbox.1's.
t_man_pages_synopsis() {
	local c page help line syn
	for c in "" $COMMANDS help; do
		page=$MAN/ag3ntum-sandbox${c:+-$c}.1 help=$("$AG3" ${c:+$c} --help)
		if [ "$c" = help ]; then
			page=$MAN/ag3ntum-sandbox.1 help=$("$AG3" help help)
		fi
		syn=$(man_section "$page" SYNOPSIS)
		[ -n "$syn" ] || fail "$(basename "$page"): an empty SYNOPSIS"
		local n=0
		while IFS= read -r line; do
			line=$(printf '%s\n' "$line" | sed 's/^[Uu]sage://' | tr -s ' \t' ' ' | sed 's/^ //; s/ $//')
			printf '%s\n' "$syn" | grep -qxF -- "$line" ||
				fail "$(basename "$page")'s SYNOPSIS lacks '$line' (of ${c:-the main} --help); it has: $syn"
			n=$((n + 1))
		done < <(printf '%s\n' "$help" | sed -n '/^[Uu]sage:/,/^$/p' | sed '/^$/d')
		[ $n -gt 0 ] || fail "${c:-the main} --help has no Usage: line"
	done
}

# Every exit status the "Exit status" paragraph of a command's --help names is in
# its page's EXIT STATUS, and every number that section names is one --help names
# somewhere (ag3ntum-sandbox.1: `help help`'s, and then any command's). bwrap's
# --help, bubblewrap's own text, has no such paragraph.
t_man_pages_exit_status() {
	local c page help text want have all="" missing extra
	for c in $COMMANDS ""; do
		page=$MAN/ag3ntum-sandbox${c:+-$c}.1
		[ "$c" = bwrap ] && continue
		if [ -z "$c" ]; then
			help=$("$AG3" help help)
		else
			help=$("$AG3" "$c" --help)
		fi
		text=$(help_exit_status "$help")
		[ -n "$text" ] || fail "${c:-help} --help has no 'Exit status' paragraph"
		want=$(printf '%s\n' "$text" | status_numbers)
		have=$(man_section "$page" 'EXIT STATUS' | status_numbers)
		[ -n "$want" ] && [ -n "$have" ] || fail "$(basename "$page"): no status numbers ($want / $have)"
		missing=$(comm -23 <(printf '%s\n' "$want") <(printf '%s\n' "$have") | tr '\n' ' ')
		[ -z "$missing" ] || fail "$(basename "$page")'s EXIT STATUS lacks $missing(its --help: $text)"
		if [ -z "$c" ]; then
			extra=$(comm -13 <(printf '%s\n' "$all" "$want" | sort -u) <(printf '%s\n' "$have") | tr '\n' ' ')
		else
			extra=$(comm -13 <(printf '%s\n' "$help" | status_numbers) <(printf '%s\n' "$have") | tr '\n' ' ')
			all=$(printf '%s\n' "$all" "$want" | sed '/^$/d' | sort -u)
		fi
		[ -z "$extra" ] || fail "$(basename "$page")'s EXIT STATUS names $extra, which its --help does not"
	done
}

# ------------------------------------------------------------- completion --

# Completes the words given (the last one is the word under the cursor) as bash
# does on TAB; prints the candidates, one per line.
complete_bash() {
	bash --norc --noprofile -c '
source "$1" || exit 1
shift
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
spec=$(complete -p ag3ntum-sandbox) || exit 1
fn=$(printf "%s\n" "$spec" | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
"$fn" ag3ntum-sandbox "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf "%s\n" "${COMPREPLY[@]}"' complete "$BASHCOMP" "$@"
}

expect_completion() {
	local want=$1 got
	shift
	got=$(complete_bash "$@" | sort | tr '\n' ' ')
	[ "$got" = "$want " ] || fail "'$*' completes to '$got', expected '$want'"
}

t_bash_completion() {
	command -v bash >/dev/null || skip_test "bash is not installed"
	expect_completion "exec" ag3ntum-sandbox exe
	expect_completion "exec explain" ag3ntum-sandbox ex
	expect_completion "--workspace" ag3ntum-sandbox exec --work
	expect_completion "--version" ag3ntum-sandbox --vers
	expect_completion "--json" ag3ntum-sandbox --version --
	expect_completion "json sarif text" ag3ntum-sandbox lint --format ''
	expect_completion "close open" ag3ntum-sandbox session ''
	expect_completion "--help" ag3ntum-sandbox session --h
	expect_completion "--socket" ag3ntum-sandbox session open --so
	expect_completion "any direct isolated" ag3ntum-sandbox compile --uid-mode ''
	expect_completion "doctor" ag3ntum-sandbox help d
	# help: every command, itself included (`help help`), and nothing after the one
	expect_completion "$(printf '%s\n' $COMMANDS help | sort | tr '\n' ' ' | sed 's/ $//')" ag3ntum-sandbox help ''
	expect_completion "" ag3ntum-sandbox help exec ''
	expect_completion "--help" ag3ntum-sandbox help --
	expect_completion "--env" ag3ntum-sandbox explain --e
	expect_completion "read" ag3ntum-sandbox resolve re
	# FILE arguments complete files, DIR arguments directories
	mkdir -p dir1/sub && : >dir1/prof.yaml
	expect_completion "dir1/prof.yaml dir1/sub" ag3ntum-sandbox exec --profile dir1/
	expect_completion "dir1/sub" ag3ntum-sandbox exec --workspace dir1/
	expect_completion "dir1/prof.yaml dir1/sub" ag3ntum-sandbox lint dir1/
	# after --: the command to run
	complete_bash ag3ntum-sandbox exec --timeout 5 -- ech | grep -qx echo || fail "no command completion after --"
	# an option's numeric argument: nothing (not the command list)
	expect_completion "" ag3ntum-sandbox exec --uid ''
}

# The completion's option list of each command is its --help's (bwrap's --help
# abbreviates: there, every option the completion offers is in the man page).
t_completion_matches_help() {
	local c words help comp
	for c in $COMMANDS; do
		words=(ag3ntum-sandbox "$c" --)
		[ "$c" = session ] && words=(ag3ntum-sandbox session open --)
		comp=$(complete_bash "${words[@]}" | sort -u)
		help=$("$AG3" "$c" --help | long_options)
		[ "$c" = session ] && help=$(printf '%s\n' "$help" --help | sort -u)
		[ -n "$comp" ] || fail "no options complete for $c"
		if [ "$c" = bwrap ]; then
			local missing extra
			missing=$(comm -23 <(printf '%s\n' "$help") <(printf '%s\n' "$comp"))
			extra=$(comm -13 <(man_options "$MAN/ag3ntum-sandbox-bwrap.1") <(printf '%s\n' "$comp"))
			[ -z "$missing$extra" ] || fail "bwrap: completion lacks: $missing; offers undocumented: $extra"
		elif [ "$comp" != "$help" ]; then
			fail "$c: the completion offers $(comm -13 <(printf '%s\n' "$help") <(printf '%s\n' "$comp") | tr '\n' ' ')beyond --help and lacks $(comm -23 <(printf '%s\n' "$help") <(printf '%s\n' "$comp") | tr '\n' ' ')"
		fi
	done
	# the program's own options (--json after --version), and the commands: the main --help's
	comp=$({ complete_bash ag3ntum-sandbox --; complete_bash ag3ntum-sandbox --version --; } | sort -u)
	help=$("$AG3" --help | long_options)
	[ "$comp" = "$help" ] || fail "the program's options complete to $comp; --help has $help"
	comp=$(complete_bash ag3ntum-sandbox '' | sort -u)
	help=$("$AG3" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p' | sort -u)
	[ "$comp" = "$help" ] || fail "the commands complete to $comp; --help lists $help"
}

t_zsh_completion() {
	command -v zsh >/dev/null || skip_test "zsh is not installed (Debian: zsh)"
	local z=$ROOT/doc/completion/_ag3ntum-sandbox.in out
	zsh -n "$z" || fail "zsh -n fails on $z"
	zsh -n "$BASHCOMP" || fail "zsh -n fails on $BASHCOMP"
	# the function as zsh runs it (bashcompinit, arrays from 1): compgen there does not
	# filter by the word (compadd does), so every candidate of the position comes back
	out=$(zsh -f -c '
autoload -Uz bashcompinit && bashcompinit
compdef() { :; }
source "$1"
c() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); _ag3ntum_sandbox; print -r -- "${COMPREPLY[*]}"; }
c ag3ntum-sandbox ex
c ag3ntum-sandbox exec --work
c ag3ntum-sandbox lint --format ""
c ag3ntum-sandbox session open --so' zsh "$BASHCOMP" 2>&1) || fail "zsh: $out"
	printf '%s\n' "$out" | sed -n 1p | grep -qw exec || fail "zsh: commands: $out"
	printf '%s\n' "$out" | sed -n 2p | grep -qw -- --workspace || fail "zsh: exec options: $out"
	[ "$(printf '%s\n' "$out" | sed -n 3p)" = "text json sarif" ] || fail "zsh: --format: $out"
	printf '%s\n' "$out" | sed -n 4p | grep -qw -- --socket || fail "zsh: session open: $out"
}

# ------------------------------------------------------------------ bench --

# bench/run's progress line: on a terminal (a pty here), and nothing of it when
# stderr is not one.
t_bench_progress() {
	local build
	build=$(dirname "$(dirname "$AG3")")
	local args=(--rounds 3 --warmup 0 --cases true --mounts 0 --modes "$MODE" --pause 0
		--max-minutes 1 --build "$build")
	python3 - "$ROOT/bench/run" "${args[@]}" >tty.txt <<'PY' || fail "bench on a pty: $(cat tty.txt)"
import os, pty, select, subprocess, sys, time
m, s = pty.openpty()
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=s)
os.close(s)
out, end = b"", time.monotonic() + 120
while time.monotonic() < end:
    r, _, _ = select.select([m], [], [], 1)
    if r:
        try:
            d = os.read(m, 4096)
        except OSError:
            break
        if not d:
            break
        out += d
    elif p.poll() is not None:
        break
if p.poll() is None:
    p.kill()
sys.stdout.write(out.decode(errors="replace"))
sys.exit(p.wait())
PY
	grep -q "bench: $MODE: round 1/3, [0-9]* s elapsed, ETA" tty.txt || fail "no progress line on the pty: $(cat -v tty.txt)"
	grep -q "bench: $MODE: 3 rounds in [0-9.]* s" tty.txt || fail "no final progress line: $(cat -v tty.txt)"
	timeout 120 "$ROOT/bench/run" "${args[@]}" >out.txt 2>err.txt </dev/null || fail "bench failed: $(cat err.txt out.txt)"
	! grep -q 'round' err.txt || fail "progress when stderr is a file: $(cat -v err.txt)"
	grep -q "$MODE: 3 rounds" out.txt || fail "no table: $(cat out.txt)"
}

run_test "lint --format sarif: a profile with findings" t_lint_sarif_findings
run_test "lint --format sarif: clean, errors, uris, --list-rules" t_lint_sarif_clean_and_errors
run_test "--version: the build's features, --json" t_version_features
run_test "man pages render without warnings" t_man_pages_render
run_test "man pages: sections, one per command" t_man_pages_sections
run_test "man pages document every option of --help" t_man_pages_document_every_option
run_test "man pages: SYNOPSIS holds every Usage: line of --help" t_man_pages_synopsis
run_test "man pages: EXIT STATUS names the statuses of --help" t_man_pages_exit_status
run_test "bash completion" t_bash_completion
run_test "completion: each command's options are its --help's" t_completion_matches_help
run_test "zsh completion" t_zsh_completion
run_test "bench/run: progress on a terminal only" t_bench_progress
for t in $(declare -F | awk '{print $3}' | grep '^t_'); do
	grep -q "^run_test .* $t\$" "$0" || { echo "not ok - $t is defined but never run"; TAP_FAILED=$((TAP_FAILED + 1)); }
done
finish
