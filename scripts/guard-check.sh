#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Show that each guard of Santa's TCP path, each loop guard and each
# limit a user cannot escape is needed (the bound on hashing is shown by
# KUnit's santa_test_walk_budget): break it in build/linux, rebuild, and check that the kselftest
# named for it fails;
# then restore the tree. Not part of scripts/test.sh (each mutation is a
# kernel rebuild, about 4 minutes with a warm ccache).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$top/scripts/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/guard-check.sh [--list] [NAME...]

For each mutation (all by default): apply it to a worktree of build/linux
(build/guard/linux, objects in build/guard/obj, so build/linux and
build/obj are left alone), rebuild that kernel, run the kselftest cases
that must catch it (build/obj/kselftest), and expect at least one of them
to FAIL. Prints "PASS guard NAME: caught by TEST" or "FAIL guard NAME: NOT
caught", and a final "N passed, N failed" line.
USAGE
}

# name~file~python expression of (old, new)~selftest program~-t cases...
MUTATIONS=(
"terminator~tcp.c~('\tif (!term_len)\n\t\treturn len;\n', '\treturn len;\n')~santa_tcp_stream~pipelined_one_segment"
"all_requests_hit~tcp.c~('\t\ttotal += r->reply_len;\n', '\t\ttotal += r->reply_len;\n\t\tbreak;\n')~santa_tcp_stream~pipelined_one_segment"
"whole_requests~tcp.c~('\t\tif (!len || n == SANTA_TCP_MAX_REQS)', '\t\tif (!len)\n\t\t\tlen = plen - off;\n\t\tif (n == SANTA_TCP_MAX_REQS)')~santa_tcp_stream~split_at_every_offset"
"answered_all_read~tcp.c~('\tif (!(tp->santa_idle || santa_tcp_wrote_answer(tp, ss, skb)) ||\n\t    tp->santa_cseq', '\tif (tp->santa_cseq')~santa_tcp_stream~overtaking"
"fresh_waits_for_read~tcp.c~('\ttp->santa_fresh = !tp->bytes_received;\n', '\ttp->santa_fresh = !tp->bytes_received;\n\ttp->santa_idle = !tp->bytes_received;\n')~santa_tcp_stream~server_speaks_first"
"accepted~tcp.c~two edits, see mutate()~santa_tcp_stream~pre_accept"
"send_buffer~tcp.c~('\treturn sk_stream_memory_free(sk) &&', '\treturn true ||')~santa_tcp_stream~never_reading_clients"
"revocation~sockopt.c~('\tif (ss->owner == (unsigned long)sk && refcount_read(&ss->ref) > 1) {', '\tif (0) {')~santa_tcp_stream~listener_closed"
"partial_write~tcp.c~('\t    tp->santa_partial || test_bit(', '\t    test_bit(')~santa_tcp~short_write_keeps_order"
"written_and_acked~tcp.c~('\t    tp->santa_partial || test_bit(SOCK_NOSPACE, &sk->sk_socket->flags))\n\t\treturn SANTA_STAT_FAIL_ORDER;', '\t    tp->santa_partial || test_bit(SOCK_NOSPACE, &sk->sk_socket->flags))\n\t\t;')~santa_tcp~pending_writes_keep_order unread_data_keeps_order"
"rule_described~tcp.c~('if (!len || !santa_match(ss->table, payload + off, len)) {', 'if (!len) {')~santa_tcp~write_answers_mode"
"one_request_given~tcp.c~('\treturn tp->santa_given == 1 && ', '\treturn tp->santa_given >= 1 && ')~santa_tcp~write_answers_mode"
"partial_packet~tcp.c~('\tif (tcb->seq != tp->rcv_nxt)\n\t\treturn SANTA_STAT_SKIPPED;\n', '')~santa_tcp~partial_retransmission"
"sockmap~tcp.c~('\t    rcu_access_pointer(__sk_user_data(sk)) ||\n', '')~santa_tcp~sockmap_verdict_first"
"late_start~tcp.c~('\ttp->santa_idle = 0;\n\ttp->santa_fresh = !tp->bytes_received;\n', '\ttp->santa_idle = 1;\n\ttp->santa_fresh = !tp->bytes_received;\n')~santa_tcp~rules_set_after_read"
"self_address~udp.c~('\tif (uh->source != uh->dest)\n\t\treturn false;\n', '\treturn false;\n')~santa_udp~self_loop"
"reply_mark_udp~udp.c~('\tskb->santa_reply = 1;\n', '')~santa_udp~two_socket_loop two_netns_loop"
"reply_mark_tcp~tcp.c~('\t\t\t\tskb->santa_reply = 1;\n', '')~santa_tcp~reply_loop"
"ip_options~udp.c~('fl4.saddr, fl4.daddr, opt,', 'fl4.saddr, fl4.daddr, NULL,')~santa_udp~reply_ip_options"
"ipv6_options~udp.c~('READ_ONCE(sk->sk_mark), opt,', 'READ_ONCE(sk->sk_mark), NULL,')~santa_udp~reply_ipv6_options"
"vrf_unbound~udp.c~('\t\tif (inet_sdif(skb) && !bound)\n\t\t\treturn true;\n', '')~santa_udp~vrf_replies"
"unicast_if~udp.c~('\toif = bound ?: READ_ONCE(inet->uc_index);', '\toif = bound;')~santa_udp~unicast_if"
"scope_iif~udp.c~('\t\tfl6.flowi6_oif = inet6_iif(skb);\n', '\t\t;\n')~santa_udp~link_local_scope"
"paged_copy~match.c~('\tif (len > SANTA_SCRATCH)\n\t\treturn NULL;\n', '\treturn NULL;\n')~santa_udp~paged_requests"
"user_total~sockopt.c~('\tif (!ns_capable_noaudit(&init_user_ns, CAP_NET_ADMIN)) {', '\tif (0) {')~santa_limits~user_total"
"netns_total~sockopt.c~('\tsanta_table_set_quotas(ss->table, user,\n\t\t\t       santa_net_quota_get(sock_net(sk)));', '\tsanta_table_set_quotas(ss->table, user, NULL);')~santa_limits~netns_total"
"default_limits~sockopt.c~('\tsanta_limits_apply(ss, &defaults);\n', '')~santa_limits~defaults_bound_replies"
"sysctl_file_netns~ctl.c~('\ttbl[SANTA_CTL_UDP_MAX_RATIO].data = &sn->udp_max_ratio;', '\ttbl[SANTA_CTL_UDP_MAX_RATIO].data = &((struct santa_net *)net_generic(&init_net, santa_net_id))->udp_max_ratio;')~santa_limits~file_decides_netns"
"prefix_needs_terminator~sockopt.c~('\t\treturn -EOPNOTSUPP;\n\treturn 0;\n}', '\t\treturn 0;\n\treturn 0;\n}')~santa_tcp_stream~framing_sockopt pipelined_one_segment"
)

