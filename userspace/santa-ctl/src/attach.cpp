// SPDX-License-Identifier: GPL-2.0
// Finding a server's socket like `ss -lp` does, and duplicating it.
#include "santa/attach.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

namespace santa {

namespace {

bool parse_port(std::string_view s, std::uint16_t &port)
{
	unsigned v = 0;
	const auto *end = s.data() + s.size();
	auto [p, ec] = std::from_chars(s.data(), end, v);
	if (ec != std::errc() || p != end || v > 65535 || s.empty())
		return false;
	port = static_cast<std::uint16_t>(v);
	return true;
}

std::string read_file(const std::string &path)
{
	std::ifstream f(path);
	std::stringstream ss;
	ss << f.rdbuf();
	return ss.str();
}

unsigned hexval(char c)
{
	if (c >= '0' && c <= '9')
		return static_cast<unsigned>(c - '0');
	if (c >= 'a' && c <= 'f')
		return static_cast<unsigned>(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return static_cast<unsigned>(c - 'A' + 10);
	return 16;
}

} // namespace

std::string_view to_string(Proto p) { return p == Proto::udp ? "udp" : "tcp"; }

Endpoint parse_endpoint(std::string_view s)
{
	Endpoint e;
	std::string_view rest;
	if (s.starts_with("udp") || s.starts_with("tcp")) {
		e.proto = s.starts_with("udp") ? Proto::udp : Proto::tcp;
		rest = s.substr(3);
		if (rest.empty() || (rest[0] != ' ' && rest[0] != ':' && rest[0] != '\t'))
			throw std::invalid_argument("expected 'udp ADDR:PORT' or 'tcp ADDR:PORT'");
		rest.remove_prefix(1);
		while (!rest.empty() && (rest[0] == ' ' || rest[0] == '\t'))
			rest.remove_prefix(1);
	} else {
		throw std::invalid_argument("socket '" + std::string(s) +
					    "': expected 'udp ADDR:PORT' or 'tcp ADDR:PORT'");
	}
	const auto colon = rest.rfind(':');
	if (colon == std::string_view::npos)
		throw std::invalid_argument("socket '" + std::string(s) + "': no ':PORT'");
	std::string host(rest.substr(0, colon));
	if (!parse_port(rest.substr(colon + 1), e.port))
		throw std::invalid_argument("socket '" + std::string(s) + "': bad port");
	if (host.empty() || host == "*") {
		e.any_addr = true;
		return e;
	}
	if (host.front() == '[') {
		if (host.back() != ']')
			throw std::invalid_argument("socket '" + std::string(s) + "': missing ']'");
		host = host.substr(1, host.size() - 2);
		if (inet_pton(AF_INET6, host.c_str(), e.addr.data()) != 1)
			throw std::invalid_argument("socket '" + std::string(s) + "': bad IPv6 address");
		e.family = AF_INET6;
	} else if (inet_pton(AF_INET, host.c_str(), e.addr.data()) == 1) {
		e.family = AF_INET;
	} else if (inet_pton(AF_INET6, host.c_str(), e.addr.data()) == 1) {
		e.family = AF_INET6;
	} else {
		throw std::invalid_argument("socket '" + std::string(s) + "': bad address '" + host + "'");
	}
	return e;
}

std::string to_string(const Endpoint &e)
{
	std::string out(to_string(e.proto));
	out += ' ';
	if (e.any_addr) {
		out += '*';
	} else {
		std::array<char, INET6_ADDRSTRLEN> buf{};
		inet_ntop(e.family, e.addr.data(), buf.data(), buf.size());
		if (e.family == AF_INET6)
			out += '[' + std::string(buf.data()) + ']';
		else
			out += buf.data();
	}
	return out + ':' + std::to_string(e.port);
}

std::vector<ProcNetEntry> parse_proc_net(std::string_view text, int family)
{
	std::vector<ProcNetEntry> out;
	const std::size_t addr_hex = family == AF_INET ? 8 : 32;
	bool first = true;
	while (!text.empty()) {
		auto nl = text.find('\n');
		std::string_view line = text.substr(0, nl);
		text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
		if (first) { // header line
			first = false;
			continue;
		}
		std::istringstream in{std::string(line)};
		std::string sl, local, remote, st, queues, tr, retr, uid, timeout;
		ProcNetEntry e;
		e.family = family;
		if (!(in >> sl >> local >> remote >> st >> queues >> tr >> retr >> uid >> timeout >> e.inode))
			continue;
		if (local.size() != addr_hex + 5 || local[addr_hex] != ':')
			continue;
		// the address is printed as 32-bit words in host order
		bool ok = true;
		for (std::size_t w = 0; w < addr_hex / 8; w++) {
			std::uint32_t word = 0;
			for (std::size_t i = 0; i < 8; i++) {
				unsigned v = hexval(local[w * 8 + i]);
				ok = ok && v < 16;
				word = (word << 4) | (v & 0xf);
			}
			std::memcpy(e.addr.data() + w * 4, &word, 4);
		}
		unsigned port = 0;
		for (std::size_t i = addr_hex + 1; i < local.size(); i++) {
			unsigned v = hexval(local[i]);
			ok = ok && v < 16;
			port = (port << 4) | (v & 0xf);
		}
		unsigned state = 0;
		for (char c : st)
			state = (state << 4) | (hexval(c) & 0xf);
		if (!ok)
			continue;
		e.port = static_cast<std::uint16_t>(port);
		e.state = state;
		out.push_back(e);
	}
	return out;
}

bool endpoint_matches(const Endpoint &e, const ProcNetEntry &p)
{
	if (p.port != e.port)
		return false;
	if (e.any_addr)
		return true;
	const std::size_t n = e.family == AF_INET ? 4 : 16;
	return e.family == p.family && std::memcmp(e.addr.data(), p.addr.data(), n) == 0;
}

namespace {

// socket inode -> owners, from /proc/*/fd
void scan_owners(std::vector<FoundSocket> &socks, const std::string &proc)
{
	std::unique_ptr<DIR, int (*)(DIR *)> d(opendir(proc.c_str()), closedir);
	if (!d)
		return;
	while (const dirent *de = readdir(d.get())) {
		pid_t pid = 0;
		std::string_view name(de->d_name);
		auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
		if (ec != std::errc() || p != name.data() + name.size())
			continue;
		const std::string fddir = proc + "/" + std::string(name) + "/fd";
		std::unique_ptr<DIR, int (*)(DIR *)> fds(opendir(fddir.c_str()), closedir);
		if (!fds)
			continue;
		while (const dirent *fe = readdir(fds.get())) {
			int fd = -1;
			std::string_view fn(fe->d_name);
			auto [q, ec2] = std::from_chars(fn.data(), fn.data() + fn.size(), fd);
			if (ec2 != std::errc() || q != fn.data() + fn.size())
				continue;
			std::array<char, 64> link{};
			const std::string path = fddir + "/" + std::string(fn);
			ssize_t n = readlink(path.c_str(), link.data(), link.size() - 1);
			if (n <= 0)
				continue;
			std::string_view l(link.data(), static_cast<std::size_t>(n));
			if (!l.starts_with("socket:[") || !l.ends_with("]"))
				continue;
			unsigned long long ino = 0;
			std::from_chars(l.data() + 8, l.data() + l.size() - 1, ino);
			for (auto &s : socks)
				if (s.inode == ino)
					s.owners.push_back({pid, fd});
		}
	}
}

} // namespace

std::vector<FoundSocket> find_sockets(const Endpoint &e, const std::string &proc)
{
	std::vector<FoundSocket> out;
	const char *base = e.proto == Proto::udp ? "udp" : "tcp";
	for (int family : {AF_INET, AF_INET6}) {
		if (!e.any_addr && family != e.family)
			continue;
		const std::string path = proc + "/net/" + base + (family == AF_INET6 ? "6" : "");
		for (const auto &p : parse_proc_net(read_file(path), family)) {
			// TCP: listening sockets (state 0x0A) only
			if (e.proto == Proto::tcp && p.state != 0x0A)
				continue;
			if (!endpoint_matches(e, p) || p.inode == 0)
				continue;
			FoundSocket s;
			s.proto = e.proto;
			s.local.proto = e.proto;
			s.local.family = family;
			s.local.addr = p.addr;
			s.local.port = p.port;
			s.inode = p.inode;
			out.push_back(s);
		}
	}
	if (!out.empty())
		scan_owners(out, proc);
	return out;
}

unsigned long long socket_inode(pid_t pid, int fd, const std::string &proc)
{
	std::array<char, 64> link{};
	const std::string path = proc + "/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
	ssize_t n = readlink(path.c_str(), link.data(), link.size() - 1);
	if (n <= 0)
		return 0;
	std::string_view l(link.data(), static_cast<std::size_t>(n));
	if (!l.starts_with("socket:[") || !l.ends_with("]"))
		return 0;
	unsigned long long ino = 0;
	std::from_chars(l.data() + 8, l.data() + l.size() - 1, ino);
	return ino;
}

Socket take_fd(pid_t pid, int fd, std::error_code &ec, std::string &why)
{
	ec.clear();
	const long pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		ec = errno_code(errno);
		why = "pidfd_open(" + std::to_string(pid) + "): " + ec.message();
		if (ec.value() == ESRCH)
			why += " (no such process)";
		else if (ec.value() == ENOSYS)
			why += " (kernel without pidfd_open, Linux 5.3+ needed)";
		return {};
	}
	Socket pfd(static_cast<int>(pidfd));
	const long dup = syscall(SYS_pidfd_getfd, pfd.fd(), fd, 0);
	if (dup < 0) {
		ec = errno_code(errno);
		why = "pidfd_getfd(pid " + std::to_string(pid) + ", fd " + std::to_string(fd) + "): " + ec.message();
		switch (ec.value()) {
		case EPERM:
			why += ": taking another process's file descriptor needs ptrace access to it "
			       "(PTRACE_MODE_ATTACH_REALCREDS): run santa-ctl as root or with "
			       "CAP_SYS_PTRACE, or as the server's user with kernel.yama.ptrace_scope=0 "
			       "(a server that changed its uid or is not dumpable needs CAP_SYS_PTRACE)";
			break;
		case EBADF:
			why += ": the process has no such file descriptor";
			break;
		case ESRCH:
			why += ": the process is exiting";
			break;
		case ENOSYS:
			why += ": kernel without pidfd_getfd (Linux 5.6+ needed)";
			break;
		default:
			break;
		}
		return {};
	}
	return Socket(static_cast<int>(dup));
}

} // namespace santa
