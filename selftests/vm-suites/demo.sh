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
ip netns add srv && ip netns add cli || exit 1
trap 'ip netns del srv; ip netns del cli' EXIT
ip link add veth-srv netns srv type veth peer name veth-cli netns cli
ip -n srv addr add 192.0.2.1/24 dev veth-srv
ip -n cli addr add 192.0.2.2/24 dev veth-cli
ip -n srv link set veth-srv up
ip -n cli link set veth-cli up
ip -n srv link set lo up
ip -n cli link set lo up

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
exit $rc
