#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Review checks per patch: the tree builds after every patch of the series
# (bisectable), with no warnings from W=1 in the C files each patch
# touches. Checks out each commit in build/linux (HEAD is restored) and
# builds in build/obj; ccache makes repeated runs cheap.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$top/scripts/lib.sh"

usage() {
	echo "Usage: scripts/check-series.sh [-j N]"
	echo "Builds build/linux at every commit after v7.3-rc7, in build/obj."
}
jobs=$(nproc)
case "${1:-}" in
-h|--help) usage; exit 0 ;;
-j) jobs=$2 ;;
esac

src="$top/build/linux"
obj="$top/build/obj"
[ -f "$obj/.config" ] || die "build the kernel first (scripts/build-kernel.sh)"
[ -z "$(git -C "$src" status --porcelain --untracked-files=no)" ] ||
	die "build/linux has uncommitted changes: commit or stash them first"
# Build each commit in place, in build/obj: paths stay the same, so ccache
# hits for everything an earlier build already compiled.
head=$(git -C "$src" symbolic-ref -q --short HEAD || git -C "$src" rev-parse HEAD)
trap 'git -C "$src" checkout -q "$head"' EXIT

kbuild_env
passed=0
failed=0
# an assignment, not the for loop's word list: set -e stops on a failing
# rev-list here (in the loop's list it would be no commit, "0 passed")
commits=$(git -C "$src" rev-list --reverse v7.3-rc7..HEAD)
[ -n "$commits" ] || die "no commit after v7.3-rc7 in build/linux: nothing to build"
for c in $commits; do
	subj=$(git -C "$src" log -1 --format=%s "$c")
	git -C "$src" checkout -q --detach "$c"
	# the diff on its own (set -e), then the filter (no match is no file)
	files=$(git -C "$src" diff --name-only "$c~1" "$c" -- '*.c')
	files=$(echo "$files" | grep -v '^tools/' || true)
	log="$top/build/logs/bisect-$(git -C "$src" rev-parse --short "$c").log"
	mkdir -p "$(dirname "$log")"
	if make -C "$src" O="$obj" -s -j"$jobs" CC="$CC" HOSTCC="$CC" olddefconfig bzImage >"$log" 2>&1; then
		echo "PASS builds: $subj"
		passed=$((passed + 1))
	else
		tail -n 20 "$log"
		echo "FAIL builds: $subj"
		failed=$((failed + 1))
		continue
	fi
	objs=$(for f in $files; do echo "${f%.c}.o"; done)
	if [ -n "$objs" ]; then
		# force a W=1 recompile of the touched files
		(cd "$obj" && rm -f $objs)
		# the objects were removed: each must be there again, or make
		# did not compile it (and W=1 checked nothing of it)
		w1=0
		make -C "$src" O="$obj" -s -j"$jobs" CC="$CC" HOSTCC="$CC" W=1 $objs >"$log.w1" 2>&1 || w1=$?
		notbuilt=$(for o in $objs; do [ -f "$obj/$o" ] || echo "$o"; done | tr '\n' ' ')
		nobjs=$(echo "$objs" | wc -w)
		if [ "$w1" -eq 0 ] && [ -z "$notbuilt" ] && ! grep -q "warning:" "$log.w1"; then
			echo "PASS W=1 clean: $subj ($nobjs files)"
			passed=$((passed + 1))
		else
			grep -A3 "warning:" "$log.w1" | head -20 || true
			[ "$w1" -eq 0 ] || tail -n 10 "$log.w1"
			echo "FAIL W=1 clean: $subj (make status $w1${notbuilt:+, not compiled: ${notbuilt% }})"
			failed=$((failed + 1))
		fi
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
