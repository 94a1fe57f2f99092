#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of the debug run (a kernel built with --debug): the KUnit
# results, the kselftests, then a kmemleak scan and a look for splats.
# Results: $SANTA_OUT/kunit.tap, $SANTA_OUT/kselftest.tap,
# $SANTA_OUT/kmemleak, $SANTA_OUT/splats.
set -u
here=$(cd "$(dirname "$0")" && pwd)
rc=0
bash "$here/kunit.sh" || rc=1
bash "$here/kselftest.sh" || rc=1

if [ -w /sys/kernel/debug/kmemleak ]; then
	# objects freed by RCU and work items need time before a scan
	# (no leak reads as an empty file: a scan that failed, e.g. kmemleak
	# disabled itself, must not read so)
	sleep 5
	if echo scan >/sys/kernel/debug/kmemleak && sleep 5 &&
		echo scan >/sys/kernel/debug/kmemleak &&
		cat /sys/kernel/debug/kmemleak >"$SANTA_OUT/kmemleak"; then
		n=$(grep -c '^unreferenced object' "$SANTA_OUT/kmemleak")
		echo "kmemleak: $n unreferenced objects"
		[ "$n" -eq 0 ] || rc=1
	else
		echo "kmemleak: not available: the scan failed ($(dmesg | grep -m1 'kmemleak:'))" | tee "$SANTA_OUT/kmemleak"
		rc=1
	fi
else
	echo "kmemleak: not available in this kernel" | tee "$SANTA_OUT/kmemleak"
	rc=1
fi

# dmesg first: a dmesg that fails, or prints nothing, is no splat found
# (then no splats file: the host says "not checked")
log=$(mktemp /tmp/dmesg.XXXXXX)
if ! dmesg >"$log" || [ ! -s "$log" ]; then
	echo "dmesg: could not be read: not checked"
	rm -f "$SANTA_OUT/splats"
	rc=1
else
	grep -E -A20 'BUG:|WARNING:|KASAN|UBSAN|possible circular|suspicious RCU|sleeping function' \
		"$log" >"$SANTA_OUT/splats"
	if [ -s "$SANTA_OUT/splats" ]; then
		echo "splats in dmesg:"
		head -40 "$SANTA_OUT/splats"
		rc=1
	else
		echo "no splat in dmesg"
	fi
fi
rm -f "$log"
exit $rc
