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
    diff = subprocess.run(["git", "-C", tree, "diff", "-U0", base, "HEAD", "--", "*.c", "*.h"],
                          capture_output=True, text=True, check=True).stdout
    lines, new_files, cur = {}, set(), None
    for line in diff.splitlines():
        if line.startswith("+++ b/"):
            cur = line[6:]
            lines.setdefault(cur, set())
        elif line.startswith("--- /dev/null"):
            new_files.add(None)  # marks the next +++ as a new file
        elif line.startswith("@@") and cur:
            m = re.match(r"@@ -\S+ \+(\d+)(?:,(\d+))? @@", line)
            start, n = int(m.group(1)), int(m.group(2) or 1)
            lines[cur].update(range(start, start + n))
        if line.startswith("+++ b/") and None in new_files:
            new_files.discard(None)
            new_files.add(cur)
    return lines, new_files


def main():
    tree, base, objdir = (os.path.realpath(a) for a in sys.argv[1:4])
    base = sys.argv[2]
    lines, new_files = added_lines(tree, base)
    for w in sys.stdin:
        m = re.match(r"([^:\s]+):(\d+):(?:\d+:)? (warning|error)", w)
        if not m:
            continue
        f, n = m.group(1), int(m.group(2))
        full = os.path.normpath(os.path.join(objdir, f))
        if full.startswith(tree + "/"):
            f = os.path.relpath(full, tree)
        if f in new_files or n in lines.get(f, ()):
            print(w.rstrip())


if __name__ == "__main__":
    main()
