#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/bench.sh: real servers (nsd, BIND, Knot DNS,
# memcached, nginx) in namespace srv pinned to CPU0, the load generator
# (santa-load, dnsperf, wrk) in namespace cli pinned to CPU1, veth between
# them with RPS so that each side's receive path, and the kernel's replies,
# run on its own CPU.
# Every run appends one line to $SANTA_OUT/bench.dat:
#   SECTION CASE VARIANT rps srv_us cli_us srv_busy hit% lost mismatched calib
# srv_us/cli_us: busy microseconds of CPU0/CPU1 per answered request;
# calib: speed of vCPU0 around the run (millions of iterations/s of a
# user-space loop): the host is shared and its speed drifts.
# SANTA_BENCH_MODE: quick (seconds per run, small sweeps; checks that every
# table fills and every reply is right) or full. SANTA_BENCH_KERNEL: santa
# (every section) or nosanta (the baselines only, on a CONFIG_SANTA=n kernel).
# SANTA_BENCH_ONLY: sections to run (default "dns memcached http").
# Full mode also profiles vCPU0 (perf, cpu-clock) during some runs:
# $SANTA_OUT/profile-*.txt, read by selftests/bench/profile.py
# (SANTA_BENCH_PROFILE=0: none).
set -u
top=${SANTA_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=selftests/vm-lib.sh
. "$top/selftests/vm-lib.sh"
SC=${SANTA_CTL:-$top/build/santa-ctl/santa-ctl}
LOAD=${SANTA_LOAD:-$top/build/bench/santa-load}
MK="python3 $top/selftests/bench/mkreq.py"
mode=${SANTA_BENCH_MODE:-quick}
kernel=${SANTA_BENCH_KERNEL:-santa}
out=${SANTA_OUT:-/tmp}/bench.dat
run=$(mktemp -d /run/bench.XXXXXX 2>/dev/null || mktemp -d /tmp/bench.XXXXXX)
pids=()
errors=0

if [ "$mode" = quick ]; then
	dur=2
	rule_counts="1 100 10000"
	sample=20000
else
	dur=8
	rule_counts="1 100 10000 100000 1000000"
	sample=100000
fi
# SANTA_BENCH_RULES: the rule counts of the DNS sweep (e.g. "1" to skip it)
rule_counts=${SANTA_BENCH_RULES:-$rule_counts}
# SANTA_BENCH_DUR: seconds per run; SANTA_BENCH_XCHECK=0: no dnsperf/wrk
# cross-checks (the cost boots: deterministic under -icount, and slower)
dur=${SANTA_BENCH_DUR:-$dur}
xcheck=${SANTA_BENCH_XCHECK:-1}

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	[ -f "$run/nginx.pid" ] && kill "$(cat "$run/nginx.pid")" 2>/dev/null
	sleep 0.3
	vm_netns_del
	rm -rf "$run"
}
trap cleanup EXIT

