// SPDX-License-Identifier: GPL-2.0
// santa-ctl: manage the Santa rules of a running server's socket.
#include "santa/attach.hpp"
#include "santa/diag.hpp"
#include "santa/proto.hpp"
#include "santa/rulefile.hpp"
#include "santa/santa.hpp"

#include <linux/santa.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace santa;

namespace {

const char *const version = "santa-ctl 1.0";

const char *const main_help = R"(Usage: santa-ctl [OPTIONS] OBJECT COMMAND [ARGS]...

Manages the Santa rules of a server's socket: requests matching a rule are
answered by the kernel. The socket belongs to a running process; santa-ctl
takes a duplicate of it (pidfd_getfd), so the rules stay after it exits.

Options (before OBJECT):
  -p, --pid PID          process that holds the socket (with --fd)
  -f, --fd FD            the socket's file descriptor in that process
  -s, --sock 'PROTO ADDR:PORT'
                         the socket bound to this local address, found as
                         `ss -lp` does: 'udp 0.0.0.0:53', 'tcp [::]:80',
                         'udp *:53' (any address); every socket that matches
                         (SO_REUSEPORT groups) is acted on
  -j, --json             JSON output
  -b, --batch N          rules per SANTA_RULE_ADD_BULK call (default 65536)
  -q, --quiet            no progress messages
  -h, --help             this help (also: santa-ctl OBJECT help)
  -V, --version

Objects:
  rule       add | replace | del | flush | list
  stats      counters of the socket (--rules: hits of every rule)
  monitor    counters refreshed like watch(1)
  limits     show | set (amplification ratio, reply rate)
  framing    show | set: how a TCP socket's stream is cut into requests
  load       install a rule file (text or JSON), in bulk
  check      parse a rule file and report, without a socket
  socket     show the sockets that --sock finds and their owners
  diag       Santa counters of every socket, from sock_diag (no privilege)
  dns        compile | load: rules from a zone file
  memcached  compile | load: rules answering `get KEY`
  http       compile | load: rules answering `GET /path`

Exit status: 0 success, 1 error, 2 usage error. See docs/santa-ctl.md.
)";

const char *const rule_help = R"(Usage: santa-ctl TARGET rule add ID [exact] match OFF BYTES [reply LEN] PROC...
       santa-ctl TARGET rule replace ID ...     (same syntax; atomic for readers)
       santa-ctl TARGET rule del ID...
       santa-ctl TARGET rule flush
       santa-ctl TARGET rule list

PROC is `put DST BYTES` (write BYTES at reply offset DST) or
`copy DST SRC LEN` (copy LEN request bytes from SRC). BYTES is a word with
C escapes ('get k\r\n'), "quoted", x"0a0b" / hex:0a0b, or @FILE.
`exact`: the request must end where the condition ends. `reply LEN`
defaults to the end of the last processor; other reply bytes are zero.

Example: santa-ctl -s 'udp :7007' rule add 1 match 0 'PING ' put 0 'PONG ' copy 5 5 4
)";

const char *const stats_help = R"(Usage: santa-ctl TARGET stats [--rules]

Prints the Santa counters of each socket (hits, misses, fail_*, ...). Counters
a newer kernel appends are printed as counterN. --rules adds one line per
rule with its hits.
)";

const char *const monitor_help = R"(Usage: santa-ctl TARGET monitor [--interval SEC] [--count N] [--rules]

Prints the counters and their rate per second every SEC seconds (default 1),
N times (default: until interrupted). On a terminal the screen is redrawn
like watch(1); otherwise one block (or, with -j, one JSON line) per sample.
)";

const char *const limits_help = R"(Usage: santa-ctl TARGET limits [show]
       santa-ctl TARGET limits set [max_ratio N] [rate N burst N]

max_ratio: largest reply bytes per request byte (0: no limit); rate/burst:
replies per second from the kernel (0 0: no limit). Requests over a limit
reach the server. A socket starts with net.santa.default_rate and
default_burst, and a UDP socket with net.santa.default_udp_max_ratio.
)";

const char *const framing_help = R"(Usage: santa-ctl TARGET framing [show]
       santa-ctl TARGET framing set (--term BYTES | --none) [--eor] [--write-answers]

SANTA_TCP_FRAMING of a TCP socket (a listener's framing is used by its
connections). With a terminator, every request ends at its first
occurrence and a segment is answered only if every request in it matches a
rule; without one (--none, the default), a request is one whole segment and
only exact rules can be added. The framing cannot change while the socket
has rules (EBUSY): flush them first. Setting the framing it already has is
accepted.

  --term BYTES   1..8 bytes, C escapes: '\r\n\r\n' (HTTP/1), '\r\n' (memcached)
  --none         no terminator
  --eor          the server ends its answers with send(MSG_EOR): the kernel
                 does not watch its empty reads to know it is idle
  --write-answers  SANTA_FRAMING_F_WRITE_ANSWERS: the operator promises that
                 the server writes the whole answer to a request before it
                 waits for anything but send buffer space; then a
                 connection that was given exactly one whole request, read
                 it and wrote since, counts as having answered it once all
                 it wrote is acknowledged. Without it (or --eor) the kernel
                 answers only after the server made a read that found
                 nothing (EAGAIN) after its last write, which nginx and
                 memcached never do. Kept by nginx serving static files
                 without aio threads and by memcached; not by proxies that
                 stream upstream answers or servers that answer from other
                 threads (use --eor there, or neither)
(the words term, none, eor and write-answers without dashes are accepted too)
)";

const char *const load_help = R"(Usage: santa-ctl TARGET load [--flush] FILE
       santa-ctl check FILE

Installs the rules of FILE ("-": stdin) with SANTA_RULE_ADD_BULK, --batch
rules per call. The file is parsed completely first: a syntax error
(FILE:LINE:COL: message) installs nothing. If the kernel rejects a batch,
the rules this command installed are removed again. --flush removes the
socket's rules first. `limits` lines in the file are applied too, and a
`framing` line (TCP) is set before the rules (see santa-ctl framing help).

Text format, one statement per line (# comments, ';' also ends a statement):
  rule ID [exact] match OFF BYTES [reply LEN] PROC...
  limits [max_ratio N] [rate N burst N]
  framing { term BYTES | none } [eor] [write-answers]
BYTES: "C-escaped text", x"hex", @"file" (adjacent literals concatenate).
JSON format: {"rules": [{"id": 1, "exact": true, "match": {"offset": 0,
"text": "..."}, "procs": [{"put": {"offset": 0, "hex": "..."}},
{"copy": {"offset": 5, "src": 5, "len": 4}}]}], "limits": {...},
"framing": {"text": "\r\n\r\n", "eor": false, "write_answers": true}}
)";

const char *const socket_help = R"(Usage: santa-ctl -s 'PROTO ADDR:PORT' socket [show]
       santa-ctl -p PID -f FD socket [show]

Shows the sockets found (inode, local address, owning processes) and
whether they take Santa options.
)";

const char *const diag_help = R"(Usage: santa-ctl [-s 'PROTO ADDR:PORT'] diag [udp|tcp] [--all]

