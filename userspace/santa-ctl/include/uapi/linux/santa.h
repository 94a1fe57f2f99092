/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Santa: in-kernel replies to frequent requests, offloaded by applications.
 *
 * A server installs rules on its own socket with setsockopt(SOL_SANTA).
 * A request whose payload matches a rule is answered by the kernel from
 * the receive path; every other request reaches the application as usual.
 * UDP: a request is a datagram. TCP: a request is a whole segment, or is
 * cut out of the stream at the socket's terminator (SANTA_TCP_FRAMING);
 * a segment is answered only when all its requests match and the
 * application has answered everything it read; rules set on a listening
 * socket serve every connection accepted from it.
 * See Documentation/networking/santa.rst.
 */
#ifndef _UAPI_LINUX_SANTA_H
#define _UAPI_LINUX_SANTA_H

#include <linux/types.h>

/* The socket option level; the C library's <sys/socket.h> may lack it */
#define SOL_SANTA		288

/* Options at level SOL_SANTA */
#define SANTA_RULE_ADD		1	/* set: struct santa_rule */
#define SANTA_RULE_ADD_BULK	2	/* set: struct santa_bulk + rules */
#define SANTA_RULE_REPLACE	3	/* set: struct santa_rule */
#define SANTA_RULE_DEL		4	/* set: __u32 rule id */
#define SANTA_RULE_FLUSH	5	/* set: no value (optlen 0) */
#define SANTA_LIMITS		6	/* set/get: struct santa_limits */
#define SANTA_RULE_LIST		7	/* get: struct santa_rule_list */
#define SANTA_STATS		8	/* get: struct santa_stats */
#define SANTA_TCP_FRAMING	9	/* set/get: struct santa_framing */

/* struct santa_rule flags */
#define SANTA_RULE_F_EXACT_LEN	(1U << 0)	/* payload ends with the condition */

/* struct santa_framing flags */
#define SANTA_FRAMING_F_EOR		(1U << 0)	/* answers end with MSG_EOR */
#define SANTA_FRAMING_F_WRITE_ANSWERS	(1U << 1)	/* answers are written whole */

/* Longest request terminator of a TCP socket */
#define SANTA_TERM_MAX_LEN	8

/* struct santa_proc types */
#define SANTA_PROC_PUT		1	/* put rule data into the reply */
#define SANTA_PROC_COPY		2	/* copy request bytes into the reply */

/* Limits of one rule */
#define SANTA_COND_MAX_LEN	1024
#define SANTA_COND_MAX_OFF	4096
#define SANTA_MAX_PROCS		16
#define SANTA_RULE_ALIGN	8

/**
 * struct santa_proc - a processor: writes @len bytes at @dst_off of the reply
 * @type: %SANTA_PROC_PUT or %SANTA_PROC_COPY
 * @__reserved: must be zero
 * @dst_off: offset in the reply
 * @len: number of bytes, at least 1
 * @src_off: %SANTA_PROC_COPY: offset in the request payload to copy from;
 *	%SANTA_PROC_PUT: offset of the data from the start of the
 *	&struct santa_rule, after the condition bytes and within its @size
 */
struct santa_proc {
	__u16 type;
	__u16 __reserved;
	__u32 dst_off;
	__u32 len;
	__u32 src_off;
};

/**
 * struct santa_rule - a rule, followed by its processors, condition and data
 * @size: bytes of the whole rule (this header, @procs, the condition
 *	bytes, the PUT data), a multiple of %SANTA_RULE_ALIGN
 * @id: identifier chosen by the application, unique on the socket
 * @flags: %SANTA_RULE_F_* flags; unknown flags are rejected
 * @cond_off: offset of the condition in the request payload
 * @cond_len: length of the condition, 1 to %SANTA_COND_MAX_LEN
 * @reply_len: length of the reply payload; bytes no processor writes are 0
 * @nr_procs: number of processors, 1 to %SANTA_MAX_PROCS
 * @hdr_len: bytes of this header, where @procs start: 0 or
 *	sizeof(struct santa_rule) (24) for this one. A larger header, of a
 *	newer version of this structure, is accepted when the bytes this
 *	kernel does not know are zero (%E2BIG otherwise); a multiple of
 *	%SANTA_RULE_ALIGN
 * @procs: processors, not overlapping in the reply; the @cond_len
 *	condition bytes follow them, then the data of PUT processors
 *
 * A request matches when its payload holds the condition bytes at
 * @cond_off (and, with %SANTA_RULE_F_EXACT_LEN, ends there). When several
 * rules match, the longest condition wins, then an exact-length one, then
 * the lowest offset.
 */
