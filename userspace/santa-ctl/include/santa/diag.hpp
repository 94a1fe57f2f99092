// SPDX-License-Identifier: GPL-2.0
// Santa counters of every socket of the network namespace through
// sock_diag (INET_DIAG_SANTA), as ss(8) reads socket details: no ptrace
// access to the servers is needed.
#pragma once

#include "santa/attach.hpp"
#include "santa/santa.hpp"

#include <cstdint>
#include <system_error>
#include <vector>

namespace santa {

// INET_DIAG_SANTA follows INET_DIAG_SOCKOPT in the series' inet_diag.h
// (sync-uapi.sh --check verifies it); libc headers do not have it yet.
inline constexpr unsigned short inet_diag_santa = 23;
// INET_DIAG_REQ_SANTA follows INET_DIAG_REQ_PROTOCOL among the request
// attributes: without it the kernel sends no INET_DIAG_SANTA.
inline constexpr unsigned short inet_diag_req_santa = 4;

struct DiagSocket {
	Proto proto = Proto::udp;
	Endpoint local;
	Endpoint remote;
	unsigned state = 0;
	unsigned long long inode = 0;
	bool santa = false;  // the socket has Santa state (rules or limits)
	bool shared = false; // a TCP connection using its listener's rules
	unsigned long long owner = 0; // SO_COOKIE of the socket owning the rules
	Stats stats;                  // on the owner only (a shared connection has none)
};

// Every UDP or TCP socket (IPv4 and IPv6) of the caller's network namespace.
std::error_code diag_dump(Proto proto, std::vector<DiagSocket> &out);

} // namespace santa
