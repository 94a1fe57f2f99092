// SPDX-License-Identifier: GPL-2.0
// sock_diag dump of TCP/UDP sockets with their INET_DIAG_SANTA attribute.
#include "santa/diag.hpp"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/santa.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace santa {

static_assert(inet_diag_santa == INET_DIAG_SOCKOPT + 1, "INET_DIAG_SANTA follows INET_DIAG_SOCKOPT");

namespace {

Endpoint endpoint(Proto p, int family, const __be32 *addr, __be16 port)
{
	Endpoint e;
	e.proto = p;
	e.family = family;
	std::memcpy(e.addr.data(), addr, family == AF_INET ? 4 : 16);
	e.port = ntohs(port);
	return e;
}

void parse_santa(const rtattr *nest, DiagSocket &d)
{
	d.santa = true;
	auto len = static_cast<int>(RTA_PAYLOAD(nest));
	for (const auto *a = static_cast<const rtattr *>(RTA_DATA(nest)); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		switch (a->rta_type & NLA_TYPE_MASK) {
		case SANTA_DIAG_STATS: {
			std::size_t n = RTA_PAYLOAD(a) / sizeof(__u64);
			d.stats.values.resize(n);
			std::memcpy(d.stats.values.data(), RTA_DATA(a), n * sizeof(__u64));
			break;
		}
		case SANTA_DIAG_SHARED:
			d.shared = true;
			break;
		case SANTA_DIAG_OWNER:
			if (RTA_PAYLOAD(a) == sizeof(__u64))
				std::memcpy(&d.owner, RTA_DATA(a), sizeof(__u64));
			break;
		default:
			break;
		}
	}
}

std::error_code dump_family(Proto proto, int family, std::vector<DiagSocket> &out)
{
	Socket nl(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
	if (!nl.valid())
		return errno_code(errno);
	struct {
		nlmsghdr nlh;
		inet_diag_req_v2 r;
		nlattr ask; // INET_DIAG_REQ_SANTA
	} req{};
	static_assert(sizeof(req) == NLMSG_LENGTH(sizeof(inet_diag_req_v2)) + NLA_HDRLEN);
	req.nlh.nlmsg_len = sizeof(req);
	req.ask.nla_len = NLA_HDRLEN;
	req.ask.nla_type = inet_diag_req_santa;
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.r.sdiag_family = static_cast<__u8>(family);
	req.r.sdiag_protocol = proto == Proto::udp ? IPPROTO_UDP : IPPROTO_TCP;
	req.r.idiag_states = ~0U;
	sockaddr_nl kernel{};
	kernel.nl_family = AF_NETLINK;
	if (sendto(nl.fd(), &req, sizeof(req), 0, reinterpret_cast<sockaddr *>(&kernel), sizeof(kernel)) < 0)
		return errno_code(errno);

	std::vector<char> buf(1 << 16);
	for (;;) {
		ssize_t n = recv(nl.fd(), buf.data(), buf.size(), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno_code(errno);
		}
		auto len = static_cast<unsigned>(n);
		for (auto *h = reinterpret_cast<nlmsghdr *>(buf.data()); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				// a dump's error (no handler for the protocol: ENOENT)
				// comes in the payload of NLMSG_DONE
				int err = 0;
				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(err)))
					std::memcpy(&err, NLMSG_DATA(h), sizeof(err));
				return err < 0 ? errno_code(-err) : std::error_code{};
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const auto *e = static_cast<const nlmsgerr *>(NLMSG_DATA(h));
				return errno_code(e->error < 0 ? -e->error : EPROTO);
			}
			const auto *m = static_cast<const inet_diag_msg *>(NLMSG_DATA(h));
			DiagSocket d;
			d.proto = proto;
			d.local = endpoint(proto, m->idiag_family, m->id.idiag_src, m->id.idiag_sport);
			d.remote = endpoint(proto, m->idiag_family, m->id.idiag_dst, m->id.idiag_dport);
			d.state = m->idiag_state;
			d.inode = m->idiag_inode;
			auto alen = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
			for (const auto *a = reinterpret_cast<const rtattr *>(m + 1); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
				if ((a->rta_type & NLA_TYPE_MASK) == inet_diag_santa)
					parse_santa(a, d);
			out.push_back(std::move(d));
		}
	}
}

} // namespace

std::error_code diag_dump(Proto proto, std::vector<DiagSocket> &out)
{
	out.clear();
	for (int family : {AF_INET, AF_INET6})
		if (auto ec = dump_family(proto, family, out); ec && !(family == AF_INET6 && ec.value() == ENOENT))
			return ec;
	return {};
}

} // namespace santa
