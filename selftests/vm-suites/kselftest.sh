#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side: run the Santa kselftests installed by
# scripts/build-kernel.sh --selftests; their TAP goes to
# $SANTA_OUT/kselftest.tap for the host to count.
set -u
top=${SANTA_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
dir=${SANTA_KSELFTEST_DIR:-$top/build/obj/kselftest}
if [ ! -x "$dir/net/santa/santa_udp.sh" ]; then
	echo "no kselftests in $dir: build with scripts/build-kernel.sh --selftests" >&2
	exit 1
fi
# the installed tree is read-only in the guest: run from a copy
work=$(mktemp -d /tmp/kselftest.XXXXXX)
cp -a "$dir/." "$work/"
cd "$work/net/santa" || exit 1
rc=0
# SANTA_KSELFTESTS: a subset (e.g. "santa_tcp.sh santa_tcp_stream.sh")
for t in ${SANTA_KSELFTESTS:-santa_udp.sh santa_tcp.sh santa_tcp_stream.sh santa_obs.sh santa_fuzz.sh \
	santa_stress.sh santa_limits.sh}; do
	# in the TAP too: the host checks that every program started ended
	echo "# running $t" | tee -a "$SANTA_OUT/kselftest.tap"
	# SANTA_KSELFTEST_TIMEOUT: seconds per program (the debug kernel is slower)
	timeout "${SANTA_KSELFTEST_TIMEOUT:-600}" "./$t" 2>&1 | tee -a "$SANTA_OUT/kselftest.tap"
	r=${PIPESTATUS[0]}
	[ "$r" -eq 0 ] || [ "$r" -eq 4 ] || rc=1
	echo "# $t exited with $r" | tee -a "$SANTA_OUT/kselftest.tap"
done
exit $rc