# the "accepted" mutation needs two edits (the NOSPACE test reads sk_socket)
mutate() {
	local name=$1 file=$2 expr=$3
	python3 - "$src/net/santa/$file" "$name" "$expr" <<'PY'
import sys
path, name, expr = sys.argv[1:]
s = open(path).read()
if name == "accepted":
    edits = [('\tif (!sk->sk_socket)\n\t\treturn SANTA_STAT_SKIPPED;\n', ''),
             ('test_bit(SOCK_NOSPACE, &sk->sk_socket->flags))',
              '(sk->sk_socket && test_bit(SOCK_NOSPACE, &sk->sk_socket->flags)))')]
else:
    edits = [eval(expr)]
for old, new in edits:
    if s.count(old) != 1:
        sys.exit(f"guard-check: mutation {name}: pattern not found once in {path}")
    s = s.replace(old, new)
open(path, "w").write(s)
PY
}

list=0
want=()
while [ $# -gt 0 ]; do
	case "$1" in
	--list) list=1; shift ;;
	-h|--help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) want+=("$1"); shift ;;
	esac
done
if [ "$list" -eq 1 ]; then
	for m in "${MUTATIONS[@]}"; do
		IFS='~' read -r name file _ prog cases <<<"$m"
		echo "$name ($file): $prog -t $cases"
	done
	exit 0
