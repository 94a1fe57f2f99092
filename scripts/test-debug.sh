#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The debug run: build the kernel with kernel-config/debug.config (KASAN,
# KFENCE, lockdep, PROVE_RCU, DEBUG_ATOMIC_SLEEP, UBSAN, kmemleak) and run
# the KUnit suite and the kselftests on it, then scan for leaks and splats.
# Not part of scripts/test.sh: the debug build alone takes longer than the
# CI budget leaves. Ends with "N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$top/scripts/lib.sh"
build=1
only=""
while [ $# -gt 0 ]; do
	case "$1" in
	-h|--help)
		echo "Usage: scripts/test-debug.sh [--no-build] [--only \"santa_tcp.sh ...\"]"
		echo "--only runs these kselftest scripts (all by default; all take about"
		echo "an hour on the debug kernel under TCG), then kmemleak and the dmesg check"
		exit 0 ;;
	--no-build) build=0; shift ;;
	--only) only=$2; shift 2 ;;
	*) echo "test-debug: unknown option '$1'" >&2; exit 2 ;;
	esac
done

mkdir -p "$top/build"
if [ "$build" -eq 1 ]; then
	"$top/scripts/build-kernel.sh" --selftests >"$top/build/build.log" 2>&1 || {
		tail -n 20 "$top/build/build.log"; echo "0 passed, 1 failed"; exit 1; }
	"$top/scripts/build-kernel.sh" --debug >"$top/build/build-debug.log" 2>&1 || {
		tail -n 20 "$top/build/build-debug.log"; echo "0 passed, 1 failed"; exit 1; }
fi

if [ -n "$only" ]; then
	"$top/scripts/run-vm.sh" --debug --timeout 2400 --mem 4G --out "$top/build/vm-out/debug" \
		--log "$top/build/logs/vm-debug.log" -- \
		env SANTA_KSELFTESTS="$only" SANTA_KSELFTEST_TIMEOUT=1800 \
		bash "$top/selftests/vm-suites/debug.sh"
else
	"$top/scripts/run-vm.sh" --debug --suite debug --timeout 2400 --mem 4G
fi
rc=$?
out="$top/build/vm-out/debug"
passed=0
failed=0
if [ -s "$out/kunit.tap" ]; then
	if kunit_parse "$out/kunit.tap"; then
		echo "kunit: $kunit_line"
		passed=$((passed + kunit_passed))
		failed=$((failed + kunit_failed))
	else
		echo "FAIL kunit: no test results in $out/kunit.tap (kunit.py: ${kunit_line:-no summary})"
		failed=$((failed + 1))
	fi
else
	echo "FAIL kunit: no results"; failed=$((failed + 1))
fi
if [ -s "$out/kselftest.tap" ]; then
	p=$(grep -cE '^ok [0-9]+ ' "$out/kselftest.tap")
	f=$(grep -cE '^not ok [0-9]+ ' "$out/kselftest.tap")
	echo "kselftest: $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
	[ $((p + f)) -gt 0 ] || { echo "FAIL kselftest: no test result in $out/kselftest.tap"; failed=$((failed + 1)); }
	while IFS= read -r line; do
		echo "${line%% *} kselftest ${line#* }"
		[ "${line%% *}" = FAIL ] && failed=$((failed + 1))
	done < <(kselftest_programs "$out/kselftest.tap" "$rc")
else
	echo "FAIL kselftest: no results"; failed=$((failed + 1))
fi
if grep -q '^kmemleak: not available' "$out/kmemleak" 2>/dev/null || [ ! -f "$out/kmemleak" ]; then
	echo "FAIL kmemleak: not available"; failed=$((failed + 1))
elif grep -q '^unreferenced object' "$out/kmemleak"; then
	echo "FAIL kmemleak: $(grep -c '^unreferenced object' "$out/kmemleak") leaks (build/vm-out/debug/kmemleak)"
	failed=$((failed + 1))
else
	echo "PASS kmemleak: no leak"; passed=$((passed + 1))
fi
if [ -s "$out/splats" ]; then
	echo "FAIL dmesg: splats (build/vm-out/debug/splats)"; failed=$((failed + 1))
elif [ -f "$out/splats" ]; then
	echo "PASS dmesg: no splat"; passed=$((passed + 1))
else
	echo "FAIL dmesg: not checked (guest status $rc)"; failed=$((failed + 1))
fi
# the guest suite failed, and nothing above says why
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "FAIL debug: guest suite exited with status $rc (build/logs/vm-debug.log)"
	failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
