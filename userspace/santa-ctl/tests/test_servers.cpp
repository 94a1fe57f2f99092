// SPDX-License-Identifier: GPL-2.0
// The helpers against real servers on the host: the reply a rule would
// build (santa::apply, the kernel's algorithm) must be byte-identical to
// what nsd, memcached and nginx answer to the same request. Also checks
// that the uapi copy is in sync with patches/ (and that the check fails
// when it is not). Skipped where a server is not installed.
#include "santa/proto.hpp"
#include "santa/rulefile.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <regex>
#include <thread>

using namespace santa;

namespace {

const std::string src_dir = SANTA_SRC_DIR;

class Process {
public:
	explicit Process(std::vector<std::string> argv)
	{
		pid_ = fork();
		if (pid_ == 0) {
			std::vector<char *> a;
			for (auto &s : argv)
				a.push_back(s.data());
			a.push_back(nullptr);
			int null = open("/dev/null", O_WRONLY);
			dup2(null, 1);
			dup2(null, 2);
			execv(a[0], a.data());
			_exit(127);
		}
	}
	Process(const Process &) = delete;
	Process &operator=(const Process &) = delete;
	~Process()
	{
		if (pid_ > 0) {
			kill(pid_, SIGTERM);
			waitpid(pid_, nullptr, 0);
		}
	}

private:
	pid_t pid_ = -1;
};

std::uint16_t free_port()
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	sockaddr_in a{};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof(a));
	socklen_t len = sizeof(a);
	getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len);
	// the same number must be free for TCP too
	int t = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = bind(t, reinterpret_cast<sockaddr *>(&a), sizeof(a)) == 0;
	close(t);
	close(fd);
	return ok ? ntohs(a.sin_port) : free_port();
}

sockaddr_in loopback(std::uint16_t port)
{
	sockaddr_in a{};
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

bool have_ipv6_loopback()
{
	Socket s(socket(AF_INET6, SOCK_DGRAM, 0));
	sockaddr_in6 a{};
	a.sin6_family = AF_INET6;
	a.sin6_addr = in6addr_loopback;
	return s.valid() && bind(s.fd(), reinterpret_cast<sockaddr *>(&a), sizeof(a)) == 0;
}

// one UDP exchange; empty on timeout
Bytes udp_ask(std::uint16_t port, const Bytes &req, int timeout_ms = 1000, bool v6 = false)
{
	Socket s(socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0));
	if (v6) {
		sockaddr_in6 a{};
		a.sin6_family = AF_INET6;
		a.sin6_port = htons(port);
		a.sin6_addr = in6addr_loopback;
		sendto(s.fd(), req.data(), req.size(), 0, reinterpret_cast<sockaddr *>(&a), sizeof(a));
	} else {
		auto a = loopback(port);
		sendto(s.fd(), req.data(), req.size(), 0, reinterpret_cast<sockaddr *>(&a), sizeof(a));
	}
	pollfd p{s.fd(), POLLIN, 0};
	if (poll(&p, 1, timeout_ms) != 1)
		return {};
	Bytes buf(65536);
	ssize_t n = recv(s.fd(), buf.data(), buf.size(), 0);
	buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
	return buf;
}

// one TCP exchange, read until @done says the answer is complete
Bytes tcp_ask(std::uint16_t port, const Bytes &req, const std::function<bool(const Bytes &)> &done)
{
	Socket s(socket(AF_INET, SOCK_STREAM, 0));
	auto a = loopback(port);
	if (connect(s.fd(), reinterpret_cast<sockaddr *>(&a), sizeof(a)) != 0)
		return {};
	if (send(s.fd(), req.data(), req.size(), 0) != static_cast<ssize_t>(req.size()))
		return {};
	Bytes out;
	Bytes buf(65536);
	while (!done(out)) {
		pollfd p{s.fd(), POLLIN, 0};
		if (poll(&p, 1, 2000) != 1)
			break;
		ssize_t n = recv(s.fd(), buf.data(), buf.size(), 0);
		if (n <= 0)
			break;
		out.insert(out.end(), buf.begin(), buf.begin() + n);
	}
	return out;
}

bool ends_with(const Bytes &b, std::string_view s)
{
	return b.size() >= s.size() && std::equal(s.begin(), s.end(), b.end() - static_cast<std::ptrdiff_t>(s.size()));
}

std::string str(const Bytes &b) { return {b.begin(), b.end()}; }

std::string temp_dir(const std::string &name)
{
	std::string d = ::testing::TempDir() + "santa-" + name + "-" + std::to_string(getpid());
	mkdir(d.c_str(), 0755);
	return d;
}

void write(const std::string &path, const std::string &text)
{
	std::ofstream f(path, std::ios::binary);
	f << text;
}

