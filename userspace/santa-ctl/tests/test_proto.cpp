// SPDX-License-Identifier: GPL-2.0
// Protocol helpers: DNS zones, memcached, HTTP.
#include "santa/proto.hpp"
#include "santa/rulefile.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include <fstream>
#include <stdexcept>
#include <iterator>

using namespace santa;

namespace {

Bytes unhex(std::string_view h)
{
	Bytes out;
	for (std::size_t i = 0; i + 1 < h.size(); i += 2)
		out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
	return out;
}

std::string read(const std::string &p)
{
	std::ifstream f(p);
	return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

const std::string zone_file = std::string(SANTA_SRC_DIR) + "/../../selftests/santactl/example.zone";

// the reply of the rule of @rules matching @q, or nullopt
std::optional<Bytes> answer(const std::vector<Rule> &rules, const Bytes &q)
{
	std::optional<Bytes> out;
	for (const auto &r : rules)
		if (auto a = reply_to(r, q)) {
			EXPECT_FALSE(out) << "two rules match";
			out = a;
		}
	return out;
}

} // namespace

TEST(DnsZone, Parses)
{
	dns::Zone z = dns::parse_zone(read(zone_file), "example.zone");
	EXPECT_EQ(z.origin, "example.com");
	std::size_t a = 0, txt = 0;
	for (const auto &r : z.rrs) {
		a += r.type == dns::A;
		txt += r.type == dns::TXT;
		if (r.type == dns::TXT) {
			EXPECT_EQ(r.ttl, 300U);
			EXPECT_EQ(r.rdata, unhex("0b68656c6c6f20776f726c640b763d73706631202d616c6c"));
		}
		if (r.type == dns::CNAME && r.owner == "chain.example.com") {
			EXPECT_EQ(r.target, "alias.example.com");
		}
	}
	EXPECT_EQ(a, 4U);
	EXPECT_EQ(txt, 1U);
}

TEST(DnsZone, ErrorsHaveLineAndColumn)
{
	auto err = [](std::string_view t) {
		try {
			dns::parse_zone(t, "z", "example.com");
		} catch (const ParseError &e) {
			return std::string(e.what());
		}
		return std::string("no error");
	};
	EXPECT_EQ(err("www IN A 192.0.2.300\n"), "z:1:10: bad IPv4 address '192.0.2.300'");
	EXPECT_EQ(err("\nwww IN FOO bar\n"), "z:2:8: unknown record type 'FOO'");
	EXPECT_EQ(err("www IN TXT \"open\n"), "z:1:12: unterminated string");
	EXPECT_EQ(err("@ SOA a b ( 1 2 3 4 5\n"), "z:2:1: unbalanced '('");
	EXPECT_EQ(err("$INCLUDE other\n"), "z:1:1: unsupported directive $INCLUDE");
	EXPECT_EQ(err("  IN A 192.0.2.1\n"), "z:1:3: record without an owner name");
}

TEST(Dns, AnswersLikeNsd)
{
	dns::Zone z = dns::parse_zone(read(zone_file), "example.zone");
	std::vector<std::string> notes;
	auto rules = dns::compile(z, dns::Options{}, &notes);
	// 4 flag variants for each positive answer
	EXPECT_EQ(rules.size() % 4, 0U);
	for (const auto &r : rules) {
		EXPECT_TRUE(r.exact_len());
		EXPECT_EQ(r.cond_off, 2);
		EXPECT_EQ(r.procs[0], Proc::copy(0, 0, 2));
	}
	// captured from nsd 4.6.1 serving example.zone (dig +noedns: RD, id 0x1234)
	auto www = answer(rules, dns::query(0x1234, "www.example.com", dns::A, 0x01, 0x00));
	ASSERT_TRUE(www);
	EXPECT_EQ(hex(*www), "1234"
			     "8500000100020001000203777777076578616d706c6503636f6d0000010001c00c0001000100000e100004c00"
			     "0020ac00c0001000100000e100004c000020bc0100002000100000e100006036e7331c010c04d0001000100000e"
			     "100004c0000201c04d001c000100000e10001020010db8000000000000000000000001");
	auto chain = answer(rules, dns::query(0xbeef, "chain.example.com", dns::A, 0x00, 0x20));
	ASSERT_TRUE(chain);
	EXPECT_EQ(hex(*chain), "beef"
			       "8400000100040001000205636861696e076578616d706c6503636f6d0000010001c00c0005000100000e1000"
			       "0805616c696173c012c02f0005000100000e10000603777777c012c0430001000100000e100004c000020ac04"
			       "30001000100000e100004c000020bc0120002000100000e100006036e7331c012c0750001000100000e100004"
			       "c0000201c075001c000100000e10001020010db8000000000000000000000001");
}

TEST(Dns, WhatFallsThrough)
{
	dns::Zone z = dns::parse_zone(read(zone_file), "example.zone");
	auto rules = dns::compile(z, dns::Options{});
	EXPECT_TRUE(answer(rules, dns::query(1, "www.example.com", dns::A)));
	// 0x20 mixed case: the server answers (it echoes the case)
	EXPECT_FALSE(answer(rules, dns::query(1, "WwW.example.com", dns::A)));
	// EDNS(0): an OPT record in the additional section
	Bytes edns = dns::query(1, "www.example.com", dns::A);
	edns[11] = 1;
	for (std::uint8_t b : {0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0})
		edns.push_back(b);
	EXPECT_FALSE(answer(rules, edns));
	// trailing garbage, CD bit, opcode, names and types without answers
	Bytes longer = dns::query(1, "www.example.com", dns::A);
	longer.push_back(0);
	EXPECT_FALSE(answer(rules, longer));
	EXPECT_FALSE(answer(rules, dns::query(1, "www.example.com", dns::A, 0x01, 0x10)));
	EXPECT_FALSE(answer(rules, dns::query(1, "www.example.com", dns::A, 0x29, 0x00)));
	EXPECT_FALSE(answer(rules, dns::query(1, "nope.example.com", dns::A)));
	EXPECT_FALSE(answer(rules, dns::query(1, "v6only.example.com", dns::A)));   // NODATA
	EXPECT_FALSE(answer(rules, dns::query(1, "mail.example.com", dns::MX)));    // type not offloaded
	EXPECT_TRUE(answer(rules, dns::query(1, "ext.example.com", dns::A)));      // CNAME out of zone
	dns::Options cd;
	cd.flags3 = {0x00, 0x10};
	auto with_cd = dns::compile(z, cd);
	auto r = answer(with_cd, dns::query(1, "www.example.com", dns::A, 0x01, 0x10));
	ASSERT_TRUE(r);
	EXPECT_EQ((*r)[3], 0x00); // nsd clears CD in its answer
}

TEST(Dns, EdnsRulesOnRequest)
{
	dns::Zone z = dns::parse_zone(read(zone_file), "example.zone");
	dns::Options o;
	o.edns_sizes = {1232};
	auto rules = dns::compile(z, o);
	auto plain = answer(rules, dns::query(9, "www.example.com", dns::A));
	auto e = answer(rules, dns::query_edns(9, "www.example.com", dns::A, 1232, false));
	auto d = answer(rules, dns::query_edns(9, "www.example.com", dns::A, 1232, true));
	ASSERT_TRUE(plain && e && d);
	// the same message, one more additional record: nsd's OPT (1232, DO echoed)
	ASSERT_EQ(e->size(), plain->size() + 11);
	EXPECT_EQ((*e)[11], (*plain)[11] + 1);
	EXPECT_EQ(hex(Bytes(e->end() - 11, e->end())), "00002904d0000000000000");
	EXPECT_EQ(hex(Bytes(d->end() - 11, d->end())), "00002904d0000080000000");
	// other sizes, and OPT records with options (cookies), are not offloaded
	EXPECT_FALSE(answer(rules, dns::query_edns(9, "www.example.com", dns::A, 4096, false)));
	Bytes cookie = dns::query_edns(9, "www.example.com", dns::A, 1232, false);
	cookie[cookie.size() - 1] = 12;
	for (int i = 0; i < 12; i++)
		cookie.push_back(static_cast<std::uint8_t>(i == 1 ? 10 : i == 3 ? 8 : i));
	EXPECT_FALSE(answer(rules, cookie));
}

TEST(Dns, MinimalResponses)
{
	dns::Zone z = dns::parse_zone("$ORIGIN example.com.\n$TTL 1h\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.10\n",
				      "z");
	dns::Options o;
	o.minimal = true;
	o.flags2 = {0x01};
	o.flags3 = {0x00};
	auto rules = dns::compile(z, o);
	auto r = answer(rules, dns::query(7, "www.example.com", dns::A));
	ASSERT_TRUE(r);
	EXPECT_EQ(hex(*r), "0007850000010001000000000377777707"
			   "6578616d706c6503636f6d0000010001c00c0001000100000e100004c000020a");
}

// Rules match queries only (QR=0): a response, even to the very query a
// rule answers, never matches, so two offloaded servers cannot answer
// each other's answers.
TEST(Dns, RulesNeverMatchResponses)
{
	dns::Zone z = dns::parse_zone("$ORIGIN example.com.\n$TTL 1h\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.10\n",
				      "z");
	auto rules = dns::compile(z, dns::Options{});
	ASSERT_FALSE(rules.empty());
	for (const auto &r : rules) {
		ASSERT_EQ(r.cond_off, 2U);
		EXPECT_EQ(r.cond[0] & 0x80, 0) << "rule " << r.id << " matches QR=1";
	}
	auto reply = answer(rules, dns::query(7, "www.example.com", dns::A));
	ASSERT_TRUE(reply);
	EXPECT_FALSE(answer(rules, *reply)) << "a rule answers a response";
	dns::Options o;
	o.flags2 = {0x81};
	EXPECT_THROW(dns::compile(z, o), std::invalid_argument);
	o.flags2 = {0x29};	// OPCODE 5 (UPDATE)
	EXPECT_THROW(dns::compile(z, o), std::invalid_argument);
}

TEST(Dns, LongAnswersAreLeftToTheServer)
{
	std::string t = "$ORIGIN example.com.\n";
	for (int i = 0; i < 40; i++)
		t += "big TXT \"" + std::string(40, static_cast<char>('a' + i % 26)) + std::to_string(i) + "\"\n";
	dns::Zone z = dns::parse_zone(t, "z");
	std::vector<std::string> notes;
	auto rules = dns::compile(z, dns::Options{}, &notes);
	EXPECT_TRUE(rules.empty());
	ASSERT_EQ(notes.size(), 1U);
	EXPECT_NE(notes[0].find("left to the server"), std::string::npos);
}

TEST(Memcached, Udp)
{
	memcached::Item it{"hot", 42, to_bytes("hello")};
	Rule r = memcached::udp_rule(3, it);
	Bytes req = {0x12, 0x34, 0, 0, 0, 1, 0, 0};
	for (char c : std::string("get hot\r\n"))
		req.push_back(static_cast<std::uint8_t>(c));
	auto reply = reply_to(r, req);
	ASSERT_TRUE(reply);
	Bytes want = {0x12, 0x34, 0, 0, 0, 1, 0, 0};
	for (char c : std::string("VALUE hot 42 5\r\nhello\r\nEND\r\n"))
		want.push_back(static_cast<std::uint8_t>(c));
	EXPECT_EQ(*reply, want);
	req.push_back('x');
	EXPECT_FALSE(reply_to(r, req)); // exact length: one key only
	Bytes multi = {0x12, 0x34, 0, 1, 0, 2, 0, 0};
	EXPECT_FALSE(reply_to(r, multi));
}

TEST(Memcached, TcpAndItemsFile)
{
	auto items = memcached::parse_items("# items\nk1 0 v1\nk2 7 two\\r\\nlines\n", "items");
	ASSERT_EQ(items.size(), 2U);
	Rule r = memcached::tcp_rule(1, items[1]);
	auto reply = reply_to(r, to_bytes("get k2\r\n"));
	ASSERT_TRUE(reply);
	EXPECT_EQ(std::string(reply->begin(), reply->end()), "VALUE k2 7 10\r\ntwo\r\nlines\r\nEND\r\n");
	EXPECT_FALSE(reply_to(r, to_bytes("get k2 k1\r\n")));
	EXPECT_FALSE(reply_to(r, to_bytes("gets k2\r\n")));
	// the rule is one whole request of the "\r\n" framing: exact, and its
	// condition ends with the terminator (so it is valid without one too)
	EXPECT_TRUE(r.exact_len());
	// memcached writes each answer whole: write_answers by default,
	// off with --strict-order
	const Framing f = memcached::tcp_framing();
	EXPECT_EQ(f.term, to_bytes("\r\n"));
	EXPECT_FALSE(f.eor());
	EXPECT_TRUE(f.write_answers());
	EXPECT_EQ(encode(f), (Bytes{2, 0, 0, 0, 2, 0, 0, 0, '\r', '\n', 0, 0, 0, 0, 0, 0}));
	const Framing strict = memcached::tcp_framing(true);
	EXPECT_EQ(strict.term, f.term);
	EXPECT_FALSE(strict.write_answers());
	EXPECT_EQ(encode(strict), (Bytes{0, 0, 0, 0, 2, 0, 0, 0, '\r', '\n', 0, 0, 0, 0, 0, 0}));
	ASSERT_GE(r.cond.size(), 2U);
	EXPECT_EQ(Bytes(r.cond.end() - 2, r.cond.end()), f.term);
	EXPECT_EQ(std::search(r.cond.begin(), r.cond.end(), f.term.begin(), f.term.end()), r.cond.end() - 2);
	try {
		memcached::parse_items("ok 0 v\nbad-flags x v\n", "items");
		FAIL();
	} catch (const ParseError &e) {
		EXPECT_STREQ(e.what(), "items:2:11: FLAGS: expected a 32-bit number");
	}
	EXPECT_FALSE(memcached::valid_key("has space"));
	EXPECT_FALSE(memcached::valid_key(std::string(251, 'k')));
}

TEST(Http, ResponseLikeNginx)
{
	http::Object o;
	o.path = "/index.html";
	o.host = "192.0.2.1";
	o.body = to_bytes("<html>hi</html>\n");
	o.content_type = http::mime_type("index.html");
	o.server = "nginx/1.22.1";
	o.date = 1795442400; // 2026-11-23 14:00:00 UTC
	o.last_modified = 1795438800;
	o.etag = http::nginx_etag(1795438800, 16);
	Rule r = http::rule(1, o);
	EXPECT_FALSE(r.exact_len());
	EXPECT_EQ(std::string(r.cond.begin(), r.cond.end()), "GET /index.html HTTP/1.1\r\nHost: 192.0.2.1\r\n");
	auto reply = reply_to(r, to_bytes("GET /index.html HTTP/1.1\r\nHost: 192.0.2.1\r\nUser-Agent: curl/7.88.1\r\n"
				       "Accept: */*\r\n\r\n"));
	ASSERT_TRUE(reply);
	EXPECT_EQ(std::string(reply->begin(), reply->end()),
		  "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 23 Nov 2026 14:00:00 GMT\r\n"
		  "Content-Type: text/html\r\nContent-Length: 16\r\n"
		  "Last-Modified: Mon, 23 Nov 2026 13:00:00 GMT\r\nConnection: keep-alive\r\n"
		  "ETag: \"6b0438d0-10\"\r\nAccept-Ranges: bytes\r\n\r\n<html>hi</html>\n");
	EXPECT_FALSE(reply_to(r, to_bytes("GET /index.html HTTP/1.1\r\nHost: 192.0.2.1:8080\r\n\r\n")));
	// the prefix condition lies inside one request of the "\r\n\r\n"
	// framing: it holds no terminator, so it cannot span two requests
	const Framing hf = http::framing();
	EXPECT_TRUE(hf.write_answers());
	EXPECT_FALSE(hf.eor());
	EXPECT_EQ(encode(hf), (Bytes{2, 0, 0, 0, 4, 0, 0, 0, '\r', '\n', '\r', '\n', 0, 0, 0, 0}));
	EXPECT_EQ(encode(http::framing(true)), (Bytes{0, 0, 0, 0, 4, 0, 0, 0, '\r', '\n', '\r', '\n', 0, 0, 0, 0}));
	EXPECT_EQ(std::search(r.cond.begin(), r.cond.end(), hf.term.begin(), hf.term.end()), r.cond.end());
	EXPECT_FALSE(reply_to(r, to_bytes("GET /index.htm HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n")));
	EXPECT_FALSE(reply_to(r, to_bytes("HEAD /index.html HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n")));
	EXPECT_THROW(http::rule(1, http::Object{}), std::invalid_argument);
}

TEST(Http, OneMegabyteBody)
{
	http::Object o;
	o.path = "/big.bin";
	o.host = "h";
	o.body = Bytes(1U << 20, 0x5a);	// a 1 MiB file, with its headers
	Rule r = http::rule(2, o);
	EXPECT_GT(r.reply_len, 1U << 20);
	EXPECT_LE(r.reply_len, engine_reply_max);
	EXPECT_EQ(encoded_size(r) % 8, 0U);
	o.body = Bytes(engine_reply_max, 0);
	EXPECT_THROW(http::rule(3, o), std::invalid_argument); // over the kernel's 2 MiB
}
