// SPDX-License-Identifier: GPL-2.0
// Rule files: text and JSON formats, errors with their position.
#include "santa/rulefile.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>

using namespace santa;

namespace {

std::vector<Rule> text(std::string_view t, const std::string &base = ".")
{
	std::vector<Rule> out;
	parse_text(t, "f.rules", [&](Rule &&r) { out.push_back(std::move(r)); }, base);
	return out;
}

std::vector<Rule> json(std::string_view t)
{
	std::vector<Rule> out;
	parse_json(t, "f.json", [&](Rule &&r) { out.push_back(std::move(r)); });
	return out;
}

// "FILE:LINE:COL: ..." of the error parsing @t
std::string error_of(std::string_view t)
{
	try {
		parse_rules(t, "f", [](Rule &&) {});
	} catch (const ParseError &e) {
		return e.what();
	}
	return "no error";
}

} // namespace

TEST(TextFormat, Basic)
{
	auto rules = text("# echo\n"
			  "rule 1 match 0 \"PING \" put 0 \"PONG \" copy 5 5 4\n"
			  "\n"
			  "rule 2 exact match 0x2 x\"00 01\" \"get k\\r\\n\" copy 0 0 2 put 2 x\"0a0b\"; rule 3 match 1 \"a\" put 0 \"b\" reply 4\n"
			  "rule 4 match 0 \"long\" \\\n   put 0 \"continued\"\n");
	ASSERT_EQ(rules.size(), 4U);
	EXPECT_EQ(rules[0], RuleBuilder(1).match(0, "PING ").put(0, "PONG ").copy(5, 5, 4).build());
	Bytes c2 = {0, 1};
	for (char ch : std::string("get k\r\n"))
		c2.push_back(static_cast<std::uint8_t>(ch));
	EXPECT_EQ(rules[1], RuleBuilder(2).match(2, c2).exact().copy(0, 0, 2).put(2, Bytes{0x0a, 0x0b}).build());
	EXPECT_EQ(rules[2].reply_len, 4U);
	EXPECT_EQ(rules[3].procs[0].data, to_bytes("continued"));
}

TEST(TextFormat, FileLiteral)
{
	const std::string dir = ::testing::TempDir();
	{
		std::ofstream f(dir + "/body.bin", std::ios::binary);
		f << "file body\n";
	}
	auto rules = text("rule 1 match 0 \"GET /\" put 0 \"HTTP/1.1 200 OK\\r\\n\\r\\n\" @\"body.bin\"\n", dir);
	ASSERT_EQ(rules.size(), 1U);
	EXPECT_EQ(rules[0].procs[0].data, to_bytes("HTTP/1.1 200 OK\r\n\r\nfile body\n"));
	EXPECT_NE(error_of("rule 1 match 0 \"x\" put 0 @missing.file\n").find("f:1:26: cannot read"), std::string::npos)
		<< error_of("rule 1 match 0 \"x\" put 0 @missing.file\n");
}

TEST(TextFormat, Limits)
{
	FileDirectives d = parse_text("limits max_ratio 10 rate 1000 burst 50\n", "f", [](Rule &&) {});
	ASSERT_TRUE(d.limits);
	EXPECT_EQ(d.limits->max_ratio, 10U);
	EXPECT_EQ(d.limits->rate, 1000U);
	EXPECT_EQ(d.limits->burst, 50U);
	EXPECT_EQ(error_of("limits rate 5\n"), "f:1:1: rate and burst go together");
}

