// SPDX-License-Identifier: GPL-2.0
// DNS helper: zone file -> rules answering standard queries.
#include "santa/proto.hpp"
#include "santa/rulefile.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <map>
#include <set>
#include <stdexcept>
#include <unordered_map>

namespace santa::dns {

namespace {

std::string lower(std::string_view s)
{
	std::string out(s);
	for (auto &c : out)
		c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
	return out;
}

struct ZTok {
	std::string text;
	bool quoted = false;
	std::size_t line = 0;
	std::size_t col = 0;
};

// A logical record: tokens of one line, or of several inside parentheses.
struct ZRecord {
	std::vector<ZTok> toks;
	bool owner_blank = false; // started with a blank: previous owner
	std::size_t line = 0;
};

std::vector<ZRecord> split_records(std::string_view t, const std::string &file)
{
	std::vector<ZRecord> out;
	ZRecord cur;
	int depth = 0;
	std::size_t line = 1;
	std::size_t col = 1;
	bool line_start = true;
	std::size_t i = 0;
	auto flush = [&] {
		if (!cur.toks.empty())
			out.push_back(std::move(cur));
		cur = ZRecord{};
	};
	while (i < t.size()) {
		char c = t[i];
		if (c == '\n') {
			if (depth == 0)
				flush();
			line++;
			col = 1;
			i++;
			line_start = true;
			continue;
		}
		if (line_start && depth == 0) {
			cur.line = line;
			cur.owner_blank = (c == ' ' || c == '\t');
		}
		line_start = false;
		if (c == ' ' || c == '\t' || c == '\r') {
			i++;
			col++;
			continue;
		}
		if (c == ';') {
			while (i < t.size() && t[i] != '\n')
				i++;
			continue;
		}
		if (c == '(') {
			depth++;
			i++;
			col++;
			continue;
		}
		if (c == ')') {
			if (depth == 0)
				throw ParseError(file, line, col, "')' without '('");
			depth--;
			i++;
			col++;
			continue;
		}
		ZTok tok;
		tok.line = line;
		tok.col = col;
		if (c == '"') {
			tok.quoted = true;
			i++;
			col++;
			while (i < t.size() && t[i] != '"' && t[i] != '\n') {
				if (t[i] == '\\' && i + 1 < t.size()) {
					tok.text += t[i];
					i++;
					col++;
				}
				tok.text += t[i];
				i++;
				col++;
			}
			if (i >= t.size() || t[i] != '"')
				throw ParseError(file, tok.line, tok.col, "unterminated string");
			i++;
			col++;
		} else {
			while (i < t.size() && t[i] != ' ' && t[i] != '\t' && t[i] != '\r' && t[i] != '\n' &&
			       t[i] != ';' && t[i] != '(' && t[i] != ')') {
				if (t[i] == '\\' && i + 1 < t.size()) {
					tok.text += t[i];
					i++;
					col++;
				}
				tok.text += t[i];
				i++;
				col++;
			}
		}
		cur.toks.push_back(std::move(tok));
	}
	if (depth != 0)
		throw ParseError(file, line, col, "unbalanced '('");
	flush();
	return out;
}

bool parse_ttl(std::string_view s, std::uint32_t &ttl)
{
	if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])) == 0)
		return false;
	std::uint64_t total = 0;
	std::uint64_t num = 0;
	bool digits = false;
	for (char c : s) {
		if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
			num = num * 10 + static_cast<std::uint64_t>(c - '0');
			digits = true;
			if (num > UINT32_MAX)
				return false;
			continue;
		}
		std::uint64_t mult = 0;
		switch (std::tolower(static_cast<unsigned char>(c))) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		case 'w': mult = 604800; break;
		default: return false;
		}
		if (!digits)
			return false;
		total += num * mult;
		num = 0;
		digits = false;
	}
	total += num;
	if (total > UINT32_MAX)
		return false;
	ttl = static_cast<std::uint32_t>(total);
	return true;
}