err() { echo "ERROR $*"; errors=$((errors + 1)); }
# vcpu_speed SECS: millions of iterations/s of a user-space loop on vCPU0
vcpu_speed() {
	taskset -c 0 "$LOAD" --calibrate "$1" | sed -n 's/^calib=\([0-9.]*\).*/\1/p'
}
S() { ip netns exec srv "$SC" -q "$@"; }
# a SantaExt counter of the server's netns ("-" without CONFIG_SANTA)
ext() {
	# shellcheck disable=SC2016
	ip netns exec srv awk -v k="$1" '$1 == "SantaExt:" { if (!n) { for (i = 2; i <= NF; i++) f[i] = $i; n = 1 } else for (i = 2; i <= NF; i++) if (f[i] == k) print $i }' /proc/net/netstat | grep . || echo -
}
# UDP datagrams the server's netns delivered to sockets
udp_in() {
	# shellcheck disable=SC2016
	ip netns exec srv awk '$1 == "Udp:" && $2 ~ /^[0-9]/ { print $2 }' /proc/net/snmp
}
wait_sock() { # PROTO ADDR:PORT
	local i
	for i in $(seq 100); do
		ip netns exec srv ss -Hln"${1:0:1}" "src $2" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# profile NAME: a perf profile of the server's vCPU during the next run
# (full mode; cpu-clock sampling: TCG has no PMU), symbols from vmlinux
profile() {
	local vmlinux=${SANTA_VMLINUX:-}
	[ "$mode" = full ] && [ "${SANTA_BENCH_PROFILE:-1}" = 1 ] || return 0
	if ! command -v perf >/dev/null || [ ! -f "$vmlinux" ]; then
		echo "# no profile $1: needs perf (linux-perf) and SANTA_VMLINUX ($vmlinux)"
		return 0
	fi
	(
		sleep 1.5
		taskset -c 1 perf record -q -e cpu-clock -C 0 -o "$run/perf.data" -- sleep $((dur - 2)) >/dev/null 2>&1
		# addresses are resolved on the host (selftests/bench/profile.py):
		# the guest kernel has no kallsyms
		perf report -q -i "$run/perf.data" --sort dso,sym --stdio 2>/dev/null |
			grep -v '^#' | grep . >"${SANTA_OUT:-/tmp}/profile-$1.txt"
	) &
	prof_pid=$!
}
prof_wait() { [ -z "${prof_pid:-}" ] || wait "$prof_pid"; prof_pid=""; }

# measure SECTION CASE VARIANT santa-load ARGS...: one run, one line
measure() {
	local sec=$1 case=$2 var=$3 h0 m0 h1 m1 c0 c1 res hit=- v
	shift 3
	h0=$(ext Hits) m0=$(ext Misses)
	c0=$(vcpu_speed 0.5)
	res=$(ip netns exec cli taskset -c 1 "$LOAD" "$@" --duration "$dur" --warmup 1 --cpus 0,1 2>&1)
	c1=$(vcpu_speed 0.5)
	h1=$(ext Hits) m1=$(ext Misses)
	if [ "$h0" != - ] && [ $((h1 - h0 + m1 - m0)) -gt 0 ]; then
		hit=$(( (h1 - h0) * 100 / (h1 - h0 + m1 - m0) ))
	fi
	declare -A kv=()
	for v in $res; do
		case "$v" in *=*) kv[${v%%=*}]=${v#*=} ;; esac
	done
	if [ -z "${kv[rps]:-}" ] || [ "${kv[received]:-0}" -eq 0 ]; then
		err "$sec $case $var: no answers ($res)"
		echo "$sec $case $var 0 - - - $hit - -" >>"$out"
		return 1
	fi
	# replies unchecked (no counts in santa-load's line) are not right ones
	if [ "${kv[mismatched]:-none}" != 0 ] || [ "${kv[bad]:-none}" != 0 ]; then
		err "$sec $case $var: wrong or unchecked replies ($res)"
	fi
	echo "$sec $case $var ${kv[rps]} ${kv[srv_us]:--} ${kv[cli_us]:--} ${kv[srv_busy]:--} $hit ${kv[lost]} ${kv[mismatched]} $(echo "($c0 + $c1) / 2" | bc -l | cut -c1-8)" |
		tee -a "$out"
}

echo "# bench: $(uname -r), kernel=$kernel mode=$mode, $dur s per run"
[ -x "$LOAD" ] || { err "no santa-load at $LOAD"; exit 1; }
[ "$kernel" = nosanta ] || [ -x "$SC" ] || { err "no santa-ctl at $SC"; exit 1; }
[ "$(nproc)" -ge 2 ] || { err "needs 2 CPUs"; exit 1; }

vm_netns_add || { err "netns"; exit 1; }
# receive processing of each side on its own CPU (veth hands packets over
# in the sender's softirq; RPS moves them)
ip netns exec srv sh -c 'echo 1 > /sys/class/net/veth-srv/queues/rx-0/rps_cpus'
ip netns exec cli sh -c 'echo 2 > /sys/class/net/veth-cli/queues/rx-0/rps_cpus'

# ---- DNS: nsd, then BIND ----------------------------------------------------
# dns_alone SECTION SERVER PROFILE [VARIANT]: the server answering every
# query itself (after an unrecorded run: the first seconds of a server are
# slower), profiled, and dnsperf's figure; VARIANT (default "alone") names
# the rows
dns_alone() {
	local var=${4:-alone}
	ip netns exec cli taskset -c 1 "$LOAD" --proto dns --server 192.0.2.1 --port 53 \
		--requests "$run/q.all" --duration 2 --warmup 0 >/dev/null
	profile "$3"
	measure "$1" "$2" "$var" --proto dns --server 192.0.2.1 --port 53 --requests "$run/q.all" --window 64
	prof_wait
	if [ "$xcheck" = 1 ] && command -v dnsperf >/dev/null; then
		$MK dnsperf "$run/names" >"$run/dnsperf.all"
		dnsperf_run "$var" "$1"
	fi
}

# dns_offload_minimal SERVER WANT: the hot names offloaded with
# --minimal, and the kernel's answer to one query (counted as a hit) equal
# to WANT, the server's own answer
dns_offload_minimal() {
	local h0 got
	S -s 'udp 192.0.2.1:53' dns load "$run/hot.zone" --minimal --rd 1 --ad 0 --types A ||
		{ err "santa-ctl dns load ($1)"; return 1; }
	h0=$(ext Hits)
	got=$(dns_ask h0000007.example.com)
	if [ "$got" != "$2" ] || [ "$(ext Hits)" != $((h0 + 1)) ]; then
		err "the kernel's answer differs from $1's: $got, $1: $2"
	fi
}

# dns_hits SECTION [PROFILE]: with the hot names offloaded, f % of the
# queries for them (f = 0 .. 100), the rest for names the server answers;
# PROFILE names a profile of the 100 % run
dns_hits() {
	local f
	for f in 0 25 50 75 100; do
		{
			[ "$f" -gt 0 ] && head -n $((f * 4)) "$run/hot"
			[ "$f" -lt 100 ] && head -n $(((100 - f) * 4)) "$run/cold"
		} >"$run/mix.names"
		$MK dns "$run/mix.names" >"$run/q.mix"
		[ "$f" -eq 100 ] && [ -n "${2:-}" ] && profile "$2"
		measure "$1" "hit$f" santa --proto dns --server 192.0.2.1 --port 53 --requests "$run/q.mix" --window 64
		prof_wait
	done
	if [ "$xcheck" = 1 ] && command -v dnsperf >/dev/null; then
		$MK dnsperf "$run/hot" >"$run/dnsperf.all"
		dnsperf_run santa "$1"
	fi
}

dns() {
	nsd_pid=""
	$MK dns-names 1000 >"$run/names"
	# the first 500 names are offloaded, the other 500 are not
	head -n 500 "$run/names" >"$run/hot"
	tail -n 500 "$run/names" >"$run/cold"
	$MK zone "$run/hot.zone" 500
	$MK zone "$run/example.zone" 1000
	$MK dns "$run/names" >"$run/q.all"
	dns_nsd
	[ -n "$nsd_pid" ] && kill "$nsd_pid" && wait "$nsd_pid" 2>/dev/null
	dns_bind
	[ "$kernel" = nosanta ] || dns_knot
}

dns_nsd() {
	local n
	mkdir -p "$run/nsd"
	vm_nsd_conf "$run/nsd" 192.0.2.1
	cp "$run/example.zone" "$run/nsd/"
	ip netns exec srv taskset -c 0 nsd -d -c "$run/nsd/nsd.conf" >"$run/nsd.out" 2>&1 &
	nsd_pid=$!
	pids+=("$nsd_pid")
	wait_sock udp 192.0.2.1:53 || { err "nsd did not start: $(cat "$run/nsd.out" "$run/nsd/nsd.log")"; return; }
	dns_alone dns nsd dns-nsd-alone
	[ "$kernel" = nosanta ] && return
	# 1,000,000 DNS rules of these names take some 550 MB of rule
	# memory: above the default 512 MiB of one socket (santa.rst)
	ip netns exec srv sysctl -qw net.santa.max_bytes=1073741824 ||
		err "net.santa.max_bytes"
	S -s 'udp 192.0.2.1:53' dns load "$run/hot.zone" --rd 1 --ad 0 --types A ||
		{ err "santa-ctl dns load"; return; }
	dns_hits dns dns-santa-hit100
	S -s 'udp 192.0.2.1:53' rule flush
	dns_xdp
	# the miss path: nsd's own 1000 names (positive answers: NXDOMAIN
	# ones would meet its response rate limiting), against n rules for
	# names of the same length that are never asked for (x0000000...),
	# so that every query is hashed, probed and misses. The baseline: no
	# rule on any socket, so the hooks are a static branch.
	measure dns_miss 0 santa --proto dns --server 192.0.2.1 --port 53 --requests "$run/q.all" --window 64
	# number of rules: names that share a 40-byte prefix
	for n in $rule_counts; do
		local t0 t1 pre=santa-benchmark-names-share-this-prefix-
		$MK zone "$run/many.zone" "$n" --prefix "$pre"
		t0=$(date +%s.%N)
		S -s 'udp 192.0.2.1:53' dns load "$run/many.zone" --flush --rd 1 --ad 0 --types A ||
			{ err "santa-ctl dns load of $n rules"; continue; }
		t1=$(date +%s.%N)
		echo "# $n rules loaded in $(echo "$t1 - $t0" | bc) s"
		# the same number of requests at every point (drawn from the n
		# names): the generator's own cost must not change along the sweep
		$MK dns-names "$n" --prefix "$pre" --sample "$sample" >"$run/many.names"
		$MK dns "$run/many.names" >"$run/q.many"
		measure dns_rules "$n" santa --proto dns --server 192.0.2.1 --port 53 --requests "$run/q.many" --window 64
		# the miss path with n rules (see above)
		$MK zone "$run/miss.zone" "$n" --prefix x
		S -s 'udp 192.0.2.1:53' dns load "$run/miss.zone" --flush --rd 1 --ad 0 --types A ||
			{ err "santa-ctl dns load of $n rules for the miss path"; continue; }
		measure dns_miss "$n" santa --proto dns --server 192.0.2.1 --port 53 --requests "$run/q.all" --window 64
	done
	S -s 'udp 192.0.2.1:53' rule flush
}

# napi_on_cpu0 LABEL: an XDP program's NAPI poll of veth-srv in its own
# thread on vCPU0, the server's, so that srv_us counts it
napi_on_cpu0() {
	local napi
	if ip netns exec srv sh -c 'echo 1 > /sys/class/net/veth-srv/threaded' 2>/dev/null &&
		napi=$(pgrep '^napi/veth-srv' | head -n 1) && [ -n "$napi" ] && taskset -pc 0 "$napi" >/dev/null; then
		echo "# $1: threaded NAPI of veth-srv (pid $napi) on vCPU0"
	else
		echo "# $1: no threaded NAPI: the XDP program runs on the client's vCPU (compare srv_us + cli_us)"
	fi
}

# dns_xdp: "why not BPF", measured. One query, the same in every run:
# nsd answering it, a Santa rule answering it, and an XDP program
# answering it from veth's native XDP (selftests/bench/xdp_dns.c, built
# here with nsd's own answer compiled in: no routing, netfilter, qdisc or
# socket on its path). The peer veth gets an XDP_PASS program, without
# which XDP_TX frames do not reach it.
dns_xdp() {
	local name=h0000007.example.com want q got u0 cflags
	if ! command -v clang >/dev/null; then
		echo "# dns_xdp: SKIP: no clang to build selftests/bench/xdp_dns.c"
		return
	fi
	echo "$name" >"$run/one"
	$MK dns "$run/one" >"$run/q.one"
	want=$(dns_ask "$name")
	q=$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); from mkreq import dns_query; print(dns_query(sys.argv[2])[2:].hex())' \
		"$top/selftests/bench" "$name")
	hex_c() { echo "$1" | sed 's/../0x&,/g; s/,$//'; }
	cflags="-DQUERY_LEN=$((${#q} / 2)) -DQUERY_BYTES=$(hex_c "$q") -DREPLY_LEN=$(((${#want} - 4) / 2)) -DREPLY_BYTES=$(hex_c "${want:4}")"
	# shellcheck disable=SC2086
	if ! clang -O2 -target bpf -I"/usr/include/$(gcc -print-multiarch)" $cflags \
		-c "$top/selftests/bench/xdp_dns.c" -o "$run/xdp_dns.o" 2>"$run/clang.out"; then
		err "dns_xdp: clang: $(head -n 3 "$run/clang.out")"
		return
	fi
	# nsd itself is the "dns nsd alone" row: answering one name over and
	# over, its response rate limiting (RRL) would cap it at a few hundred
	# a second
	S -s 'udp 192.0.2.1:53' dns load "$run/hot.zone" --rd 1 --ad 0 --types A ||
		{ err "santa-ctl dns load (dns_xdp)"; return; }
	measure dns_xdp santa santa --proto dns --server 192.0.2.1 --port 53 --requests "$run/q.one" --window 64
	S -s 'udp 192.0.2.1:53' rule flush
	if ! ip -n srv link set dev veth-srv xdp obj "$run/xdp_dns.o" sec xdp ||
		! ip -n cli link set dev veth-cli xdp obj "$run/xdp_dns.o" sec xdp_pass; then
		err "dns_xdp: cannot attach the XDP programs"
		ip -n srv link set dev veth-srv xdp off
		return
	fi
	got=$(dns_ask "$name")
	[ "$got" = "$want" ] || err "dns_xdp: the XDP program's answer differs from nsd's: $got, nsd: $want"
	u0=$(udp_in)
	napi_on_cpu0 dns_xdp
	measure dns_xdp prog xdp --proto dns --server 192.0.2.1 --port 53 --requests "$run/q.one" --window 64
	[ $(($(udp_in) - u0)) -lt 100 ] || err "dns_xdp: $(($(udp_in) - u0)) queries reached nsd's socket"
	ip netns exec srv sh -c 'echo 0 > /sys/class/net/veth-srv/threaded' 2>/dev/null
	ip -n srv link set dev veth-srv xdp off
	ip -n cli link set dev veth-cli xdp off
}

