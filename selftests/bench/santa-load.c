// SPDX-License-Identifier: GPL-2.0
/*
 * santa-load: the load generator of scripts/bench.sh.
 *
 * UDP (DNS, memcached's UDP frame): closed loop with a window of requests
 * in flight on one connected socket, batched with sendmmsg/recvmmsg so
 * that the generator costs a fraction of a syscall per request. The first
 * two bytes of every request (DNS id, memcached request id) are replaced
 * by a slot number that the reply must echo.
 *
 * TCP (memcached text protocol, HTTP/1.1): N keep-alive connections with
 * one request outstanding each (no pipelining: a segment with two requests
 * would not be offloaded), driven by epoll.
 *
 * Requests are read from a file, one per line, with C escapes (\r \n \\
 * \xHH); each request is drawn uniformly or with a Zipf law (--zipf S).
 * Replies are checked: the first reply to each request is kept, and every
 * later reply to the same request must be identical (the id aside; for
 * HTTP the status line and body, since servers change the Date header).
 * Prints one line of key=value results.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQ_LEN	2048
#define BATCH		64
#define UDP_MAX_REPLY	65536
#define TCP_BUF		(1 << 20)

enum proto { P_DNS, P_MEMC_UDP, P_MEMC_TCP, P_HTTP };

struct request {
	unsigned char *data;
	size_t len;
	unsigned char *ref;	/* first reply seen, id cleared */
	size_t ref_len;
};

static struct request *reqs;
static size_t nr_reqs;
static double *zipf_cdf;
static unsigned long long sent, received, lost, mismatched, bad;
static uint64_t rng = 88172645463325252ULL;

static int srv_cpu = -1, cli_cpu = -1;
static unsigned long long busy0[2], busy1[2];
static double t_start, t_end;

/* Busy ticks (user, nice, system, irq, softirq) of a CPU, from /proc/stat. */
static unsigned long long cpu_busy(int cpu)
{
	unsigned long long v[7] = {};
	char line[512], name[16];
	FILE *f;

	if (cpu < 0)
		return 0;
	snprintf(name, sizeof(name), "cpu%d ", cpu);
	f = fopen("/proc/stat", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, strlen(name))) {
			sscanf(line + strlen(name), "%llu %llu %llu %llu %llu %llu %llu",
			       &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]);
			break;
		}
	fclose(f);
	return v[0] + v[1] + v[2] + v[5] + v[6];
}

static void window_mark(int end, double t)
{
	unsigned long long *b = end ? busy1 : busy0;

	b[0] = cpu_busy(srv_cpu);
	b[1] = cpu_busy(cli_cpu);
	if (end)
		t_end = t;
	else
		t_start = t;
}