// character-string of a TXT record: \X and \DDD escapes
Bytes char_string(const ZTok &t, const std::string &file)
{
	Bytes out;
	const std::string &s = t.text;
	for (std::size_t i = 0; i < s.size(); i++) {
		if (s[i] != '\\') {
			out.push_back(static_cast<std::uint8_t>(s[i]));
			continue;
		}
		if (i + 3 < s.size() + 0 && std::isdigit(static_cast<unsigned char>(s[i + 1])) != 0) {
			unsigned v = 0;
			for (int k = 1; k <= 3; k++) {
				if (i + static_cast<std::size_t>(k) >= s.size() ||
				    std::isdigit(static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)])) == 0)
					throw ParseError(file, t.line, t.col, "\\DDD needs three digits");
				v = v * 10 + static_cast<unsigned>(s[i + static_cast<std::size_t>(k)] - '0');
			}
			if (v > 255)
				throw ParseError(file, t.line, t.col, "\\DDD above 255");
			out.push_back(static_cast<std::uint8_t>(v));
			i += 3;
		} else if (i + 1 < s.size()) {
			out.push_back(static_cast<std::uint8_t>(s[++i]));
		}
	}
	if (out.size() > 255)
		throw ParseError(file, t.line, t.col, "character-string longer than 255 bytes");
	return out;
}

std::string absolute(const ZTok &t, const std::string &origin, const std::string &file)
{
	const std::string &n = t.text;
	if (n.find('\\') != std::string::npos)
		throw ParseError(file, t.line, t.col, "escapes in names are not supported");
	if (n == "@")
		return origin;
	if (n == ".")
		return "";
	if (!n.empty() && n.back() == '.')
		return n.substr(0, n.size() - 1);
	if (origin.empty())
		return n;
	return n + "." + origin;
}

void check_name(const ZTok &t, const std::string &name, const std::string &file)
{
	if (name.size() > 253)
		throw ParseError(file, t.line, t.col, "name longer than 253 characters");
	std::size_t start = 0;
	while (start <= name.size() && !name.empty()) {
		auto dot = name.find('.', start);
		std::size_t len = (dot == std::string::npos ? name.size() : dot) - start;
		if (len == 0 || len > 63)
			throw ParseError(file, t.line, t.col, "bad label in '" + name + "'");
		if (dot == std::string::npos)
			break;
		start = dot + 1;
	}
}

bool in_zone(const std::string &name_l, const std::string &origin_l)
{
	if (origin_l.empty() || name_l == origin_l)
		return true;
	return name_l.size() > origin_l.size() && name_l.ends_with(origin_l) &&
	       name_l[name_l.size() - origin_l.size() - 1] == '.';
}

// builds a DNS message with name compression as nsd and knot do: every
// suffix of a name written in full is a pointer target (case-insensitive)
class Packet {
public:
	Bytes b;

	void u16(std::uint16_t v)
	{
		b.push_back(static_cast<std::uint8_t>(v >> 8));
		b.push_back(static_cast<std::uint8_t>(v & 0xff));
	}
	void u32(std::uint32_t v)
	{
		u16(static_cast<std::uint16_t>(v >> 16));
		u16(static_cast<std::uint16_t>(v & 0xffff));
	}

	void name(const std::string &n)
	{
		std::string rest = n;
		while (!rest.empty()) {
			auto it = suffixes_.find(lower(rest));
			if (it != suffixes_.end()) {
				u16(static_cast<std::uint16_t>(0xc000 | it->second));
				return;
			}
			if (b.size() < 0x4000)
				suffixes_.emplace(lower(rest), static_cast<std::uint16_t>(b.size()));
			auto dot = rest.find('.');
			std::string label = rest.substr(0, dot);
			b.push_back(static_cast<std::uint8_t>(label.size()));
			b.insert(b.end(), label.begin(), label.end());
			rest = dot == std::string::npos ? "" : rest.substr(dot + 1);
		}
		b.push_back(0);
	}