# dns_ask NAME: the answer to one query for NAME (mkreq.py's, id 0x5a17),
# in hex
dns_ask() {
	ip netns exec cli python3 - "$top/selftests/bench" "$1" <<'PY'
import socket, sys
sys.path.insert(0, sys.argv[1])
from mkreq import dns_query
q = b"\x5a\x17" + dns_query(sys.argv[2])[2:]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(q, ("192.0.2.1", 53))
print(s.recv(4096).hex())
PY
}

# ---- DNS: BIND 9, the paper's server ------------------------------------------
# One worker thread (-n 1) pinned to vCPU0 like nsd; minimal-responses is
# what BIND does for RD=1 queries anyway (set here for RD=0 too), and
# `dns load --minimal` compiles exactly its answers (host test
# RealServer.BindAnswersEqualTheMinimalRules; checked here once more).
dns_bind() {
	local want
	mkdir -p "$run/bind"
	cp "$run/example.zone" "$run/bind/"
	cat >"$run/bind/named.conf" <<CONF
options {
	directory "$run/bind";
	listen-on port 53 { 192.0.2.1; };
	listen-on-v6 { none; };
	pid-file none;
	session-keyfile none;
	recursion no;
	dnssec-validation no;
	notify no;
	minimal-responses yes;
};
controls { };
zone "example.com" { type primary; file "$run/bind/example.zone"; };
CONF
	if ! command -v named >/dev/null; then
		err "named (bind9) not installed"
		return
	fi
	ip netns exec srv taskset -c 0 named -g -n 1 -4 -c "$run/bind/named.conf" >"$run/named.out" 2>&1 &
	bind_pid=$!
	pids+=("$bind_pid")
	if ! wait_sock udp 192.0.2.1:53 || ! want=$(dns_ask h0000007.example.com); then
		err "named did not start: $(tail -n 5 "$run/named.out")"
		return
	fi
	dns_alone dns_bind named dns-bind-alone
	if [ "$kernel" != nosanta ]; then
		dns_offload_minimal named "$want" || return
		dns_hits dns_bind
		S -s 'udp 192.0.2.1:53' rule flush
	fi
	kill "$bind_pid"
	wait "$bind_pid" 2>/dev/null
}

