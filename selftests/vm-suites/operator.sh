#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest suite (scripts/run-vm.sh --suite operator): what an administrator
# sees while a server offloads replies, with nstat, santa-ctl diag and
# tracefs (README, "Operator's view"). The demo server of selftests/demo answers in one namespace, a
# client asks from another.
set -u
top=${SANTA_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=selftests/vm-lib.sh
. "$top/selftests/vm-lib.sh"
vm_netns_add || exit 1
trap vm_netns_del EXIT

T=/sys/kernel/tracing
[ -d "$T/events/santa" ] || mount -t tracefs tracefs "$T"
echo > "$T/trace"
echo 1 > "$T/events/santa/enable"

ready=$(mktemp -u /tmp/santa-op.XXXXXX)
ip netns exec srv python3 "$top/selftests/demo/santa_demo.py" server 0.0.0.0 5300 "$ready" >/dev/null &
srv=$!
for _ in $(seq 100); do
	[ -e "$ready" ] && break
	sleep 0.1
done
ip netns exec cli python3 "$top/selftests/demo/santa_demo.py" client 192.0.2.1 5300 1000 >/dev/null
echo 0 > "$T/events/santa/enable"

echo '$ ip netns exec srv nstat -az "SantaExt*"'
ip netns exec srv nstat -az 'SantaExt*' 2>&1
echo
echo '$ ip netns exec srv grep SANTA /proc/net/sockstat   # gauges, not counters'
ip netns exec srv grep SANTA /proc/net/sockstat 2>&1
echo
echo '$ ip netns exec cli nstat -az "SantaExt*"   # another namespace'
ip netns exec cli nstat -az 'SantaExt*' 2>&1 | head -4
echo
echo '$ ip netns exec srv ss -uan'
ip netns exec srv ss -uan 2>&1
echo
ctl=$top/build/santa-ctl/santa-ctl
if [ -x "$ctl" ]; then
	echo '$ ip netns exec srv santa-ctl diag   # sock_diag INET_DIAG_SANTA, no privilege'
	ip netns exec srv "$ctl" diag 2>&1
	echo
fi
echo '$ grep santa_ /sys/kernel/tracing/trace | sort by event | a few lines'
grep -m2 'santa_rule:' "$T/trace"
grep -m3 'santa_reply:' "$T/trace"
grep -m2 'santa_fall_through:' "$T/trace"
echo "($(grep -c 'santa_reply:' "$T/trace") santa_reply, $(grep -c 'santa_fall_through:' "$T/trace") santa_fall_through events)"
kill -TERM "$srv"
wait "$srv"