	void rr(const RR &r, const std::string &owner)
	{
		name(owner);
		u16(r.type);
		u16(1);
		u32(r.ttl);
		const std::size_t len_at = b.size();
		u16(0);
		if (r.type == CNAME || r.type == NS)
			name(r.target);
		else
			b.insert(b.end(), r.rdata.begin(), r.rdata.end());
		const std::size_t rdlen = b.size() - len_at - 2;
		b[len_at] = static_cast<std::uint8_t>(rdlen >> 8);
		b[len_at + 1] = static_cast<std::uint8_t>(rdlen & 0xff);
	}

private:
	std::unordered_map<std::string, std::uint16_t> suffixes_;
};

std::string type_name(std::uint16_t t)
{
	switch (t) {
	case A: return "A";
	case NS: return "NS";
	case CNAME: return "CNAME";
	case SOA: return "SOA";
	case MX: return "MX";
	case TXT: return "TXT";
	case AAAA: return "AAAA";
	default: return "TYPE" + std::to_string(t);
	}
}

} // namespace

std::uint16_t type_from_name(std::string_view s)
{
	const std::string u = lower(s);
	static const std::map<std::string, std::uint16_t> m = {{"a", A},     {"ns", NS},   {"cname", CNAME},
							       {"soa", SOA}, {"mx", MX},   {"txt", TXT},
							       {"aaaa", AAAA}};
	auto it = m.find(u);
	if (it != m.end())
		return it->second;
	if (u.starts_with("type")) {
		unsigned v = 0;
		auto [p, ec] = std::from_chars(u.data() + 4, u.data() + u.size(), v);
		if (ec == std::errc() && p == u.data() + u.size() && v > 0 && v < 65536)
			return static_cast<std::uint16_t>(v);
	}
	return 0;
}

Bytes name_wire(std::string_view name)
{
	Bytes out;
	std::string_view rest = name;
	if (!rest.empty() && rest.back() == '.')
		rest.remove_suffix(1);
	while (!rest.empty()) {
		auto dot = rest.find('.');
		std::string_view label = rest.substr(0, dot);
		out.push_back(static_cast<std::uint8_t>(label.size()));
		out.insert(out.end(), label.begin(), label.end());
		rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
	}
	out.push_back(0);
	return out;
}

Bytes query(std::uint16_t id, std::string_view name, std::uint16_t qtype, std::uint8_t flags2, std::uint8_t flags3)
{
	Bytes q = {static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id & 0xff), flags2, flags3, 0, 1, 0, 0, 0, 0, 0, 0};
	Bytes n = name_wire(name);
	q.insert(q.end(), n.begin(), n.end());
	q.push_back(static_cast<std::uint8_t>(qtype >> 8));
	q.push_back(static_cast<std::uint8_t>(qtype & 0xff));
	q.push_back(0);
	q.push_back(1);
	return q;
}

namespace {

// OPT pseudo-RR: root name, type 41, UDP size, extended rcode 0, version 0,
// flags (DO), no options
Bytes opt_rr(std::uint16_t size, bool dnssec_ok)
{
	return {0, 0, 41, static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size & 0xff),
		0, 0, static_cast<std::uint8_t>(dnssec_ok ? 0x80 : 0), 0, 0, 0};
}

} // namespace

Bytes query_edns(std::uint16_t id, std::string_view name, std::uint16_t qtype, std::uint16_t udp_size, bool dnssec_ok,
		 std::uint8_t flags2, std::uint8_t flags3)
{
	Bytes q = query(id, name, qtype, flags2, flags3);
	q[11] = 1; // ARCOUNT
	Bytes opt = opt_rr(udp_size, dnssec_ok);
	q.insert(q.end(), opt.begin(), opt.end());
	return q;
}

