#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print the compiler or sparse warnings of standard input that fall on a
line the series added (git diff BASE HEAD in TREE), or in a file it added.

new-warnings.py TREE BASE OBJDIR < build.log

Paths in the log are taken relative to OBJDIR (where kbuild ran the tools)
or as they are.
"""
import os
import re
import subprocess
import sys


def added_lines(tree, base):
    """{file: line numbers the series added}; a file the series added is
    one hunk that covers all of it."""
    diff = subprocess.run(["git", "-C", tree, "diff", "-U0", base, "HEAD", "--", "*.c", "*.h"],
                          capture_output=True, text=True, check=True).stdout
    lines, cur = {}, None
    for line in diff.splitlines():
        if line.startswith("+++ b/"):
            cur = line[6:]
            lines.setdefault(cur, set())
        elif line.startswith("@@") and cur:
            m = re.match(r"@@ -\S+ \+(\d+)(?:,(\d+))? @@", line)
            start, n = int(m.group(1)), int(m.group(2) or 1)
            lines[cur].update(range(start, start + n))
    return lines


def main():
    tree, base, objdir = (os.path.realpath(a) for a in sys.argv[1:4])
    base = sys.argv[2]
    lines = added_lines(tree, base)
    for w in sys.stdin:
        m = re.match(r"([^:\s]+):(\d+):(?:\d+:)? (warning|error)", w)
        if not m:
            continue
        f, n = m.group(1), int(m.group(2))
        full = os.path.normpath(os.path.join(objdir, f))
        if full.startswith(tree + "/"):
            f = os.path.relpath(full, tree)
        if n in lines.get(f, ()):
            print(w.rstrip())


if __name__ == "__main__":
    main()