# ---- DNS: Knot DNS over UDP, offloaded, and in its XDP mode ---------------------
# The peer a user would pick instead of Santa: knotd answering from AF_XDP
# sockets, its XDP program on veth-srv taking every UDP query to port 53
# before the stack (so Santa never sees one). veth runs that program in the
# NAPI poll of the sending CPU (the client's); threaded NAPI, its thread
# pinned to vCPU0, puts it on the server's CPU like the others' receive
# path. One UDP worker (one XDP worker: veth has one queue), pinned to vCPU0.
# knot_conf XDP(0|1): knotd's configuration in $run/knot
knot_conf() {
	cat >"$run/knot/knot.conf" <<CONF
server:
    listen: 192.0.2.1@53
    rundir: $run/knot
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: $run/knot
template:
  - id: default
    storage: $run/knot
zone:
  - domain: example.com
    file: example.zone
log:
  - target: $run/knot/knot.log
    any: info
CONF
	[ "$1" = 1 ] && printf 'xdp:\n    listen: veth-srv@53\n    udp: on\n' >>"$run/knot/knot.conf"
}

# knot_start XDP(0|1): knotd running and answering h0000007 (its answer in $want)
knot_start() {
	local i
	knot_conf "$1"
	ip netns exec srv sh -c "ulimit -l unlimited; exec taskset -c 0 knotd -c $run/knot/knot.conf" \
		>"$run/knot.out" 2>&1 &
	knot_pid=$!
	pids+=("$knot_pid")
	for i in $(seq 50); do
		if [ "$1" = 0 ] || ip -n srv link show veth-srv | grep -q xdp; then
			want=$(dns_ask h0000007.example.com 2>/dev/null) && return 0
		fi
		sleep 0.2
	done
	err "knotd (xdp=$1) did not start: $(tail -n 5 "$run/knot.out" "$run/knot/knot.log")"
	return 1
}