std::string read(const std::string &p)
{
	std::ifstream f(p, std::ios::binary);
	return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

bool have(const char *path) { return access(path, X_OK) == 0; }

template <typename F> bool wait_until(F ready)
{
	for (int i = 0; i < 100; i++) {
		if (ready())
			return true;
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
	}
	return false;
}

const std::string example_zone = src_dir + "/../../selftests/santactl/example.zone";

// a directory for a DNS server with a copy of example.zone in it
std::string dns_server_dir(const std::string &name)
{
	const std::string d = temp_dir(name);
	write(d + "/example.zone", read(example_zone));
	return d;
}

// the query a DNS rule answers (its condition from byte 2), with this id
Bytes rule_query(const Rule &r, std::uint16_t id)
{
	Bytes q(2 + r.cond.size());
	q[0] = static_cast<std::uint8_t>(id >> 8);
	q[1] = static_cast<std::uint8_t>(id & 0xff);
	std::copy(r.cond.begin(), r.cond.end(), q.begin() + 2);
	return q;
}

// every rule's reply is what the DNS server on @port answers to the rule's
// query, in one of @tries answers (a server may rotate its RRsets)
void expect_server_answers(std::uint16_t port, const std::vector<Rule> &rules, int tries, bool ipv6)
{
	std::uint16_t id = 0x100;
	for (const auto &r : rules) {
		const Bytes q = rule_query(r, id++);
		auto want = reply_to(r, q);
		ASSERT_TRUE(want);
		std::string got;
		for (int i = 0; i < tries && got != hex(*want); i++)
			got = hex(udp_ask(port, q, 1000, ipv6));
		EXPECT_EQ(got, hex(*want)) << (ipv6 ? "IPv6 " : "IPv4 ") << "rule " << r.id << ": " << format_text(r);
	}
}

// once the server on @port answers, every rule of example.zone compiled
// with --minimal is what it answers (in one of @tries answers)
void expect_minimal_answers(std::uint16_t port, int tries)
{
	const Bytes probe = dns::query(1, "www.example.com", dns::A);
	ASSERT_TRUE(wait_until([&] { return !udp_ask(port, probe, 200).empty(); }));

	dns::Zone z = dns::parse_zone(read(example_zone), example_zone);
	dns::Options o;
	o.minimal = true;
	auto rules = dns::compile(z, o);
	ASSERT_GT(rules.size(), 20U);
	expect_server_answers(port, rules, tries, false);
}

} // namespace

TEST(RealServer, NsdAnswersEqualTheRules)
{
	if (!have("/usr/sbin/nsd"))
		GTEST_SKIP() << "nsd not installed";
	const std::string d = dns_server_dir("nsd");
	const std::uint16_t port = free_port();
	const bool v6 = have_ipv6_loopback();
	write(d + "/nsd.conf", "server:\n  ip-address: 127.0.0.1@" + std::to_string(port) +
				       (v6 ? "\n  ip-address: ::1@" + std::to_string(port) : std::string()) +
				       "\n  username: \"\"\n  zonesdir: \"" + d + "\"\n  database: \"\"\n  pidfile: \"" + d +
				       "/nsd.pid\"\n  xfrdfile: \"" + d + "/xfrd.state\"\n  zonelistfile: \"" + d +
				       "/zone.list\"\n  logfile: \"" + d +
				       "/nsd.log\"\n  server-count: 1\nremote-control:\n  control-enable: no\n"
				       "zone:\n  name: example.com\n  zonefile: example.zone\n");
	Process nsd({"/usr/sbin/nsd", "-d", "-c", d + "/nsd.conf"});
	const Bytes probe = dns::query(1, "www.example.com", dns::A);
	ASSERT_TRUE(wait_until([&] { return !udp_ask(port, probe, 200).empty(); })) << read(d + "/nsd.log");

	dns::Zone z = dns::parse_zone(read(example_zone), example_zone);
	for (bool ipv6 : {false, true}) {
		if (ipv6 && !v6)
			continue;
		dns::Options o;
		o.ipv6 = ipv6; // over IPv6, nsd puts the AAAA glue first
		o.edns_sizes = {1232, 4096};
		auto rules = dns::compile(z, o);
		ASSERT_GT(rules.size(), 300U);
		expect_server_answers(port, rules, 1, ipv6);
	}
	// what the rules do not answer, nsd answers differently (EDNS, case)
	Bytes mixed = dns::query(2, "WWW.example.com", dns::A);
	Bytes nsd_mixed = udp_ask(port, mixed);
	ASSERT_FALSE(nsd_mixed.empty());
	EXPECT_EQ(nsd_mixed[13], 'W'); // nsd echoes the case of the question
}