TEST(TextFormat, ErrorsHaveLineAndColumn)
{
	EXPECT_EQ(error_of("rule 1 match 0 \"a\" put 0 \"b\"\nrule 2 match 0 \"c\" put 0 x\"0g\"\n"),
		  "f:2:26: bad hex digit 'g'");
	EXPECT_EQ(error_of("\n\n  rule 1 match 0 \"a\" bogus 3\n"),
		  "f:3:22: unknown keyword 'bogus' (expected exact, match, reply, put or copy)");
	EXPECT_EQ(error_of("rule x match 0 \"a\" put 0 \"b\"\n"), "f:1:6: rule id: expected a number, got 'x'");
	EXPECT_EQ(error_of("rule 1 match 0 \"abc\n"), "f:1:16: unterminated string");
	EXPECT_EQ(error_of("rule 1 match 0 \"a\" put 0 \"b\"\nrule 1 match 0 \"c\" put 0 \"d\"\n"),
		  "f:2:6: duplicate rule id 1");
	EXPECT_EQ(error_of("rule 1 match 0 \"a\" put 0 \"bc\" put 1 \"d\"\n"),
		  "f:1:1: rule 1: processors overlap at reply offset 1");
	EXPECT_EQ(error_of("rule 1 put 0 \"b\"\n"), "f:1:1: rule 1 has no 'match'");
	EXPECT_EQ(error_of("rule 1 match 5000 \"a\" put 0 \"b\"\n"), "f:1:14: condition offset 5000 is above 4096");
	EXPECT_EQ(error_of("rule 1 match 0 \"a\" put 0\n"), "f:1:25: missing put data bytes");
	EXPECT_EQ(error_of("rule 1 match 0 \"\\q\" put 0 \"b\"\n"), "f:1:16: unknown escape \\q");
	EXPECT_EQ(error_of("frobnicate\n"), "f:1:1: expected 'rule', 'limits' or 'framing', got 'frobnicate'");
	EXPECT_EQ(error_of("rule 1 exact match 0 \"ab\" copy 0 1 2\n"),
		  "f:1:1: rule 1: exact-length rule copies past its condition");
}

TEST(TextFormat, FormatRoundTrip)
{
	std::mt19937 rng(42);
	std::vector<Rule> rules;
	std::string all;
	for (std::uint32_t id = 1; id <= 300; id++) {
		RuleBuilder b(id);
		Bytes cond(1 + rng() % 40);
		for (auto &c : cond)
			c = static_cast<std::uint8_t>(id % 3 == 0 ? rng() : 'a' + rng() % 26);
		b.match(static_cast<std::uint16_t>(rng() % 100), cond);
		if (id % 2 != 0)
			b.exact();
		Bytes put(1 + rng() % 60);
		for (auto &c : put)
			c = static_cast<std::uint8_t>(id % 5 == 0 ? rng() : 0x20 + rng() % 95);
		b.copy(0, static_cast<std::uint32_t>(rng() % 2), 1);
		b.put(3, put);
		if (id % 7 == 0)
			b.reply_len(200);
		rules.push_back(b.build());
		all += format_text(rules.back()) + "\n";
	}
	EXPECT_EQ(text(all), rules);
	std::string js = "{\"rules\": [\n";
	for (std::size_t i = 0; i < rules.size(); i++)
		js += format_json(rules[i]) + (i + 1 < rules.size() ? ",\n" : "\n");
	js += "]}";
	EXPECT_EQ(json(js), rules);
}

TEST(JsonFormat, Basic)
{
	auto rules = json(R"({"rules": [
	  {"id": 1, "match": {"offset": 0, "text": "PING "},
	   "procs": [{"put": {"offset": 0, "text": "PONG "}}, {"copy": {"offset": 5, "src": 5, "len": 4}}]},
	  {"id": 2, "exact": true, "match": {"hex": "00 01 02"}, "reply_len": 8,
	   "procs": [{"put": {"offset": 1, "text": "\u00ff\n"}}]}
	], "limits": {"max_ratio": 3}})");
	ASSERT_EQ(rules.size(), 2U);
	EXPECT_EQ(rules[0], RuleBuilder(1).match(0, "PING ").put(0, "PONG ").copy(5, 5, 4).build());
	EXPECT_EQ(rules[1], RuleBuilder(2).match(0, Bytes{0, 1, 2}).exact().put(1, Bytes{0xff, '\n'}).reply_len(8).build());
	EXPECT_EQ(json("[]").size(), 0U);
}

TEST(JsonFormat, ErrorsHaveLineAndColumn)
{
	EXPECT_EQ(error_of("{\"rules\": [\n  {\"id\": 1,, }]}"), "f:2:12: expected a key string");
	EXPECT_EQ(error_of("{\"rules\": [\n  {\"id\": 1, \"match\": {\"text\": \"a\"},\n   \"procs\": [{\"put\": {\"offset\": 0}}]}]}"),
		  "f:3:22: expected exactly one of \"text\", \"hex\" or \"file\"");
	EXPECT_EQ(error_of("[{\"id\": -1}]"), "f:1:9: \"id\": expected a non-negative integer");
	EXPECT_EQ(error_of("{\"rules\": 3}"), "f:1:11: expected an array of rules");
	EXPECT_EQ(error_of("{\"rulez\": []}"), "f:1:11: unknown member \"rulez\" (expected \"rules\", \"limits\" and \"framing\")");
	EXPECT_EQ(error_of("[{\"id\": 1, \"match\": {\"hex\": \"zz\"}, \"procs\": []}]"), "f:1:29: bad hex digit 'z'");
	EXPECT_EQ(error_of("[{\"id\": 1, \"match\": {\"text\": \"a\"}, \"procs\": []}]"), "f:1:2: rule 1: no processor");
	EXPECT_EQ(error_of("[1, 2"), "f:1:6: expected ']'");
}

