// SPDX-License-Identifier: GPL-2.0
// libsanta: rule encoding and the SOL_SANTA socket options.
#include "santa/santa.hpp"

#include <linux/santa.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace santa {

namespace {

// counter names, generated from struct santa_stats of the synced header
constexpr std::array stat_names = {
#include "stats_names.inc"
};
static_assert(stat_names.size() * sizeof(__u64) == sizeof(struct santa_stats),
	      "stats_names.inc does not match struct santa_stats");

std::size_t align8(std::size_t n) { return (n + rule_align - 1) & ~std::size_t{rule_align - 1}; }

template <typename T> void put_raw(Bytes &out, std::size_t at, const T &v)
{
	std::memcpy(out.data() + at, &v, sizeof(v));
}

} // namespace

Bytes to_bytes(std::string_view s) { return {s.begin(), s.end()}; }

Proc Proc::put(std::uint32_t dst, Bytes bytes)
{
	Proc p;
	p.type = ProcType::put;
	p.dst_off = dst;
	p.len = static_cast<std::uint32_t>(bytes.size());
	p.data = std::move(bytes);
	return p;
}

Proc Proc::copy(std::uint32_t dst, std::uint32_t src, std::uint32_t n)
{
	Proc p;
	p.type = ProcType::copy;
	p.dst_off = dst;
	p.src_off = src;
	p.len = n;
	return p;
}

RuleBuilder &RuleBuilder::match(std::uint16_t off, Bytes cond)
{
	r_.cond_off = off;
	r_.cond = std::move(cond);
	return *this;
}

RuleBuilder &RuleBuilder::exact(bool on)
{
	if (on)
		r_.flags |= flag_exact_len;
	else
		r_.flags &= ~flag_exact_len;
	return *this;
}

RuleBuilder &RuleBuilder::put(std::uint32_t dst, Bytes data)
{
	r_.procs.push_back(Proc::put(dst, std::move(data)));
	return *this;
}

RuleBuilder &RuleBuilder::copy(std::uint32_t dst, std::uint32_t src, std::uint32_t len)
{
	r_.procs.push_back(Proc::copy(dst, src, len));
	return *this;
}

RuleBuilder &RuleBuilder::reply_len(std::uint32_t len)
{
	r_.reply_len = len;
	explicit_len_ = true;
	return *this;
}

Rule RuleBuilder::build() const
{
	Rule r = r_;
	if (!explicit_len_)
		r.reply_len = procs_end(r);
	if (auto err = validate(r); !err.empty())
		throw std::invalid_argument(err);
	return r;
}

std::uint32_t procs_end(const Rule &r)
{
	std::uint64_t end = 0;
	for (const auto &p : r.procs)
		end = std::max<std::uint64_t>(end, std::uint64_t{p.dst_off} + p.length());
	return static_cast<std::uint32_t>(std::min<std::uint64_t>(end, UINT32_MAX));
}

std::string validate(const Rule &r)
{
	if ((r.flags & ~flag_exact_len) != 0)
		return "unknown flags";
	if (r.cond.empty())
		return "empty condition";
	if (r.cond.size() > cond_max_len)
		return "condition longer than " + std::to_string(cond_max_len) + " bytes";
	if (r.cond_off > cond_max_off)
		return "condition offset above " + std::to_string(cond_max_off);
	if (r.procs.empty())
		return "no processor";
	if (r.procs.size() > max_procs)
		return "more than " + std::to_string(max_procs) + " processors";
	if (r.reply_len == 0)
		return "empty reply";
	if (r.reply_len > engine_reply_max)
		return "reply longer than " + std::to_string(engine_reply_max) + " bytes";
	std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
	const std::uint64_t cond_end = std::uint64_t{r.cond_off} + r.cond.size();
	for (const auto &p : r.procs) {
		const std::uint64_t len = p.length();
		if (len == 0)
			return "processor of length 0";
		if (p.type == ProcType::put && p.len != p.data.size())
			return "put: length does not match its data";
		if (p.dst_off >= r.reply_len || len > r.reply_len - p.dst_off)
			return "processor at " + std::to_string(p.dst_off) + "+" + std::to_string(len) +
			       " outside the reply of " + std::to_string(r.reply_len) + " bytes";
		if (p.type == ProcType::copy) {
			if (std::uint64_t{p.src_off} + len > 65535)
				return "copy source beyond 65535";
			if (r.exact_len() && p.src_off + len > cond_end)
				return "exact-length rule copies past its condition";
		} else if (p.type != ProcType::put) {
			return "unknown processor type";
		}
		spans.emplace_back(p.dst_off, p.dst_off + len);
	}
	std::sort(spans.begin(), spans.end());
	for (std::size_t i = 1; i < spans.size(); i++)
		if (spans[i].first < spans[i - 1].second)
			return "processors overlap at reply offset " + std::to_string(spans[i].first);
	return {};
}

