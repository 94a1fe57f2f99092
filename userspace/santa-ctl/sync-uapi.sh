#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Keeps include/uapi/linux/santa.h in step with the kernel series, as
# iproute2 keeps its copy of the uapi headers.
#
#   sync-uapi.sh          rebuild the header from ../../patches and copy it here
#   sync-uapi.sh --check  exit 1 (with a diff) if the copy differs
#   sync-uapi.sh --print  print the header rebuilt from the patches
#
# The header is rebuilt by applying, in the order of patches/series, only
# the hunks of every patch that touch include/uapi/linux/santa.h, to an
# empty directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
patches=${SANTA_PATCHES:-$top/patches}
file=include/uapi/linux/santa.h
copy=$here/include/uapi/linux/santa.h

mode=sync
case "${1:-}" in
--check) mode=check ;;
--print) mode=print ;;
-h|--help) sed -n '3,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
"") ;;
*) echo "usage: $0 [--check|--print]" >&2; exit 2 ;;
esac

[ -f "$patches/series" ] || { echo "sync-uapi: no $patches/series" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tree"
n=0
while read -r p; do
	case "$p" in ''|'#'*) continue ;; esac
	[ -f "$patches/$p" ] || { echo "sync-uapi: $p in series but not in $patches" >&2; exit 1; }
	grep -q "^diff --git a/$file b/$file\$" "$patches/$p" || continue
	# git apply works outside a repository too; --include keeps one file
	if ! (cd "$tmp/tree" && git apply --include="$file" "$patches/$p"); then
		echo "sync-uapi: $p does not apply to $file" >&2
		exit 1
	fi
	n=$((n + 1))
done <"$patches/series"
[ -f "$tmp/tree/$file" ] || { echo "sync-uapi: no patch in the series creates $file" >&2; exit 1; }

# libsanta's INET_DIAG_SANTA (include/santa/diag.hpp) is INET_DIAG_SOCKOPT + 1
diag_ok=1
while read -r p; do
	case "$p" in ''|'#'*) continue ;; esac
	if grep -q "^+	INET_DIAG_SANTA," "$patches/$p" &&
		! grep -B1 "^+	INET_DIAG_SANTA," "$patches/$p" | grep -q "^ 	INET_DIAG_SOCKOPT,"; then
		diag_ok=0
	fi
	# and its INET_DIAG_REQ_SANTA is INET_DIAG_REQ_PROTOCOL + 1
	if grep -q "^+	INET_DIAG_REQ_SANTA," "$patches/$p" &&
		! grep -B1 "^+	INET_DIAG_REQ_SANTA," "$patches/$p" | grep -q "^ 	INET_DIAG_REQ_PROTOCOL,"; then
		diag_ok=0
	fi
done <"$patches/series"

case $mode in
print) cat "$tmp/tree/$file" ;;
check)
	if ! diff -u "$tmp/tree/$file" "$copy" >"$tmp/diff"; then
		cat "$tmp/diff"
		echo "FAIL: userspace/santa-ctl/include/uapi/linux/santa.h differs from the header of patches/ ($n patches): run userspace/santa-ctl/sync-uapi.sh" >&2
		exit 1
	fi
	if [ "$diag_ok" -eq 0 ]; then
		echo "FAIL: INET_DIAG_SANTA no longer follows INET_DIAG_SOCKOPT, or INET_DIAG_REQ_SANTA INET_DIAG_REQ_PROTOCOL, in patches/: update include/santa/diag.hpp" >&2
		exit 1
	fi
	echo "uapi header in sync with patches/ ($n patches touch it)"
	;;
sync)
	if cmp -s "$tmp/tree/$file" "$copy"; then
		echo "sync-uapi: already in sync"
	else
		cp "$tmp/tree/$file" "$copy"
		echo "sync-uapi: updated $copy from $n patches; rebuild (counter names follow struct santa_stats)"
	fi
	;;
esac