static void die(const char *msg)
{
	perror(msg);
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t pick(void)
{
	double u;
	size_t lo = 0, hi;

	if (!zipf_cdf)
		return xorshift() % nr_reqs;
	u = (xorshift() >> 11) * (1.0 / 9007199254740992.0);
	hi = nr_reqs - 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (zipf_cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int unescape(const char *s, unsigned char *out)
{
	int n = 0;

	while (*s && *s != '\n' && n < MAX_REQ_LEN) {
		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'r': out[n++] = '\r'; s++; break;
		case 'n': out[n++] = '\n'; s++; break;
		case '0': out[n++] = 0; s++; break;
		case '\\': out[n++] = '\\'; s++; break;
		case 'x': {
			char hex[3] = { s[1], s[2], 0 };

			out[n++] = strtoul(hex, NULL, 16);
			s += 3;
			break;
		}
		default:
			return -1;
		}
	}
	return n;
}

static void load_requests(const char *path, double zipf)
{
	unsigned char buf[MAX_REQ_LEN];
	char *line = NULL;
	size_t cap = 0, i;
	double sum = 0;
	FILE *f;
	int n;

	f = fopen(path, "r");
	if (!f)
		die(path);
	while (getline(&line, &cap, f) > 0) {
		n = unescape(line, buf);
		if (n <= 0)
			continue;
		reqs = realloc(reqs, (nr_reqs + 1) * sizeof(*reqs));
		if (!reqs)
			die("realloc");
		reqs[nr_reqs].data = malloc(n);
		memcpy(reqs[nr_reqs].data, buf, n);
		reqs[nr_reqs].len = n;
		reqs[nr_reqs].ref = NULL;
		nr_reqs++;
	}
	free(line);
	fclose(f);
	if (!nr_reqs) {
		fprintf(stderr, "santa-load: no requests in %s\n", path);
		exit(2);
	}
	if (zipf <= 0)
		return;
	zipf_cdf = calloc(nr_reqs, sizeof(double));
	for (i = 0; i < nr_reqs; i++) {
		sum += 1.0 / pow(i + 1, zipf);
		zipf_cdf[i] = sum;
	}
	for (i = 0; i < nr_reqs; i++)
		zipf_cdf[i] /= sum;
}

/* Compare a reply with the first one seen for the same request. */
static void check_reply(struct request *r, const unsigned char *p, size_t len,
			size_t skip)
{
	if (len < skip) {
		bad++;
		return;
	}
	p += skip;
	len -= skip;
	if (!r->ref) {
		r->ref = malloc(len ?: 1);
		memcpy(r->ref, p, len);
		r->ref_len = len;
		return;
	}
	if (len != r->ref_len || memcmp(p, r->ref, len))
		mismatched++;
}

/* ---- UDP ---------------------------------------------------------------- */

struct slot {
	size_t req;
	double sent_at;
	unsigned int id;	/* slot number | generation << id_shift */
	bool busy;
};

static unsigned long long late;

static void run_udp(const struct sockaddr *sa, socklen_t salen, double duration,
		    unsigned int window, int warmup)
{
	static unsigned char rbuf[BATCH][UDP_MAX_REPLY];
	static unsigned char sbuf[BATCH][MAX_REQ_LEN];
	struct iovec siov[BATCH], riov[BATCH];
	struct mmsghdr smsg[BATCH], rmsg[BATCH];
	unsigned int inflight = 0, next_slot = 0, i, window_pow2 = 1;
	struct slot *slots;
	double start, end, t;
	int fd, n, sz = 4 << 20;

	fd = socket(sa->sa_family, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, sa, salen))
		die("udp socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	while (window_pow2 < window)
		window_pow2 <<= 1;
	slots = calloc(window, sizeof(*slots));
	for (i = 0; i < window; i++)
		slots[i].id = i;
	memset(smsg, 0, sizeof(smsg));
	memset(rmsg, 0, sizeof(rmsg));
	for (i = 0; i < BATCH; i++) {
		riov[i].iov_base = rbuf[i];
		riov[i].iov_len = UDP_MAX_REPLY;
		rmsg[i].msg_hdr.msg_iov = &riov[i];
		rmsg[i].msg_hdr.msg_iovlen = 1;
		smsg[i].msg_hdr.msg_iov = &siov[i];
		smsg[i].msg_hdr.msg_iovlen = 1;
	}

	start = now();
	end = start + duration + warmup;
	for (t = start; t < end; t = now()) {
		unsigned int k = 0;

		if (!t_start && t - start >= warmup)
			window_mark(0, t);

		/* fill the window, a batch at a time */
		while (inflight < window && k < BATCH) {
			struct slot *s;
			struct request *r;

			while (slots[next_slot].busy)
				next_slot = (next_slot + 1) % window;
			s = &slots[next_slot];
			s->req = pick();
			s->sent_at = t;
			s->busy = true;
			/* a new generation: a late reply to the slot's last request
			 * is told apart from the reply to this one
			 */
			s->id = (s->id + window_pow2) & 0xffff;
			r = &reqs[s->req];
			memcpy(sbuf[k], r->data, r->len);
			sbuf[k][0] = s->id >> 8;
			sbuf[k][1] = s->id & 0xff;
			siov[k].iov_base = sbuf[k];
			siov[k].iov_len = r->len;
			k++;
			inflight++;
			next_slot = (next_slot + 1) % window;
		}
		if (k) {
			n = sendmmsg(fd, smsg, k, 0);
			if (n < 0)
				n = 0;
			/* what was not sent is free again */
			for (i = n; i < k; i++) {
				unsigned int id = ((unsigned char *)siov[i].iov_base)[0] << 8 |
						  ((unsigned char *)siov[i].iov_base)[1];
				slots[id & (window_pow2 - 1)].busy = false;
				inflight--;
			}
			if (t - start >= warmup)
				sent += n;
		}
		n = recvmmsg(fd, rmsg, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (poll(&p, 1, 1) <= 0) {
				/* a request unanswered for 200 ms is lost */
				for (i = 0; i < window; i++)
					if (slots[i].busy && now() - slots[i].sent_at > 0.2) {
						slots[i].busy = false;
						inflight--;
						if (slots[i].sent_at - start >= warmup)
							lost++;
					}
			}
			continue;
		}
		for (i = 0; i < (unsigned int)n; i++) {
			unsigned int id = rbuf[i][0] << 8 | rbuf[i][1];
			size_t len = rmsg[i].msg_len;
			struct slot *s;

			if (len < 2 || (id & (window_pow2 - 1)) >= window) {
				bad++;
				continue;
			}
			s = &slots[id & (window_pow2 - 1)];
			if (!s->busy || s->id != id) {
				late++;	/* its request was given up as lost */
				continue;
			}
			s->busy = false;
			inflight--;
			if (s->sent_at - start < warmup)
				continue;
			received++;
			check_reply(&reqs[s->req], rbuf[i], len, 2);
		}
	}
	window_mark(1, now());
	close(fd);
	free(slots);
}

/* ---- TCP ---------------------------------------------------------------- */

struct conn {
	int fd;
	size_t req;
	unsigned char *buf;
	size_t len;
	double sent_at;
};

/* Length of a complete reply at the start of @c->buf, or 0. */
static size_t tcp_complete(enum proto proto, const struct conn *c)
{
	const char *p = (const char *)c->buf, *hdr_end, *cl;
	size_t hlen;

	if (proto == P_MEMC_TCP) {
		if (c->len >= 5 && !memcmp(p + c->len - 5, "END\r\n", 5))
			return c->len;
		return 0;
	}
	hdr_end = memmem(p, c->len, "\r\n\r\n", 4);
	if (!hdr_end)
		return 0;
	hlen = hdr_end + 4 - p;
	cl = memmem(p, hlen, "Content-Length: ", 16);
	if (!cl)
		return hlen;
	hlen += strtoul(cl + 16, NULL, 10);
	return c->len >= hlen ? hlen : 0;
}

static void tcp_send(struct conn *c, double t)
{
	struct request *r;

	c->req = pick();
	r = &reqs[c->req];
	c->len = 0;
	c->sent_at = t;
	if (send(c->fd, r->data, r->len, 0) != (ssize_t)r->len)
		die("send");
}

static void check_http(struct request *r, const unsigned char *p, size_t len)
{
	const unsigned char *eol = memmem(p, len, "\r\n", 2);
	const unsigned char *body = memmem(p, len, "\r\n\r\n", 4);
	static unsigned char tmp[TCP_BUF];
	size_t n;

	if (!eol || !body) {
		bad++;
		return;
	}
	body += 4;
	n = eol - p;
	memcpy(tmp, p, n);
	memcpy(tmp + n, body, len - (body - p));
	check_reply(r, tmp, n + len - (body - p), 0);
}

static void run_tcp(enum proto proto, const struct sockaddr *sa, socklen_t salen,
		    double duration, unsigned int nconns, int warmup)
{
	struct epoll_event ev, evs[64];
	double start, end, t;
	struct conn *conns;
	unsigned int i;
	int ep, n, one = 1;

	ep = epoll_create1(0);
	conns = calloc(nconns, sizeof(*conns));
	start = now();
	for (i = 0; i < nconns; i++) {
		struct conn *c = &conns[i];

		c->fd = socket(sa->sa_family, SOCK_STREAM, 0);
		if (c->fd < 0 || connect(c->fd, sa, salen))
			die("connect");
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->buf = malloc(TCP_BUF);
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
		tcp_send(c, start);
	}
	end = start + duration + warmup;
	for (t = start; t < end; t = now()) {
		if (!t_start && t - start >= warmup)
			window_mark(0, t);
		n = epoll_wait(ep, evs, 64, 100);
		for (i = 0; i < (unsigned int)n; i++) {
			struct conn *c = evs[i].data.ptr;
			size_t done;
			ssize_t r;

			r = recv(c->fd, c->buf + c->len, TCP_BUF - c->len, MSG_DONTWAIT);
			if (r <= 0) {
				if (r < 0 && errno == EAGAIN)
					continue;
				fprintf(stderr, "santa-load: connection closed\n");
				bad++;
				goto out;
			}
			c->len += r;
			done = tcp_complete(proto, c);
			if (!done)
				continue;
			if (done != c->len)
				bad++;	/* more than one reply: not expected */
			if (c->sent_at - start >= warmup) {
				sent++;
				received++;
				if (proto == P_HTTP)
					check_http(&reqs[c->req], c->buf, done);
				else
					check_reply(&reqs[c->req], c->buf, done, 0);
			}
			tcp_send(c, t);
		}
	}
out:
	window_mark(1, now());
	for (i = 0; i < nconns; i++) {
		close(conns[i].fd);
		free(conns[i].buf);
	}
	free(conns);
	close(ep);
}

/* Millions of iterations per second of a user-space loop: how fast this
 * vCPU is right now (the host is shared), to compare boots.
 */
static void calibrate(double secs)
{
	unsigned long long n = 0;
	double t0 = now(), t;
	uint64_t x = 1;
	int i;

	do {
		for (i = 0; i < 100000; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		n += 100000;
		t = now();
	} while (t - t0 < secs);
	printf("calib=%.2f x=%llu\n", n / (t - t0) / 1e6, (unsigned long long)(x & 1));
}

static void usage(void)
{
	fprintf(stderr,
		"Usage: santa-load --proto dns|memcached-udp|memcached-tcp|http\n"
		"       --server IP --port N --requests FILE [--duration SEC]\n"
		"       [--warmup SEC] [--window N (UDP)] [--conns N (TCP)]\n"
		"       [--zipf S] [--seed N] [--cpus SRV,CLI]\n"
		"       santa-load --calibrate SEC\n"
		"--cpus: report the busy time of these CPUs per request\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned int window = 64, conns = 16, port = 0;
	const char *server = NULL, *file = NULL;
	double duration = 5, zipf = 0;
	struct sockaddr_storage ss = {};
	enum proto proto = P_DNS;
	double elapsed, tick_us;
	int i, warmup = 1;
	socklen_t salen;

	if (argc == 3 && !strcmp(argv[1], "--calibrate")) {
		calibrate(atof(argv[2]));
		return 0;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage();
		if (!strcmp(a, "--proto")) {
			if (!strcmp(v, "dns"))
				proto = P_DNS;
			else if (!strcmp(v, "memcached-udp"))
				proto = P_MEMC_UDP;
			else if (!strcmp(v, "memcached-tcp"))
				proto = P_MEMC_TCP;
			else if (!strcmp(v, "http"))
				proto = P_HTTP;
			else
				usage();
		} else if (!strcmp(a, "--server")) {
			server = v;
		} else if (!strcmp(a, "--port")) {
			port = atoi(v);
		} else if (!strcmp(a, "--requests")) {
			file = v;
		} else if (!strcmp(a, "--duration")) {
			duration = atof(v);
		} else if (!strcmp(a, "--warmup")) {
			warmup = atoi(v);
		} else if (!strcmp(a, "--window")) {
			window = atoi(v);
		} else if (!strcmp(a, "--conns")) {
			conns = atoi(v);
		} else if (!strcmp(a, "--zipf")) {
			zipf = atof(v);
		} else if (!strcmp(a, "--cpus")) {
			if (sscanf(v, "%d,%d", &srv_cpu, &cli_cpu) != 2)
				usage();
		} else if (!strcmp(a, "--seed")) {
			rng = strtoull(v, NULL, 0) ?: 1;
		} else {
			usage();
		}
		i++;
	}
	if (!server || !port || !file || !window || window > 4096 || !conns)
		usage();
	if (strchr(server, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, server, &s6->sin6_addr) != 1)
			usage();
		salen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (inet_pton(AF_INET, server, &s4->sin_addr) != 1)
			usage();
		salen = sizeof(*s4);
	}
	load_requests(file, zipf);
	if (proto == P_DNS || proto == P_MEMC_UDP)
		run_udp((struct sockaddr *)&ss, salen, duration, window, warmup);
	else
		run_tcp(proto, (struct sockaddr *)&ss, salen, duration, conns, warmup);
	elapsed = t_end - t_start;
	if (elapsed <= 0)
		elapsed = duration;
	/* USER_HZ ticks: 10 ms each */
	tick_us = 1e6 / sysconf(_SC_CLK_TCK);
	printf("sent=%llu received=%llu lost=%llu late=%llu mismatched=%llu bad=%llu rps=%.0f",
	       sent, received, lost, late, mismatched, bad, received / elapsed);
	if (srv_cpu >= 0 && received)
		printf(" srv_busy=%.3f srv_us=%.2f cli_busy=%.3f cli_us=%.2f",
		       (busy1[0] - busy0[0]) * tick_us / 1e6 / elapsed,
		       (busy1[0] - busy0[0]) * tick_us / received,
		       (busy1[1] - busy0[1]) * tick_us / 1e6 / elapsed,
		       (busy1[1] - busy0[1]) * tick_us / received);
	printf("\n");
	return bad || mismatched ? 1 : 0;
}
