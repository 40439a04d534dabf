#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Runs every example of README.md as written (test-readme.sh calls it; README
# "Layout and development" states the convention):
# - every fenced block says what it is: ```sh is an example to run, ```console a
#   transcript ($ prompts and output), ```text anything else (syntax, output);
#   yaml, json, c and python blocks are files and code, not run here;
# - a ```sh block runs whole, as one `bash -e -o pipefail` script, in an empty
#   directory of its own, with the built binary first on PATH as
#   `ag3ntum-sandbox` (a command expected to fail says so: `|| echo ...`);
# - a ```sh block after the line `<!-- example not run: REASON -->` is counted
#   as excluded, with its reason.
# Prints one TAP line per block (README.md:LINE), the failing command's README
# line and its output for a failure, and the counts. Usage:
#   readme-examples.py README BINARY
import os, re, shutil, subprocess, sys, tempfile

README, AG3 = sys.argv[1:3]
KINDS = {"sh", "console", "text", "yaml", "json", "c", "python"}
SKIP = re.compile(r"^<!-- example not run: (.+) -->$")
FENCE = re.compile(r"^```(\S*)\s*$")


def blocks(lines):
    """(first line number of the body, kind, body lines, exclusion reason or None)."""
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, kind = i, m.group(1)
        j = i + 1
        while j < len(lines) and lines[j].rstrip() != "```":
            j += 1
        if j == len(lines):
            sys.exit("README.md:%d: a fence that is never closed" % (start + 1))
        prev = lines[start - 1].strip() if start else ""
        reason = SKIP.match(prev)
        yield start + 2, kind, lines[start + 1:j], reason.group(1) if reason else None
        i = j + 1


def first_line_of(body, n):
    """The line (0-based) where the command ending at line n of body starts."""
    while n > 0 and body[n - 1].rstrip().endswith("\\"):
        n -= 1
    return n


def main():
    lines = open(README, encoding="utf-8").read().split("\n")
    bindir = tempfile.mkdtemp(prefix="ag3-readme-bin.")
    os.chmod(bindir, 0o755)
    os.symlink(AG3, os.path.join(bindir, "ag3ntum-sandbox"))
    n = ran = excluded = failed = untagged = 0
    try:
        for first, kind, body, reason in blocks(lines):
            if kind not in KINDS:
                n += 1
                untagged += 1
                print("not ok %d - README.md:%d: a block tagged %r (say what it is: %s)"
                      % (n, first - 1, kind, ", ".join(sorted(KINDS))))
                continue
            if kind != "sh":
                continue
            n += 1
            if reason:
                excluded += 1
                print("ok %d - README.md:%d # SKIP not run: %s" % (n, first - 1, reason))
                continue
            ran += 1
            ok, why = run(body, bindir)
            if ok:
                print("ok %d - README.md:%d" % (n, first - 1))
                continue
            failed += 1
            at, status, out = why
            if at is not None:
                k = first_line_of(body, at)
                where = "README.md:%d: %s" % (first + k, body[k].strip())
            else:
                where = "README.md:%d" % (first - 1)
            print("not ok %d - %s" % (n, where))
            print("# status %s; the example's output:" % status)
            for l in out.splitlines()[-20:]:
                print("#   " + l)
    finally:
        shutil.rmtree(bindir, ignore_errors=True)
    print("1..%d" % n)
    print("# README examples: %d ran, %d of them failed, %d excluded; %d blocks not tagged"
          % (ran, failed, excluded, untagged))
    return 1 if failed or untagged else 0


def run(body, bindir):
    d = tempfile.mkdtemp(prefix="ag3-readme.")
    try:
        os.chmod(d, 0o755)  # root mode: the sandbox's uid reaches its workspace in it
        # The trap names the failing command's line ($LINENO counts from the
        # block's first line: the trap is on line 0's end, no line of its own).
        script = "trap 'echo \"@@failed $LINENO $?\" >&2' ERR; " + "\n".join(body) + "\n"
        env = dict(os.environ, PATH=bindir + ":" + os.environ.get("PATH", "/usr/bin:/bin"))
        try:
            p = subprocess.run(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script],
                               cwd=d, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=120)
        except subprocess.TimeoutExpired as e:
            return False, (None, "timeout (120 s)", (e.stdout or b"").decode(errors="replace"))
        out = p.stdout.decode(errors="replace")
        if p.returncode == 0:
            return True, None
        m = re.search(r"^@@failed (\d+) (\d+)$", out, re.M)
        return False, (int(m.group(1)) - 1 if m else None, m.group(2) if m else p.returncode, out)
    finally:
        shutil.rmtree(d, ignore_errors=True)


sys.exit(main())
