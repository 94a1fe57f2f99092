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
for c in $(git -C "$src" rev-list --reverse v7.3-rc7..HEAD); do
	subj=$(git -C "$src" log -1 --format=%s "$c")
	git -C "$src" checkout -q --detach "$c"
	files=$(git -C "$src" diff --name-only "$c~1" "$c" -- '*.c' | grep -v '^tools/' || true)
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
		if make -C "$src" O="$obj" -s -j"$jobs" CC="$CC" HOSTCC="$CC" W=1 $objs >"$log.w1" 2>&1 &&
			! grep -q "warning:" "$log.w1"; then
			echo "PASS W=1 clean: $subj"
			passed=$((passed + 1))
		else
			grep -A3 "warning:" "$log.w1" | head -20
			echo "FAIL W=1 clean: $subj"
			failed=$((failed + 1))
		fi
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