struct santa_rule {
	__u32 size;
	__u32 id;
	__u32 flags;
	__u16 cond_off;
	__u16 cond_len;
	__u32 reply_len;
	__u16 nr_procs;
	__u16 hdr_len;
	struct santa_proc procs[];
};

/**
 * struct santa_bulk - header of %SANTA_RULE_ADD_BULK
 * @count: number of rules that follow, back to back (each @size bytes)
 * @flags: must be zero
 *
 * All or nothing: on error no rule of the call stays installed.
 */
struct santa_bulk {
	__u32 count;
	__u32 flags;
};

/**
 * struct santa_limits - per-socket limits the application sets
 * @max_ratio: largest reply payload per request payload byte, 0: no limit;
 *	a rule whose reply is larger lets the request through
 * @rate: replies per second from the kernel, 0: no limit, at most 10^9;
 *	requests over the rate reach the application
 * @burst: replies allowed at once above @rate (at least 1 with @rate)
 * @__reserved: must be zero
 *
 * A socket starts with the limits of sysctl net.santa.default_rate,
 * default_burst and, for UDP, default_udp_max_ratio (getsockopt shows
 * them). A larger struct from a newer header is accepted when the fields
 * past this one are zero (E2BIG otherwise).
 */
struct santa_limits {
	__u32 max_ratio;
	__u32 rate;
	__u32 burst;
	__u32 __reserved;
};

/**
 * struct santa_framing - how a TCP socket's byte stream is cut into requests
 * @flags: %SANTA_FRAMING_F_EOR: the application does not rely on the
 *	kernel guessing when it has answered everything it read; it says so
 *	itself by sending the last byte of such an answer with MSG_EOR.
 *	%SANTA_FRAMING_F_WRITE_ANSWERS: the application (or the operator
 *	for it) promises that it writes the whole answer to a request before
 *	it waits for anything but send buffer space; then a connection that
 *	was given one whole request, and read it and wrote since, has
 *	answered it once all it wrote is acknowledged
 * @term_len: length of @term, 0 to %SANTA_TERM_MAX_LEN
 * @__reserved: must be zero
 * @term: the bytes that end every request, such as "\r\n\r\n" for
 *	HTTP/1 requests without a body or "\r\n" for memcached's text
 *	protocol; bytes past @term_len must be zero
 *
 * A TCP rule always describes a whole request. Without a terminator
 * (@term_len 0, the default), a request is one whole segment and only
 * %SANTA_RULE_F_EXACT_LEN rules can be added (prefix rules fail with
 * EOPNOTSUPP). With a terminator, a segment is cut into requests, each
 * ending at the first occurrence of @term; a rule's condition must match
 * at @cond_off of one request (and end with it, with
 * %SANTA_RULE_F_EXACT_LEN). The kernel answers a segment only if every
 * request in it is answered by a rule; a segment that holds a miss or
 * ends inside a request goes to the application whole.
 *
 * Set on a listener or a connected socket; a different framing fails
 * with EBUSY while the socket has rules or connections share its state.
 * Connections accepted from a listener use its framing.
 */
struct santa_framing {
	__u32 flags;
	__u8 term_len;
	__u8 __reserved[3];
	__u8 term[SANTA_TERM_MAX_LEN];
};

/**
 * struct santa_rule_info - one rule in a %SANTA_RULE_LIST answer
 * @id: rule id
 * @flags: rule flags
 * @cond_off: condition offset
 * @cond_len: condition length
 * @reply_len: reply length
 * @nr_procs: number of processors
 * @__reserved: zero
 * @__pad: zero
 * @hits: requests answered by this rule
 */
struct santa_rule_info {
	__u32 id;
	__u32 flags;
	__u16 cond_off;
	__u16 cond_len;
	__u32 reply_len;
	__u16 nr_procs;
	__u16 __reserved;
	__u32 __pad;
	__u64 hits;
};

