// SPDX-License-Identifier: GPL-2.0
// Protocol helpers: compile DNS zones, memcached items and HTTP objects
// into generic Santa rules (docs/santa-ctl.md, "Protocol helpers").
#pragma once

#include "santa/santa.hpp"

#include <cstdint>
#include <ctime>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace santa {

// ---- DNS -------------------------------------------------------------------

namespace dns {

enum Type : std::uint16_t { A = 1, NS = 2, CNAME = 5, SOA = 6, MX = 15, TXT = 16, AAAA = 28, OPT = 41 };

struct RR {
	std::string owner;      // as written, absolute, no trailing dot ("" = root)
	std::uint16_t type = 0;
	std::uint32_t ttl = 0;
	Bytes rdata;            // wire rdata for types without names
	std::string target;     // CNAME, NS: the name (absolute, no trailing dot)
	std::size_t line = 0;
};

struct Zone {
	std::string origin;     // absolute, no trailing dot
	std::vector<RR> rrs;
};

// Parses a master file (RFC 1035 subset: $ORIGIN, $TTL, @, relative names,
// parentheses, comments; types A, AAAA, TXT, CNAME, NS, SOA, MX; others are
// skipped). Throws ParseError(file, line, col, ...).
Zone parse_zone(std::string_view text, const std::string &file, const std::string &origin = "");

struct Options {
	bool minimal = false;                          // no authority/additional (nsd minimal-responses)
	bool ipv6 = false;                             // for an IPv6 socket: nsd puts AAAA glue before A
	std::vector<std::uint8_t> flags2 = {0x00, 0x01}; // query byte 2 variants (RD 0 and 1); QR and OPCODE must be 0
	std::vector<std::uint8_t> flags3 = {0x00, 0x20}; // query byte 3 variants (AD 0 and 1)
	std::uint32_t first_id = 1;
	std::size_t max_reply = 512;                   // larger answers are left to the server
	std::vector<std::uint16_t> qtypes = {A, AAAA, TXT, CNAME};
	// EDNS(0): also answer queries with an OPT record of exactly these UDP
	// sizes, DO 0 or 1, no options (no cookie); the answer carries the
	// server's OPT (nsd: size 1232, DO echoed)
	std::vector<std::uint16_t> edns_sizes;
	std::uint16_t server_edns_size = 1232;
};

// One rule per (name, type, flag variant) that has a positive answer.
// @notes (optional) receives what was skipped and why.
std::vector<Rule> compile(const Zone &z, const Options &o, std::vector<std::string> *notes = nullptr);

// A standard query (no EDNS): id, flags bytes 2 and 3, name as given.
Bytes query(std::uint16_t id, std::string_view name, std::uint16_t qtype, std::uint8_t flags2 = 0x01,
	    std::uint8_t flags3 = 0x00);
// The same with an OPT record (UDP size, DO bit, no options).
Bytes query_edns(std::uint16_t id, std::string_view name, std::uint16_t qtype, std::uint16_t udp_size, bool dnssec_ok,
		 std::uint8_t flags2 = 0x01, std::uint8_t flags3 = 0x00);
std::uint16_t type_from_name(std::string_view s); // 0 if unknown
Bytes name_wire(std::string_view name);           // uncompressed, as written

} // namespace dns

// ---- memcached -------------------------------------------------------------

namespace memcached {

struct Item {
	std::string key;
	std::uint32_t flags = 0;
	Bytes value;
};

// UDP: 8-byte frame header (request id copied, sequence 0, total 1,
// reserved 0) + "get KEY\r\n", exact length.
Rule udp_rule(std::uint32_t id, const Item &it);
// TCP: "get KEY\r\n", exact length: the whole request (with the framing
// below a request ends at the first "\r\n"; exact also works on a socket
// without a terminator, where it must be the whole segment).
Rule tcp_rule(std::uint32_t id, const Item &it);
// The framing TCP rules are written for: requests end at "\r\n", and
// SANTA_FRAMING_F_WRITE_ANSWERS (memcached writes each answer whole in the
// event handler that read the request) unless @strict_order: then the
// kernel answers only after the server made a read that found nothing.
Framing tcp_framing(bool strict_order = false);
// "VALUE KEY FLAGS LEN\r\nDATA\r\nEND\r\n"
Bytes get_response(const Item &it);
// Items file: one item per line: KEY FLAGS VALUE (C escapes in VALUE), or
// KEY FLAGS @FILE. Throws ParseError.
std::vector<Item> parse_items(std::string_view text, const std::string &file);
// a key memcached accepts: 1..250 bytes, no control characters or blanks
bool valid_key(std::string_view k);

} // namespace memcached

// ---- HTTP ------------------------------------------------------------------

namespace http {

struct Object {
	std::string path = "/";       // request target
	std::string host;             // Host header as the client sends it
	Bytes body;
	std::string content_type = "application/octet-stream";
	std::string server = "santa"; // Server header ("" for none)
	std::time_t date = 0;         // Date header, frozen at install time
	std::time_t last_modified = 0; // 0: no Last-Modified
	std::string etag;             // as sent, quotes included ("" for none)
	bool keep_alive = true;
};

// "GET PATH HTTP/1.1\r\nHost: HOST\r\n" at offset 0, prefix match.
Bytes request_prefix(const Object &o);
// "HTTP/1.1 200 OK\r\n" + headers in nginx's order + "\r\n" + body
Bytes response(const Object &o);
Rule rule(std::uint32_t id, const Object &o);
// The framing the rule is written for: a request is a header block ending
// at "\r\n\r\n" (the prefix condition needs a terminator on TCP), and
// SANTA_FRAMING_F_WRITE_ANSWERS (nginx serving static files without aio
// threads writes each answer whole in the handler that read the request)
// unless @strict_order.
Framing framing(bool strict_order = false);
// nginx's ETag of a file: "<mtime hex>-<size hex>"
std::string nginx_etag(std::time_t mtime, std::uint64_t size);
std::string http_date(std::time_t t);
// Content-Type by file extension (nginx's mime.types for the common ones)
std::string mime_type(std::string_view path);

} // namespace http

} // namespace santa