Zone parse_zone(std::string_view text, const std::string &file, const std::string &origin_in)
{
	Zone z;
	z.origin = origin_in;
	if (!z.origin.empty() && z.origin.back() == '.')
		z.origin.pop_back();
	std::uint32_t default_ttl = 3600;
	bool have_ttl = false;
	std::string prev_owner;
	bool have_prev = false;
	std::set<std::tuple<std::string, std::uint16_t, Bytes, std::string>> seen;

	for (auto &rec : split_records(text, file)) {
		auto &t = rec.toks;
		std::size_t i = 0;
		if (t[0].text[0] == '$' && !rec.owner_blank) {
			if (t[0].text == "$ORIGIN") {
				if (t.size() != 2)
					throw ParseError(file, t[0].line, t[0].col, "$ORIGIN takes one name");
				z.origin = absolute(t[1], z.origin, file);
			} else if (t[0].text == "$TTL") {
				if (t.size() != 2 || !parse_ttl(t[1].text, default_ttl))
					throw ParseError(file, t[0].line, t[0].col, "$TTL takes one TTL");
				have_ttl = true;
			} else {
				throw ParseError(file, t[0].line, t[0].col, "unsupported directive " + t[0].text);
			}
			continue;
		}
		std::string owner;
		if (rec.owner_blank) {
			if (!have_prev)
				throw ParseError(file, t[0].line, t[0].col, "record without an owner name");
			owner = prev_owner;
		} else {
			owner = absolute(t[0], z.origin, file);
			check_name(t[0], owner, file);
			i = 1;
		}
		prev_owner = owner;
		have_prev = true;

		RR rr;
		rr.owner = owner;
		rr.line = rec.line;
		rr.ttl = default_ttl;
		bool ttl_given = false;
		bool skip = false;
		// [TTL] [CLASS] TYPE or [CLASS] [TTL] TYPE
		for (int k = 0; k < 2 && i < t.size(); k++) {
			std::uint32_t v = 0;
			const std::string u = lower(t[i].text);
			if (!ttl_given && parse_ttl(t[i].text, v)) {
				rr.ttl = v;
				ttl_given = true;
				i++;
			} else if (u == "in") {
				i++;
			} else if (u == "ch" || u == "hs" || u == "cs") {
				skip = true;
				i++;
			}
		}
		if (i >= t.size())
			throw ParseError(file, t.back().line, t.back().col, "missing record type");
		const ZTok &tt = t[i++];
		rr.type = type_from_name(tt.text);
		if (rr.type == 0)
			throw ParseError(file, tt.line, tt.col, "unknown record type '" + tt.text + "'");
		if (skip)
			continue;
		(void)have_ttl;
		auto need = [&](std::size_t n) {
			if (t.size() - i != n)
				throw ParseError(file, tt.line, tt.col,
						 type_name(rr.type) + " takes " + std::to_string(n) + " field(s)");
		};
		switch (rr.type) {
		case A: {
			need(1);
			rr.rdata.resize(4);
			if (inet_pton(AF_INET, t[i].text.c_str(), rr.rdata.data()) != 1)
				throw ParseError(file, t[i].line, t[i].col, "bad IPv4 address '" + t[i].text + "'");
			break;
		}
		case AAAA: {
			need(1);
			rr.rdata.resize(16);
			if (inet_pton(AF_INET6, t[i].text.c_str(), rr.rdata.data()) != 1)
				throw ParseError(file, t[i].line, t[i].col, "bad IPv6 address '" + t[i].text + "'");
			break;
		}
		case TXT: {
			if (i >= t.size())
				throw ParseError(file, tt.line, tt.col, "TXT needs at least one string");
			for (; i < t.size(); i++) {
				Bytes s = char_string(t[i], file);
				rr.rdata.push_back(static_cast<std::uint8_t>(s.size()));
				rr.rdata.insert(rr.rdata.end(), s.begin(), s.end());
			}
			break;
		}
		case CNAME:
		case NS: {
			need(1);
			rr.target = absolute(t[i], z.origin, file);
			check_name(t[i], rr.target, file);
			break;
		}
		case SOA: {
			need(7);
			for (std::size_t k = i + 2; k < t.size(); k++) {
				std::uint32_t v = 0;
				if (!parse_ttl(t[k].text, v))
					throw ParseError(file, t[k].line, t[k].col, "bad SOA number '" + t[k].text + "'");
			}
			if (!have_ttl && !ttl_given) {
				std::uint32_t minimum = 0;
				parse_ttl(t[i + 6].text, minimum);
				default_ttl = minimum;
				rr.ttl = minimum;
			}
			rr.target = absolute(t[i], z.origin, file);
			break;
		}
		default:
			break; // kept (MX, others) so that names and types exist; no rules
		}
		if (!seen.emplace(lower(rr.owner), rr.type, rr.rdata, lower(rr.target)).second)
			continue; // duplicate record
		z.rrs.push_back(std::move(rr));
	}
	return z;
}