Lists the UDP and TCP sockets of this network namespace that have Santa
state, with their counters, read with sock_diag (INET_DIAG_SANTA) as ss(8)
reads socket details: no ptrace access to the servers, no root needed.
TCP connections that use their listener's rules are marked "shared" and
show no counters: their requests count in the listener's, which are shown
once, on the listener ("owner" in -j output is its SO_COOKIE). --sock
keeps the sockets bound to that local address; --all also lists sockets
without Santa state.
)";

const char *const dns_help = R"(Usage: santa-ctl dns compile ZONEFILE [OPTIONS]
       santa-ctl TARGET dns load ZONEFILE [--flush] [OPTIONS]

Compiles the A, AAAA, TXT and CNAME answers of a zone into exact-length
rules on standard queries (one question, no EDNS): the condition is bytes
2.. of the query (flags, counts, question); the reply copies the
transaction id. One rule per name, type and flags variant. Queries with
EDNS(0) (unless --edns), other flags, or names in other letter case (0x20)
do not match and reach the server.

Options:
  --origin NAME      zone origin when the file has no $ORIGIN
  --minimal          no authority/additional sections (nsd
                     minimal-responses: yes, knot); default: nsd's
                     responses (apex NS in authority, in-zone glue)
  --ipv6             compile: answers for an IPv6 socket (nsd puts AAAA
                     glue first there); load takes it from the socket
  --rd 0|1|both      RD values to answer (default both)
  --ad 0|1|both      AD values in queries to answer (default both; dig sets AD)
  --cd               also answer queries with CD set
  --types LIST       query types, comma separated (default A,AAAA,TXT,CNAME)
  --max-reply N      skip answers longer than N bytes (default 512)
  --edns SIZES       also answer EDNS(0) queries whose OPT record has one of
                     these UDP sizes (comma separated, e.g. 1232,4096), DO 0
                     or 1 and no options (no cookie): 2 more rules per size
                     and variant; the answer carries the server's OPT
  --server-edns-size N   the server's own EDNS UDP size (nsd: 1232)
  --first-id N       id of the first rule (default 1)
)";

const char *const memcached_help = R"(Usage: santa-ctl memcached compile (--udp|--tcp) [--first-id N] [--strict-order] (KEY FLAGS VALUE | --file ITEMS)
       santa-ctl TARGET memcached load [--first-id N] [--flush] [--strict-order] (KEY FLAGS VALUE | --file ITEMS)

UDP: condition = frame header (sequence 0, total 1, reserved 0) + "get KEY\r\n",
exact length; the reply copies the request id. TCP: "get KEY\r\n" at the
start of a request, exact length. Reply: "VALUE KEY FLAGS LEN\r\nDATA\r\nEND\r\n".
load on a TCP socket first sets the request terminator "\r\n" (framing), so
pipelined gets are answered when every one of a segment is a hit, and
write-answers (SANTA_FRAMING_F_WRITE_ANSWERS): santa-ctl promises for
memcached that it writes the whole answer to a request before it waits for
anything but send buffer space (memcached answers in the event handler
that read the request); then a connection that was given exactly one whole
request, read it and wrote since, counts as having answered it once all it
wrote is acknowledged. --strict-order leaves it off: the kernel then answers
only after the server made a read that found nothing (EAGAIN) after its
last write, which memcached never does (one read per event), so it gets no
kernel answers; use it for servers that answer from other threads or
proxies that stream upstream answers.
load takes the protocol from the socket. ITEMS: lines KEY FLAGS VALUE (VALUE
with C escapes, or @FILE). The server must hold the same values: santa-ctl
does not follow later `set`s (replace or delete the rule when they change).
)";

const char *const http_help = R"(Usage: santa-ctl http compile --host HOST [--path /P] FILE [OPTIONS]
       santa-ctl TARGET http load --host HOST [--path /P] FILE [OPTIONS]

Condition: "GET /P HTTP/1.1\r\nHost: HOST\r\n" at offset 0 (prefix: the
headers after Host may be anything). curl sends exactly this start (Host
with ":PORT" when the port is not 80). Reply: a full 200 response with
nginx's header order: Server, Date (frozen now), Content-Type,
Content-Length, Last-Modified, Connection: keep-alive, ETag, Accept-Ranges.
load first sets the socket's request terminator "\r\n\r\n" (framing): a
request is a whole header block, so pipelined requests are answered when
every one of a segment is a hit. It also sets write-answers
(SANTA_FRAMING_F_WRITE_ANSWERS): santa-ctl promises for the server that it
writes the whole answer to a request before it waits for anything but send
buffer space; then a connection that was given exactly one whole request,
read it and wrote since, counts as having answered it once all it wrote is
acknowledged. nginx serving static files without aio threads keeps this
promise; proxies that stream upstream answers and servers that answer from
other threads do not: use --strict-order there (or a server that sends
MSG_EOR, santa-ctl framing set --eor).

Options:
  --path /P          request path (default: / + the file's name)
  --id N             rule id (default 1)
  --content-type T   default by extension (nginx mime.types)
  --server S         Server header (default nginx/1.22.1; "" for none)
  --etag nginx|none|VALUE   default nginx ("mtime-size" in hex)
  --no-last-modified
  --date EPOCH       Date header (default: now)
  --flush            load: remove the socket's rules first
  --strict-order     no write-answers: the kernel answers only after the
                     server made a read that found nothing (EAGAIN) after
                     its last write (nginx never does: it skips that read
                     with EPOLLRDHUP, so it gets no kernel answers)

The reply must fit net.santa.max_reply_len (default and at most
2097152 bytes, the headers included).
)";

struct Opts {
	pid_t pid = 0;
	int fd = -1;
	std::string sock;
	bool json = false;
	bool quiet = false;
	std::size_t batch = 65536;
};

struct UsageError : std::runtime_error {
	using std::runtime_error::runtime_error;
};

struct Target {
	Socket s;
	std::string desc;
	Proto proto = Proto::udp;
	unsigned long long inode = 0;
	pid_t pid = 0;
	int fd = -1;
};

std::uint64_t to_u64(const std::string &s, const std::string &what)
{
	std::uint64_t v = 0;
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || p != s.data() + s.size() || s.empty())
		throw UsageError(what + ": expected a number, got '" + s + "'");
	return v;
}

std::uint32_t to_u32(const std::string &s, const std::string &what)
{
	std::uint64_t v = to_u64(s, what);
	if (v > UINT32_MAX)
		throw UsageError(what + ": too large");
	return static_cast<std::uint32_t>(v);
}

bool is_help(const std::string &a) { return a == "-h" || a == "--help" || a == "help"; }

