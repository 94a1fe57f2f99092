#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Shared by the guest suites (selftests/vm-suites) that run servers and
# clients: sourced, not run.

# Namespaces srv and cli joined by veth (veth-srv, veth-cli):
# 192.0.2.1/24 and 2001:db8::1/64 in srv, 192.0.2.2/24 and 2001:db8::2/64
# in cli. vm_netns_del removes them.
vm_netns_add() {
	ip netns add srv && ip netns add cli || return 1
	ip link add veth-srv netns srv type veth peer name veth-cli netns cli || return 1
	ip -n srv addr add 192.0.2.1/24 dev veth-srv
	ip -n cli addr add 192.0.2.2/24 dev veth-cli
	ip -n srv addr add 2001:db8::1/64 dev veth-srv nodad
	ip -n cli addr add 2001:db8::2/64 dev veth-cli nodad
	for ns in srv cli; do
		ip -n "$ns" link set lo up
	done
	ip -n srv link set veth-srv up
	ip -n cli link set veth-cli up
}

vm_netns_del() {
	ip netns del srv 2>/dev/null
	ip netns del cli 2>/dev/null
}

# vm_nsd_conf DIR ADDR...: an nsd.conf in DIR serving DIR/example.zone
# (zone example.com) on port 53 of each ADDR, with its state, log and
# control socket in DIR (the guest's tmpfs: nsd mmaps its files, 9p
# cannot). Start it with: nsd -d -c DIR/nsd.conf
vm_nsd_conf() {
	local dir=$1 addr
	shift
	{
		echo "server:"
		for addr in "$@"; do
			echo "  ip-address: $addr"
		done
		cat <<CONF
  port: 53
  username: ""
  zonesdir: "$dir"
  database: ""
  pidfile: "$dir/nsd.pid"
  xfrdfile: "$dir/xfrd.state"
  zonelistfile: "$dir/zone.list"
  logfile: "$dir/nsd.log"
  server-count: 1
remote-control:
  control-enable: yes
  control-interface: $dir/nsd.ctl
zone:
  name: example.com
  zonefile: example.zone
CONF
	} >"$dir/nsd.conf"
}