knot_stop() {
	kill "$knot_pid" 2>/dev/null
	wait "$knot_pid" 2>/dev/null
}

dns_knot() {
	local udp_want u0
	if ! command -v knotd >/dev/null; then
		err "knotd (knot) not installed"
		return
	fi
	mkdir -p "$run/knot"
	cp "$run/example.zone" "$run/knot/"
	knot_start 0 || return
	udp_want=$want
	dns_alone dns_knot knot dns-knot-alone
	# Santa answering for knotd: its answers are BIND's minimal ones (host
	# test RealServer.KnotAnswersEqualTheMinimalRules; checked here again)
	dns_offload_minimal knotd "$udp_want" || { knot_stop; return; }
	$MK dns "$run/hot" >"$run/q.hot"
	measure dns_knot hit100 santa --proto dns --server 192.0.2.1 --port 53 --requests "$run/q.hot" --window 64
	S -s 'udp 192.0.2.1:53' rule flush
	knot_stop

	knot_start 1 || return
	if [ "$want" != "$udp_want" ]; then
		err "knotd's XDP answer differs from its UDP one: $want, UDP: $udp_want"
	fi
	# "xdp": veth's own (native) XDP; "xdpgeneric": the stack's
	echo "# knotd xdp: $(ip -n srv link show veth-srv | grep -o -m 1 'xdp[a-z]*' | head -n 1) on veth-srv"
	u0=$(udp_in)
	napi_on_cpu0 "knotd xdp"
	dns_alone dns_knot knot dns-knot-xdp xdp
	# every query went to the AF_XDP socket, none up the UDP stack
	[ $(($(udp_in) - u0)) -lt 100 ] || err "knotd xdp: $(($(udp_in) - u0)) queries reached its UDP socket"
	ip netns exec srv sh -c 'echo 0 > /sys/class/net/veth-srv/threaded' 2>/dev/null
	knot_stop
	# knotd leaves its XDP program attached when it stops: the next
	# sections must not run through it
	ip -n srv link set veth-srv xdp off
	if ip -n srv link show veth-srv | grep -q xdp; then
		err "knotd's XDP program is still on veth-srv"
	fi
}

