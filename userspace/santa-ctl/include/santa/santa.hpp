// SPDX-License-Identifier: GPL-2.0
// libsanta: C++ interface to the Santa socket options (SOL_SANTA).
//
// A Rule is a condition (bytes at an offset of the request payload) and
// processors that build the reply (PUT template bytes, COPY request bytes).
// A Socket owns a file descriptor and installs, lists and counts rules on it.
// Every call returns a std::error_code holding the kernel's errno.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace santa {

inline constexpr int sol_santa = 288;
inline constexpr std::uint32_t cond_max_len = 1024;
inline constexpr std::uint32_t cond_max_off = 4096;
inline constexpr std::uint32_t max_procs = 16;
inline constexpr std::uint32_t rule_align = 8;
inline constexpr std::uint32_t engine_reply_max = 1U << 21;

using Bytes = std::vector<std::uint8_t>;

Bytes to_bytes(std::string_view s);

enum class ProcType : std::uint16_t { put = 1, copy = 2 };

// One processor: PUT writes data at dst_off, COPY copies len request bytes
// from src_off to dst_off.
struct Proc {
	ProcType type = ProcType::put;
	std::uint32_t dst_off = 0;
	std::uint32_t len = 0;     // COPY length; PUT: data.size()
	std::uint32_t src_off = 0; // COPY only
	Bytes data;                // PUT only

	static Proc put(std::uint32_t dst, Bytes bytes);
	static Proc copy(std::uint32_t dst, std::uint32_t src, std::uint32_t n);
	[[nodiscard]] std::uint32_t length() const
	{
		return type == ProcType::put ? static_cast<std::uint32_t>(data.size()) : len;
	}
	bool operator==(const Proc &) const = default;
};

inline constexpr std::uint32_t flag_exact_len = 1U << 0;

struct Rule {
	std::uint32_t id = 0;
	std::uint32_t flags = 0;
	std::uint16_t cond_off = 0;
	Bytes cond;
	std::uint32_t reply_len = 0;
	std::vector<Proc> procs;

	[[nodiscard]] bool exact_len() const { return (flags & flag_exact_len) != 0; }
	bool operator==(const Rule &) const = default;
};

// Typed builder:  RuleBuilder(7).match(2, bytes).exact().copy(0, 0, 2).put(2, reply).build()
class RuleBuilder {
public:
	explicit RuleBuilder(std::uint32_t id) { r_.id = id; }
	RuleBuilder &match(std::uint16_t off, Bytes cond);
	RuleBuilder &match(std::uint16_t off, std::string_view cond) { return match(off, to_bytes(cond)); }
	RuleBuilder &exact(bool on = true);
	RuleBuilder &put(std::uint32_t dst, Bytes data);
	RuleBuilder &put(std::uint32_t dst, std::string_view data) { return put(dst, to_bytes(data)); }
	RuleBuilder &copy(std::uint32_t dst, std::uint32_t src, std::uint32_t len);
	// Reply length; default: the end of the last processor.
	RuleBuilder &reply_len(std::uint32_t len);
	// Checks the rule as the kernel would (without its sysctl limits);
	// throws std::invalid_argument with a message on error.
	[[nodiscard]] Rule build() const;

private:
	Rule r_;
	bool explicit_len_ = false;
};

// Returns an empty string when the rule is valid, else why it is not
// (the checks of the kernel that do not depend on sysctls).
std::string validate(const Rule &r);
// The end of the last processor: the smallest valid reply length.
std::uint32_t procs_end(const Rule &r);

// Size of the encoded rule (struct santa_rule + procs + cond + data, aligned).
std::size_t encoded_size(const Rule &r);
// Appends the uapi encoding of @r to @out.
void encode(const Rule &r, Bytes &out);
Bytes encode(const Rule &r);
// Decodes one rule at the start of @in (inverse of encode); nullopt if malformed.
std::optional<Rule> decode(std::span<const std::uint8_t> in, std::size_t *used = nullptr);

// Emulates the kernel on one rule: the reply to @req, or nullopt when the
// rule does not match (for tests and `santa-ctl rule test`).
std::optional<Bytes> reply_to(const Rule &r, std::span<const std::uint8_t> req);

struct Limits {
	std::uint32_t max_ratio = 0;
	std::uint32_t rate = 0;
	std::uint32_t burst = 0;
};

struct RuleInfo {
	std::uint32_t id = 0;
	std::uint32_t flags = 0;
	std::uint16_t cond_off = 0;
	std::uint16_t cond_len = 0;
	std::uint32_t reply_len = 0;
	std::uint16_t nr_procs = 0;
	std::uint64_t hits = 0;
};

// Counters of a socket. The kernel appends counters over time and fills
// min(optlen, its size): we ask for more than we know and keep what came.
struct Stats {
	std::vector<std::uint64_t> values;
	// Name of counter @i: known names from the uapi header, then "counterN".
	static std::string name(std::size_t i);
	// Number of counters this build knows by name.
	static std::size_t known();
	[[nodiscard]] std::uint64_t get(std::string_view name) const;
};