/**
 * struct santa_rule_list - in/out value of getsockopt(%SANTA_RULE_LIST)
 * @start_id: in: list rules with an id at least this; out: unchanged
 * @count: out: number of @rules filled (as many as optlen holds)
 * @next_id: out: the start_id of the next call; valid when @more is 1
 * @more: out: 1 when rules remain after @next_id - 1
 * @rules: rules, by increasing id
 */
struct santa_rule_list {
	__u32 start_id;
	__u32 count;
	__u32 next_id;
	__u32 more;
	struct santa_rule_info rules[];
};

/**
 * struct santa_stats - counters of a socket (getsockopt %SANTA_STATS)
 * @rules: rules installed
 * @rule_bytes: memory used by the rules
 * @hits: requests answered by the kernel
 * @misses: requests no rule matched (delivered to the application)
 * @reply_bytes: payload bytes of the replies sent
 * @fail_nomem: matched, but no memory (or send buffer) for the reply
 * @fail_route: matched, but no route back to the sender
 * @fail_too_big: matched, but the reply does not fit the path MTU
 * @fail_ratio: matched, but the reply exceeds @max_ratio
 * @fail_rate: matched, but over the socket's reply rate
 * @fail_xmit: of @hits, replies the IP layer dropped (netfilter, qdisc)
 * @skipped: not looked up (multicast/broadcast, aggregated, no source port,
 *	longer than 2048 bytes and not in the linear part of the packet;
 *	UDP: IP options or extension headers on a socket that reads them, a
 *	source route on the socket, a request through a VRF to a socket
 *	bound to no device; TCP: a segment with FIN or URG, overlapping received data, ending
 *	inside a request or too long to match, a connection not yet
 *	accepted, with an upper layer protocol such as kTLS or MPTCP, with
 *	sk_user_data (sockmap), or whose listener is gone)
 * @fail_order: TCP: not looked up because an answer from the kernel could
 *	overtake the application: it has not answered all it read, it has
 *	unread data, data is missing before the segment, or data it wrote is
 *	not yet sent and acknowledged
 * @fail_loop: not looked up because answering could start a loop: the
 *	request is a reply Santa built on this host, or (UDP) it comes from
 *	the address and port it is sent to
 *
 * Requests counted in @misses, @skipped and @fail_* but @fail_xmit reach
 * the application. The
 * kernel fills min(optlen, sizeof(struct santa_stats)) bytes: new counters
 * are only ever appended.
 */
struct santa_stats {
	__u64 rules;
	__u64 rule_bytes;
	__u64 hits;
	__u64 misses;
	__u64 reply_bytes;
	__u64 fail_nomem;
	__u64 fail_route;
	__u64 fail_too_big;
	__u64 fail_ratio;
	__u64 fail_rate;
	__u64 fail_xmit;
	__u64 skipped;
	__u64 fail_order;
	__u64 fail_loop;
};

/*
 * sock_diag: when the request carries the INET_DIAG_REQ_SANTA flag
 * attribute, TCP and UDP sockets with Santa state carry INET_DIAG_SANTA,
 * which nests these attributes. New ones are only ever added.
 *
 * A connection that uses the rules of the listener it was accepted from
 * has %SANTA_DIAG_SHARED and %SANTA_DIAG_OWNER but no %SANTA_DIAG_STATS:
 * its requests count in the listener's counters, which a dump reports
 * once, on the listener.
 */
enum {
	SANTA_DIAG_UNSPEC,
	SANTA_DIAG_STATS,	/* struct santa_stats (may grow), on the
				 * socket that owns the rules
				 */
	SANTA_DIAG_SHARED,	/* flag: the rules of the listener the
				 * connection was accepted from
				 */
	SANTA_DIAG_PAD,
	SANTA_DIAG_OWNER,	/* u64: SO_COOKIE of the socket that owns
				 * the rules and counters (the socket
				 * itself, or its listener)
				 */
	__SANTA_DIAG_MAX,
};

#define SANTA_DIAG_MAX (__SANTA_DIAG_MAX - 1)

#endif /* _UAPI_LINUX_SANTA_H */