# dnsperf VARIANT [SECTION]: Debian's DNS load generator, as a cross-check
# A server slower than dnsperf (BIND here) drops some of its 200
# outstanding queries when its socket buffer fills: up to 1 % lost is load,
# not an error.
dnsperf_run() {
	local res qps lost
	res=$(ip netns exec cli taskset -c 1 dnsperf -s 192.0.2.1 -d "$run/dnsperf.all" -l "$dur" -c 4 -q 200 2>&1)
	qps=$(echo "$res" | awk '/Queries per second/ { printf "%.0f", $4 }')
	lost=$(echo "$res" | sed -n 's/.*Queries lost: *[0-9]* (\([0-9.]*\)%).*/\1/p')
	if [ -z "$qps" ] || [ -z "$lost" ] || [ "$(echo "$lost > 1" | bc)" = 1 ]; then
		err "dnsperf $1: $(echo "$res" | grep -E 'lost|completed' | tr '\n' ' ')"
	elif [ "$lost" != "0.00" ]; then
		echo "# dnsperf ${2:-dns} $1: $lost % of the queries lost"
	fi
	echo "${2:-dns} dnsperf $1 ${qps:-0} - - - - - -" | tee -a "$out"
}

# ---- memcached over UDP and TCP ---------------------------------------------------
memcached_bench() {
	local i keys=()
	ip netns exec srv taskset -c 0 memcached -u root -l 192.0.2.1 -p 11211 -U 11211 -t 1 &
	pids+=($!)
	wait_sock tcp 192.0.2.1:11211 || { err "memcached did not start"; return; }
	for i in $(seq 0 999); do keys+=("key-$(printf %04d "$i")"); done
	# 64-byte values; the 100, then 300 most popular keys, then all are offloaded
	ip netns exec cli python3 - "${keys[@]}" >"$run/items" <<'PY'
import socket, sys
s = socket.create_connection(("192.0.2.1", 11211))
for k in sys.argv[1:]:
    v = (k * 8)[:64]
    s.sendall(b"set %s 0 0 64\r\n%s\r\n" % (k.encode(), v.encode()))
    assert s.recv(64) == b"STORED\r\n"
    print(k, 0, v)
PY
	[ -s "$run/items" ] || { err "memcached set"; return; }
	head -n 100 "$run/items" >"$run/items.hot"
	$MK memcached-udp "${keys[@]}" >"$run/mu"
	$MK memcached-tcp "${keys[@]}" >"$run/mt"
	# Zipf (s = 0.99) over 1000 keys, as in Facebook's ETC workload
	measure memcached udp alone --proto memcached-udp --server 192.0.2.1 --port 11211 --requests "$run/mu" --zipf 0.99 --window 64
	measure memcached tcp alone --proto memcached-tcp --server 192.0.2.1 --port 11211 --requests "$run/mt" --zipf 0.99 --conns 16
	[ "$kernel" = nosanta ] && return
	S -s 'udp 192.0.2.1:11211' memcached load --file "$run/items.hot" || err "santa-ctl memcached load udp"
	S -s 'tcp 192.0.2.1:11211' memcached load --file "$run/items.hot" || err "santa-ctl memcached load tcp"
	measure memcached udp hot100 --proto memcached-udp --server 192.0.2.1 --port 11211 --requests "$run/mu" --zipf 0.99 --window 64
	measure memcached tcp hot100 --proto memcached-tcp --server 192.0.2.1 --port 11211 --requests "$run/mt" --zipf 0.99 --conns 16
	# the 300 most popular: 83 % of the requests (the paper: 82 % hits, 1.7x)
	S -s 'udp 192.0.2.1:11211' memcached load --first-id 101 --file <(sed -n 101,300p "$run/items") || err "santa-ctl memcached load udp (hot300)"
	S -s 'tcp 192.0.2.1:11211' memcached load --first-id 101 --file <(sed -n 101,300p "$run/items") || err "santa-ctl memcached load tcp (hot300)"
	measure memcached udp hot300 --proto memcached-udp --server 192.0.2.1 --port 11211 --requests "$run/mu" --zipf 0.99 --window 64
	measure memcached tcp hot300 --proto memcached-tcp --server 192.0.2.1 --port 11211 --requests "$run/mt" --zipf 0.99 --conns 16
	S -s 'udp 192.0.2.1:11211' memcached load --first-id 301 --file <(tail -n 700 "$run/items") || err "santa-ctl memcached load udp (all)"
	S -s 'tcp 192.0.2.1:11211' memcached load --first-id 301 --file <(tail -n 700 "$run/items") || err "santa-ctl memcached load tcp (all)"
	profile memcached-udp-all
	measure memcached udp all --proto memcached-udp --server 192.0.2.1 --port 11211 --requests "$run/mu" --zipf 0.99 --window 64
	prof_wait
	measure memcached tcp all --proto memcached-tcp --server 192.0.2.1 --port 11211 --requests "$run/mt" --zipf 0.99 --conns 16
}