// How a TCP socket's byte stream is cut into requests (SANTA_TCP_FRAMING,
// struct santa_framing). term empty: a request is one whole segment and
// only exact-length rules can be added; else every request ends at the
// first occurrence of term (1..8 bytes: "\r\n\r\n" HTTP/1, "\r\n"
// memcached text). eor: the application marks its last answer bytes with
// MSG_EOR instead of the kernel watching its empty reads. write_answers:
// the application (or the operator for it) promises that it writes the
// whole answer to a request before it waits for anything but send buffer
// space; then a connection that was given exactly one whole request, read
// it and wrote since, counts as having answered it once all it wrote is
// acknowledged (without it, or eor, the kernel answers only after a read
// that found nothing after the last write).
inline constexpr std::uint32_t framing_flag_eor = 1U << 0;
inline constexpr std::uint32_t framing_flag_write_answers = 1U << 1;
inline constexpr std::uint32_t framing_flags_known = framing_flag_eor | framing_flag_write_answers;
inline constexpr std::size_t term_max_len = 8;
inline constexpr std::size_t framing_size = 16;

struct Framing {
	std::uint32_t flags = 0;
	Bytes term;

	[[nodiscard]] bool eor() const { return (flags & framing_flag_eor) != 0; }
	[[nodiscard]] bool write_answers() const { return (flags & framing_flag_write_answers) != 0; }
	bool operator==(const Framing &) const = default;
};

// Empty when the kernel would take @f, else why not (the kernel's EINVAL
// and E2BIG checks).
std::string validate(const Framing &f);
// The 16 bytes of struct santa_framing (term zero-padded); throws
// std::invalid_argument when validate() fails.
Bytes encode(const Framing &f);
// Inverse of encode(); nullopt when the kernel would reject the bytes
// (wrong size, unknown flags, reserved or padding bytes set, term_len > 8).
std::optional<Framing> decode_framing(std::span<const std::uint8_t> in);
// "\r\n\r\n" style text of a terminator (for output)
std::string term_text(const Bytes &term);

// Errors: the kernel's errno in std::generic_category().
inline std::error_code errno_code(int e) { return {e, std::generic_category()}; }

class Socket {
public:
	Socket() = default;
	explicit Socket(int fd) noexcept : fd_(fd) {}
	Socket(const Socket &) = delete;
	Socket &operator=(const Socket &) = delete;
	Socket(Socket &&o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
	Socket &operator=(Socket &&o) noexcept;
	~Socket();

	[[nodiscard]] int fd() const { return fd_; }
	[[nodiscard]] bool valid() const { return fd_ >= 0; }
	int release() { return std::exchange(fd_, -1); }
	void reset(int fd = -1);

	std::error_code add(const Rule &r) const;
	std::error_code replace(const Rule &r) const;
	std::error_code del(std::uint32_t id) const;
	std::error_code flush() const;
	// Installs already encoded rules (encode() output back to back).
	std::error_code add_bulk_encoded(std::span<const std::uint8_t> rules, std::uint32_t count) const;
	// Installs @rules in calls of at most @batch rules. On error, the rules
	// this call installed are removed again and *done (if given) is 0.
	std::error_code add_bulk(std::span<const Rule> rules, std::size_t batch = 65536,
				 std::size_t *done = nullptr) const;
	std::error_code list(std::vector<RuleInfo> &out, std::uint32_t start_id = 0) const;
	std::error_code stats(Stats &out) const;
	std::error_code limits(Limits &out) const;
	std::error_code set_limits(const Limits &in) const;
	// SANTA_TCP_FRAMING (TCP sockets only: EOPNOTSUPP on UDP).
	std::error_code framing(Framing &out) const;
	std::error_code set_framing(const Framing &in) const;
	// Makes the socket use @in: reads the framing first and sets it only
	// when it differs, so a socket that already has rules with this
	// framing is fine (setting it would fail with EBUSY). EBUSY: the
	// socket has rules with another framing (or is a connection that uses
	// its listener's rules); *current (if given) receives what it has.
	std::error_code ensure_framing(const Framing &in, Framing *current = nullptr) const;
	// Whether the socket takes SOL_SANTA options (ENOPROTOOPT: it does not).
	std::error_code probe() const;

private:
	int fd_ = -1;
};

// Streams rules into ADD_BULK calls of @batch rules; remembers the ids so
// that rollback() can remove everything it installed.
class BulkLoader {
public:
	explicit BulkLoader(const Socket &s, std::size_t batch = 65536) : s_(s), batch_(batch) {}
	std::error_code push(const Rule &r);
	std::error_code finish();
	void rollback();
	[[nodiscard]] std::size_t installed() const { return ids_.size(); }

private:
	std::error_code flush_batch();
	const Socket &s_;
	std::size_t batch_;
	Bytes buf_;
	std::uint32_t count_ = 0;
	std::vector<std::uint32_t> pending_;
	std::vector<std::uint32_t> ids_;
};

// Human text for an errno from a Santa option (what it usually means).
std::string explain(std::error_code ec, int optname);

} // namespace santa