std::size_t encoded_size(const Rule &r)
{
	std::size_t n = sizeof(struct santa_rule) + r.procs.size() * sizeof(struct santa_proc) + r.cond.size();
	for (const auto &p : r.procs)
		if (p.type == ProcType::put)
			n += p.data.size();
	return align8(n);
}

void encode(const Rule &r, Bytes &out)
{
	const std::size_t base = out.size();
	const std::size_t size = encoded_size(r);
	out.resize(base + size, 0);

	struct santa_rule h {};
	h.size = static_cast<__u32>(size);
	h.id = r.id;
	h.flags = r.flags;
	h.cond_off = r.cond_off;
	h.cond_len = static_cast<__u16>(r.cond.size());
	h.reply_len = r.reply_len;
	h.nr_procs = static_cast<__u16>(r.procs.size());
	h.hdr_len = sizeof(h); // where the processors start
	put_raw(out, base, h);

	std::size_t at = sizeof(h) + r.procs.size() * sizeof(struct santa_proc);
	if (!r.cond.empty())
		std::memcpy(out.data() + base + at, r.cond.data(), r.cond.size());
	at += r.cond.size();
	for (std::size_t i = 0; i < r.procs.size(); i++) {
		const Proc &p = r.procs[i];
		struct santa_proc sp {};
		sp.type = static_cast<__u16>(p.type);
		sp.dst_off = p.dst_off;
		sp.len = p.length();
		if (p.type == ProcType::put) {
			sp.src_off = static_cast<__u32>(at);
			if (!p.data.empty())
				std::memcpy(out.data() + base + at, p.data.data(), p.data.size());
			at += p.data.size();
		} else {
			sp.src_off = p.src_off;
		}
		put_raw(out, base + sizeof(h) + i * sizeof(sp), sp);
	}
}

Bytes encode(const Rule &r)
{
	Bytes out;
	out.reserve(encoded_size(r));
	encode(r, out);
	return out;
}

std::optional<Rule> decode(std::span<const std::uint8_t> in, std::size_t *used)
{
	struct santa_rule h {};
	if (in.size() < sizeof(h))
		return std::nullopt;
	std::memcpy(&h, in.data(), sizeof(h));
	if (h.size < sizeof(h) || h.size > in.size() || h.size % rule_align != 0)
		return std::nullopt;
	const std::size_t hdr = sizeof(h) + std::size_t{h.nr_procs} * sizeof(struct santa_proc);
	if (hdr + h.cond_len > h.size)
		return std::nullopt;
	Rule r;
	r.id = h.id;
	r.flags = h.flags;
	r.cond_off = h.cond_off;
	r.reply_len = h.reply_len;
	r.cond.assign(in.begin() + static_cast<std::ptrdiff_t>(hdr),
		      in.begin() + static_cast<std::ptrdiff_t>(hdr + h.cond_len));
	for (std::size_t i = 0; i < h.nr_procs; i++) {
		struct santa_proc sp {};
		std::memcpy(&sp, in.data() + sizeof(h) + i * sizeof(sp), sizeof(sp));
		if (sp.type == SANTA_PROC_PUT) {
			if (sp.src_off > h.size || sp.len > h.size - sp.src_off)
				return std::nullopt;
			r.procs.push_back(Proc::put(
				sp.dst_off, Bytes(in.begin() + sp.src_off, in.begin() + sp.src_off + sp.len)));
		} else {
			r.procs.push_back(Proc::copy(sp.dst_off, sp.src_off, sp.len));
			r.procs.back().type = static_cast<ProcType>(sp.type);
		}
	}
	if (used != nullptr)
		*used = h.size;
	return r;
}

