// SPDX-License-Identifier: GPL-2.0
/*
 * The smallest Santa server: answers "PING <anything>" with "PONG" plus the
 * 4 bytes that follow "PING " in the request, from the kernel, and prints
 * everything else it receives. Build against the headers of a Santa kernel:
 *   cc -I <obj>/usr-headers/include -o santa_echo santa_echo.c
 */
#include <arpa/inet.h>
#include <linux/santa.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOL_SANTA
#define SOL_SANTA 288
#endif

int main(void)
{
	static const char cond[] = "PING ", put[] = "PONG ";
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons(7007),
	};
	union {
		struct santa_rule rule;
		unsigned char bytes[256];
	} u = {};
	struct santa_rule *r = &u.rule;
	struct santa_stats st;
	socklen_t len = sizeof(st);
	size_t cond_at, put_at;
	char buf[2048];
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("socket/bind");
		return 1;
	}

	/* header, 2 processors, the condition, then the PUT data */
	cond_at = sizeof(*r) + 2 * sizeof(struct santa_proc);
	put_at = cond_at + strlen(cond);
	r->id = 1;
	r->cond_off = 0;
	r->cond_len = strlen(cond);
	r->reply_len = strlen(put) + 4;
	r->nr_procs = 2;
	r->procs[0] = (struct santa_proc){
		.type = SANTA_PROC_PUT, .dst_off = 0,
		.len = strlen(put), .src_off = put_at,
	};
	r->procs[1] = (struct santa_proc){
		.type = SANTA_PROC_COPY, .dst_off = strlen(put),
		.len = 4, .src_off = strlen(cond),
	};
	memcpy(u.bytes + cond_at, cond, strlen(cond));
	memcpy(u.bytes + put_at, put, strlen(put));
	r->size = (put_at + strlen(put) + SANTA_RULE_ALIGN - 1) &
		  ~(SANTA_RULE_ALIGN - 1);

	if (setsockopt(fd, SOL_SANTA, SANTA_RULE_ADD, r, r->size)) {
		perror("setsockopt(SANTA_RULE_ADD)");
		return 1;
	}

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

		if (n < 0)
			break;
		buf[n] = 0;
		printf("the application got: %s\n", buf);
		if (getsockopt(fd, SOL_SANTA, SANTA_STATS, &st, &len) == 0)
			printf("kernel answered %llu, %llu reached us\n",
			       (unsigned long long)st.hits,
			       (unsigned long long)st.misses);
	}
	close(fd);
	return 0;
}