fi
# a name that is no mutation would check nothing and end "0 passed, 0 failed"
for w in "${want[@]}"; do
	printf '%s\n' "${MUTATIONS[@]}" | cut -d'~' -f1 | grep -qxF "$w" ||
		die "no mutation '$w' (see --list)"
done

main_src="$top/build/linux"
[ -d "$main_src/.git" ] || die "no build/linux: run scripts/build-kernel.sh --selftests first"
[ -f "$top/build/obj/.config" ] || die "no build/obj/.config: run scripts/build-kernel.sh first"
ksft="$top/build/obj/kselftest/net/santa"
[ -x "$ksft/santa_tcp_stream" ] || die "no kselftests in $ksft: run scripts/build-kernel.sh --selftests"
src="$top/build/guard/linux"
obj="$top/build/guard/obj"
mkdir -p "$top/build/guard" "$obj" "$top/build/logs"
if [ ! -d "$src" ]; then
	git -C "$main_src" worktree add -q --detach "$src" HEAD
fi
git -C "$src" checkout -q --detach "$(git -C "$main_src" rev-parse HEAD)"
cp "$top/build/obj/.config" "$obj/.config"
kbuild_env

restore() {
	git -C "$src" checkout -q -- net/santa
}
trap 'restore' EXIT

build() {
	make -C "$src" O="$obj" -s -j"$(nproc)" CC="$CC" HOSTCC="$CC" olddefconfig bzImage
}

passed=0
failed=0
for m in "${MUTATIONS[@]}"; do
	IFS='~' read -r name file expr prog cases <<<"$m"
	if [ "${#want[@]}" -gt 0 ] && ! printf '%s\n' "${want[@]}" | grep -qx "$name"; then
		continue
	fi
	restore
	mutate "$name" "$file" "$expr"
	info "guard $name: building the kernel without it"
	if ! build >"$top/build/logs/guard-$name.build" 2>&1; then
		echo "FAIL guard $name: the mutated kernel does not build (build/logs/guard-$name.build)"
		failed=$((failed + 1))
		continue
	fi
	args=()
	for c in $cases; do args+=(-t "$c"); done
	out="$top/build/logs/guard-$name.out"
	rc=0
	"$top/scripts/run-vm.sh" --kernel "$obj/arch/x86/boot/bzImage" --timeout 900 \
		--log "$top/build/logs/guard-$name.vm" --out "$top/build/vm-out/guard" -- \
		bash -c "cp -a $(printf '%q' "$top/build/obj/kselftest/.") /tmp/k && cd /tmp/k/net/santa && ./$prog.sh ${args[*]}" \
		>"$out" 2>&1 || rc=$?
	caught=$(grep -E '^not ok [0-9]+ ' "$out" | sed 's/^not ok [0-9]* //' | tr '\n' ' ' || true)
	ran=$(grep -cE '^(not )?ok [0-9]+ ' "$out" || true)
	if [ -n "$caught" ]; then
		echo "PASS guard $name: caught by $caught"
		passed=$((passed + 1))
	elif [ "$ran" -eq 0 ]; then
		# no result at all: the guest or the test program did not run
		echo "FAIL guard $name: no test ran (run-vm status $rc, $out)"
		failed=$((failed + 1))
	else
		echo "FAIL guard $name: NOT caught by $prog ${args[*]} ($out)"
		failed=$((failed + 1))
	fi
done
restore
trap - EXIT
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
