#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The layering (../shared/DESIGN.md, "Layers, one way"), checked on the source:
# a file may include the headers of its own layer and of the layers below it,
# never above. The build enforces the same for calls (meson.build links each
# layer's library alone into a module with -Wl,--no-undefined); this check also
# catches an upward include that uses only types or inline code. Prints every
# violation as file:line and exits 1 if there is any.
import os, re, sys

LAYERS = [("runtime/util/", 0), ("mounts/", 1), ("runtime/", 2), ("policy/", 3),
          ("agent/", 4), ("tools/", 5)]
NAMES = {0: "util", 1: "mounts", 2: "runtime", 3: "policy", 4: "agent", 5: "tools"}


def layer_of(path):
    for prefix, n in LAYERS:  # runtime/util/ before runtime/: first match wins
        if path.startswith(prefix):
            return n
    return None


def main(root):
    bad = 0
    checked = 0
    inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
    for prefix, n in LAYERS:
        for dirpath, _, files in os.walk(os.path.join(root, prefix)):
            for f in sorted(files):
                if not f.endswith((".c", ".h")):
                    continue
                full = os.path.join(dirpath, f)
                rel = os.path.relpath(full, root)
                if layer_of(rel) != n:
                    continue  # runtime/util/ files are seen once, as util
                checked += 1
                for i, line in enumerate(open(full, encoding="utf-8"), 1):
                    m = inc.match(line)
                    if not m:
                        continue
                    target = m.group(1)
                    if "/" not in target:  # the file's own directory
                        target = os.path.relpath(os.path.join(os.path.dirname(rel), target))
                    t = layer_of(target)
                    if t is not None and t > n:
                        print("%s:%d: %s (%s) includes %s (%s, a layer above)"
                              % (rel, i, rel, NAMES[n], m.group(1), NAMES[t]))
                        bad += 1
    print("%d files checked, %d upward includes" % (checked, bad))
    return 1 if bad or checked == 0 else 0


sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
