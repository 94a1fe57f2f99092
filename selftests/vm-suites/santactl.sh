#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of the santa-ctl integration suite (scripts/test-santactl.sh
# --vm, or scripts/run-vm.sh --suite santactl). santa-ctl attaches to real,
# unmodified Debian servers (nsd, memcached, nginx) in one network
# namespace; real clients in another (veth, 192.0.2.0/24, 2001:db8::/64)
# must get byte-identical answers from the kernel, and the servers' own
# counters must show they did not see the offloaded requests.
# Prints one line per check: PASS name / FAIL name: why / SKIP name: why.
set -u
top=${SANTA_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=selftests/vm-lib.sh
. "$top/selftests/vm-lib.sh"
SC=${SANTA_CTL:-$top/build/santa-ctl/santa-ctl}
client=$top/selftests/santactl/client.py
patterns=$top/selftests/santactl/tcp_patterns.py
zone=$top/selftests/santactl/example.zone
run=$(mktemp -d /run/santactl.XXXXXX 2>/dev/null || mktemp -d /tmp/santactl.XXXXXX)
pids=()

pass() { echo "PASS santactl_$1"; }
fail() { echo "FAIL santactl_$1${2:+: $2}"; }
skip() { echo "SKIP santactl_$1: $2"; }
check() { # name, then a command: PASS if it succeeds
	local n=$1
	shift
	if "$@" >"$run/check.out" 2>&1; then pass "$n"; else fail "$n" "$(tail -n 3 "$run/check.out" | tr '\n' ' ')"; fi
}
# a counter read from a tool that did not run is empty, and two empty
# counts compare equal: every count compared must be a number
isnum() { case "$1" in ''|*[!0-9]*) return 1 ;; esac; }
same_count() { # NAME TOOL BEFORE AFTER: PASS if both are counts and equal
	if ! isnum "$3" || ! isnum "$4"; then
		fail "$1" "no count from $2 ('$3', '$4')"
	elif [ "$3" = "$4" ]; then
		pass "$1"
	else
		fail "$1" "$2 counted $(($4 - $3)) more"
	fi
}
# memcached's "get_hits=N cmd_get=M" (client.py mc-stats)
mcnum() { [[ "$1" =~ ^get_hits=[0-9]+\ cmd_get=[0-9]+$ ]]; }
# mc_tcp_saw_only_unanswered G1 G2 K1 K2 N: N gets were sent between the
# memcached stats G1 and G2 and the kernel counters K1 and K2 ($tcp_counters)
mc_tcp_saw_only_unanswered() {
	local n=mc_tcp_server_saw_no_get h1 m1 o1 s1 f1 h2 m2 o2 s2 f2 got
	if ! mcnum "$1" || ! mcnum "$2"; then
		fail $n "no memcached stats ('$1', '$2')"
		return
	fi
	read -r h1 m1 o1 s1 f1 <<<"$3"
	read -r h2 m2 o2 s2 f2 <<<"$4"
	got=$(( ${2##*=} - ${1##*=} ))
	echo "# memcached TCP gets: $5 sent, memcached saw $got; kernel: $(tcp_delta "$3" "$4")"
	if [ $((h2 - h1 + got)) -ne "$5" ]; then
		fail $n "kernel answered $((h2 - h1)) and memcached saw $got of $5 gets"
	elif [ $((o2 - o1 + f2 - f1)) -ne 0 ] || [ "$got" -gt $((s2 - s1)) ]; then
		# (misses are memccat's "quit", which is no get)
		fail $n "memcached saw $got gets not all before accept: $(tcp_delta "$3" "$4")"
	elif [ $((h2 - h1)) -lt $(($5 - 1)) ]; then
		# client.py waits for the accept (SETTLE): its gets are the kernel's
		fail $n "kernel answered only $((h2 - h1)) of $5 gets"
	else
		pass $n
	fi
}
# checks NAME COMMAND...: a command that prints "PASS santactl_..." and
# "FAIL santactl_..." lines (tcp_patterns.py compare, model-client); one
# that fails without a FAIL line, or prints no check, is a FAIL of NAME
checks() {
	local n=$1 rc
	shift
	"$@" >"$run/checks.out" 2>&1
	rc=$?
	cat "$run/checks.out"
	if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$run/checks.out"; then
		fail "$n" "exited with status $rc: $(tail -n 3 "$run/checks.out" | tr '\n' ' ')"
	elif ! grep -qE '^(PASS|FAIL) ' "$run/checks.out"; then
		fail "$n" "no check ran (status $rc): $(tail -n 3 "$run/checks.out" | tr '\n' ' ')"
	fi
}
S() { ip netns exec srv "$SC" "$@"; }
C() { ip netns exec cli python3 "$client" "$@"; }
P() { ip netns exec cli timeout 150 python3 "$patterns" "$@"; }
stat_of() { # PROTO ADDR:PORT COUNTER...: the socket's counters, space-separated
	local sk=$1
	shift
	S -j -s "$sk" stats | python3 -c 'import json,sys; s=json.load(sys.stdin)[0]["stats"]; print(" ".join(str(s.get(k, 0)) for k in sys.argv[1:]))' "$@"
}
# counters that say why the kernel left TCP requests to the server
tcp_counters="hits misses fail_order skipped fail_nomem"
tcp_delta() { # "before" "after": named differences
	python3 -c 'import sys; n=sys.argv[1].split(); a=sys.argv[2].split(); b=sys.argv[3].split(); print(" ".join("%s +%d" % (k, int(y) - int(x)) for k, x, y in zip(n, a, b)))' "$tcp_counters" "$1" "$2"
}
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	[ -f "$run/nginx/nginx.pid" ] && kill "$(cat "$run/nginx/nginx.pid")" 2>/dev/null
	sleep 0.2
	vm_netns_del
	rm -rf "$run"
}
trap cleanup EXIT
wait_sock() { # PROTO ADDR:PORT: until santa-ctl finds the socket (10 s)
	for _ in $(seq 100); do
		S -q -s "$1 $2" socket >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
# TCP offload needs the kernel's TCP patch: ENOPROTOOPT (or EOPNOTSUPP)
# from SOL_SANTA on a TCP socket means it is not there
# (a kernel that has TCP offload but refuses SANTA_TCP_FRAMING fails instead:
# santa-ctl's http and memcached helpers need the framing)
no_tcp_offload() { grep -q "no Santa offload for TCP" "$1"; }

[ -x "$SC" ] || { fail build "no santa-ctl at $SC (run scripts/test-santactl.sh)"; exit 1; }
echo "# $(uname -r), santa-ctl $SC"

vm_netns_add || { fail netns; exit 1; }

# ---- the tool on a plain UDP server (an echo that says "APP ...") -----------
ip netns exec srv python3 "$client" hold 192.0.2.1 7007 "$run/app.count" &
pids+=($!)
wait_sock udp 192.0.2.1:7007 || fail echo_server "did not start"
check help "$SC" --help
check help_object "$SC" rule help
check rule_add S -s 'udp 192.0.2.1:7007' rule add 1 match 0 'PING ' put 0 'PONG ' copy 5 5 4
out=$(C ping 192.0.2.1 7007 'PING abcd' 2>&1)
[ "$out" = "PONG abcd" ] && [ ! -e "$run/app.count" ] && pass rule_answers_from_kernel || fail rule_answers_from_kernel "got '$out'"
hits=$(S -j -s 'udp 192.0.2.1:7007' rule list | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[0]["rules"][0]["hits"], len(d[0]["rules"]))')
[ "$hits" = "1 1" ] && pass rule_list_hits || fail rule_list_hits "hits/rules '$hits'"
check rule_replace S -s 'udp 192.0.2.1:7007' rule replace 1 match 0 'PING ' put 0 'PANG ' copy 5 5 4
out=$(C ping 192.0.2.1 7007 'PING efgh' 2>&1)
[ "$out" = "PANG efgh" ] && pass rule_replace_answers || fail rule_replace_answers "got '$out'"
S -s 'udp 192.0.2.1:7007' rule add 1 match 0 'PING ' put 0 'X' >"$run/err" 2>&1
[ $? -eq 1 ] && grep -q "File exists" "$run/err" && pass rule_add_eexist || fail rule_add_eexist "$(cat "$run/err")"
check rule_del S -s 'udp 192.0.2.1:7007' rule del 1
out=$(C ping 192.0.2.1 7007 'PING ijkl' 2>&1)
[ "$out" = "APP PING ijkl" ] && pass rule_del_reaches_app || fail rule_del_reaches_app "got '$out'"
check limits_set S -s 'udp 192.0.2.1:7007' limits set max_ratio 4 rate 1000 burst 10
lim=$(S -j -s 'udp 192.0.2.1:7007' limits | python3 -c 'import json,sys; d=json.load(sys.stdin)[0]; print(d["max_ratio"], d["rate"], d["burst"])')
[ "$lim" = "4 1000 10" ] && pass limits_show || fail limits_show "got '$lim'"
S -s 'udp 192.0.2.1:7007' limits set max_ratio 0 rate 0 burst 0
n=$(S -j -s 'udp 192.0.2.1:7007' monitor --count 2 --interval 0.2 | wc -l)
[ "$n" = 2 ] && pass monitor_count || fail monitor_count "$n samples"
printf 'rule 1 match 0 "a" put 0 "b"\nrule 2 match 0 "c" put 0 x"0g"\n' >"$run/bad.rules"
S -s 'udp 192.0.2.1:7007' load "$run/bad.rules" >"$run/err" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "bad.rules:2:26: bad hex digit" "$run/err" && pass load_bad_input_position || fail load_bad_input_position "rc $rc: $(cat "$run/err")"
rules=$(S -j -s 'udp 192.0.2.1:7007' stats | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats"]["rules"])')
[ "$rules" = 0 ] && pass load_bad_input_installs_nothing || fail load_bad_input_installs_nothing "$rules rules"
setpriv --reuid nobody --regid nogroup --clear-groups "$SC" --pid "${pids[0]}" --fd 3 stats >"$run/err" 2>&1
[ $? -ne 0 ] && grep -q "ptrace" "$run/err" && pass eperm_explained || fail eperm_explained "$(cat "$run/err")"

# ---- 1,000,000 rules from a file ------------------------------------------
ip netns exec srv python3 "$client" hold 127.0.0.1 7100 "$run/big.count" &
pids+=($!)
wait_sock udp 127.0.0.1:7100
awk 'BEGIN { for (i = 1; i <= 1000000; i++) printf "rule %d exact match 0 \"key-%07d\" put 0 \"value %d\"\n", i, i, i }' >"$run/1m.rules"
t0=$(date +%s.%N)
S -s 'udp 127.0.0.1:7100' load "$run/1m.rules" >"$run/load.out" 2>&1
rc=$?
t1=$(date +%s.%N)
secs=$(echo "$t1 - $t0" | bc)
echo "# 1M rules: $(tr '\n' ' ' <"$run/load.out")(wall ${secs} s)"
n=$(S -j -s 'udp 127.0.0.1:7100' stats | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats"]["rules"])')
if [ $rc -eq 0 ] && [ "$n" = 1000000 ] && [ "$(echo "$secs < 60" | bc)" = 1 ]; then
	pass load_1m_rules_under_60s
else
	fail load_1m_rules_under_60s "rc $rc, $n rules, $secs s"
fi
out=$(ip netns exec srv python3 "$client" ping 127.0.0.1 7100 'key-0765432' 2>&1)
[ "$out" = "value 765432" ] && pass load_1m_rule_answers || fail load_1m_rule_answers "got '$out'"
check rule_flush_1m S -s 'udp 127.0.0.1:7100' rule flush
rm -f "$run/1m.rules"

# ---- DNS: nsd ----------------------------------------------------------------
if ! command -v nsd >/dev/null; then
	skip dns "nsd not installed"
else
	mkdir -p "$run/nsd"
	cp "$zone" "$run/nsd/example.zone"
	vm_nsd_conf "$run/nsd" 192.0.2.1 2001:db8::1
	ip netns exec srv nsd -d -c "$run/nsd/nsd.conf" &
	pids+=($!)
	nsdq() { ip netns exec srv nsd-control -c "$run/nsd/nsd.conf" stats_noreset | sed -n 's/^num.queries=//p'; }
	if wait_sock udp 192.0.2.1:53 && wait_sock udp '[2001:db8::1]:53'; then pass dns_nsd_started; else fail dns_nsd_started "$(cat "$run/nsd/nsd.log")"; fi
	queries="www:A www:AAAA txt:TXT alias:A chain:A ext:A v6only:AAAA @:A ns1:A ns1:AAAA alias:CNAME"
	qname() { [ "$1" = @ ] && echo example.com || echo "$1.example.com"; }
	# what nsd itself answers, before any rule
	for q in $queries; do
		n=${q%%:*} t=${q##*:}
		C dns 192.0.2.1 53 "$(qname "$n")" "$t" >"$run/before.$n.$t"
		C dns 192.0.2.1 53 "$(qname "$n")" "$t" --flags3 0x20 --flags2 0 >"$run/before-ad.$n.$t"
		C dns 2001:db8::1 53 "$(qname "$n")" "$t" >"$run/before6.$n.$t"
	done
	dig_q() { ip netns exec cli dig +noedns +nocookie +tries=1 +time=2 "@$1" "$2" "$3" | grep -vE '^;; (Query time|WHEN|SERVER|MSG SIZE)|^;; ->>HEADER|^; <<>>|^$'; }
	dig_q 192.0.2.1 www.example.com A >"$run/dig.before"
	dig_q 192.0.2.1 chain.example.com A >"$run/dig2.before"
	kdig_q() { ip netns exec cli kdig +noedns +retry=0 +time=2 "@$1" "$2" "$3" | grep -vE '^;; (Received|Time|From|;; ->>HEADER)|^;; ->>HEADER|^$'; }
	kdig_q 192.0.2.1 txt.example.com TXT >"$run/kdig.before"
	C dns 192.0.2.1 53 www.example.com A --edns >"$run/edns.before"
	# dig +nocookie: EDNS(0) with UDP size 1232 and no option
	digc_q() { ip netns exec cli dig +nocookie +tries=1 +time=2 "@$1" "$2" "$3" | grep -vE '^;; (Query time|WHEN|SERVER|MSG SIZE)|^;; ->>HEADER|^; <<>>|^$'; }
	digc_q 192.0.2.1 alias.example.com A >"$run/digc.before"
	q0=$(nsdq)
	check dns_load S -s 'udp 192.0.2.1:53' dns load "$zone"
	check dns_load_ipv6 S -s 'udp [2001:db8::1]:53' dns load "$zone"
	q1=$(nsdq)
	h0=$(S -j -s 'udp 192.0.2.1:53' stats | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats"]["hits"])')
	nq=0
	for q in $queries; do
		n=${q%%:*} t=${q##*:}
		C dns 192.0.2.1 53 "$(qname "$n")" "$t" --count 3 >"$run/after.$n.$t" 2>&1
		C dns 192.0.2.1 53 "$(qname "$n")" "$t" --count 2 --flags3 0x20 --flags2 0 >"$run/after-ad.$n.$t" 2>&1
		C dns 2001:db8::1 53 "$(qname "$n")" "$t" --count 2 >"$run/after6.$n.$t" 2>&1
		nq=$((nq + 7))
		if cmp -s "$run/before.$n.$t" "$run/after.$n.$t" && cmp -s "$run/before-ad.$n.$t" "$run/after-ad.$n.$t" &&
			cmp -s "$run/before6.$n.$t" "$run/after6.$n.$t" && [ -s "$run/after.$n.$t" ]; then
			pass "dns_identical_${n/@/apex}_$t"
		else
			fail "dns_identical_${n/@/apex}_$t" "nsd $(cat "$run/before.$n.$t") kernel $(cat "$run/after.$n.$t")"
		fi
	done
	dig_q 192.0.2.1 www.example.com A >"$run/dig.after"
	dig_q 192.0.2.1 chain.example.com A >"$run/dig2.after"
	kdig_q 192.0.2.1 txt.example.com TXT >"$run/kdig.after"
	nq=$((nq + 3))
	cmp -s "$run/dig.before" "$run/dig.after" && grep -q "192.0.2.11" "$run/dig.after" && pass dns_dig_identical || fail dns_dig_identical "$(diff "$run/dig.before" "$run/dig.after" | head -5)"
	cmp -s "$run/dig2.before" "$run/dig2.after" && grep -q "192.0.2.10" "$run/dig2.after" && pass dns_dig_cname_chain_identical || fail dns_dig_cname_chain_identical "$(diff "$run/dig2.before" "$run/dig2.after" | head -5)"
	cmp -s "$run/kdig.before" "$run/kdig.after" && grep -q "hello world" "$run/kdig.after" && pass dns_kdig_identical || fail dns_kdig_identical "$(diff "$run/kdig.before" "$run/kdig.after" | head -5)"
	q2=$(nsdq)
	h1=$(S -j -s 'udp 192.0.2.1:53' stats | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats"]["hits"])')
	h6=$(S -j -s 'udp [2001:db8::1]:53' stats | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats"]["hits"])')
	echo "# nsd num.queries: $q0 before the rules, $q1 after loading, $q2 after $nq offloaded queries; kernel hits v4 $((h1 - h0)) v6 $h6"
	same_count dns_nsd_saw_no_offloaded_query nsd-control "$q1" "$q2"
	[ $((h1 - h0 + h6)) -eq "$nq" ] && pass dns_kernel_hits || fail dns_kernel_hits "$((h1 - h0 + h6)) hits for $nq queries"
	# the counters without ptrace access: sock_diag, as nobody
	ip netns exec srv setpriv --reuid nobody --regid nogroup --clear-groups "$SC" -j -s 'udp 192.0.2.1:53' diag >"$run/diag" 2>&1
	dh=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[0]["stats"]["hits"], len(d))' "$run/diag" 2>&1)
	if [ "$dh" = "$((h1)) 1" ]; then
		pass diag_unprivileged_counters
	elif grep -q "sock_diag dump of udp sockets: No such file or directory" "$run/diag"; then
		skip diag_unprivileged_counters "kernel without UDP sock_diag (CONFIG_INET_UDP_DIAG)"
	elif grep -q '^\[\]$' "$run/diag"; then
		# listed without Santa state: a kernel before INET_DIAG_SANTA
		if S -j -s 'udp 192.0.2.1:53' diag --all | grep -q '"santa":false'; then
			skip diag_unprivileged_counters "kernel has no INET_DIAG_SANTA (sock_diag patch)"
		else
			fail diag_unprivileged_counters "socket not listed by sock_diag"
		fi
	else
		fail diag_unprivileged_counters "got '$dh' (santa-ctl stats: $h1): $(head -c 300 "$run/diag")"
	fi
	# EDNS(0) and 0x20 queries are not offloaded: nsd answers them
	C dns 192.0.2.1 53 www.example.com A --edns >"$run/edns" 2>&1
	C dns 192.0.2.1 53 WwW.ExAmple.com A >"$run/mixed" 2>&1
	q3=$(nsdq)
	[ $((q3 - q2)) -eq 2 ] && grep -q "03577757" "$run/mixed" && pass dns_edns_and_0x20_reach_nsd || fail dns_edns_and_0x20_reach_nsd "nsd saw $((q3 - q2)) of 2"
	ip netns exec cli dig +tries=1 +time=2 @192.0.2.1 www.example.com A >"$run/dig.edns" 2>&1
	grep -q "status: NOERROR" "$run/dig.edns" && grep -q "192.0.2.10" "$run/dig.edns" && pass dns_dig_default_edns_answered || fail dns_dig_default_edns_answered
	# with --edns 1232, plain EDNS(0) queries (no cookie) are offloaded too
	check dns_load_edns S -q -s 'udp 192.0.2.1:53' dns load --flush --edns 1232 "$zone"
	q4=$(nsdq)
	C dns 192.0.2.1 53 www.example.com A --edns --count 3 >"$run/edns.after" 2>&1
	digc_q 192.0.2.1 alias.example.com A >"$run/digc.after"
	q5=$(nsdq)
	cmp -s "$run/edns.before" "$run/edns.after" && [ -s "$run/edns.after" ] && pass dns_edns_identical || fail dns_edns_identical "nsd $(cat "$run/edns.before") kernel $(cat "$run/edns.after")"
	cmp -s "$run/digc.before" "$run/digc.after" && grep -q "udp: 1232" "$run/digc.after" && pass dns_dig_nocookie_edns_identical || fail dns_dig_nocookie_edns_identical "$(diff "$run/digc.before" "$run/digc.after" | head -5)"
	same_count dns_edns_nsd_saw_no_query nsd-control "$q4" "$q5"
fi

# ---- memcached -----------------------------------------------------------------
if ! command -v memcached >/dev/null; then
	skip memcached "memcached not installed"
else
	ip netns exec srv memcached -u root -l 192.0.2.1 -p 11211 -U 11211 -t 1 &
	pids+=($!)
	wait_sock tcp 192.0.2.1:11211 && wait_sock udp 192.0.2.1:11211 && pass mc_started || fail mc_started
	check mc_set C mc-set 192.0.2.1 11211 hot 42 "hello from memcached"
	check mc_set_hot2 C mc-set 192.0.2.1 11211 hot2 0 "second hot value"
	C mc-udp 192.0.2.1 11211 hot >"$run/mc.udp.before"
	C mc-tcp 192.0.2.1 11211 hot >"$run/mc.tcp.before"
	ip netns exec cli memccat --servers=192.0.2.1:11211 hot >"$run/memccat.before" 2>&1
	# the TCP patterns against memcached alone: what every answer must be
	P mc 192.0.2.1 11211 "$run/mcpat.before" >"$run/mcpat.before.out" 2>&1 || echo "# mc patterns without rules: $(tail -n 2 "$run/mcpat.before.out")"
	g0=$(C mc-stats 192.0.2.1 11211 get_hits cmd_get)
	check mc_udp_load S -s 'udp 192.0.2.1:11211' memcached load hot 42 "hello from memcached"
	C mc-udp 192.0.2.1 11211 hot --count 5 >"$run/mc.udp.after" 2>&1
	g1=$(C mc-stats 192.0.2.1 11211 get_hits cmd_get)
	echo "# memcached before: $g0; after 5 offloaded UDP gets: $g1"
	cmp -s "$run/mc.udp.before" "$run/mc.udp.after" && [ -s "$run/mc.udp.after" ] && pass mc_udp_identical || fail mc_udp_identical "server $(cat "$run/mc.udp.before") kernel $(cat "$run/mc.udp.after")"
	mcnum "$g0" && mcnum "$g1" && [ "$g0" = "$g1" ] && pass mc_udp_server_saw_no_get || fail mc_udp_server_saw_no_get "'$g0' -> '$g1'"
	S -s 'tcp 192.0.2.1:11211' memcached load hot 42 "hello from memcached" hot2 0 "second hot value" >"$run/mc.tcp.err" 2>&1
	rc=$?
	if [ $rc -ne 0 ] && no_tcp_offload "$run/mc.tcp.err"; then
		for t in mc_tcp_load mc_tcp_identical mc_tcp_memccat_identical mc_tcp_server_saw_no_get mc_tcp_framing mc_tcp_patterns; do
			skip $t "kernel has no TCP offload (ENOPROTOOPT)"
		done
	else
		[ $rc -eq 0 ] && pass mc_tcp_load || fail mc_tcp_load "$(cat "$run/mc.tcp.err")"
		k1=$(stat_of 'tcp 192.0.2.1:11211' $tcp_counters)
		C mc-tcp 192.0.2.1 11211 hot --count 3 >"$run/mc.tcp.after" 2>&1
		ip netns exec cli memccat --servers=192.0.2.1:11211 hot >"$run/memccat.after" 2>&1
		k2=$(stat_of 'tcp 192.0.2.1:11211' $tcp_counters)
		g2=$(C mc-stats 192.0.2.1 11211 get_hits cmd_get)
		cmp -s "$run/mc.tcp.before" "$run/mc.tcp.after" && [ -s "$run/mc.tcp.after" ] && pass mc_tcp_identical || fail mc_tcp_identical "server $(cat "$run/mc.tcp.before") kernel $(cat "$run/mc.tcp.after")"
		# (a memccat that did not run fails the same way twice: the value must be there)
		cmp -s "$run/memccat.before" "$run/memccat.after" && grep -q "hello from memcached" "$run/memccat.after" &&
			pass mc_tcp_memccat_identical || fail mc_tcp_memccat_identical "$(head -c 200 "$run/memccat.after")"
		# the stats command itself is one more get-free request. Four gets
		# were sent (3 from client.py, which waits for the accept, and one
		# from memccat, which does not): memcached sees exactly those the
		# kernel did not answer, and the only reason allowed is memccat's
		# get coming before memcached accepted the connection (skipped: no
		# reply before accept(), santa.rst). An order failure on these
		# fresh connections is a FAIL.
		mc_tcp_saw_only_unanswered "$g1" "$g2" "$k1" "$k2" 4
		# memcached load set the "\r\n" terminator on the listener
		fr=$(S -j -s 'tcp 192.0.2.1:11211' framing show 2>&1 | python3 -c 'import json,sys; d=json.load(sys.stdin)[0]; print(d["term_hex"], d["eor"], d["write_answers"])' 2>&1)
		[ "$fr" = "0d0a False True" ] && pass mc_tcp_framing || fail mc_tcp_framing "framing show: $fr"
		S -s 'udp 192.0.2.1:11211' framing show >"$run/err" 2>&1
		[ $? -eq 1 ] && grep -q "only TCP sockets have a framing" "$run/err" && pass framing_udp_refused || fail framing_udp_refused "$(cat "$run/err")"
		# the hostile and real patterns, byte for byte against memcached's own answers
		m0=$(stat_of 'tcp 192.0.2.1:11211' $tcp_counters)
		P mc 192.0.2.1 11211 "$run/mcpat.after" >"$run/mcpat.after.out" 2>&1 || echo "# mc patterns with rules: $(tail -n 2 "$run/mcpat.after.out")"
		m1=$(stat_of 'tcp 192.0.2.1:11211' $tcp_counters)
		checks mc_tcp_patterns_compare python3 "$patterns" compare "$run/mcpat.before" "$run/mcpat.after"
		echo "# memcached TCP patterns ($(cat "$run/mcpat.after/requests" 2>/dev/null) requests): $(tcp_delta "$m0" "$m1")"
		[ "${m1%% *}" -gt "${m0%% *}" ] && pass mc_tcp_patterns_kernel_answered || fail mc_tcp_patterns_kernel_answered "no kernel hits: $(tcp_delta "$m0" "$m1")"
		# KNOWN LIMITATION (issue 18, not fixed here): the rule holds the bytes
		# of the value it was compiled from; after a client's `set`, the
		# kernel still answers the old value. Reported, not asserted.
		st=$(ip netns exec cli timeout 20 python3 "$patterns" mc-stale 192.0.2.1 11211 hot "hello from memcached" "changed by a client" 2>&1)
		case "$st" in
		"old value"*) skip mc_tcp_get_after_set "known limitation, issue 18: the kernel answers the old value after set ($st)" ;;
		*) skip mc_tcp_get_after_set "known limitation, issue 18 (stale answers after set); this time: $st" ;;
		esac
	fi
fi

# ---- the TCP contract on a model server ---------------------------------------
# A server that does exactly what the contract asks of an event loop (read,
# answer, recv(MSG_DONTWAIT) -> EAGAIN): tells a kernel that breaks the
# contract apart from a real server that does not qualify.
ip netns exec srv python3 "$patterns" model-server 192.0.2.1 7300 --seconds 60 &
pids+=($!)
if wait_sock tcp 192.0.2.1:7300 && S -q -s 'tcp 192.0.2.1:7300' framing set --term '\r\n' >"$run/model.err" 2>&1 &&
	S -s 'tcp 192.0.2.1:7300' rule add 1 exact match 0 'get hot\r\n' put 0 'KERNEL hot\r\n' >>"$run/model.err" 2>&1; then
	mo0=$(stat_of 'tcp 192.0.2.1:7300' $tcp_counters)
	checks model_client ip netns exec cli timeout 30 python3 "$patterns" model-client 192.0.2.1 7300
	mo1=$(stat_of 'tcp 192.0.2.1:7300' $tcp_counters)
	echo "# model server: kernel $(tcp_delta "$mo0" "$mo1") (expected hits +5)"
else
	fail model_server "$(cat "$run/model.err")"
fi

# ---- HTTP: nginx ---------------------------------------------------------------
if ! command -v nginx >/dev/null; then
	skip http "nginx not installed"
else
	mkdir -p "$run/nginx/www" "$run/nginx/tmp"
	python3 -c 'import sys; sys.stdout.write("<html><body>" + "santa " * 2000 + "</body></html>\n")' >"$run/nginx/www/index.html"
	head -c 1048576 /dev/urandom >"$run/nginx/www/big.bin"
	echo "a small offloaded file" >"$run/nginx/www/hot.txt"
	echo "a file nginx serves itself" >"$run/nginx/www/cold.txt"
	cat >"$run/nginx/nginx.conf" <<CONF
user root;
worker_processes 1;
pid $run/nginx/nginx.pid;
error_log $run/nginx/error.log;
events { worker_connections 64; }
http {
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	access_log $run/nginx/access.log;
	client_body_temp_path $run/nginx/tmp/body;
	proxy_temp_path $run/nginx/tmp/proxy;
	fastcgi_temp_path $run/nginx/tmp/fastcgi;
	uwsgi_temp_path $run/nginx/tmp/uwsgi;
	scgi_temp_path $run/nginx/tmp/scgi;
	sendfile on;
	keepalive_timeout 65;
	server {
		listen 192.0.2.1:80;
		listen [2001:db8::1]:80;
		root $run/nginx/www;
	}
}
CONF
	ip netns exec srv nginx -e "$run/nginx/error.log" -c "$run/nginx/nginx.conf"
	wait_sock tcp 192.0.2.1:80 && pass http_nginx_started || fail http_nginx_started "$(cat "$run/nginx/error.log")"
	C http 192.0.2.1 80 /index.html 192.0.2.1 >"$run/http.before"
	ip netns exec cli curl -s -o "$run/curl.before" http://192.0.2.1/index.html
	C http 192.0.2.1 80 /big.bin 192.0.2.1 >"$run/big.before"
	# the TCP patterns against nginx alone: what every answer must be
	P http 192.0.2.1 80 192.0.2.1 "$run/pat.before" >"$run/pat.before.out" 2>&1 || echo "# http patterns without rules: $(tail -n 2 "$run/pat.before.out")"
	# (grep -c of a missing log prints nothing: checked below)
	a0=$(grep -c 'GET /index.html ' "$run/nginx/access.log")
	S -s 'tcp 192.0.2.1:80' http load --host 192.0.2.1 "$run/nginx/www/index.html" >"$run/http.err" 2>&1
	rc=$?
	if [ $rc -ne 0 ] && no_tcp_offload "$run/http.err"; then
		for t in http_load http_identical http_curl_identical http_1mb_identical http_nginx_saw_no_request http_framing http_patterns; do
			skip $t "kernel has no TCP offload (ENOPROTOOPT)"
		done
	else
		[ $rc -eq 0 ] && pass http_load || fail http_load "$(cat "$run/http.err")"
		C http 192.0.2.1 80 /index.html 192.0.2.1 --count 3 >"$run/http.after" 2>&1
		ip netns exec cli curl -s -o "$run/curl.after" http://192.0.2.1/index.html
		cmp -s "$run/http.before" "$run/http.after" && [ -s "$run/http.after" ] && pass http_identical || fail http_identical "responses differ (Date masked)"
		cmp -s "$run/curl.before" "$run/curl.after" && [ -s "$run/curl.after" ] && pass http_curl_identical || fail http_curl_identical
		if S -s 'tcp 192.0.2.1:80' http load --id 2 --host 192.0.2.1 "$run/nginx/www/big.bin" >"$run/big.err" 2>&1; then
			C http 192.0.2.1 80 /big.bin 192.0.2.1 >"$run/big.after" 2>&1
			cmp -s "$run/big.before" "$run/big.after" && [ -s "$run/big.after" ] && pass http_1mb_identical || fail http_1mb_identical
		else
			fail http_1mb_identical "$(cat "$run/big.err")"
		fi
		# index.html only: a 1 MiB reply does not fit nginx's default send
		# buffer, so big.bin goes to nginx (fail_nomem), byte-identical
		a1=$(grep -c 'GET /index.html ' "$run/nginx/access.log")
		# the requests made before the rules are in the log (a0 > 0): the
		# log counts requests, and none more after
		if ! isnum "$a0" || ! isnum "$a1" || [ "$a0" -eq 0 ]; then
			fail http_nginx_saw_no_request "nginx's access log does not count the requests ('$a0', '$a1' index.html lines)"
		elif [ "$a0" = "$a1" ]; then
			pass http_nginx_saw_no_request
		else
			fail http_nginx_saw_no_request "index.html in the access log: $a0 -> $a1 lines"
		fi
		# framing: http load set "\r\n\r\n"; the same again is fine, another is EBUSY
		fr=$(S -j -s 'tcp 192.0.2.1:80' framing show 2>&1 | python3 -c 'import json,sys; d=json.load(sys.stdin)[0]; print(d["term_hex"], d["term_len"], d["eor"], d["write_answers"])' 2>&1)
		[ "$fr" = "0d0a0d0a 4 False True" ] && pass http_framing || fail http_framing "framing show: $fr"
		check framing_set_same_with_rules S -s 'tcp 192.0.2.1:80' framing set --term '\r\n\r\n' --write-answers
		S -s 'tcp 192.0.2.1:80' framing set --term '\r\n' >"$run/err" 2>&1
		[ $? -eq 1 ] && grep -q "Device or resource busy" "$run/err" && pass framing_set_other_ebusy || fail framing_set_other_ebusy "$(cat "$run/err")"
		# the hostile and real patterns, byte for byte (Date masked) against nginx
		if S -q -s 'tcp 192.0.2.1:80' http load --id 3 --host 192.0.2.1 "$run/nginx/www/hot.txt" >"$run/hot.err" 2>&1; then
			pass http_load_hot
		else
			fail http_load_hot "$(cat "$run/hot.err")"
		fi
		h0=$(stat_of 'tcp 192.0.2.1:80' $tcp_counters)
		l0=$(wc -l <"$run/nginx/access.log")
		P http 192.0.2.1 80 192.0.2.1 "$run/pat.after" >"$run/pat.after.out" 2>&1 || echo "# http patterns with rules: $(tail -n 2 "$run/pat.after.out")"
		h1=$(stat_of 'tcp 192.0.2.1:80' $tcp_counters)
		l1=$(wc -l <"$run/nginx/access.log")
		checks http_tcp_patterns_compare python3 "$patterns" compare "$run/pat.before" "$run/pat.after"
		nreq=$(cat "$run/pat.after/requests" 2>/dev/null || echo 0)
		isnum "$nreq" || nreq=0
		echo "# nginx TCP patterns ($nreq requests): nginx logged $((l1 - l0)); kernel $(tcp_delta "$h0" "$h1")"
		[ "${h1%% *}" -gt "${h0%% *}" ] && pass http_patterns_kernel_answered || fail http_patterns_kernel_answered "no kernel hits: $(tcp_delta "$h0" "$h1")"
		# every request answered exactly once: by nginx (logged) or the kernel (a hit)
		# no request sent (the patterns did not run) is no check: 0 == 0
		if [ "$nreq" -eq 0 ] || ! isnum "$l0" || ! isnum "$l1" || ! isnum "${h0%% *}" || ! isnum "${h1%% *}"; then
			fail http_patterns_each_request_once "no count: $nreq requests, log lines '$l0' '$l1', kernel hits '${h0%% *}' '${h1%% *}'"
		elif [ $((l1 - l0 + ${h1%% *} - ${h0%% *})) -eq "$nreq" ]; then
			pass http_patterns_each_request_once
		else
			fail http_patterns_each_request_once "$nreq requests, nginx logged $((l1 - l0)), kernel hits $((${h1%% *} - ${h0%% *}))"
		fi
	fi
fi
exit 0
