// SPDX-License-Identifier: GPL-2.0
// Endpoints, /proc/net parsing, finding a socket's owner, pidfd_getfd.
#include "santa/attach.hpp"
#include "santa/diag.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace santa;

TEST(Endpoint, Parse)
{
	Endpoint e = parse_endpoint("udp 0.0.0.0:53");
	EXPECT_EQ(e.proto, Proto::udp);
	EXPECT_EQ(e.family, AF_INET);
	EXPECT_EQ(e.port, 53);
	EXPECT_FALSE(e.any_addr);
	EXPECT_EQ(to_string(e), "udp 0.0.0.0:53");
	e = parse_endpoint("tcp [::]:80");
	EXPECT_EQ(e.proto, Proto::tcp);
	EXPECT_EQ(e.family, AF_INET6);
	EXPECT_EQ(to_string(e), "tcp [::]:80");
	EXPECT_EQ(to_string(parse_endpoint("udp:[2001:db8::1]:5353")), "udp [2001:db8::1]:5353");
	EXPECT_TRUE(parse_endpoint("udp *:53").any_addr);
	EXPECT_TRUE(parse_endpoint("udp :53").any_addr);
	EXPECT_THROW(parse_endpoint("sctp 1.2.3.4:5"), std::invalid_argument);
	EXPECT_THROW(parse_endpoint("udp 1.2.3.4"), std::invalid_argument);
	EXPECT_THROW(parse_endpoint("udp 1.2.3.4:70000"), std::invalid_argument);
	EXPECT_THROW(parse_endpoint("udp 1.2.3:53"), std::invalid_argument);
	EXPECT_THROW(parse_endpoint("tcp [::1:80"), std::invalid_argument);
}

TEST(ProcNet, ParsesIPv4AndIPv6)
{
	const char *v4 =
		"   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
		"  112: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 12345 2 0000000000000000 0\n"
		"  200: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0\n";
	auto e = parse_proc_net(v4, AF_INET);
	ASSERT_EQ(e.size(), 2U);
	EXPECT_EQ(e[0].port, 53);
	EXPECT_EQ(e[0].inode, 12345U);
	EXPECT_EQ(e[0].state, 7U);
	EXPECT_TRUE(endpoint_matches(parse_endpoint("udp 127.0.0.1:53"), e[0]));
	EXPECT_FALSE(endpoint_matches(parse_endpoint("udp 0.0.0.0:53"), e[0]));
	EXPECT_TRUE(endpoint_matches(parse_endpoint("udp *:53"), e[0]));
	EXPECT_EQ(e[1].port, 8080);
	EXPECT_EQ(e[1].state, 0x0AU);
	const char *v6 =
		"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
		"    0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 0\n"
		"    1: B80D0120000000000000000001000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 0\n";
	auto e6 = parse_proc_net(v6, AF_INET6);
	ASSERT_EQ(e6.size(), 2U);
	EXPECT_TRUE(endpoint_matches(parse_endpoint("tcp [::]:80"), e6[0]));
	EXPECT_TRUE(endpoint_matches(parse_endpoint("udp [2001:db8::1]:53"), e6[1]));
	EXPECT_FALSE(endpoint_matches(parse_endpoint("udp [2001:db8::2]:53"), e6[1]));
}

namespace {

std::uint16_t bound_port(int fd)
{
	sockaddr_in a{};
	socklen_t len = sizeof(a);
	getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len);
	return ntohs(a.sin_port);
}

int bound(int type)
{
	int fd = socket(AF_INET, type, 0);
	sockaddr_in a{};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof(a)) != 0)
		return -1;
	if (type == SOCK_STREAM)
		listen(fd, 1);
	return fd;
}

} // namespace

TEST(FindSockets, FindsOwnUdpAndListeningTcpSockets)
{
	Socket u(bound(SOCK_DGRAM));
	Socket t(bound(SOCK_STREAM));
	ASSERT_TRUE(u.valid() && t.valid());
	for (auto [s, proto] : {std::pair{&u, "udp"}, std::pair{&t, "tcp"}}) {
		const std::string spec = std::string(proto) + " 127.0.0.1:" + std::to_string(bound_port(s->fd()));
		auto found = find_sockets(parse_endpoint(spec));
		if (found.empty())
			GTEST_SKIP() << "/proc/net does not list sockets here (sandboxed kernel?)";
		ASSERT_EQ(found.size(), 1U) << spec;
		EXPECT_EQ(found[0].inode, socket_inode(getpid(), s->fd()));
		bool me = false;
		for (const auto &o : found[0].owners)
			me = me || (o.pid == getpid() && o.fd == s->fd());
		EXPECT_TRUE(me) << spec;
	}
	// a connected TCP socket is not a listener
	EXPECT_TRUE(find_sockets(parse_endpoint("tcp 127.0.0.1:1")).empty());
}

TEST(TakeFd, DuplicatesAnotherProcessSocket)
{
	Socket u(bound(SOCK_DGRAM));
	ASSERT_TRUE(u.valid());
	std::error_code ec;
	std::string why;
	Socket dup = take_fd(getpid(), u.fd(), ec, why);
	if (ec.value() == ENOSYS)
		GTEST_SKIP() << why;
	ASSERT_FALSE(ec) << why;
	EXPECT_NE(dup.fd(), u.fd());
	EXPECT_EQ(socket_inode(getpid(), dup.fd()), socket_inode(getpid(), u.fd()));
	Socket none = take_fd(getpid(), 100000, ec, why);
	EXPECT_EQ(ec.value(), EBADF);
	EXPECT_NE(why.find("no such file descriptor"), std::string::npos);
	Socket gone = take_fd(999999999, 3, ec, why);
	EXPECT_TRUE(ec);
}

TEST(Diag, DumpsOwnSocketWithoutSantaState)
{
	Socket u(bound(SOCK_DGRAM));
	ASSERT_TRUE(u.valid());
	std::vector<DiagSocket> socks;
	if (auto ec = diag_dump(Proto::udp, socks))
		GTEST_SKIP() << "no sock_diag here: " << ec.message();
	const auto ino = socket_inode(getpid(), u.fd());
	bool found = false;
	for (const auto &d : socks)
		if (d.inode == ino) {
			found = true;
			EXPECT_EQ(d.local.port, bound_port(u.fd()));
			EXPECT_EQ(to_string(d.local), "udp 127.0.0.1:" + std::to_string(bound_port(u.fd())));
			EXPECT_FALSE(d.santa); // not a Santa kernel, or no rule yet
		}
	EXPECT_TRUE(found);
}