TEST(Args, RuleFromCommandLineWords)
{
	Rule r = parse_rule_args({"5", "exact", "match", "0", "get k\\r\\n", "put", "0", "VALUE k 0 1\\r\\nx\\r\\nEND\\r\\n"});
	EXPECT_EQ(r, RuleBuilder(5).match(0, "get k\r\n").exact().put(0, "VALUE k 0 1\r\nx\r\nEND\r\n").build());
	Rule h = parse_rule_args({"6", "match", "2", "hex:0001", "put", "0", "x\"ff\"", "copy", "1", "0", "2"});
	EXPECT_EQ(h, RuleBuilder(6).match(2, Bytes{0, 1}).put(0, Bytes{0xff}).copy(1, 0, 2).build());
	try {
		parse_rule_args({"5", "match", "0", "a", "put", "zero", "b"});
		FAIL() << "no error";
	} catch (const ParseError &e) {
		EXPECT_EQ(e.col, 6U); // the sixth argument
	}
}

TEST(Escapes, RoundTrip)
{
	Bytes all;
	for (int i = 0; i < 256; i++)
		all.push_back(static_cast<std::uint8_t>(i));
	std::string f = format_bytes(all);
	EXPECT_EQ(f.substr(0, 2), "x\"");
	EXPECT_EQ(format_bytes(to_bytes("a\"b\\c\r\n\x01")), "\"a\\\"b\\\\c\\r\\n\\x01\"");
	EXPECT_EQ(unescape("a\\\"b\\\\c\\r\\n\\x01\\0"), (Bytes{'a', '"', 'b', '\\', 'c', '\r', '\n', 1, 0}));
	EXPECT_THROW(unescape("\\x1"), std::invalid_argument);
}

TEST(TextFormat, MillionRulesParseQuickly)
{
	std::string t;
	t.reserve(60'000'000);
	char line[128];
	for (int i = 1; i <= 1'000'000; i++) {
		int n = std::snprintf(line, sizeof(line), "rule %d exact match 0 \"key-%07d\" put 0 \"value %d\"\n", i, i, i);
		t.append(line, static_cast<std::size_t>(n));
	}
	std::size_t count = 0;
	std::size_t bytes = 0;
	auto t0 = std::chrono::steady_clock::now();
	parse_text(t, "1m", [&](Rule &&r) {
		count++;
		bytes += encoded_size(r);
	});
	double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	EXPECT_EQ(count, 1'000'000U);
	EXPECT_LT(s, 20.0);
	std::printf("1M rules parsed in %.2f s, %zu bytes encoded\n", s, bytes);
}