std::vector<Rule> compile(const Zone &z, const Options &o, std::vector<std::string> *notes)
{
	// the condition starts at the flags: a rule that matched QR=1 (or
	// another opcode) would answer responses, and two servers could
	// answer each other's answers
	for (auto f2 : o.flags2)
		if ((f2 & 0xf8) != 0)
			throw std::invalid_argument("DNS rules match queries only: flags byte 2 must have QR=0 and "
						    "OPCODE=0 (QUERY)");
	auto note = [&](const std::string &s) {
		if (notes != nullptr)
			notes->push_back(s);
	};
	const std::string apex = lower(z.origin);
	// owner -> type -> records, and owners in order of appearance
	std::map<std::string, std::map<std::uint16_t, std::vector<const RR *>>> idx;
	std::vector<std::string> owners;
	std::set<std::string> delegations;
	for (const auto &r : z.rrs) {
		const std::string k = lower(r.owner);
		if (idx.find(k) == idx.end())
			owners.push_back(k);
		idx[k][r.type].push_back(&r);
		if (r.type == NS && k != apex)
			delegations.insert(k);
	}
	auto rrset = [&](const std::string &name, std::uint16_t t) -> const std::vector<const RR *> * {
		auto it = idx.find(name);
		if (it == idx.end())
			return nullptr;
		auto jt = it->second.find(t);
		return jt == it->second.end() ? nullptr : &jt->second;
	};
	auto below_cut = [&](const std::string &name) {
		for (const auto &d : delegations)
			if (name == d || (name.size() > d.size() && name.ends_with("." + d)))
				return true;
		return false;
	};
	const auto *apex_ns = rrset(apex, NS);

	std::vector<Rule> out;
	std::uint32_t id = o.first_id;
	for (const auto &qname : owners) {
		if (!in_zone(qname, apex) || below_cut(qname))
			continue;
		for (auto qtype : o.qtypes) {
			std::vector<std::pair<const RR *, std::string>> answer; // record, owner as written in packet
			bool out_of_zone = false;
			if (const auto *set = rrset(qname, qtype)) {
				for (const auto *r : *set)
					answer.emplace_back(r, qname);
			} else if (const auto *cn = (qtype != CNAME ? rrset(qname, CNAME) : nullptr)) {
				std::string cur = qname;
				const RR *link = cn->front();
				bool done = false;
				for (int hop = 0; hop < 8 && !done; hop++) {
					answer.emplace_back(link, cur);
					const std::string target = lower(link->target);
					if (!in_zone(target, apex) || below_cut(target)) {
						out_of_zone = true;
						break;
					}
					if (const auto *set = rrset(target, qtype)) {
						for (const auto *r : *set)
							answer.emplace_back(r, link->target);
						done = true;
					} else if (const auto *next = rrset(target, CNAME)) {
						cur = link->target;
						link = next->front();
					} else {
						answer.clear(); // NODATA or NXDOMAIN after the CNAME
						break;
					}
				}
				if (!done && !out_of_zone)
					answer.clear();
			}
			if (answer.empty())
				continue;
			for (auto f2 : o.flags2) {
				for (auto f3 : o.flags3) {
					Packet p;
					p.b = {0, 0, static_cast<std::uint8_t>(0x84 | (f2 & 0x01)),
					       0x00}; // nsd clears AD and CD
					p.u16(1);
					p.u16(static_cast<std::uint16_t>(answer.size()));
					p.u16(0);
					p.u16(0);
					p.name(qname);
					p.u16(qtype);
					p.u16(1);
					std::uint16_t ns_count = 0;
					std::uint16_t ar_count = 0;
					// RRsets already in the message are not repeated (nsd)
					std::set<std::pair<std::string, std::uint16_t>> in_msg;
					for (const auto &[r, owner] : answer) {
						p.rr(*r, owner);
						in_msg.emplace(lower(owner), r->type);
					}
					if (!o.minimal && !out_of_zone && apex_ns != nullptr) {
						for (const auto *r : *apex_ns) {
							p.rr(*r, r->owner);
							ns_count++;
						}
						for (const auto *r : *apex_ns) {
							const std::string target = lower(r->target);
							if (!in_zone(target, apex))
								continue;
							for (auto t : o.ipv6 ? std::array{AAAA, A} : std::array{A, AAAA})
								if (const auto *glue = rrset(target, t);
								    glue != nullptr && in_msg.emplace(target, t).second)
									for (const auto *g : *glue) {
										p.rr(*g, r->target);
										ar_count++;
									}
						}
					}
					p.b[8] = static_cast<std::uint8_t>(ns_count >> 8);
					p.b[9] = static_cast<std::uint8_t>(ns_count & 0xff);
					p.b[10] = static_cast<std::uint8_t>(ar_count >> 8);
					p.b[11] = static_cast<std::uint8_t>(ar_count & 0xff);
					auto add = [&](const Bytes &q, const Bytes &reply) {
						Rule r;
						r.id = id++;
						r.flags = flag_exact_len;
						r.cond_off = 2;
						r.cond.assign(q.begin() + 2, q.end());
						r.reply_len = static_cast<std::uint32_t>(reply.size());
						r.procs.push_back(Proc::copy(0, 0, 2));
						r.procs.push_back(Proc::put(2, Bytes(reply.begin() + 2, reply.end())));
						out.push_back(std::move(r));
					};
					const bool first = f2 == o.flags2.front() && f3 == o.flags3.front();
					if (p.b.size() <= o.max_reply)
						add(query(0, qname, qtype, f2, f3), p.b);
					else if (first)
						note(qname + " " + type_name(qtype) + ": answer of " + std::to_string(p.b.size()) +
						     " bytes is over " + std::to_string(o.max_reply) + ", left to the server");
					for (auto size : o.edns_sizes) {
						for (bool dnssec_ok : {false, true}) {
							Bytes reply = p.b;
							const auto ar = static_cast<std::uint16_t>(ar_count + 1);
							reply[10] = static_cast<std::uint8_t>(ar >> 8);
							reply[11] = static_cast<std::uint8_t>(ar & 0xff);
							Bytes opt = opt_rr(o.server_edns_size, dnssec_ok);
							reply.insert(reply.end(), opt.begin(), opt.end());
							// larger answers need truncation, which the server does
							if (reply.size() > std::min<std::size_t>({size, o.server_edns_size, 65507}) ||
							    size < 512)
								continue;
							add(query_edns(0, qname, qtype, size, dnssec_ok, f2, f3), reply);
						}
					}
				}
			}
		}
	}
	return out;
}

} // namespace santa::dns