std::optional<Bytes> reply_to(const Rule &r, std::span<const std::uint8_t> req)
{
	const std::size_t end = std::size_t{r.cond_off} + r.cond.size();
	if (req.size() < end || (r.exact_len() && req.size() != end))
		return std::nullopt;
	if (!std::equal(r.cond.begin(), r.cond.end(), req.begin() + r.cond_off))
		return std::nullopt;
	Bytes out(r.reply_len, 0);
	for (const auto &p : r.procs) {
		if (p.type == ProcType::put) {
			std::copy(p.data.begin(), p.data.end(), out.begin() + p.dst_off);
		} else {
			if (std::size_t{p.src_off} + p.len > req.size())
				return std::nullopt;
			std::copy_n(req.begin() + p.src_off, p.len, out.begin() + p.dst_off);
		}
	}
	return out;
}

std::string Stats::name(std::size_t i)
{
	if (i < stat_names.size())
		return stat_names[i];
	return "counter" + std::to_string(i);
}

std::size_t Stats::known() { return stat_names.size(); }

std::uint64_t Stats::get(std::string_view n) const
{
	for (std::size_t i = 0; i < values.size(); i++)
		if (name(i) == n)
			return values[i];
	return 0;
}

static_assert(sizeof(struct santa_framing) == framing_size, "struct santa_framing is 16 bytes");
static_assert(SANTA_TERM_MAX_LEN == term_max_len && SANTA_FRAMING_F_EOR == framing_flag_eor &&
		      SANTA_FRAMING_F_WRITE_ANSWERS == framing_flag_write_answers,
	      "libsanta's framing constants differ from the uapi header");

std::string validate(const Framing &f)
{
	if ((f.flags & ~framing_flags_known) != 0)
		return "unknown framing flags";
	if (f.term.size() > term_max_len)
		return "terminator longer than " + std::to_string(term_max_len) + " bytes";
	return {};
}

Bytes encode(const Framing &f)
{
	if (auto err = validate(f); !err.empty())
		throw std::invalid_argument(err);
	struct santa_framing k {};
	k.flags = f.flags;
	k.term_len = static_cast<__u8>(f.term.size());
	if (!f.term.empty())
		std::memcpy(k.term, f.term.data(), f.term.size());
	Bytes out(sizeof(k));
	std::memcpy(out.data(), &k, sizeof(k));
	return out;
}

std::optional<Framing> decode_framing(std::span<const std::uint8_t> in)
{
	struct santa_framing k {};
	if (in.size() != sizeof(k))
		return std::nullopt;
	std::memcpy(&k, in.data(), sizeof(k));
	if ((k.flags & ~framing_flags_known) != 0 || k.term_len > term_max_len)
		return std::nullopt;
	for (auto b : k.__reserved)
		if (b != 0)
			return std::nullopt;
	for (std::size_t i = k.term_len; i < term_max_len; i++)
		if (k.term[i] != 0)
			return std::nullopt;
	Framing f;
	f.flags = k.flags;
	f.term.assign(k.term, k.term + k.term_len);
	return f;
}

std::string term_text(const Bytes &term)
{
	std::string out;
	for (auto c : term) {
		switch (c) {
		case '\r':
			out += "\\r";
			break;
		case '\n':
			out += "\\n";
			break;
		case '\t':
			out += "\\t";
			break;
		case '\\':
			out += "\\\\";
			break;
		case '"':
			out += "\\\"";
			break;
		default:
			if (c < 0x20 || c >= 0x7f) {
				static const char hex[] = "0123456789abcdef";
				out += "\\x";
				out += hex[c >> 4];
				out += hex[c & 15];
			} else {
				out += static_cast<char>(c);
			}
		}
	}
	return out;
}

Socket &Socket::operator=(Socket &&o) noexcept
{
	if (this != &o)
		reset(std::exchange(o.fd_, -1));
	return *this;
}

Socket::~Socket() { reset(); }

void Socket::reset(int fd)
{
	if (fd_ >= 0)
		::close(fd_);
	fd_ = fd;
}

namespace {

std::error_code set(int fd, int opt, const void *val, std::size_t len)
{
	if (::setsockopt(fd, sol_santa, opt, val, static_cast<socklen_t>(len)) != 0)
		return errno_code(errno);
	return {};
}

std::error_code get(int fd, int opt, void *val, socklen_t *len)
{
	if (::getsockopt(fd, sol_santa, opt, val, len) != 0)
		return errno_code(errno);
	return {};
}

} // namespace