# ---- HTTP: nginx, sendfile, keep-alive ----------------------------------------------
http_bench() {
	local s id=1
	mkdir -p "$run/www" "$run/ngtmp"
	for s in 64 1024 16384; do
		head -c "$s" /dev/zero | tr '\0' 's' >"$run/www/f$s"
	done
	cat >"$run/nginx.conf" <<CONF
user root;
worker_processes 1;
worker_cpu_affinity 01;
pid $run/nginx.pid;
error_log $run/nginx.err;
events { worker_connections 256; }
http {
	default_type application/octet-stream;
	access_log off;
	client_body_temp_path $run/ngtmp/body;
	proxy_temp_path $run/ngtmp/proxy;
	fastcgi_temp_path $run/ngtmp/fastcgi;
	uwsgi_temp_path $run/ngtmp/uwsgi;
	scgi_temp_path $run/ngtmp/scgi;
	sendfile on;
	keepalive_timeout 65;
	keepalive_requests 1000000;
	server {
		listen 192.0.2.1:80;
		root $run/www;
	}
}
CONF
	ip netns exec srv taskset -c 0 nginx -e "$run/nginx.err" -c "$run/nginx.conf" ||
		{ err "nginx: $(cat "$run/nginx.err")"; return; }
	wait_sock tcp 192.0.2.1:80 || { err "nginx did not start"; return; }
	for s in 64 1024 16384; do
		$MK http 192.0.2.1 "/f$s" >"$run/h$s"
		measure http "$s" alone --proto http --server 192.0.2.1 --port 80 --requests "$run/h$s" --conns 16
		[ "$kernel" = nosanta ] && continue
		S -s 'tcp 192.0.2.1:80' http load --id "$id" --host 192.0.2.1 "$run/www/f$s" ||
			{ err "santa-ctl http load f$s"; continue; }
		measure http "$s" santa --proto http --server 192.0.2.1 --port 80 --requests "$run/h$s" --conns 16
		if [ "$xcheck" = 1 ] && command -v wrk >/dev/null; then
			wrk_run "$s" santa
			S -s 'tcp 192.0.2.1:80' rule del "$id"
			wrk_run "$s" alone
		fi
		id=$((id + 1))
	done
}

# wrk SIZE VARIANT: Debian's HTTP load generator, as a cross-check
wrk_run() {
	local rps
	rps=$(ip netns exec cli taskset -c 1 wrk -t1 -c16 -d"$dur" "http://192.0.2.1/f$1" 2>&1 |
		awk '/Requests\/sec/ { printf "%.0f", $2 } /Non-2xx/ { print "bad" }')
	case "$rps" in ''|*bad*) err "wrk f$1 $2: $rps" ;; esac
	echo "http wrk$1 $2 ${rps:-0} - - - - - -" | tee -a "$out"
}

# how fast vCPU0 runs plain user code in this boot: the host is shared, and
# boots (kernels) are compared through this figure
calib() {
	local c
	c=$(vcpu_speed 2)
	echo "calib cpu0 $1 ${c:-0} - - - - - -" | tee -a "$out"
}
calib start
only=${SANTA_BENCH_ONLY:-dns memcached http}
for sec in $only; do
	case "$sec" in
	dns) dns ;;
	memcached) memcached_bench ;;
	http) http_bench ;;
	*) err "unknown section $sec" ;;
	esac
done
calib end
echo "# bench done, $errors errors"
[ "$errors" -eq 0 ]
