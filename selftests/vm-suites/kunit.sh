#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side: collect the KTAP results of the KUnit suites built into the
# kernel (they run at boot) into $SANTA_OUT/kunit.tap.
set -u
d=/sys/kernel/debug/kunit
if [ ! -d "$d" ]; then
	echo "no $d: kernel built without CONFIG_KUNIT_DEBUGFS?" >&2
	exit 1
fi
: >"$SANTA_OUT/kunit.tap"
n=0
for s in "$d"/*/; do
	[ -f "$s/results" ] || continue
	cat "$s/results" >>"$SANTA_OUT/kunit.tap"
	n=$((n + 1))
done
echo "collected the results of $n KUnit suites"
[ "$n" -gt 0 ]