std::error_code Socket::add(const Rule &r) const
{
	const Bytes b = encode(r);
	return set(fd_, SANTA_RULE_ADD, b.data(), b.size());
}

std::error_code Socket::replace(const Rule &r) const
{
	const Bytes b = encode(r);
	return set(fd_, SANTA_RULE_REPLACE, b.data(), b.size());
}

std::error_code Socket::del(std::uint32_t id) const { return set(fd_, SANTA_RULE_DEL, &id, sizeof(id)); }

std::error_code Socket::flush() const { return set(fd_, SANTA_RULE_FLUSH, nullptr, 0); }

std::error_code Socket::add_bulk_encoded(std::span<const std::uint8_t> rules, std::uint32_t count) const
{
	Bytes b(sizeof(struct santa_bulk) + rules.size());
	struct santa_bulk hdr {};
	hdr.count = count;
	std::memcpy(b.data(), &hdr, sizeof(hdr));
	if (!rules.empty())
		std::memcpy(b.data() + sizeof(hdr), rules.data(), rules.size());
	return set(fd_, SANTA_RULE_ADD_BULK, b.data(), b.size());
}

std::error_code BulkLoader::flush_batch()
{
	if (count_ == 0)
		return {};
	struct santa_bulk hdr {};
	hdr.count = count_;
	std::memcpy(buf_.data(), &hdr, sizeof(hdr));
	auto ec = set(s_.fd(), SANTA_RULE_ADD_BULK, buf_.data(), buf_.size());
	if (!ec)
		ids_.insert(ids_.end(), pending_.begin(), pending_.end());
	pending_.clear();
	buf_.clear();
	count_ = 0;
	return ec;
}

std::error_code BulkLoader::push(const Rule &r)
{
	if (buf_.empty())
		buf_.resize(sizeof(struct santa_bulk));
	encode(r, buf_);
	pending_.push_back(r.id);
	count_++;
	if (count_ >= batch_)
		return flush_batch();
	return {};
}

std::error_code BulkLoader::finish() { return flush_batch(); }

void BulkLoader::rollback()
{
	for (auto id : ids_)
		(void)s_.del(id);
	ids_.clear();
	pending_.clear();
	buf_.clear();
	count_ = 0;
}

std::error_code Socket::add_bulk(std::span<const Rule> rules, std::size_t batch, std::size_t *done) const
{
	BulkLoader l(*this, batch);
	std::error_code ec;
	for (const auto &r : rules)
		if ((ec = l.push(r)))
			break;
	if (!ec)
		ec = l.finish();
	if (ec)
		l.rollback();
	if (done != nullptr)
		*done = l.installed();
	return ec;
}

std::error_code Socket::list(std::vector<RuleInfo> &out, std::uint32_t start_id) const
{
	constexpr std::size_t page = 4096;
	Bytes buf(sizeof(struct santa_rule_list) + page * sizeof(struct santa_rule_info));
	out.clear();
	for (;;) {
		struct santa_rule_list hdr {};
		hdr.start_id = start_id;
		std::memcpy(buf.data(), &hdr, sizeof(hdr));
		auto len = static_cast<socklen_t>(buf.size());
		if (auto ec = get(fd_, SANTA_RULE_LIST, buf.data(), &len))
			return ec;
		std::memcpy(&hdr, buf.data(), sizeof(hdr));
		for (std::size_t i = 0; i < hdr.count; i++) {
			struct santa_rule_info ri {};
			std::memcpy(&ri, buf.data() + sizeof(hdr) + i * sizeof(ri), sizeof(ri));
			out.push_back({ri.id, ri.flags, ri.cond_off, ri.cond_len, ri.reply_len, ri.nr_procs,
				       static_cast<std::uint64_t>(ri.hits)});
		}
		if (hdr.more == 0 || hdr.count == 0)
			return {};
		start_id = hdr.next_id;
	}
}

std::error_code Socket::stats(Stats &out) const
{
	// room for counters appended by newer kernels
	std::array<__u64, 64> v{};
	socklen_t len = sizeof(v);
	if (auto ec = get(fd_, SANTA_STATS, v.data(), &len))
		return ec;
	out.values.assign(v.begin(), v.begin() + (len / sizeof(__u64)));
	return {};
}

std::error_code Socket::limits(Limits &out) const
{
	struct santa_limits l {};
	socklen_t len = sizeof(l);
	if (auto ec = get(fd_, SANTA_LIMITS, &l, &len))
		return ec;
	out = {l.max_ratio, l.rate, l.burst};
	return {};
}

