// SPDX-License-Identifier: GPL-2.0
// memcached and HTTP helpers.
#include "santa/proto.hpp"
#include "santa/rulefile.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iterator>

namespace santa {

namespace {

// The framing of a server that writes each answer whole (nginx's static
// files, memcached): the kernel may answer once it was given one request
// that a rule describes; strict_order leaves that to empty reads.
Framing answer_framing(std::string_view term, bool strict_order)
{
	Framing f;
	f.term = to_bytes(term);
	if (!strict_order)
		f.flags |= framing_flag_write_answers;
	return f;
}

} // namespace

namespace memcached {

bool valid_key(std::string_view k)
{
	if (k.empty() || k.size() > 250)
		return false;
	for (char c : k) {
		auto u = static_cast<unsigned char>(c);
		if (u <= 0x20 || u == 0x7f)
			return false;
	}
	return true;
}

Bytes get_response(const Item &it)
{
	std::string head = "VALUE " + it.key + " " + std::to_string(it.flags) + " " + std::to_string(it.value.size()) + "\r\n";
	Bytes out(head.begin(), head.end());
	out.insert(out.end(), it.value.begin(), it.value.end());
	const std::string tail = "\r\nEND\r\n";
	out.insert(out.end(), tail.begin(), tail.end());
	return out;
}

Rule udp_rule(std::uint32_t id, const Item &it)
{
	// frame header: request id (copied), sequence 0, total 1, reserved 0
	Bytes cond = {0, 0, 0, 1, 0, 0};
	const std::string get = "get " + it.key + "\r\n";
	cond.insert(cond.end(), get.begin(), get.end());
	Bytes reply = {0, 0, 0, 1, 0, 0};
	Bytes body = get_response(it);
	reply.insert(reply.end(), body.begin(), body.end());
	return RuleBuilder(id).match(2, cond).exact().copy(0, 0, 2).put(2, reply).build();
}

Rule tcp_rule(std::uint32_t id, const Item &it)
{
	return RuleBuilder(id).match(0, "get " + it.key + "\r\n").exact().put(0, get_response(it)).build();
}

Framing tcp_framing(bool strict_order)
{
	return answer_framing("\r\n", strict_order);
}

std::vector<Item> parse_items(std::string_view text, const std::string &file)
{
	std::vector<Item> out;
	std::size_t line = 0;
	while (!text.empty()) {
		line++;
		auto nl = text.find('\n');
		std::string_view l = text.substr(0, nl);
		text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
		if (!l.empty() && l.back() == '\r')
			l.remove_suffix(1);
		auto start = l.find_first_not_of(" \t");
		if (start == std::string_view::npos || l[start] == '#')
			continue;
		auto sp1 = l.find_first_of(" \t", start);
		if (sp1 == std::string_view::npos)
			throw ParseError(file, line, start + 1, "expected KEY FLAGS VALUE");
		Item it;
		it.key = std::string(l.substr(start, sp1 - start));
		if (!valid_key(it.key))
			throw ParseError(file, line, start + 1, "invalid memcached key");
		auto fstart = l.find_first_not_of(" \t", sp1);
		auto sp2 = fstart == std::string_view::npos ? fstart : l.find_first_of(" \t", fstart);
		if (sp2 == std::string_view::npos)
			throw ParseError(file, line, sp1 + 1, "expected FLAGS VALUE after the key");
		auto [p, ec] = std::from_chars(l.data() + fstart, l.data() + sp2, it.flags);
		if (ec != std::errc() || p != l.data() + sp2)
			throw ParseError(file, line, fstart + 1, "FLAGS: expected a 32-bit number");
		std::string_view v = l.substr(sp2 + 1);
		try {
			if (v.starts_with("@")) {
				std::ifstream f{std::string(v.substr(1)), std::ios::binary};
				if (!f)
					throw std::invalid_argument("cannot read " + std::string(v.substr(1)));
				it.value.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
			} else {
				it.value = unescape(v);
			}
		} catch (const std::invalid_argument &e) {
			throw ParseError(file, line, sp2 + 2, e.what());
		}
		out.push_back(std::move(it));
	}
	return out;
}

} // namespace memcached

namespace http {

std::string http_date(std::time_t t)
{
	std::tm tm{};
	gmtime_r(&t, &tm);
	static const std::array<const char *, 7> days = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const std::array<const char *, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
							    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	std::array<char, 64> buf{};
	std::snprintf(buf.data(), buf.size(), "%s, %02d %s %04d %02d:%02d:%02d GMT",
		      days.at(static_cast<std::size_t>(tm.tm_wday)), tm.tm_mday,
		      months.at(static_cast<std::size_t>(tm.tm_mon)), tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		      tm.tm_sec);
	return buf.data();
}

std::string nginx_etag(std::time_t mtime, std::uint64_t size)
{
	std::array<char, 64> buf{};
	std::snprintf(buf.data(), buf.size(), "\"%llx-%llx\"", static_cast<unsigned long long>(mtime),
		      static_cast<unsigned long long>(size));
	return buf.data();
}

std::string mime_type(std::string_view path)
{
	static const std::array<std::pair<const char *, const char *>, 14> m = {{
		{".html", "text/html"},
		{".htm", "text/html"},
		{".css", "text/css"},
		{".txt", "text/plain"},
		{".js", "application/javascript"},
		{".json", "application/json"},
		{".png", "image/png"},
		{".jpg", "image/jpeg"},
		{".jpeg", "image/jpeg"},
		{".gif", "image/gif"},
		{".svg", "image/svg+xml"},
		{".ico", "image/x-icon"},
		{".woff2", "font/woff2"},
		{".xml", "text/xml"},
	}};
	for (const auto &[ext, type] : m)
		if (path.ends_with(ext))
			return type;
	return "application/octet-stream";
}

Bytes request_prefix(const Object &o)
{
	const std::string s = "GET " + o.path + " HTTP/1.1\r\nHost: " + o.host + "\r\n";
	return {s.begin(), s.end()};
}

Bytes response(const Object &o)
{
	std::string h = "HTTP/1.1 200 OK\r\n";
	if (!o.server.empty())
		h += "Server: " + o.server + "\r\n";
	h += "Date: " + http_date(o.date) + "\r\n";
	h += "Content-Type: " + o.content_type + "\r\n";
	h += "Content-Length: " + std::to_string(o.body.size()) + "\r\n";
	if (o.last_modified != 0)
		h += "Last-Modified: " + http_date(o.last_modified) + "\r\n";
	h += o.keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
	if (!o.etag.empty())
		h += "ETag: " + o.etag + "\r\n";
	h += "Accept-Ranges: bytes\r\n\r\n";
	Bytes out(h.begin(), h.end());
	out.insert(out.end(), o.body.begin(), o.body.end());
	return out;
}

Rule rule(std::uint32_t id, const Object &o)
{
	if (o.path.empty() || o.path[0] != '/' || o.path.find_first_of(" \r\n") != std::string::npos)
		throw std::invalid_argument("HTTP path must start with '/' and hold no blanks");
	if (o.host.empty() || o.host.find_first_of(" \r\n") != std::string::npos)
		throw std::invalid_argument("HTTP host must be given, without blanks");
	return RuleBuilder(id).match(0, request_prefix(o)).put(0, response(o)).build();
}

Framing framing(bool strict_order)
{
	return answer_framing("\r\n\r\n", strict_order);
}

} // namespace http

} // namespace santa