TEST(TextFormat, Framing)
{
	auto sink = [](Rule &&) {};
	auto d = parse_text("framing term \"\\r\\n\\r\\n\"\nrule 1 match 0 \"GET / \" put 0 \"x\"\n", "f.rules", sink);
	ASSERT_TRUE(d.framing);
	EXPECT_EQ(d.framing->term, to_bytes("\r\n\r\n"));
	EXPECT_FALSE(d.framing->eor());
	d = parse_text("framing term x\"0d0a\" eor\n", "f.rules", sink);
	ASSERT_TRUE(d.framing);
	EXPECT_EQ(d.framing->term, to_bytes("\r\n"));
	EXPECT_TRUE(d.framing->eor());
	d = parse_text("framing none\n", "f.rules", sink);
	ASSERT_TRUE(d.framing);
	EXPECT_TRUE(d.framing->term.empty());
	EXPECT_FALSE(d.framing->write_answers());
	d = parse_text("framing term \"\\r\\n\" write-answers\n", "f.rules", sink);
	ASSERT_TRUE(d.framing);
	EXPECT_EQ(d.framing->flags, framing_flag_write_answers);
	// either order
	d = parse_text("framing none write-answers eor\n", "f.rules", sink);
	ASSERT_TRUE(d.framing);
	EXPECT_EQ(d.framing->flags, framing_flag_eor | framing_flag_write_answers);
	d = parse_text("framing term \"\\r\\n\" eor write-answers; rule 1 exact match 0 \"a\\r\\n\" put 0 \"b\"\n",
		       "f.rules", sink);
	ASSERT_TRUE(d.framing);
	EXPECT_EQ(d.framing->flags, framing_flag_eor | framing_flag_write_answers);
	// JSON
	d = parse_json("{\"framing\": {\"text\": \"\\r\\n\", \"write_answers\": true}}", "f.json", sink);
	ASSERT_TRUE(d.framing);
	EXPECT_EQ(d.framing->flags, framing_flag_write_answers);
	d = parse_json("{\"framing\": {\"hex\": \"0d0a\", \"eor\": true, \"write_answers\": false}}", "f.json", sink);
	ASSERT_TRUE(d.framing);
	EXPECT_EQ(d.framing->flags, framing_flag_eor);
	EXPECT_FALSE(parse_text("rule 1 match 0 \"a\" put 0 \"b\"\n", "f.rules", sink).framing);
	// round trip of the formatter
	for (const char *t : {"", "\r\n", "\r\n\r\n", "12345678"})
	for (std::uint32_t flags : {0U, framing_flag_eor, framing_flag_write_answers,
				    framing_flag_eor | framing_flag_write_answers}) {
		Framing f;
		f.term = to_bytes(t);
		f.flags = flags;
		auto back = parse_text(format_framing_text(f) + "\n", "f.rules", sink);
		ASSERT_TRUE(back.framing) << format_framing_text(f);
		EXPECT_EQ(*back.framing, f) << format_framing_text(f);
		auto bj = parse_json("{\"framing\": " + format_framing_json(f) + "}", "f.json", sink);
		ASSERT_TRUE(bj.framing) << format_framing_json(f);
		EXPECT_EQ(*bj.framing, f) << format_framing_json(f);
	}
	Framing mc;
	mc.term = to_bytes("\r\n");
	EXPECT_EQ(format_framing_text(mc), "framing term \"\\r\\n\"");
	EXPECT_EQ(format_framing_json(mc), "{\"text\":\"\\r\\n\",\"eor\":false,\"write_answers\":false}");
	mc.flags = framing_flag_write_answers;
	EXPECT_EQ(format_framing_text(mc), "framing term \"\\r\\n\" write-answers");
	EXPECT_EQ(format_framing_json(mc), "{\"text\":\"\\r\\n\",\"eor\":false,\"write_answers\":true}");
	mc.flags |= framing_flag_eor;
	EXPECT_EQ(format_framing_text(mc), "framing term \"\\r\\n\" eor write-answers");
}

TEST(TextFormat, FramingErrorsHaveLineAndColumn)
{
	auto err = [](std::string_view t) {
		try {
			parse_text(t, "f.rules", [](Rule &&) {});
		} catch (const ParseError &e) {
			return std::string(e.what());
		}
		return std::string("no error");
	};
	EXPECT_EQ(err("framing\n"), "f.rules:1:1: framing: expected 'term BYTES' or 'none'");
	EXPECT_EQ(err("framing term\n"), "f.rules:1:9: framing term: expected the terminator bytes");
	EXPECT_EQ(err("framing term \"123456789\"\n"), "f.rules:1:14: framing term: 1 to 8 bytes");
	EXPECT_EQ(err("framing none eor x\n"), "f.rules:1:18: framing: unexpected 'x'");
	EXPECT_EQ(err("frame none\n"), "f.rules:1:1: expected 'rule', 'limits' or 'framing', got 'frame'");
	EXPECT_EQ(err("framing none write-answers write-answers\n"), "f.rules:1:28: framing: 'write-answers' given twice");
	EXPECT_EQ(err("framing none eor eor\n"), "f.rules:1:18: framing: 'eor' given twice");
	EXPECT_EQ(err("framing none write_answers\n"), "f.rules:1:14: framing: unexpected 'write_answers'");
	try {
		parse_json("{\"framing\": {\"text\": \"\\r\\n\", \"write_answers\": 1}}", "f.json", [](Rule &&) {});
		FAIL();
	} catch (const ParseError &e) {
		EXPECT_NE(std::string(e.what()).find("\"write_answers\": expected true or false"), std::string::npos)
			<< e.what();
	}
	try {
		parse_json("{\"framing\": {\"text\": \"\\r\\n\", \"eof\": true}}", "f.json", [](Rule &&) {});
		FAIL();
	} catch (const ParseError &e) {
		EXPECT_EQ(std::string(e.what()).rfind("f.json:1:", 0), 0U) << e.what();
		EXPECT_NE(std::string(e.what()).find("unknown framing member \"eof\""), std::string::npos) << e.what();
	}
}