// BIND 9, the paper's server, with minimal-responses (its default for RD=1
// queries): the rules compiled with --minimal answer as it does. BIND
// rotates RRsets of several records from a random start (rrset-order
// cyclic; "fixed" is not built into Debian's), so a reply must equal one of
// its next 24 answers to the same query.
TEST(RealServer, BindAnswersEqualTheMinimalRules)
{
	if (!have("/usr/sbin/named"))
		GTEST_SKIP() << "named (bind9) not installed";
	const std::string d = dns_server_dir("bind");
	const std::uint16_t port = free_port();
	write(d + "/named.conf", "options {\n\tdirectory \"" + d + "\";\n\tlisten-on port " + std::to_string(port) +
					 " { 127.0.0.1; };\n\tlisten-on-v6 { none; };\n\tpid-file none;\n"
					 "\tsession-keyfile none;\n\trecursion no;\n\tdnssec-validation no;\n"
					 "\tnotify no;\n\tminimal-responses yes;\n};\ncontrols { };\n"
					 "zone \"example.com\" { type primary; file \"" + d + "/example.zone\"; };\n");
	Process named({"/usr/sbin/named", "-g", "-n", "1", "-4", "-c", d + "/named.conf"});
	expect_minimal_answers(port, 24);
}

// Knot DNS, the server of the benchmark's XDP comparison: it answers as
// BIND does with minimal-responses (no authority or additional records for
// a positive answer), and its RRsets keep the zone's order.
TEST(RealServer, KnotAnswersEqualTheMinimalRules)
{
	if (!have("/usr/sbin/knotd"))
		GTEST_SKIP() << "knotd (knot) not installed";
	const std::string d = dns_server_dir("knot");
	const std::uint16_t port = free_port();
	write(d + "/knot.conf", "server:\n  listen: 127.0.0.1@" + std::to_string(port) + "\n  rundir: \"" + d +
					"\"\ndatabase:\n  storage: \"" + d + "\"\ntemplate:\n  - id: default\n"
					"    storage: \"" + d + "\"\nzone:\n  - domain: example.com\n"
					"    file: example.zone\n");
	Process knotd({"/usr/sbin/knotd", "-c", d + "/knot.conf"});
	expect_minimal_answers(port, 1);
}

TEST(RealServer, MemcachedAnswersEqualTheRules)
{
	if (!have("/usr/bin/memcached"))
		GTEST_SKIP() << "memcached not installed";
	const std::uint16_t port = free_port();
	std::vector<std::string> argv = {"/usr/bin/memcached", "-l", "127.0.0.1", "-p", std::to_string(port), "-U",
					 std::to_string(port), "-t", "1"};
	if (getuid() == 0) {
		argv.emplace_back("-u");
		argv.emplace_back("root");
	}
	Process mc(argv);
	const memcached::Item it{"santa-key", 1234, to_bytes("value with\r\nbinary \x01 bytes")};
	const Bytes set = to_bytes("set santa-key 1234 0 " + std::to_string(it.value.size()) + "\r\n" + str(it.value) + "\r\n");
	ASSERT_TRUE(wait_until([&] { return str(tcp_ask(port, set, [](const Bytes &b) { return ends_with(b, "\r\n"); })) == "STORED\r\n"; }));

	Rule u = memcached::udp_rule(1, it);
	Bytes req = {0xab, 0xcd, 0, 0, 0, 1, 0, 0};
	for (char c : std::string("get santa-key\r\n"))
		req.push_back(static_cast<std::uint8_t>(c));
	auto want = reply_to(u, req);
	ASSERT_TRUE(want);
	EXPECT_EQ(hex(udp_ask(port, req)), hex(*want));

	Rule t = memcached::tcp_rule(2, it);
	auto want_tcp = reply_to(t, to_bytes("get santa-key\r\n"));
	ASSERT_TRUE(want_tcp);
	EXPECT_EQ(str(tcp_ask(port, to_bytes("get santa-key\r\n"), [](const Bytes &b) { return ends_with(b, "END\r\n"); })),
		  str(*want_tcp));
}