std::error_code Socket::set_limits(const Limits &in) const
{
	struct santa_limits l {};
	l.max_ratio = in.max_ratio;
	l.rate = in.rate;
	l.burst = in.burst;
	return set(fd_, SANTA_LIMITS, &l, sizeof(l));
}

std::error_code Socket::framing(Framing &out) const
{
	std::array<std::uint8_t, sizeof(struct santa_framing)> b{};
	socklen_t len = b.size();
	if (auto ec = get(fd_, SANTA_TCP_FRAMING, b.data(), &len))
		return ec;
	if (len != b.size())
		return errno_code(EPROTO);
	auto f = decode_framing(b);
	if (!f)
		return errno_code(EPROTO);
	out = std::move(*f);
	return {};
}

std::error_code Socket::set_framing(const Framing &in) const
{
	if (!validate(in).empty())
		return errno_code(in.term.size() > term_max_len ? E2BIG : EINVAL);
	const Bytes b = encode(in);
	return set(fd_, SANTA_TCP_FRAMING, b.data(), b.size());
}

std::error_code Socket::ensure_framing(const Framing &in, Framing *current) const
{
	Framing cur;
	if (auto ec = framing(cur))
		return ec;
	if (current != nullptr)
		*current = cur;
	if (cur == in)
		return {};
	auto ec = set_framing(in);
	if (ec.value() == EBUSY) {
		// rules were added meanwhile: fine if with the same framing
		if (!framing(cur)) {
			if (current != nullptr)
				*current = cur;
			if (cur == in)
				return {};
		}
	}
	if (!ec && current != nullptr)
		*current = in;
	return ec;
}

std::error_code Socket::probe() const
{
	std::array<__u64, 1> v{};
	socklen_t len = sizeof(v);
	return get(fd_, SANTA_STATS, v.data(), &len);
}

std::string explain(std::error_code ec, int optname)
{
	switch (ec.value()) {
	case ENOPROTOOPT:
		return "the socket does not take SOL_SANTA options (not a Santa kernel, or a protocol "
		       "without Santa support)";
	case EOPNOTSUPP:
		if (optname == SANTA_TCP_FRAMING)
			return "only TCP sockets have a framing";
		if (optname == SANTA_RULE_ADD || optname == SANTA_RULE_ADD_BULK || optname == SANTA_RULE_REPLACE)
			return "a TCP socket without a request terminator takes exact rules only: set one first "
			       "(santa-ctl framing set --term '\\r\\n\\r\\n'), or this kernel does not know SOL_SANTA";
		return "this kernel does not know SOL_SANTA (not a Santa kernel)";
	case EEXIST:
		return "a rule with this id or an identical condition is already installed";
	case ENOENT:
		return "no rule with this id";
	case ENOSPC:
		return "the socket's rule table is full (net.santa.max_rules, net.santa.max_bytes, "
		       "8 condition offsets, 64 prefix lengths, or 2048 bytes of longest conditions)";
	case EDQUOT:
		return "the rule memory of this user (net.santa.user_max_bytes) or of this network "
		       "namespace (net.santa.netns_max_bytes) is used up";
	case EAGAIN:
		return "the kernel's condition index is being resized: try again";
	case E2BIG:
		if (optname == SANTA_TCP_FRAMING)
			return "the terminator is longer than 8 bytes";
		return "over a size limit (condition > 1024 bytes, > 16 processors, or reply over "
		       "net.santa.max_reply_len)";
	case EINVAL:
		if (optname == SANTA_TCP_FRAMING)
			return "malformed framing (unknown flags or reserved bytes set; a kernel older than "
			       "SANTA_FRAMING_F_WRITE_ANSWERS refuses write-answers; santa-ctl http/memcached load: --strict-order)";
		return optname == SANTA_LIMITS ? "invalid limits (rate and burst go together)"
					       : "malformed rule (rejected by the kernel)";
	case EPERM:
		return "operation not permitted";
	case EBUSY:
		if (optname == SANTA_TCP_FRAMING)
			return "the socket already has rules with another framing (flush them first), or it is a "
			       "connection that uses its listener's rules";
		return "a TCP connection that uses its listener's rules cannot change them: change the "
		       "listener's";
	default:
		return ec.message();
	}
}

} // namespace santa
