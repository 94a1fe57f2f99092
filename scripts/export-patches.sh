#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regenerate patches/ from the commits on v7.3-rc7 in build/linux.
# Deterministic: exporting an unchanged tree changes no file, also after the
# tree was rebuilt by `git am` on another machine.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$top/scripts/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/export-patches.sh [--tree DIR] [--check]

Writes patches/NNNN-*.patch (git format-patch --zero-commit, no signature),
patches/0000-cover-letter.patch (subject and text from
patches/cover-letter.txt, shortlog and diffstat from git) and patches/series.
--check exports to a temporary directory and exits 1 if patches/ differs.
USAGE
}

src="$top/build/linux"
check=0
while [ $# -gt 0 ]; do
	case "$1" in
	--tree) src=$(realpath "$2"); shift 2 ;;
	--check) check=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

git -C "$src" rev-parse -q --verify v7.3-rc7 >/dev/null ||
	die "$src has no tag v7.3-rc7: make it with scripts/build-kernel.sh --tree-only"
[ -z "$(git -C "$src" status --porcelain --untracked-files=no)" ] ||
	die "$src has uncommitted changes: commit (or --fixup) them first"

dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

# the cover letter's From: is the committer identity: fix it
git -C "$src" -c core.abbrev=12 -c diff.noprefix=false \
	-c user.name="Santa Developers" -c user.email=santa-devel@example.org \
	format-patch -q \
	--zero-commit --no-signature --cover-letter --numbered \
	--base=v7.3-rc7 \
	-o "$dest" v7.3-rc7..HEAD >/dev/null

cover=$(ls "$dest"/0000-cover-letter.patch)
text="$top/patches/cover-letter.txt"
[ -f "$text" ] || die "missing $text (first line: subject, then the text)"
python3 - "$cover" "$text" "$(git -C "$src" log -1 --format=%aD HEAD)" <<'PY'
import sys
cover, text, date = sys.argv[1:]
lines = open(text).read().split('\n', 1)
subject, body = lines[0].strip(), (lines[1] if len(lines) > 1 else '').strip('\n')
s = open(cover).read()
s = s.replace('*** SUBJECT HERE ***', subject).replace('*** BLURB HERE ***', body)
out = []
for l in s.split('\n'):
    # the cover letter's date is the newest patch's, not the export time
    out.append('Date: ' + date if l.startswith('Date: ') and not out.count('') else l)
open(cover, 'w').write('\n'.join(out))
PY

(cd "$dest" && ls [0-9]*.patch | grep -v '^0000-cover-letter' >series)

if [ "$check" -eq 1 ]; then
	if diff -r -x cover-letter.txt "$top/patches" "$dest"; then
		info "patches/ matches $src"
		exit 0
	fi
	die "patches/ differs from $src: run scripts/export-patches.sh"
fi

find "$top/patches" -maxdepth 1 \( -name '[0-9]*.patch' -o -name series \) -delete
cp "$dest"/* "$top/patches/"
# the tree now is base + patches/: build-kernel.sh need not re-apply them
[ "$src" != "$top/build/linux" ] ||
	echo "$(series_id) $(git -C "$src" rev-parse HEAD)" >"$src/.git/santa-applied"
info "exported $(wc -l <"$top/patches/series") patches (and the cover letter) to patches/"