Proto socket_proto(const Socket &s)
{
	int type = 0;
	socklen_t len = sizeof(type);
	if (getsockopt(s.fd(), SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM)
		return Proto::tcp;
	return Proto::udp;
}

int socket_family(const Socket &s)
{
	sockaddr_storage ss{};
	socklen_t len = sizeof(ss);
	if (getsockname(s.fd(), reinterpret_cast<sockaddr *>(&ss), &len) != 0)
		return AF_UNSPEC;
	return ss.ss_family;
}

std::vector<Target> resolve(const Opts &o)
{
	std::vector<Target> out;
	if (o.pid != 0 || o.fd >= 0) {
		if (o.pid == 0 || o.fd < 0)
			throw UsageError("--pid and --fd go together");
		std::error_code ec;
		std::string why;
		Target t;
		t.s = take_fd(o.pid, o.fd, ec, why);
		if (ec)
			throw std::runtime_error(why);
		t.pid = o.pid;
		t.fd = o.fd;
		t.inode = socket_inode(o.pid, o.fd);
		if (t.inode == 0)
			throw std::runtime_error("fd " + std::to_string(o.fd) + " of pid " + std::to_string(o.pid) +
						 " is not a socket");
		t.proto = socket_proto(t.s);
		t.desc = "pid " + std::to_string(o.pid) + " fd " + std::to_string(o.fd);
		out.push_back(std::move(t));
		return out;
	}
	if (o.sock.empty())
		throw UsageError("no socket given: use --sock 'udp ADDR:PORT' or --pid PID --fd FD");
	Endpoint e;
	try {
		e = parse_endpoint(o.sock);
	} catch (const std::invalid_argument &x) {
		throw UsageError(x.what());
	}
	auto found = find_sockets(e);
	if (found.empty())
		throw std::runtime_error("no " + std::string(to_string(e.proto)) + " socket " +
					 (e.proto == Proto::tcp ? "listening on " : "bound to ") + o.sock.substr(4) +
					 " in this network namespace (is the server running? try `ss -lnp`)");
	for (auto &f : found) {
		if (f.owners.empty())
			throw std::runtime_error("socket " + to_string(f.local) + " (inode " + std::to_string(f.inode) +
						 "): no process found holding it (need root to see other users' fds)");
		std::string why;
		std::error_code ec;
		for (const auto &ow : f.owners) {
			Target t;
			t.s = take_fd(ow.pid, ow.fd, ec, why);
			if (ec)
				continue;
			t.proto = f.proto;
			t.inode = f.inode;
			t.pid = ow.pid;
			t.fd = ow.fd;
			t.desc = to_string(f.local);
			out.push_back(std::move(t));
			break;
		}
		if (ec)
			throw std::runtime_error(why);
	}
	return out;
}

[[noreturn]] void kernel_error(const Target &t, const std::string &what, std::error_code ec, int opt)
{
	std::string msg = t.desc + ": " + what + ": " + ec.message() + " (" + explain(ec, opt) + ")";
	if (ec.value() == ENOPROTOOPT && t.proto == Proto::tcp && opt == SANTA_TCP_FRAMING)
		msg = t.desc + ": " + what + ": " + ec.message() +
		      " (this kernel has no SANTA_TCP_FRAMING: a Santa TCP patch older than the framing contract)";
	else if (ec.value() == EOPNOTSUPP && t.proto == Proto::tcp && opt == SANTA_TCP_FRAMING)
		msg = t.desc + ": " + what + ": " + ec.message() + " (this kernel does not know SOL_SANTA: not a Santa kernel)";
	else if (ec.value() == ENOPROTOOPT && t.proto == Proto::tcp)
		msg = t.desc + ": " + what + ": " + ec.message() +
		      " (this kernel has no Santa offload for TCP sockets)";
	throw std::runtime_error(msg);
}

void need_args(const std::vector<std::string> &a, std::size_t n, const char *help)
{
	if (a.size() < n)
		throw UsageError(std::string("missing arguments\n") + help);
}

std::string json_stats(const Stats &st)
{
	std::string out = "{";
	for (std::size_t i = 0; i < st.values.size(); i++) {
		if (i != 0)
			out += ",";
		out += json_escape(Stats::name(i)) + ":" + std::to_string(st.values[i]);
	}
	return out + "}";
}

std::string json_rule_info(const RuleInfo &r)
{
	return "{\"id\":" + std::to_string(r.id) + ",\"exact\":" + ((r.flags & flag_exact_len) ? "true" : "false") +
	       ",\"cond_off\":" + std::to_string(r.cond_off) + ",\"cond_len\":" + std::to_string(r.cond_len) +
	       ",\"reply_len\":" + std::to_string(r.reply_len) + ",\"procs\":" + std::to_string(r.nr_procs) +
	       ",\"hits\":" + std::to_string(r.hits) + "}";
}

std::string json_target(const Target &t)
{
	return "\"socket\":" + json_escape(t.desc) + ",\"inode\":" + std::to_string(t.inode) + ",\"pid\":" +
	       std::to_string(t.pid) + ",\"fd\":" + std::to_string(t.fd);
}

void print_rule_table(const std::vector<RuleInfo> &rules)
{
	std::printf("%10s %5s %8s %8s %9s %5s %12s\n", "id", "exact", "cond_off", "cond_len", "reply_len", "procs",
		    "hits");
	for (const auto &r : rules)
		std::printf("%10u %5s %8u %8u %9u %5u %12llu\n", r.id, (r.flags & flag_exact_len) ? "yes" : "no",
			    r.cond_off, r.cond_len, r.reply_len, r.nr_procs, static_cast<unsigned long long>(r.hits));
}

// rules encoded in batches, ready for SANTA_RULE_ADD_BULK
struct Batches {
	struct Batch {
		Bytes data;
		std::uint32_t count = 0;
		std::vector<std::uint32_t> ids;
	};
	std::vector<Batch> list;
	std::size_t total = 0;
	std::size_t batch_size = 65536;

	void add(const Rule &r)
	{
		if (list.empty() || list.back().count >= batch_size) {
			list.emplace_back();
			// rules of a file tend to be alike: room for a batch of this
			// one, at most 64 MiB ahead (a 1 MiB HTTP rule is one rule)
			const std::size_t n = std::min<std::size_t>(batch_size, 1U << 20);
			list.back().data.reserve(std::min<std::size_t>(n * (encoded_size(r) + encoded_size(r) / 4), 64U << 20));
			list.back().ids.reserve(n);
		}
		auto &b = list.back();
		encode(r, b.data);
		b.count++;
		b.ids.push_back(r.id);
		total++;
	}
};

std::string framing_desc(const Framing &f)
{
	std::string s = f.term.empty() ? std::string("none") : "term \"" + term_text(f.term) + "\"";
	if (f.eor())
		s += " eor";
	if (f.write_answers())
		s += " write-answers";
	return s;
}

// Gives a TCP socket the framing its rules are written for (UDP: nothing).
void apply_framing(const Target &t, const Framing &f, const Opts &o)
{
	if (t.proto != Proto::tcp)
		return;
	Framing cur;
	if (auto ec = t.s.ensure_framing(f, &cur)) {
		std::string what = "framing " + framing_desc(f);
		if (ec.value() == EBUSY)
			what += " (the socket has rules with framing " + framing_desc(cur) + "; --flush replaces them)";
		kernel_error(t, what, ec, SANTA_TCP_FRAMING);
	}
	if (!o.quiet && !o.json)
		std::fprintf(stderr, "%s: framing %s\n", t.desc.c_str(), framing_desc(f).c_str());
}

void install(std::vector<Target> &targets, const Batches &b, bool flush, const Opts &o,
	     const Framing *framing = nullptr)
{
	for (auto &t : targets) {
		if (flush)
			if (auto ec = t.s.flush())
				kernel_error(t, "flush", ec, SANTA_RULE_FLUSH);
		if (framing != nullptr)
			apply_framing(t, *framing, o);
		auto t0 = std::chrono::steady_clock::now();
		std::size_t done = 0;
		for (std::size_t i = 0; i < b.list.size(); i++) {
			const auto &batch = b.list[i];
			if (auto ec = t.s.add_bulk_encoded(batch.data, batch.count)) {
				// undo the batches this command installed
				for (std::size_t k = 0; k < i; k++)
					for (auto id : b.list[k].ids)
						(void)t.s.del(id);
				std::string where = "rules " + std::to_string(batch.ids.front()) + ".." +
						    std::to_string(batch.ids.back());
				if (ec.value() == EEXIST)
					where += " (an id or a condition of this batch is already installed; "
						 "--flush replaces everything)";
				kernel_error(t, "SANTA_RULE_ADD_BULK of " + where + ", nothing installed", ec,
					     SANTA_RULE_ADD_BULK);
			}
			done += batch.count;
		}
		double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
		if (o.json)
			std::printf("{%s,\"installed\":%zu,\"seconds\":%.3f}\n", json_target(t).c_str(), done, s);
		else if (!o.quiet)
			std::printf("%s: installed %zu rules in %.3f s\n", t.desc.c_str(), done, s);
	}
}

int cmd_rule(const Opts &o, std::vector<std::string> a)
{
	if (a.empty() || is_help(a[0])) {
		std::fputs(rule_help, stdout);
		return a.empty() ? 2 : 0;
	}
	const std::string c = a[0];
	a.erase(a.begin());
	if (!a.empty() && is_help(a[0])) {
		std::fputs(rule_help, stdout);
		return 0;
	}
	if (c == "add" || c == "replace") {
		Rule r = parse_rule_args(a);
		auto targets = resolve(o);
		for (auto &t : targets) {
			auto ec = c == "add" ? t.s.add(r) : t.s.replace(r);
			if (ec)
				kernel_error(t, "rule " + c + " " + std::to_string(r.id), ec,
					     c == "add" ? SANTA_RULE_ADD : SANTA_RULE_REPLACE);
		}
		return 0;
	}
	if (c == "del" || c == "delete") {
		need_args(a, 1, rule_help);
		std::vector<std::uint32_t> ids;
		ids.reserve(a.size());
		for (const auto &x : a)
			ids.push_back(to_u32(x, "rule id"));
		auto targets = resolve(o);
		for (auto &t : targets)
			for (auto id : ids)
				if (auto ec = t.s.del(id))
					kernel_error(t, "rule del " + std::to_string(id), ec, SANTA_RULE_DEL);
		return 0;
	}
	if (c == "flush") {
		auto targets = resolve(o);
		for (auto &t : targets)
			if (auto ec = t.s.flush())
				kernel_error(t, "rule flush", ec, SANTA_RULE_FLUSH);
		return 0;
	}
	if (c == "list" || c == "show" || c == "ls") {
		auto targets = resolve(o);
		if (o.json)
			std::printf("[");
		for (std::size_t i = 0; i < targets.size(); i++) {
			auto &t = targets[i];
			std::vector<RuleInfo> rules;
			if (auto ec = t.s.list(rules))
				kernel_error(t, "rule list", ec, SANTA_RULE_LIST);
			if (o.json) {
				std::printf("%s{%s,\"rules\":[", i ? "," : "", json_target(t).c_str());
				for (std::size_t k = 0; k < rules.size(); k++)
					std::printf("%s%s", k ? "," : "", json_rule_info(rules[k]).c_str());
				std::printf("]}");
			} else {
				std::printf("socket %s (inode %llu, pid %d fd %d): %zu rules\n", t.desc.c_str(), t.inode,
					    t.pid, t.fd, rules.size());
				print_rule_table(rules);
			}
		}
		if (o.json)
			std::printf("]\n");
		return 0;
	}
	throw UsageError("unknown rule command '" + c + "' (add, replace, del, flush, list)");
}

void print_stats(const Target &t, const Stats &st, const std::vector<RuleInfo> *rules, bool json, bool first)
{
	if (json) {
		std::printf("%s{%s,\"stats\":%s", first ? "" : ",", json_target(t).c_str(), json_stats(st).c_str());
		if (rules != nullptr) {
			std::printf(",\"rules\":[");
			for (std::size_t k = 0; k < rules->size(); k++)
				std::printf("%s%s", k ? "," : "", json_rule_info((*rules)[k]).c_str());
			std::printf("]");
		}
		std::printf("}");
		return;
	}
	std::printf("socket %s (inode %llu, pid %d fd %d)\n", t.desc.c_str(), t.inode, t.pid, t.fd);
	for (std::size_t i = 0; i < st.values.size(); i++)
		std::printf("    %-14s %llu\n", Stats::name(i).c_str(), static_cast<unsigned long long>(st.values[i]));
	if (rules != nullptr) {
		std::printf("    rules:\n");
		for (const auto &r : *rules)
			std::printf("      id %u hits %llu\n", r.id, static_cast<unsigned long long>(r.hits));
	}
}

int cmd_stats(const Opts &o, const std::vector<std::string> &a)
{
	bool with_rules = false;
	for (const auto &x : a) {
		if (is_help(x)) {
			std::fputs(stats_help, stdout);
			return 0;
		}
		if (x == "--rules" || x == "-r")
			with_rules = true;
		else if (x != "show")
			throw UsageError("stats: unknown argument '" + x + "'");
	}
	auto targets = resolve(o);
	if (o.json)
		std::printf("[");
	for (std::size_t i = 0; i < targets.size(); i++) {
		auto &t = targets[i];
		Stats st;
		if (auto ec = t.s.stats(st))
			kernel_error(t, "stats", ec, SANTA_STATS);
		std::vector<RuleInfo> rules;
		if (with_rules)
			if (auto ec = t.s.list(rules))
				kernel_error(t, "rule list", ec, SANTA_RULE_LIST);
		print_stats(t, st, with_rules ? &rules : nullptr, o.json, i == 0);
	}
	if (o.json)
		std::printf("]\n");
	return 0;
}

int cmd_monitor(const Opts &o, const std::vector<std::string> &a)
{
	double interval = 1.0;
	long count = -1;
	bool with_rules = false;
	for (std::size_t i = 0; i < a.size(); i++) {
		if (is_help(a[i])) {
			std::fputs(monitor_help, stdout);
			return 0;
		}
		if ((a[i] == "--interval" || a[i] == "-i") && i + 1 < a.size()) {
			try {
				interval = std::stod(a[++i]);
			} catch (const std::exception &) {
				throw UsageError("--interval: expected seconds");
			}
			if (interval <= 0)
				throw UsageError("--interval must be positive");
		} else if ((a[i] == "--count" || a[i] == "-c") && i + 1 < a.size()) {
			count = static_cast<long>(to_u32(a[++i], "--count"));
		} else if (a[i] == "--rules") {
			with_rules = true;
		} else {
			throw UsageError("monitor: unknown argument '" + a[i] + "'");
		}
	}
	auto targets = resolve(o);
	const bool tty = isatty(STDOUT_FILENO) != 0 && !o.json;
	std::vector<Stats> prev(targets.size());
	auto last = std::chrono::steady_clock::now();
	for (long n = 0; count < 0 || n < count; n++) {
		if (n != 0)
			std::this_thread::sleep_for(std::chrono::duration<double>(interval));
		auto now = std::chrono::steady_clock::now();
		double dt = std::chrono::duration<double>(now - last).count();
		last = now;
		if (tty)
			std::printf("\033[H\033[2J");
		std::time_t wall = std::time(nullptr);
		std::array<char, 32> ts{};
		std::strftime(ts.data(), ts.size(), "%H:%M:%S", std::localtime(&wall));
		if (!o.json)
			std::printf("Every %.1fs: santa-ctl monitor  %s  (sample %ld)\n", interval, ts.data(), n + 1);
		for (std::size_t i = 0; i < targets.size(); i++) {
			auto &t = targets[i];
			Stats st;
			if (auto ec = t.s.stats(st))
				kernel_error(t, "stats", ec, SANTA_STATS);
			std::vector<RuleInfo> rules;
			if (with_rules)
				if (auto ec = t.s.list(rules))
					kernel_error(t, "rule list", ec, SANTA_RULE_LIST);
			if (o.json) {
				std::printf("{\"time\":%lld,\"sample\":%ld,%s,\"stats\":%s,\"rate\":{", static_cast<long long>(wall),
					    n + 1, json_target(t).c_str(), json_stats(st).c_str());
				for (std::size_t k = 0; k < st.values.size(); k++) {
					double r = n == 0 || k >= prev[i].values.size()
							   ? 0.0
							   : (static_cast<double>(st.values[k]) - static_cast<double>(prev[i].values[k])) / dt;
					std::printf("%s%s:%.1f", k ? "," : "", json_escape(Stats::name(k)).c_str(), r);
				}
				std::printf("}}\n");
			} else {
				std::printf("socket %s (pid %d fd %d)\n", t.desc.c_str(), t.pid, t.fd);
				for (std::size_t k = 0; k < st.values.size(); k++) {
					std::printf("    %-14s %14llu", Stats::name(k).c_str(),
						    static_cast<unsigned long long>(st.values[k]));
					if (n != 0 && k < prev[i].values.size() && k >= 2)
						std::printf("  %10.1f/s",
							    (static_cast<double>(st.values[k]) - static_cast<double>(prev[i].values[k])) / dt);
					std::printf("\n");
				}
				for (const auto &r : rules)
					std::printf("      rule %u hits %llu\n", r.id, static_cast<unsigned long long>(r.hits));
			}
			prev[i] = st;
		}
		std::fflush(stdout);
	}
	return 0;
}

int cmd_limits(const Opts &o, const std::vector<std::string> &a)
{
	for (const auto &x : a)
		if (is_help(x)) {
			std::fputs(limits_help, stdout);
			return 0;
		}
	if (a.empty() || a[0] == "show") {
		auto targets = resolve(o);
		if (o.json)
			std::printf("[");
		for (std::size_t i = 0; i < targets.size(); i++) {
			Limits l;
			if (auto ec = targets[i].s.limits(l))
				kernel_error(targets[i], "limits", ec, SANTA_LIMITS);
			if (o.json)
				std::printf("%s{%s,\"max_ratio\":%u,\"rate\":%u,\"burst\":%u}", i ? "," : "",
					    json_target(targets[i]).c_str(), l.max_ratio, l.rate, l.burst);
			else
				std::printf("socket %s: max_ratio %u rate %u burst %u\n", targets[i].desc.c_str(),
					    l.max_ratio, l.rate, l.burst);
		}
		if (o.json)
			std::printf("]\n");
		return 0;
	}
	if (a[0] != "set")
		throw UsageError("limits: expected show or set\n" + std::string(limits_help));
	auto targets = resolve(o);
	for (auto &t : targets) {
		Limits l;
		if (auto ec = t.s.limits(l))
			kernel_error(t, "limits", ec, SANTA_LIMITS);
		for (std::size_t i = 1; i < a.size(); i += 2) {
			if (i + 1 >= a.size())
				throw UsageError("limits set: '" + a[i] + "' needs a value");
			std::uint32_t v = to_u32(a[i + 1], a[i]);
			if (a[i] == "max_ratio")
				l.max_ratio = v;
			else if (a[i] == "rate")
				l.rate = v;
			else if (a[i] == "burst")
				l.burst = v;
			else
				throw UsageError("limits set: unknown limit '" + a[i] + "'");
		}
		if (auto ec = t.s.set_limits(l))
			kernel_error(t, "limits set", ec, SANTA_LIMITS);
	}
	return 0;
}

std::string json_framing(const Target &t, const Framing &f)
{
	std::string hex;
	static const char digits[] = "0123456789abcdef";
	for (auto c : f.term) {
		hex += digits[c >> 4];
		hex += digits[c & 15];
	}
	return "{" + json_target(t) + ",\"flags\":" + std::to_string(f.flags) +
	       ",\"eor\":" + (f.eor() ? "true" : "false") +
	       ",\"write_answers\":" + (f.write_answers() ? "true" : "false") + ",\"term_len\":" + std::to_string(f.term.size()) +
	       ",\"term\":" + json_escape(std::string(f.term.begin(), f.term.end())) + ",\"term_hex\":\"" + hex +
	       "\"}";
}

int cmd_framing(const Opts &o, const std::vector<std::string> &a)
{
	for (const auto &x : a)
		if (is_help(x)) {
			std::fputs(framing_help, stdout);
			return 0;
		}
	if (a.empty() || a[0] == "show") {
		if (a.size() > 1)
			throw UsageError("framing show: unexpected '" + a[1] + "'");
		auto targets = resolve(o);
		if (o.json)
			std::printf("[");
		for (std::size_t i = 0; i < targets.size(); i++) {
			if (targets[i].proto != Proto::tcp)
				throw std::runtime_error(targets[i].desc + ": framing: only TCP sockets have a framing");
			Framing f;
			if (auto ec = targets[i].s.framing(f))
				kernel_error(targets[i], "framing", ec, SANTA_TCP_FRAMING);
			if (o.json)
				std::printf("%s%s", i ? "," : "", json_framing(targets[i], f).c_str());
			else
				std::printf("socket %s: framing %s\n", targets[i].desc.c_str(), framing_desc(f).c_str());
		}
		if (o.json)
			std::printf("]\n");
		return 0;
	}
	if (a[0] != "set")
		throw UsageError("framing: expected show or set\n" + std::string(framing_help));
	Framing f;
	bool have_term = false;
	for (std::size_t i = 1; i < a.size(); i++) {
		const std::string &x = a[i];
		if (x == "--term" || x == "term") {
			if (i + 1 >= a.size())
				throw UsageError("framing set: " + x + " needs BYTES");
			if (have_term)
				throw UsageError("framing set: one terminator only");
			try {
				f.term = unescape(a[++i]);
			} catch (const std::invalid_argument &e) {
				throw UsageError(std::string("framing set: terminator: ") + e.what());
			}
			if (f.term.empty())
				throw UsageError("framing set: empty terminator (use --none)");
			have_term = true;
		} else if (x == "--none" || x == "none") {
			if (have_term)
				throw UsageError("framing set: one terminator only");
			have_term = true;
		} else if (x == "--eor" || x == "eor") {
			f.flags |= framing_flag_eor;
		} else if (x == "--write-answers" || x == "write-answers") {
			f.flags |= framing_flag_write_answers;
		} else {
			throw UsageError("framing set: unknown argument '" + x + "'");
		}
	}
	if (!have_term)
		throw UsageError("framing set: give --term BYTES or --none\n" + std::string(framing_help));
	if (auto err = validate(f); !err.empty())
		throw UsageError("framing set: " + err);
	auto targets = resolve(o);
	for (auto &t : targets) {
		if (t.proto != Proto::tcp)
			throw std::runtime_error(t.desc + ": framing: only TCP sockets have a framing");
		Framing cur;
		if (auto ec = t.s.ensure_framing(f, &cur)) {
			std::string what = "framing set";
			if (ec.value() == EBUSY)
				what += " (the socket has rules with framing " + framing_desc(cur) + ": flush them first)";
			kernel_error(t, what, ec, SANTA_TCP_FRAMING);
		}
		if (o.json)
			std::printf("%s\n", json_framing(t, f).c_str());
		else if (!o.quiet)
			std::printf("socket %s: framing %s\n", t.desc.c_str(), framing_desc(f).c_str());
	}
	return 0;
}

int cmd_load(const Opts &o, const std::vector<std::string> &a, bool check_only)
{
	bool flush = false;
	std::string file;
	for (const auto &x : a) {
		if (is_help(x)) {
			std::fputs(load_help, stdout);
			return 0;
		}
		if (x == "--flush")
			flush = true;
		else if (file.empty())
			file = x;
		else
			throw UsageError("load: one file only");
	}
	if (file.empty())
		throw UsageError("load: missing FILE\n" + std::string(load_help));
	Batches b;
	b.batch_size = o.batch;
	auto t0 = std::chrono::steady_clock::now();
	FileDirectives d = load_file(file, [&](Rule &&r) { b.add(r); });
	double parse_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	if (check_only) {
		if (o.json)
			std::printf("{\"file\":%s,\"rules\":%zu,\"seconds\":%.3f}\n", json_escape(file).c_str(), b.total,
				    parse_s);
		else
			std::printf("%s: %zu rules, valid (parsed in %.3f s)\n", file.c_str(), b.total, parse_s);
		return 0;
	}
	if (!o.quiet && !o.json)
		std::fprintf(stderr, "%s: %zu rules parsed in %.3f s\n", file.c_str(), b.total, parse_s);
	auto targets = resolve(o);
	if (d.framing)
		for (const auto &t : targets)
			if (t.proto != Proto::tcp)
				throw std::runtime_error(t.desc + ": " + file + ": a framing line is for TCP sockets only");
	install(targets, b, flush, o, d.framing ? &*d.framing : nullptr);
	if (d.limits)
		for (auto &t : targets)
			if (auto ec = t.s.set_limits(*d.limits))
				kernel_error(t, "limits", ec, SANTA_LIMITS);
	return 0;
}

int cmd_socket(const Opts &o, const std::vector<std::string> &a)
{
	if (!a.empty() && is_help(a[0])) {
		std::fputs(socket_help, stdout);
		return 0;
	}
	auto targets = resolve(o);
	if (o.json)
		std::printf("[");
	for (std::size_t i = 0; i < targets.size(); i++) {
		auto &t = targets[i];
		auto ec = t.s.probe();
		if (o.json)
			std::printf("%s{%s,\"proto\":\"%s\",\"santa\":%s,\"error\":%s}", i ? "," : "", json_target(t).c_str(),
				    std::string(to_string(t.proto)).c_str(), ec ? "false" : "true",
				    json_escape(ec ? ec.message() : "").c_str());
		else
			std::printf("%s inode %llu pid %d fd %d santa %s\n", t.desc.c_str(), t.inode, t.pid, t.fd,
				    ec ? ("unavailable (" + ec.message() + ")").c_str() : "yes");
	}
	if (o.json)
		std::printf("]\n");
	return 0;
}

int cmd_diag(const Opts &o, const std::vector<std::string> &a)
{
	bool all = false;
	std::vector<Proto> protos = {Proto::udp, Proto::tcp};
	for (const auto &x : a) {
		if (is_help(x)) {
			std::fputs(diag_help, stdout);
			return 0;
		}
		if (x == "udp")
			protos = {Proto::udp};
		else if (x == "tcp")
			protos = {Proto::tcp};
		else if (x == "--all")
			all = true;
		else if (x != "show")
			throw UsageError("diag: unknown argument '" + x + "'");
	}
	std::optional<Endpoint> only;
	if (!o.sock.empty()) {
		try {
			only = parse_endpoint(o.sock);
		} catch (const std::invalid_argument &x) {
			throw UsageError(x.what());
		}
		protos = {only->proto};
	}
	if (o.json)
		std::printf("[");
	bool first = true;
	for (auto p : protos) {
		std::vector<DiagSocket> socks;
		if (auto ec = diag_dump(p, socks))
			throw std::runtime_error("sock_diag dump of " + std::string(to_string(p)) + " sockets: " +
						 ec.message() +
						 (ec.value() == ENOENT ? " (kernel without CONFIG_INET_DIAG / CONFIG_INET_" +
										 std::string(p == Proto::udp ? "UDP" : "TCP") + "_DIAG)"
								       : ""));
		for (const auto &d : socks) {
			if (!d.santa && !all)
				continue;
			if (only) {
				ProcNetEntry pe;
				pe.family = d.local.family;
				pe.addr = d.local.addr;
				pe.port = d.local.port;
				if (!endpoint_matches(*only, pe))
					continue;
			}
			const bool conn = p == Proto::tcp && d.state != 10; // not a listener
			std::string name = to_string(d.local);
			if (conn)
				name += " peer " + to_string(d.remote).substr(4);
			if (o.json) {
				std::printf("%s{\"socket\":%s,\"inode\":%llu,\"state\":%u,\"santa\":%s,\"shared\":%s", first ? "" : ",",
					    json_escape(name).c_str(), d.inode, d.state, d.santa ? "true" : "false",
					    d.shared ? "true" : "false");
				if (d.santa)
					std::printf(",\"owner\":%llu", d.owner);
				if (d.santa && !d.shared)
					std::printf(",\"stats\":%s", json_stats(d.stats).c_str());
				std::printf("}");
			} else {
				std::printf("%s inode %llu%s%s\n", name.c_str(), d.inode,
					    d.shared ? " (listener's rules and counters)" : "",
					    d.santa ? "" : " no santa state");
				if (d.santa && !d.shared) {
					std::printf("   ");
					for (std::size_t i = 0; i < d.stats.values.size(); i++)
						std::printf(" %s %llu", Stats::name(i).c_str(),
							    static_cast<unsigned long long>(d.stats.values[i]));
					std::printf("\n");
				}
			}
			first = false;
		}
	}
	if (o.json)
		std::printf("]\n");
	return 0;
}

std::string read_text(const std::string &path)
{
	std::ifstream f(path, std::ios::binary);
	if (!f)
		throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
	std::ostringstream ss;
	ss << f.rdbuf();
	return std::move(ss).str();
}

void emit(const Opts &o, const std::vector<Rule> &rules, const Framing *framing = nullptr)
{
	if (o.json) {
		if (framing != nullptr)
			std::printf("{\"framing\":%s,\n\"rules\":[\n", format_framing_json(*framing).c_str());
		else
			std::printf("{\"rules\":[\n");
		for (std::size_t i = 0; i < rules.size(); i++)
			std::printf("%s%s", format_json(rules[i]).c_str(), i + 1 < rules.size() ? ",\n" : "\n");
		std::printf("]}\n");
	} else {
		if (framing != nullptr)
			std::printf("%s\n", format_framing_text(*framing).c_str());
		for (const auto &r : rules)
			std::printf("%s\n", format_text(r).c_str());
	}
}

void deliver(const Opts &o, const std::string &mode, const std::vector<Rule> &rules, bool flush,
	     const Framing *framing = nullptr)
{
	if (mode == "compile") {
		emit(o, rules, framing);
		return;
	}
	Batches b;
	b.batch_size = o.batch;
	for (const auto &r : rules)
		b.add(r);
	auto targets = resolve(o);
	install(targets, b, flush, o, framing);
}

std::vector<std::uint8_t> flag_variants(const std::string &v, std::uint8_t bit, const std::string &what)
{
	if (v == "0")
		return {0};
	if (v == "1")
		return {bit};
	if (v == "both")
		return {0, bit};
	throw UsageError(what + ": expected 0, 1 or both");
}

int cmd_dns(const Opts &o, const std::vector<std::string> &a)
{
	if (a.empty() || is_help(a[0])) {
		std::fputs(dns_help, stdout);
		return a.empty() ? 2 : 0;
	}
	const std::string mode = a[0];
	if (mode != "compile" && mode != "load")
		throw UsageError("dns: expected compile or load");
	dns::Options d;
	std::string zone, origin;
	bool flush = false;
	bool cd = false;
	bool ipv6 = false;
	std::string rd = "both", ad = "both";
	for (std::size_t i = 1; i < a.size(); i++) {
		const std::string &x = a[i];
		auto val = [&]() -> const std::string & {
			if (i + 1 >= a.size())
				throw UsageError(x + " needs a value");
			return a[++i];
		};
		if (is_help(x)) {
			std::fputs(dns_help, stdout);
			return 0;
		}
		if (x == "--origin")
			origin = val();
		else if (x == "--minimal")
			d.minimal = true;
		else if (x == "--ipv6")
			ipv6 = true;
		else if (x == "--rd")
			rd = val();
		else if (x == "--ad")
			ad = val();
		else if (x == "--cd")
			cd = true;
		else if (x == "--flush")
			flush = true;
		else if (x == "--first-id")
			d.first_id = to_u32(val(), x);
		else if (x == "--max-reply")
			d.max_reply = to_u32(val(), x);
		else if (x == "--edns") {
			const std::string &list = val();
			std::size_t s = 0;
			while (s <= list.size()) {
				auto c = list.find(',', s);
				auto n = to_u32(list.substr(s, c == std::string::npos ? std::string::npos : c - s), "--edns");
				if (n < 512 || n > 65535)
					throw UsageError("--edns: UDP sizes are 512..65535");
				d.edns_sizes.push_back(static_cast<std::uint16_t>(n));
				if (c == std::string::npos)
					break;
				s = c + 1;
			}
		} else if (x == "--server-edns-size") {
			auto n = to_u32(val(), x);
			if (n < 512 || n > 65535)
				throw UsageError("--server-edns-size: 512..65535");
			d.server_edns_size = static_cast<std::uint16_t>(n);
		}
		else if (x == "--types") {
			d.qtypes.clear();
			const std::string &list = val();
			std::size_t s = 0;
			while (s <= list.size()) {
				auto c = list.find(',', s);
				std::string n = list.substr(s, c == std::string::npos ? std::string::npos : c - s);
				auto t = dns::type_from_name(n);
				if (t != dns::A && t != dns::AAAA && t != dns::TXT && t != dns::CNAME)
					throw UsageError("--types: supported are A, AAAA, TXT, CNAME");
				d.qtypes.push_back(t);
				if (c == std::string::npos)
					break;
				s = c + 1;
			}
		} else if (!x.empty() && x[0] != '-' && zone.empty())
			zone = x;
		else
			throw UsageError("dns: unknown argument '" + x + "'");
	}
	if (zone.empty())
		throw UsageError("dns " + mode + ": missing ZONEFILE");
	d.flags2 = flag_variants(rd, 0x01, "--rd");
	d.flags3 = flag_variants(ad, 0x20, "--ad");
	if (cd) {
		auto n = d.flags3.size();
		for (std::size_t i = 0; i < n; i++)
			d.flags3.push_back(static_cast<std::uint8_t>(d.flags3[i] | 0x10));
	}
	dns::Zone z = dns::parse_zone(read_text(zone), zone, origin);
	if (z.origin.empty())
		throw UsageError(zone + ": no $ORIGIN; give --origin");
	std::vector<std::string> notes;
	if (mode == "compile") {
		d.ipv6 = ipv6;
		auto rules = dns::compile(z, d, &notes);
		if (!o.quiet)
			for (const auto &n : notes)
				std::fprintf(stderr, "dns: %s\n", n.c_str());
		emit(o, rules);
		return 0;
	}
	// the answers depend on the socket's family (order of the glue)
	auto targets = resolve(o);
	for (auto &t : targets) {
		d.ipv6 = socket_family(t.s) == AF_INET6;
		notes.clear();
		auto rules = dns::compile(z, d, &notes);
		if (!o.quiet)
			for (const auto &n : notes)
				std::fprintf(stderr, "dns: %s\n", n.c_str());
		if (!o.quiet && !o.json)
			std::fprintf(stderr, "dns: %zu rules from %s (zone %s) for %s\n", rules.size(), zone.c_str(),
				     z.origin.c_str(), t.desc.c_str());
		Batches b;
		b.batch_size = o.batch;
		for (const auto &r : rules)
			b.add(r);
		std::vector<Target> one;
		one.push_back(std::move(t));
		install(one, b, flush, o);
	}
	return 0;
}

int cmd_memcached(const Opts &o, const std::vector<std::string> &a)
{
	if (a.empty() || is_help(a[0])) {
		std::fputs(memcached_help, stdout);
		return a.empty() ? 2 : 0;
	}
	const std::string &mode = a[0];
	if (mode != "compile" && mode != "load")
		throw UsageError("memcached: expected compile or load");
	std::optional<Proto> proto;
	std::uint32_t id = 1;
	bool flush = false;
	bool strict_order = false;
	std::vector<memcached::Item> items;
	std::vector<std::string> pos;
	for (std::size_t i = 1; i < a.size(); i++) {
		const std::string &x = a[i];
		if (is_help(x)) {
			std::fputs(memcached_help, stdout);
			return 0;
		}
		if (x == "--udp")
			proto = Proto::udp;
		else if (x == "--tcp")
			proto = Proto::tcp;
		else if (x == "--flush")
			flush = true;
		else if (x == "--strict-order")
			strict_order = true;
		else if (x == "--first-id" && i + 1 < a.size())
			id = to_u32(a[++i], x);
		else if (x == "--file" && i + 1 < a.size()) {
			auto more = memcached::parse_items(read_text(a[i + 1]), a[i + 1]);
			items.insert(items.end(), more.begin(), more.end());
			i++;
		} else
			pos.push_back(x);
	}
	if (pos.size() % 3 != 0)
		throw UsageError("memcached: items are KEY FLAGS VALUE triples");
	for (std::size_t i = 0; i < pos.size(); i += 3) {
		memcached::Item it;
		it.key = pos[i];
		if (!memcached::valid_key(it.key))
			throw UsageError("memcached: invalid key '" + it.key + "'");
		it.flags = to_u32(pos[i + 1], "FLAGS");
		it.value = unescape(pos[i + 2]);
		items.push_back(std::move(it));
	}
	if (items.empty())
		throw UsageError("memcached " + mode + ": no items");
	if (mode == "load") {
		auto targets = resolve(o);
		proto = targets.front().proto;
	}
	if (!proto)
		throw UsageError("memcached compile: give --udp or --tcp");
	std::vector<Rule> rules;
	rules.reserve(items.size());
	for (const auto &it : items)
		rules.push_back(*proto == Proto::udp ? memcached::udp_rule(id++, it) : memcached::tcp_rule(id++, it));
	const Framing f = memcached::tcp_framing(strict_order);
	deliver(o, mode, rules, flush, *proto == Proto::tcp ? &f : nullptr);
	return 0;
}

std::uint32_t max_reply_sysctl()
{
	std::ifstream f("/proc/sys/net/santa/max_reply_len");
	std::uint32_t v = 0;
	if (f >> v)
		return v;
	return 0;
}

int cmd_http(const Opts &o, const std::vector<std::string> &a)
{
	if (a.empty() || is_help(a[0])) {
		std::fputs(http_help, stdout);
		return a.empty() ? 2 : 0;
	}
	const std::string mode = a[0];
	if (mode != "compile" && mode != "load")
		throw UsageError("http: expected compile or load");
	http::Object ob;
	ob.server = "nginx/1.22.1";
	ob.date = std::time(nullptr);
	std::string file, etag = "nginx", ctype, path;
	bool last_mod = true;
	bool flush = false;
	bool strict_order = false;
	std::uint32_t id = 1;
	for (std::size_t i = 1; i < a.size(); i++) {
		const std::string &x = a[i];
		auto val = [&]() -> const std::string & {
			if (i + 1 >= a.size())
				throw UsageError(x + " needs a value");
			return a[++i];
		};
		if (is_help(x)) {
			std::fputs(http_help, stdout);
			return 0;
		}
		if (x == "--host")
			ob.host = val();
		else if (x == "--path")
			path = val();
		else if (x == "--id")
			id = to_u32(val(), x);
		else if (x == "--content-type")
			ctype = val();
		else if (x == "--server")
			ob.server = val();
		else if (x == "--etag")
			etag = val();
		else if (x == "--no-last-modified")
			last_mod = false;
		else if (x == "--date")
			ob.date = static_cast<std::time_t>(to_u64(val(), x));
		else if (x == "--flush")
			flush = true;
		else if (x == "--strict-order")
			strict_order = true;
		else if (!x.empty() && x[0] != '-' && file.empty())
			file = x;
		else
			throw UsageError("http: unknown argument '" + x + "'");
	}
	if (file.empty() || ob.host.empty())
		throw UsageError("http " + mode + ": give --host HOST and FILE");
	struct stat sb {};
	if (stat(file.c_str(), &sb) != 0)
		throw std::runtime_error("cannot stat " + file + ": " + std::strerror(errno));
	std::string body = read_text(file);
	ob.body.assign(body.begin(), body.end());
	auto slash = file.rfind('/');
	ob.path = path.empty() ? "/" + file.substr(slash == std::string::npos ? 0 : slash + 1) : path;
	ob.content_type = ctype.empty() ? http::mime_type(file) : ctype;
	if (last_mod)
		ob.last_modified = sb.st_mtime;
	if (etag == "nginx")
		ob.etag = http::nginx_etag(sb.st_mtime, static_cast<std::uint64_t>(sb.st_size));
	else if (etag != "none")
		ob.etag = etag;
	Rule r;
	try {
		r = http::rule(id, ob);
	} catch (const std::invalid_argument &e) {
		throw UsageError(std::string("http: ") + e.what());
	}
	if (mode == "load") {
		std::uint32_t lim = max_reply_sysctl();
		if (lim != 0 && r.reply_len > lim)
			throw std::runtime_error("http: the reply is " + std::to_string(r.reply_len) +
						 " bytes, over net.santa.max_reply_len=" + std::to_string(lim) +
						 " (raise it: sysctl -w net.santa.max_reply_len=" +
						 std::to_string(std::min<std::uint32_t>(engine_reply_max, r.reply_len)) +
						 (r.reply_len > engine_reply_max ? "; the kernel's maximum is 2097152" : "") +
						 ")");
	}
	const Framing f = http::framing(strict_order);
	deliver(o, mode, {r}, flush, &f);
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	std::vector<std::string> args(argv + 1, argv + argc);
	Opts o;
	std::size_t i = 0;
	try {
		for (; i < args.size(); i++) {
			const std::string &x = args[i];
			if (x.empty() || x[0] != '-')
				break;
			auto val = [&]() -> const std::string & {
				if (i + 1 >= args.size())
					throw UsageError(x + " needs a value");
				return args[++i];
			};
			if (x == "-h" || x == "--help") {
				std::fputs(main_help, stdout);
				return 0;
			}
			if (x == "-V" || x == "--version") {
				std::printf("%s\n", version);
				return 0;
			}
			if (x == "-j" || x == "--json")
				o.json = true;
			else if (x == "-q" || x == "--quiet")
				o.quiet = true;
			else if (x == "-p" || x == "--pid")
				o.pid = static_cast<pid_t>(to_u32(val(), "--pid"));
			else if (x == "-f" || x == "--fd")
				o.fd = static_cast<int>(to_u32(val(), "--fd"));
			else if (x == "-s" || x == "--sock" || x == "--socket")
				o.sock = val();
			else if (x == "--udp" || x == "--tcp")
				o.sock = x.substr(2) + " " + val();
			else if (x == "-b" || x == "--batch") {
				o.batch = to_u32(val(), "--batch");
				if (o.batch == 0)
					throw UsageError("--batch must be at least 1");
			} else
				throw UsageError("unknown option '" + x + "'");
		}
		if (i >= args.size()) {
			std::fputs(main_help, stderr);
			return 2;
		}
		const std::string obj = args[i];
		std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
		if (obj == "help") {
			std::fputs(main_help, stdout);
			return 0;
		}
		if (obj == "rule" || obj == "rules")
			return cmd_rule(o, rest);
		if (obj == "stats")
			return cmd_stats(o, rest);
		if (obj == "monitor")
			return cmd_monitor(o, rest);
		if (obj == "limits")
			return cmd_limits(o, rest);
		if (obj == "framing")
			return cmd_framing(o, rest);
		if (obj == "load")
			return cmd_load(o, rest, false);
		if (obj == "check")
			return cmd_load(o, rest, true);
		if (obj == "socket" || obj == "sockets")
			return cmd_socket(o, rest);
		if (obj == "dns")
			return cmd_dns(o, rest);
		if (obj == "diag")
			return cmd_diag(o, rest);
		if (obj == "memcached")
			return cmd_memcached(o, rest);
		if (obj == "http")
			return cmd_http(o, rest);
		throw UsageError("unknown object '" + obj + "' (see santa-ctl --help)");
	} catch (const UsageError &e) {
		std::fprintf(stderr, "santa-ctl: %s\n", e.what());
		return 2;
	} catch (const ParseError &e) {
		std::fprintf(stderr, "%s\n", e.what());
		return 1;
	} catch (const std::exception &e) {
		std::fprintf(stderr, "santa-ctl: %s\n", e.what());
		return 1;
	}
}
