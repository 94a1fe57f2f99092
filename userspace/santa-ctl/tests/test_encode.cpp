// SPDX-License-Identifier: GPL-2.0
// Encoding of rules for the uapi, the builder's checks and the emulation.
#include "santa/santa.hpp"

#include <gtest/gtest.h>
#include <linux/santa.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

using namespace santa;

namespace {

template <typename T> T at(const Bytes &b, std::size_t off)
{
	T v{};
	std::memcpy(&v, b.data() + off, sizeof(v));
	return v;
}

Rule echo_rule()
{
	return RuleBuilder(7).match(0, "PING ").copy(5, 5, 4).put(0, "PONG ").build();
}

} // namespace

TEST(Encode, LayoutMatchesUapi)
{
	static_assert(sizeof(struct santa_rule) == 24);
	static_assert(sizeof(struct santa_proc) == 16);
	const Rule r = echo_rule();
	const Bytes b = encode(r);
	ASSERT_EQ(b.size() % 8, 0U);
	ASSERT_EQ(b.size(), encoded_size(r));
	// 24 + 2 * 16 + 5 (condition) + 5 (put data) = 66 -> 72
	EXPECT_EQ(b.size(), 72U);
	const auto h = at<struct santa_rule>(b, 0);
	EXPECT_EQ(h.size, 72U);
	EXPECT_EQ(h.id, 7U);
	EXPECT_EQ(h.flags, 0U);
	EXPECT_EQ(h.cond_off, 0);
	EXPECT_EQ(h.cond_len, 5);
	EXPECT_EQ(h.reply_len, 9U);
	EXPECT_EQ(h.nr_procs, 2);
	EXPECT_EQ(h.hdr_len, sizeof(struct santa_rule));
	EXPECT_EQ(std::memcmp(b.data() + 56, "PING ", 5), 0);
	const auto copy = at<struct santa_proc>(b, 24);
	EXPECT_EQ(copy.type, SANTA_PROC_COPY);
	EXPECT_EQ(copy.dst_off, 5U);
	EXPECT_EQ(copy.src_off, 5U);
	EXPECT_EQ(copy.len, 4U);
	const auto put = at<struct santa_proc>(b, 40);
	EXPECT_EQ(put.type, SANTA_PROC_PUT);
	EXPECT_EQ(put.dst_off, 0U);
	EXPECT_EQ(put.len, 5U);
	EXPECT_EQ(put.src_off, 61U); // after the condition
	EXPECT_EQ(std::memcmp(b.data() + 61, "PONG ", 5), 0);
	for (std::size_t i = 66; i < 72; i++)
		EXPECT_EQ(b[i], 0) << "padding byte " << i;
}

TEST(Encode, DecodeRoundTrip)
{
	Rule r = RuleBuilder(99)
			 .match(2, Bytes{1, 2, 3, 0, 4})
			 .exact()
			 .copy(0, 0, 2)
			 .put(2, Bytes(300, 0xab))
			 .put(400, "tail")
			 .build();
	EXPECT_EQ(r.reply_len, 404U);
	Bytes b = encode(r);
	Bytes two = b;
	encode(echo_rule(), two);
	std::size_t used = 0;
	auto d = decode(two, &used);
	ASSERT_TRUE(d.has_value());
	EXPECT_EQ(used, b.size());
	EXPECT_EQ(*d, r);
	auto d2 = decode(std::span(two).subspan(used));
	ASSERT_TRUE(d2.has_value());
	EXPECT_EQ(*d2, echo_rule());
	EXPECT_FALSE(decode(std::span(b).first(20)).has_value());
}

