// SPDX-License-Identifier: GPL-2.0
/*
 * What a keyed PRF would cost Santa's index, per request (issue 17):
 * the matcher hashes the bytes of a request once and probes the index at
 * every length a rule of that offset has (santa_match(): FNV-1a 64 from a
 * random per-table basis, one multiply per byte, a hash for every prefix
 * for free). SipHash-2-4 (what the kernel's siphash() is) absorbs 8-byte
 * blocks and needs a finalisation (2 + 4 rounds) for every length it is
 * asked about.
 *
 * Prints nanoseconds per request on this host for request lengths and
 * numbers of probed lengths like those of the benchmarks (DNS: one exact
 * length; HTTP: a few prefix lengths), and the two walk bounds. A
 * benchmark, not a test: it asserts nothing but that both hash something.
 *
 *   cc -O2 -o hashcost hashcost.c && ./hashcost
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FNV_PRIME	0x100000001b3ULL

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

struct sip {
	uint64_t v0, v1, v2, v3;
};

static void sipround(struct sip *s)
{
	s->v0 += s->v1; s->v1 = rotl(s->v1, 13); s->v1 ^= s->v0; s->v0 = rotl(s->v0, 32);
	s->v2 += s->v3; s->v3 = rotl(s->v3, 16); s->v3 ^= s->v2;
	s->v0 += s->v3; s->v3 = rotl(s->v3, 21); s->v3 ^= s->v0;
	s->v2 += s->v1; s->v1 = rotl(s->v1, 17); s->v1 ^= s->v2; s->v2 = rotl(s->v2, 32);
}

static void sip_init(struct sip *s, uint64_t k0, uint64_t k1)
{
	s->v0 = 0x736f6d6570736575ULL ^ k0;
	s->v1 = 0x646f72616e646f6dULL ^ k1;
	s->v2 = 0x6c7967656e657261ULL ^ k0;
	s->v3 = 0x7465646279746573ULL ^ k1;
}

static void sip_block(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	sipround(s);
	sipround(s);
	s->v0 ^= m;
}

/* SipHash-2-4 of the first @len bytes, given the state after len / 8 blocks */
static uint64_t sip_final(struct sip st, const uint8_t *p, size_t len)
{
	uint64_t b = (uint64_t)len << 56;
	size_t i, tail = len & 7;

	for (i = 0; i < tail; i++)
		b |= (uint64_t)p[(len & ~7UL) + i] << (8 * i);
	sip_block(&st, b);
	st.v2 ^= 0xff;
	sipround(&st);
	sipround(&st);
	sipround(&st);
	sipround(&st);
	return st.v0 ^ st.v1 ^ st.v2 ^ st.v3;
}

static volatile uint64_t sink;

/* FNV-1a over @walk bytes; a "probe" (a hash taken) at each length in @probe */
static uint64_t fnv_request(uint64_t seed, const uint8_t *p, size_t walk,
			    const unsigned char *probe)
{
	uint64_t h = seed, acc = 0;
	size_t l;

	for (l = 1; l <= walk; l++) {
		h = (h ^ p[l - 1]) * FNV_PRIME;
		if (probe[l])
			acc ^= h;
	}
	return acc;
}

/* SipHash-2-4, incremental over 8-byte blocks, finalised at each probe */
static uint64_t sip_request(uint64_t k0, uint64_t k1, const uint8_t *p,
			    size_t walk, const unsigned char *probe)
{
	uint64_t acc = 0, m;
	struct sip s;
	size_t l;

	sip_init(&s, k0, k1);
	for (l = 1; l <= walk; l++) {
		if (probe[l])
			acc ^= sip_final(s, p, l);
		if (!(l & 7)) {
			memcpy(&m, p + l - 8, 8);
			sip_block(&s, m);
		}
	}
	return acc;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

struct shape {
	const char *name;
	size_t walk;		/* bytes hashed */
	size_t probes[8];	/* lengths probed, 0-terminated */
};

int main(void)
{
	static const struct shape shapes[] = {
		{ "DNS query, one exact length (40 B)", 40, { 40 } },
		{ "HTTP request line, 4 prefix lengths (64 B)", 64, { 18, 24, 40, 64 } },
		{ "HTTP GET, 8 prefix lengths (256 B)", 256,
		  { 20, 40, 60, 80, 120, 160, 200, 256 } },
		{ "one offset at the walk bound (1024 B, 8 lengths)", 1024,
		  { 64, 128, 256, 384, 512, 768, 900, 1024 } },
		{ "one offset at the walk bound, 64 lengths (1024 B)", 1024, { 0 } },
	};
	uint8_t buf[2048];
	unsigned int s, i;
	const long iters = 200000;

	srand(1);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = rand();
	printf("%-55s %10s %10s %8s\n", "request", "FNV ns", "SipHash ns", "ratio");
	for (s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		unsigned char probe[2049] = { 0 };
		double t0, t1, t2, fnv, sip;
		uint64_t a = 0, b = 0;
		long n;

		if (!shapes[s].probes[0]) {
			/* 64 lengths spread over 1024 bytes */
			for (i = 1; i <= 64; i++)
				probe[i * 16] = 1;
		}
		for (i = 0; i < 8 && shapes[s].probes[i]; i++)
			probe[shapes[s].probes[i]] = 1;
		t0 = now_ns();
		for (n = 0; n < iters; n++)
			a ^= fnv_request(n, buf, shapes[s].walk, probe);
		t1 = now_ns();
		for (n = 0; n < iters; n++)
			b ^= sip_request(n, ~n, buf, shapes[s].walk, probe);
		t2 = now_ns();
		sink = a ^ b;
		if (!a || !b) {
			fprintf(stderr, "hashcost: a hash came out zero\n");
			return 1;
		}
		fnv = (t1 - t0) / iters;
		sip = (t2 - t1) / iters;
		printf("%-55s %10.1f %10.1f %7.2fx\n", shapes[s].name, fnv, sip, sip / fnv);
	}
	return 0;
}
