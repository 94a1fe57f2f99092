// SPDX-License-Identifier: GPL-2.0
// Finding a server's socket and taking a duplicate of it (pidfd_getfd).
#pragma once

#include "santa/santa.hpp"

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace santa {

enum class Proto { udp, tcp };

// A local endpoint as the user writes it: "udp 0.0.0.0:53", "tcp [::]:80",
// "udp :53" or "udp *:53" (any local address).
struct Endpoint {
	Proto proto = Proto::udp;
	bool any_addr = false;
	int family = 0;                      // AF_INET or AF_INET6 (unless any_addr)
	std::array<std::uint8_t, 16> addr{}; // network order
	std::uint16_t port = 0;
};

// Parses "PROTO ADDR:PORT" (or "PROTO:ADDR:PORT"); throws std::invalid_argument.
Endpoint parse_endpoint(std::string_view s);
std::string to_string(const Endpoint &e);
std::string_view to_string(Proto p);

// One line of /proc/net/{udp,udp6,tcp,tcp6}
struct ProcNetEntry {
	int family = 0;
	std::array<std::uint8_t, 16> addr{};
	std::uint16_t port = 0;
	unsigned state = 0;
	unsigned long long inode = 0;
};

// Parses the text of a /proc/net/{udp,tcp}[6] file (family AF_INET or AF_INET6).
std::vector<ProcNetEntry> parse_proc_net(std::string_view text, int family);
bool endpoint_matches(const Endpoint &e, const ProcNetEntry &p);

struct Owner {
	pid_t pid = 0;
	int fd = -1;
};

struct FoundSocket {
	Proto proto = Proto::udp;
	Endpoint local;                // the socket's own address
	unsigned long long inode = 0;
	std::vector<Owner> owners;     // processes holding it (like ss -p)
};

// Sockets bound to @e (TCP: listening ones) in the caller's network
// namespace, with the processes that hold them.
std::vector<FoundSocket> find_sockets(const Endpoint &e, const std::string &proc = "/proc");

// The socket inode behind fd @fd of @pid, 0 if it is not a socket.
unsigned long long socket_inode(pid_t pid, int fd, const std::string &proc = "/proc");

// A duplicate of fd @fd of process @pid (pidfd_open + pidfd_getfd). On
// error, @why says what failed and how to fix it (EPERM: ptrace access).
Socket take_fd(pid_t pid, int fd, std::error_code &ec, std::string &why);

} // namespace santa