TEST(Builder, ExplicitReplyLength)
{
	Rule r = RuleBuilder(1).match(0, "x").put(0, "y").reply_len(10).build();
	EXPECT_EQ(r.reply_len, 10U);
	auto reply = reply_to(r, to_bytes("x"));
	ASSERT_TRUE(reply);
	EXPECT_EQ(*reply, (Bytes{'y', 0, 0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(Builder, RejectsWhatTheKernelRejects)
{
	EXPECT_THROW(RuleBuilder(1).put(0, "y").build(), std::invalid_argument); // no condition
	EXPECT_THROW(RuleBuilder(1).match(0, "x").build(), std::invalid_argument); // no processor
	EXPECT_THROW(RuleBuilder(1).match(0, "x").put(0, "abc").put(2, "d").build(), std::invalid_argument);
	EXPECT_THROW(RuleBuilder(1).match(0, "x").put(0, "abc").reply_len(2).build(), std::invalid_argument);
	EXPECT_THROW(RuleBuilder(1).match(4097, "x").put(0, "a").build(), std::invalid_argument);
	EXPECT_THROW(RuleBuilder(1).match(0, std::string(1025, 'a')).put(0, "a").build(), std::invalid_argument);
	EXPECT_NO_THROW(RuleBuilder(1).match(4096, std::string(1024, 'a')).put(0, "a").build());
	// an exact-length rule may not copy past its condition
	EXPECT_THROW(RuleBuilder(1).match(0, "ab").exact().copy(0, 1, 2).build(), std::invalid_argument);
	EXPECT_NO_THROW(RuleBuilder(1).match(0, "ab").exact().copy(0, 0, 2).build());
	EXPECT_THROW(RuleBuilder(1).match(0, "x").copy(0, 65000, 600).build(), std::invalid_argument);
	RuleBuilder many(1);
	many.match(0, "x");
	for (std::uint32_t i = 0; i < 17; i++)
		many.put(i, "a");
	EXPECT_THROW(many.build(), std::invalid_argument);
	EXPECT_THROW(RuleBuilder(1).match(0, "x").put(0, Bytes(engine_reply_max + 1, 1)).build(),
		     std::invalid_argument);
}

TEST(Apply, MatchesLikeTheKernel)
{
	const Rule r = echo_rule();
	auto reply = reply_to(r, to_bytes("PING abcd and more"));
	ASSERT_TRUE(reply);
	EXPECT_EQ(std::string(reply->begin(), reply->end()), "PONG abcd");
	EXPECT_FALSE(reply_to(r, to_bytes("PING ab"))); // COPY past the request
	EXPECT_FALSE(reply_to(r, to_bytes("PONG abcd")));
	Rule e = RuleBuilder(2).match(1, "ING").exact().put(0, "ok").build();
	EXPECT_TRUE(reply_to(e, to_bytes("PING")));
	EXPECT_FALSE(reply_to(e, to_bytes("PING ")));
	EXPECT_FALSE(reply_to(e, to_bytes("PIN")));
}

TEST(Stats, NamesFollowTheUapiStruct)
{
	EXPECT_EQ(Stats::known() * 8, sizeof(struct santa_stats));
	EXPECT_EQ(Stats::name(0), "rules");
	EXPECT_EQ(Stats::name(2), "hits");
	EXPECT_EQ(Stats::name(3), "misses");
	EXPECT_EQ(Stats::name(Stats::known()), "counter" + std::to_string(Stats::known()));
	Stats st;
	st.values = {1, 2, 3};
	EXPECT_EQ(st.get("hits"), 3U);
	EXPECT_EQ(st.get("skipped"), 0U); // a smaller struct from an older kernel
}

TEST(Socket, ErrorsCarryTheKernelErrno)
{
	// no protocol takes SOL_SANTA on a unix socket: ENOPROTOOPT or
	// EOPNOTSUPP, as a std::error_code in the generic category
	Socket s(::socket(AF_UNIX, SOCK_DGRAM, 0));
	ASSERT_TRUE(s.valid());
	std::error_code ec = s.flush();
	Stats st;
	std::error_code ec2 = s.stats(st);
	ASSERT_TRUE(ec);
	EXPECT_EQ(&ec.category(), &std::generic_category());
	EXPECT_TRUE(ec.value() == ENOPROTOOPT || ec.value() == EOPNOTSUPP) << ec.message();
	EXPECT_EQ(ec2, ec);
	EXPECT_FALSE(explain(ec, SANTA_RULE_FLUSH).empty());
	Socket moved = std::move(s);
	EXPECT_FALSE(s.valid()); // NOLINT(bugprone-use-after-move)
	EXPECT_TRUE(moved.valid());
}

TEST(Framing, LayoutMatchesUapi)
{
	static_assert(sizeof(struct santa_framing) == 16);
	static_assert(offsetof(struct santa_framing, flags) == 0);
	static_assert(offsetof(struct santa_framing, term_len) == 4);
	static_assert(offsetof(struct santa_framing, __reserved) == 5);
	static_assert(offsetof(struct santa_framing, term) == 8);
	EXPECT_EQ(SANTA_TCP_FRAMING, 9);
	EXPECT_EQ(SANTA_TERM_MAX_LEN, 8);
	Framing f;
	f.term = to_bytes("\r\n\r\n");
	f.flags = framing_flag_eor;
	const Bytes b = encode(f);
	ASSERT_EQ(b.size(), 16U);
	const auto k = at<struct santa_framing>(b, 0);
	EXPECT_EQ(k.flags, SANTA_FRAMING_F_EOR);
	EXPECT_EQ(k.term_len, 4);
	EXPECT_EQ(std::memcmp(k.term, "\r\n\r\n", 4), 0);
	// everything else is zero: reserved bytes and term bytes past term_len
	EXPECT_EQ(b, (Bytes{1, 0, 0, 0, 4, 0, 0, 0, '\r', '\n', '\r', '\n', 0, 0, 0, 0}));
	// no terminator: all zero
	EXPECT_EQ(encode(Framing{}), Bytes(16, 0));
	Framing eight;
	eight.term = to_bytes("12345678");
	EXPECT_EQ(encode(eight), (Bytes{0, 0, 0, 0, 8, 0, 0, 0, '1', '2', '3', '4', '5', '6', '7', '8'}));
	// a terminator may hold NUL bytes: term_len counts them
	Framing nul;
	nul.term = Bytes{0, '\n'};
	EXPECT_EQ(encode(nul)[4], 2);
}

TEST(Framing, RejectsWhatTheKernelRejects)
{
	Framing f;
	f.term = to_bytes("123456789");
	EXPECT_FALSE(validate(f).empty());
	EXPECT_THROW((void)encode(f), std::invalid_argument);
	Framing g;
	g.flags = 4; // past SANTA_FRAMING_F_WRITE_ANSWERS
	EXPECT_FALSE(validate(g).empty());
	g.flags = 1U << 31;
	EXPECT_FALSE(validate(g).empty());
	EXPECT_TRUE(validate(Framing{}).empty());
	// both known flags, alone and together
	for (std::uint32_t fl : {framing_flag_eor, framing_flag_write_answers, framing_flag_eor | framing_flag_write_answers}) {
		Framing h;
		h.term = to_bytes("\r\n");
		h.flags = fl;
		EXPECT_TRUE(validate(h).empty()) << fl;
		EXPECT_NO_THROW((void)encode(h)) << fl;
	}
	// decode: the kernel's getsockopt output, and what setsockopt rejects
	Bytes ok = {0, 0, 0, 0, 2, 0, 0, 0, '\r', '\n', 0, 0, 0, 0, 0, 0};
	auto d = decode_framing(ok);
	ASSERT_TRUE(d);
	EXPECT_EQ(d->term, to_bytes("\r\n"));
	EXPECT_FALSE(d->eor());
	EXPECT_FALSE(decode_framing(std::span(ok).first(15)));
	Bytes bad = ok;
	bad[5] = 1; // __reserved
	EXPECT_FALSE(decode_framing(bad));
	bad = ok;
	bad[10] = 'x'; // a term byte past term_len
	EXPECT_FALSE(decode_framing(bad));
	bad = ok;
	bad[4] = 9; // term_len > 8
	EXPECT_FALSE(decode_framing(bad));
	bad = ok;
	bad[0] = 4; // unknown flag
	EXPECT_FALSE(decode_framing(bad));
	bad = ok;
	bad[0] = 7; // known flags and an unknown one
	EXPECT_FALSE(decode_framing(bad));
	bad = ok;
	bad[3] = 0x80; // unknown high flag
	EXPECT_FALSE(decode_framing(bad));
	// SANTA_FRAMING_F_WRITE_ANSWERS, alone and with EOR
	Bytes wa = ok;
	wa[0] = 2;
	d = decode_framing(wa);
	ASSERT_TRUE(d);
	EXPECT_TRUE(d->write_answers());
	EXPECT_FALSE(d->eor());
	EXPECT_EQ(d->flags, framing_flag_write_answers);
	wa[0] = 3;
	d = decode_framing(wa);
	ASSERT_TRUE(d);
	EXPECT_TRUE(d->write_answers());
	EXPECT_TRUE(d->eor());
	wa[0] = 1;
	d = decode_framing(wa);
	ASSERT_TRUE(d);
	EXPECT_FALSE(d->write_answers());
	EXPECT_TRUE(d->eor());
}

TEST(Framing, WriteAnswersFlag)
{
	EXPECT_EQ(SANTA_FRAMING_F_WRITE_ANSWERS, 2U);
	EXPECT_EQ(framing_flag_write_answers, static_cast<std::uint32_t>(SANTA_FRAMING_F_WRITE_ANSWERS));
	EXPECT_EQ(framing_flags_known, static_cast<std::uint32_t>(SANTA_FRAMING_F_EOR | SANTA_FRAMING_F_WRITE_ANSWERS));
	Framing f;
	EXPECT_FALSE(f.write_answers());
	f.term = to_bytes("\r\n\r\n");
	f.flags = framing_flag_write_answers;
	EXPECT_TRUE(f.write_answers());
	EXPECT_FALSE(f.eor());
	const Bytes b = encode(f);
	EXPECT_EQ(at<struct santa_framing>(b, 0).flags, SANTA_FRAMING_F_WRITE_ANSWERS);
	EXPECT_EQ(b, (Bytes{2, 0, 0, 0, 4, 0, 0, 0, '\r', '\n', '\r', '\n', 0, 0, 0, 0}));
	f.flags |= framing_flag_eor;
	EXPECT_EQ(encode(f)[0], 3);
	// write_answers without a terminator is valid too (one request a segment)
	Framing none;
	none.flags = framing_flag_write_answers;
	EXPECT_EQ(encode(none), (Bytes{2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
	// an old kernel's EINVAL for the flag is explained
	EXPECT_NE(explain(errno_code(EINVAL), SANTA_TCP_FRAMING).find("write-answers"), std::string::npos);
}

TEST(Framing, RoundTripAndText)
{
	for (const char *t : {"", "\n", "\r\n", "\r\n\r\n", "END\r\n", "12345678"}) {
		for (std::uint32_t flags : {0U, framing_flag_eor, framing_flag_write_answers,
					    framing_flag_eor | framing_flag_write_answers}) {
			Framing f;
			f.term = to_bytes(t);
			f.flags = flags;
			auto d = decode_framing(encode(f));
			ASSERT_TRUE(d) << t;
			EXPECT_EQ(*d, f);
		}
	}
	EXPECT_EQ(term_text(to_bytes("\r\n\r\n")), "\\r\\n\\r\\n");
	EXPECT_EQ(term_text(Bytes{0, '"', 'a', 0xff}), "\\x00\\\"a\\xff");
}

TEST(Framing, SocketErrors)
{
	// a unix socket takes no SOL_SANTA option: the errno comes back, and
	// ensure_framing stops at the getsockopt
	Socket s(::socket(AF_UNIX, SOCK_STREAM, 0));
	ASSERT_TRUE(s.valid());
	Framing f;
	f.term = to_bytes("\r\n");
	Framing got;
	std::error_code ec = s.framing(got);
	ASSERT_TRUE(ec);
	EXPECT_TRUE(ec.value() == ENOPROTOOPT || ec.value() == EOPNOTSUPP) << ec.message();
	EXPECT_EQ(s.ensure_framing(f), ec);
	EXPECT_TRUE(s.set_framing(f));
	// invalid framing is refused before the kernel, with the kernel's errno
	Framing big;
	big.term = to_bytes("123456789");
	EXPECT_EQ(s.set_framing(big).value(), E2BIG);
	Framing flags;
	flags.flags = 4;
	EXPECT_EQ(s.set_framing(flags).value(), EINVAL);
	EXPECT_NE(explain(errno_code(EBUSY), SANTA_TCP_FRAMING).find("rules"), std::string::npos);
}
