// SPDX-License-Identifier: GPL-2.0
/*
 * "Why not BPF?", measured: an XDP program that answers one DNS query
 * from the driver (veth's native XDP), as a BPF alternative to a Santa
 * rule would. It is what such a program must do at least: parse
 * Ethernet, IPv4 and UDP, compare the query, grow the packet, rewrite the
 * headers and the payload, and bounce it with XDP_TX (no routing, no
 * netfilter, no qdisc, no socket: nothing the application owns). Anything
 * else goes up the stack (XDP_PASS).
 *
 * The query (without its 2-byte id) and the reply (also without it) are
 * compiled in: the benchmark builds this with the bytes of nsd's own
 * answer (selftests/vm-suites/bench.sh, dns_xdp):
 *
 *   clang -O2 -target bpf -c xdp_dns.c -o xdp_dns.o \
 *	-DQUERY_BYTES=0x01,0x00,... -DQUERY_LEN=N \
 *	-DREPLY_BYTES=0x84,0x00,... -DREPLY_LEN=M
 *
 * Section "xdp" answers; section "xdp_pass" passes everything (the peer
 * veth needs an XDP program, or GRO, for XDP_TX frames to reach it).
 * Not a kernel patch, not a test: benchmark tooling, IPv4 only.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>

#define SEC(name) __attribute__((section(name), used))

static long (*bpf_xdp_adjust_head)(struct xdp_md *xdp_md, int delta) =
	(void *)BPF_FUNC_xdp_adjust_head;

#ifndef QUERY_LEN
#define QUERY_LEN	4
#define QUERY_BYTES	0x01, 0x00, 0x00, 0x01
#define REPLY_LEN	4
#define REPLY_BYTES	0x81, 0x80, 0x00, 0x01
#endif

static const unsigned char query[QUERY_LEN] = { QUERY_BYTES };
static const unsigned char reply[REPLY_LEN] = { REPLY_BYTES };

#define HDRS	(sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct udphdr))
#define GROW	(REPLY_LEN - QUERY_LEN)

_Static_assert(REPLY_LEN >= QUERY_LEN, "the reply is at least the query");

static __attribute__((always_inline)) __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("xdp")
int xdp_dns_answer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	unsigned char mac[ETH_ALEN], *p;
	struct ethhdr *eth = data;
	struct udphdr *uh;
	struct iphdr *iph;
	__u32 sum = 0, a;
	__u16 port, *w;
	int i;

	if (data + HDRS + 2 + QUERY_LEN > data_end)
		return XDP_PASS;
	iph = data + sizeof(*eth);
	uh = (void *)(iph + 1);
	if (eth->h_proto != __builtin_bswap16(ETH_P_IP) || iph->ihl != 5 ||
	    iph->protocol != IPPROTO_UDP || (iph->frag_off & __builtin_bswap16(0x3fff)) ||
	    uh->dest != __builtin_bswap16(53) ||
	    uh->len != __builtin_bswap16(sizeof(*uh) + 2 + QUERY_LEN))
		return XDP_PASS;
	p = (unsigned char *)(uh + 1) + 2;
#pragma unroll
	for (i = 0; i < QUERY_LEN; i++)
		if (p[i] != query[i])
			return XDP_PASS;

	/*
	 * Grow the packet at the head: veth (and XDP drivers) leave
	 * XDP_PACKET_HEADROOM there, while the tailroom of a small skb
	 * may be too short. Then move the headers and the id down.
	 */
	if (bpf_xdp_adjust_head(ctx, -GROW))
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + HDRS + 2 + REPLY_LEN > data_end)
		return XDP_DROP;
	p = data;
#pragma unroll
	for (i = 0; i < (int)HDRS + 2; i++)
		p[i] = p[i + GROW];
	eth = data;
	iph = data + sizeof(*eth);
	uh = (void *)(iph + 1);
	p = (unsigned char *)(uh + 1) + 2;
#pragma unroll
	for (i = 0; i < REPLY_LEN; i++)
		p[i] = reply[i];

	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	a = iph->saddr;
	iph->saddr = iph->daddr;
	iph->daddr = a;
	iph->ttl = 64;
	iph->tot_len = __builtin_bswap16(sizeof(*iph) + sizeof(*uh) + 2 + REPLY_LEN);
	iph->check = 0;
	w = (__u16 *)iph;
#pragma unroll
	for (i = 0; i < (int)sizeof(*iph) / 2; i++)
		sum += w[i];
	iph->check = csum_fold(sum);
	port = uh->source;
	uh->source = uh->dest;
	uh->dest = port;
	uh->len = __builtin_bswap16(sizeof(*uh) + 2 + REPLY_LEN);
	uh->check = 0;		/* optional over IPv4 */
	return XDP_TX;
}

SEC("xdp_pass")
int xdp_dns_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