TEST(RealServer, NginxAnswersEqualTheRuleButForDate)
{
	if (!have("/usr/sbin/nginx"))
		GTEST_SKIP() << "nginx not installed";
	const std::string d = temp_dir("nginx");
	mkdir((d + "/www").c_str(), 0755);
	std::string body = "<html><body>";
	for (int i = 0; i < 3000; i++)
		body += "santa ";
	body += "</body></html>\n";
	write(d + "/www/index.html", body);
	const std::uint16_t port = free_port();
	write(d + "/nginx.conf", std::string(getuid() == 0 ? "user root;\n" : "") + "worker_processes 1;\npid " + d +
					 "/nginx.pid;\nerror_log " + d + "/error.log;\ndaemon off;\n"
					 "events { worker_connections 16; }\nhttp {\n include /etc/nginx/mime.types;\n"
					 " default_type application/octet-stream;\n access_log off;\n"
					 " client_body_temp_path " + d + "/body;\n proxy_temp_path " + d + "/proxy;\n"
					 " fastcgi_temp_path " + d + "/fastcgi;\n uwsgi_temp_path " + d + "/uwsgi;\n"
					 " scgi_temp_path " + d + "/scgi;\n sendfile on;\n"
					 " server { listen 127.0.0.1:" + std::to_string(port) + "; root " + d + "/www; }\n}\n");
	Process nginx({"/usr/sbin/nginx", "-e", d + "/error.log", "-p", d, "-c", d + "/nginx.conf"});
	const std::string host = "127.0.0.1:" + std::to_string(port);
	// what curl sends
	const Bytes req = to_bytes("GET /index.html HTTP/1.1\r\nHost: " + host +
				   "\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n");
	auto complete = [](const Bytes &b) {
		std::string s(b.begin(), b.end());
		auto end = s.find("\r\n\r\n");
		std::smatch m;
		if (end == std::string::npos || !std::regex_search(s, m, std::regex("Content-Length: (\\d+)")))
			return false;
		return s.size() >= end + 4 + std::stoul(m[1]);
	};
	Bytes got;
	ASSERT_TRUE(wait_until([&] { return !(got = tcp_ask(port, req, complete)).empty(); })) << read(d + "/error.log");

	struct stat sb {};
	ASSERT_EQ(stat((d + "/www/index.html").c_str(), &sb), 0);
	http::Object o;
	o.path = "/index.html";
	o.host = host;
	o.body = to_bytes(body);
	o.content_type = http::mime_type(o.path);
	o.server = "nginx/1.22.1";
	o.date = std::time(nullptr);
	o.last_modified = sb.st_mtime;
	o.etag = http::nginx_etag(sb.st_mtime, static_cast<std::uint64_t>(sb.st_size));
	auto want = reply_to(http::rule(1, o), req);
	ASSERT_TRUE(want);
	const std::regex date("Date: [^\r]*\r\n");
	std::string g = std::regex_replace(str(got), date, "Date: X\r\n");
	std::string w = std::regex_replace(str(*want), date, "Date: X\r\n");
	// nginx's version may differ from the default Server header
	g = std::regex_replace(g, std::regex("Server: nginx[^\r]*\r\n"), "Server: nginx\r\n");
	w = std::regex_replace(w, std::regex("Server: nginx[^\r]*\r\n"), "Server: nginx\r\n");
	EXPECT_EQ(g.substr(0, g.find("\r\n\r\n")), w.substr(0, w.find("\r\n\r\n")));
	EXPECT_EQ(g, w);
}

TEST(UapiHeader, CopyIsInSyncWithPatches)
{
	const std::string cmd = src_dir + "/sync-uapi.sh --check >/dev/null 2>&1";
	EXPECT_EQ(std::system(cmd.c_str()), 0) << "run userspace/santa-ctl/sync-uapi.sh";
}

TEST(UapiHeader, CheckFailsWhenTheSeriesChangesTheHeader)
{
	// a copy of patches/ plus a patch that appends a counter to santa_stats (as the TCP patch appended fail_order)
	const std::string d = temp_dir("patches");
	const std::string patches = src_dir + "/../../patches";
	ASSERT_EQ(std::system(("cp " + patches + "/*.patch " + patches + "/series " + d).c_str()), 0);
	std::string hdr = read(src_dir + "/include/uapi/linux/santa.h");
	const std::string anchor = "\t__u64 skipped;\n";
	auto at = hdr.find(anchor);
	ASSERT_NE(at, std::string::npos);
	const std::string a = d + "/a/include/uapi/linux", b = d + "/b/include/uapi/linux";
	ASSERT_EQ(std::system(("mkdir -p " + a + " " + b).c_str()), 0);
	write(a + "/santa.h", hdr);
	write(b + "/santa.h", hdr.insert(at + anchor.size(), "\t__u64 test_appended;\n"));
	ASSERT_NE(std::system(("cd " + d + " && git diff --no-index --src-prefix= --dst-prefix= a/include/uapi/linux/santa.h "
			       "b/include/uapi/linux/santa.h > 9999-test.patch").c_str()), -1);
	write(d + "/series", read(d + "/series") + "9999-test.patch\n");
	const std::string env = "SANTA_PATCHES=" + d + " ";
	EXPECT_NE(std::system((env + src_dir + "/sync-uapi.sh --check >/dev/null 2>&1").c_str()), 0);
	const std::string printed = d + "/printed.h";
	ASSERT_EQ(std::system((env + src_dir + "/sync-uapi.sh --print > " + printed).c_str()), 0);
	EXPECT_NE(read(printed).find("test_appended"), std::string::npos);
}
