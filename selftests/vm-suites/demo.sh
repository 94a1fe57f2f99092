#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of the README's first command: Santa answering real requests.
set -u
top=${SANTA_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
echo "== $(uname -r) on $(nproc) vCPUs =="

echo "== KUnit: Santa's rule engine (ran at boot) =="
for s in /sys/kernel/debug/kunit/santa*/; do
	[ -f "$s/results" ] && grep -E '^ok|^not ok|^# ' "$s/results"
done

echo "== a DNS-like server in one namespace, a client in another (veth) =="
# shellcheck source=selftests/vm-lib.sh
. "$top/selftests/vm-lib.sh"
vm_netns_add || exit 1
trap vm_netns_del EXIT

ready=$(mktemp -u /tmp/santa-demo.XXXXXX)
ip netns exec srv python3 "$top/selftests/demo/santa_demo.py" server 0.0.0.0 5300 "$ready" &
srv=$!
# the client starts once the rule is installed, not before
for _ in $(seq 100); do
	[ -e "$ready" ] && break
	sleep 0.1
done
[ -e "$ready" ] || { echo "server did not start"; exit 1; }
ip netns exec cli python3 "$top/selftests/demo/santa_demo.py" client 192.0.2.1 5300 1000
rc=$?
kill -TERM "$srv"
wait "$srv"
echo "== UDP MIB of the server namespace =="
ip netns exec srv grep '^Udp:' /proc/net/snmp
[ "$rc" -eq 0 ] || exit "$rc"

echo "== santa-ctl gives Santa to an unmodified nsd (Debian's), from outside =="
sc=$top/build/santa-ctl/santa-ctl
zone=$top/selftests/santactl/example.zone
if ! command -v nsd >/dev/null || [ ! -x "$sc" ]; then
	echo "nsd or santa-ctl missing (scripts/install-deps.sh, scripts/demo.sh builds santa-ctl)"
	exit 1
fi
run=$(mktemp -d /tmp/santa-nsd.XXXXXX)
cp "$zone" "$run/example.zone"
vm_nsd_conf "$run" 192.0.2.1
ip netns exec srv nsd -d -c "$run/nsd.conf" &
nsd=$!
for _ in $(seq 100); do
	ip netns exec srv "$sc" -q -s 'udp 192.0.2.1:53' socket >/dev/null 2>&1 && break
	sleep 0.1
done
queries() { ip netns exec srv nsd-control -c "$run/nsd.conf" stats_noreset | sed -n 's/^num.queries=//p'; }
ask() {
	ip netns exec cli dig +noedns +nocookie +tries=1 +time=2 @192.0.2.1 www.example.com A |
		grep -vE '^;; (Query time|WHEN|SERVER|MSG SIZE)|^;; ->>HEADER|^; <<>>|^$'
}
ask >"$run/before"
echo "nsd answers www.example.com A:"
grep -A1 'ANSWER SECTION' "$run/before"
echo "\$ santa-ctl -s 'udp 192.0.2.1:53' dns load example.zone"
ip netns exec srv "$sc" -s 'udp 192.0.2.1:53' dns load "$zone" || rc=1
q0=$(queries)
for _ in $(seq 20); do ask >"$run/after"; done
q1=$(queries)
echo "\$ santa-ctl -s 'udp 192.0.2.1:53' stats"
ip netns exec srv "$sc" -s 'udp 192.0.2.1:53' stats
# a dig or an nsd-control that did not run gives no answer and no count,
# which compare equal: ask for an answer and for numbers
isnum() { case "$1" in ''|*[!0-9]*) return 1 ;; esac; }
q_ok=0
isnum "$q0" && isnum "$q1" && q_ok=1
if [ "$q_ok" = 1 ]; then
	echo "nsd counted $((q1 - q0)) of the 20 queries dig made after the rules were loaded"
else
	echo "nsd-control stats gave no query count ('$q0', '$q1')"
	rc=1
fi
if ! grep -q '192\.0\.2\.1[01]' "$run/before"; then
	echo "dig got no answer from nsd: nothing to compare"
	rc=1
elif cmp -s "$run/before" "$run/after" && [ "$q_ok" = 1 ] && [ "$q1" = "$q0" ]; then
	echo "the kernel's answers are byte-identical to nsd's, and nsd saw none of them"
else
	diff "$run/before" "$run/after"
	rc=1
fi
kill "$nsd"
wait "$nsd" 2>/dev/null
rm -rf "$run"
exit $rc
