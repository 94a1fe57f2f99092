// SPDX-License-Identifier: GPL-2.0
// Rule files: text and JSON.
#include "santa/rulefile.hpp"

#include <charconv>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <unordered_set>

namespace santa {

ParseError::ParseError(const std::string &f, std::size_t l, std::size_t c, const std::string &m)
	: std::runtime_error(f + ":" + std::to_string(l) + ":" + std::to_string(c) + ": " + m), file(f), line(l),
	  col(c), msg(m)
{
}

namespace {

int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

// hex digits, blanks and ':' allowed between byte pairs
Bytes unhex(std::string_view s)
{
	Bytes out;
	int hi = -1;
	for (char c : s) {
		if (c == ' ' || c == '\t' || c == ':')
			continue;
		int v = hexdigit(c);
		if (v < 0)
			throw std::invalid_argument(std::string("bad hex digit '") + c + "'");
		if (hi < 0) {
			hi = v;
		} else {
			out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
			hi = -1;
		}
	}
	if (hi >= 0)
		throw std::invalid_argument("odd number of hex digits");
	return out;
}

std::string read_all(const std::string &path)
{
	std::ifstream f(path, std::ios::binary);
	if (!f)
		throw std::invalid_argument("cannot read " + path);
	std::ostringstream ss;
	ss << f.rdbuf();
	return std::move(ss).str();
}

std::string dir_of(const std::string &path)
{
	auto slash = path.rfind('/');
	if (slash == std::string::npos)
		return ".";
	return slash == 0 ? "/" : path.substr(0, slash);
}

std::string resolve(const std::string &base, const std::string &p)
{
	if (!p.empty() && p[0] == '/')
		return p;
	return base + "/" + p;
}

bool parse_u64(std::string_view s, std::uint64_t &v)
{
	int base = 10;
	if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s.remove_prefix(2);
	}
	if (s.empty())
		return false;
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
	return ec == std::errc() && p == s.data() + s.size();
}

// Lexes one logical line (up to '\n' or ';') of the text format.
class Lexer {
public:
	Lexer(std::string_view text, const std::string &file) : t_(text), file_(file) {}

	// Fills @out with the tokens of the next statement; false at the end.
	bool next(std::vector<Token> &out)
	{
		out.clear();
		while (i_ < t_.size()) {
			char c = t_[i_];
			if (c == '\n' || c == ';') {
				advance();
				if (!out.empty())
					return true;
				continue;
			}
			if (c == ' ' || c == '\t' || c == '\r') {
				advance();
				continue;
			}
			if (c == '#') {
				while (i_ < t_.size() && t_[i_] != '\n')
					advance();
				continue;
			}
			if (c == '\\' && i_ + 1 < t_.size() && t_[i_ + 1] == '\n') { // continuation
				advance();
				advance();
				continue;
			}
			Token tok;
			tok.line = line_;
			tok.col = col_;
			if (c == '"') {
				tok.kind = Token::Kind::string;
				tok.text = quoted(tok);
				decode_string(tok);
			} else if (c == 'x' && i_ + 1 < t_.size() && t_[i_ + 1] == '"') {
				advance();
				tok.kind = Token::Kind::hex;
				std::string raw = quoted(tok);
				try {
					Bytes b = unhex(raw);
					tok.text.assign(b.begin(), b.end());
				} catch (const std::invalid_argument &e) {
					throw ParseError(file_, tok.line, tok.col, e.what());
				}
			} else if (c == '@') {
				advance();
				tok.kind = Token::Kind::file;
				if (i_ < t_.size() && t_[i_] == '"')
					tok.text = quoted(tok);
				else
					tok.text = word();
				if (tok.text.empty())
					throw ParseError(file_, tok.line, tok.col, "'@' needs a file name");
			} else {
				tok.text = word();
			}
			out.push_back(std::move(tok));
		}
		return !out.empty();
	}

	[[nodiscard]] std::size_t line() const { return line_; }

private:
	void advance()
	{
		if (t_[i_] == '\n') {
			line_++;
			col_ = 1;
		} else {
			col_++;
		}
		i_++;
	}

	std::string word()
	{
		std::size_t start = i_;
		while (i_ < t_.size()) {
			char c = t_[i_];
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '"' || c == '#')
				break;
			advance();
		}
		return std::string(t_.substr(start, i_ - start));
	}

	// raw contents of "...", backslash escapes kept
	std::string quoted(const Token &tok)
	{
		advance(); // opening quote
		std::size_t start = i_;
		while (i_ < t_.size() && t_[i_] != '"' && t_[i_] != '\n') {
			if (t_[i_] == '\\' && i_ + 1 < t_.size() && t_[i_ + 1] != '\n')
				advance();
			advance();
		}
		if (i_ >= t_.size() || t_[i_] != '"')
			throw ParseError(file_, tok.line, tok.col, "unterminated string");
		std::string s(t_.substr(start, i_ - start));
		advance();
		return s;
	}

	void decode_string(Token &tok)
	{
		try {
			Bytes b = unescape(tok.text);
			tok.text.assign(b.begin(), b.end());
		} catch (const std::invalid_argument &e) {
			throw ParseError(file_, tok.line, tok.col, e.what());
		}
	}

	std::string_view t_;
	const std::string &file_;
	std::size_t i_ = 0;
	std::size_t line_ = 1;
	std::size_t col_ = 1;
};

bool is_keyword(const Token &t)
{
	if (t.kind != Token::Kind::word)
		return false;
	static const std::unordered_set<std::string> kw = {"exact", "match", "reply", "put", "copy", "id"};
	return kw.count(t.text) != 0;
}

// Parses the tokens of one rule after the word "rule".
class RuleParser {
public:
	RuleParser(const std::vector<Token> &t, std::size_t pos, const std::string &file, const std::string &base,
		   bool words_as_bytes)
		: t_(t), i_(pos), file_(file), base_(base), words_(words_as_bytes)
	{
	}

	Rule parse(const Token &start)
	{
		Rule r;
		r.id = static_cast<std::uint32_t>(number("rule id", UINT32_MAX));
		bool have_match = false;
		bool have_reply = false;
		while (i_ < t_.size()) {
			const Token &k = t_[i_++];
			if (k.kind != Token::Kind::word)
				fail(k, "expected exact, match, reply, put or copy");
			if (k.text == "exact") {
				r.flags |= flag_exact_len;
			} else if (k.text == "match") {
				if (have_match)
					fail(k, "a rule has one condition");
				have_match = true;
				r.cond_off = static_cast<std::uint16_t>(number("condition offset", cond_max_off));
				r.cond = bytes("condition");
			} else if (k.text == "reply") {
				have_reply = true;
				r.reply_len = static_cast<std::uint32_t>(number("reply length", engine_reply_max));
			} else if (k.text == "put") {
				auto dst = static_cast<std::uint32_t>(number("put offset", engine_reply_max));
				r.procs.push_back(Proc::put(dst, bytes("put data")));
			} else if (k.text == "copy") {
				auto dst = static_cast<std::uint32_t>(number("copy offset", engine_reply_max));
				auto src = static_cast<std::uint32_t>(number("copy source offset", 65535));
				auto len = static_cast<std::uint32_t>(number("copy length", 65535));
				r.procs.push_back(Proc::copy(dst, src, len));
			} else {
				fail(k, "unknown keyword '" + k.text + "' (expected exact, match, reply, put or copy)");
			}
		}
		if (!have_match)
			fail(start, "rule " + std::to_string(r.id) + " has no 'match'");
		if (!have_reply)
			r.reply_len = procs_end(r);
		if (auto err = validate(r); !err.empty())
			fail(start, "rule " + std::to_string(r.id) + ": " + err);
		return r;
	}

private:
	[[noreturn]] void fail(const Token &t, const std::string &m) const { throw ParseError(file_, t.line, t.col, m); }

	const Token &need(const std::string &what)
	{
		if (i_ >= t_.size()) {
			const Token &last = t_.back();
			throw ParseError(file_, last.line, last.col + last.text.size(), "missing " + what);
		}
		return t_[i_++];
	}

	std::uint64_t number(const std::string &what, std::uint64_t max)
	{
		const Token &t = need(what);
		std::uint64_t v = 0;
		if (t.kind != Token::Kind::word || !parse_u64(t.text, v))
			fail(t, what + ": expected a number, got '" + t.text + "'");
		if (v > max)
			fail(t, what + " " + t.text + " is above " + std::to_string(max));
		return v;
	}

	Bytes bytes(const std::string &what)
	{
		Bytes out;
		std::size_t n = 0;
		while (i_ < t_.size()) {
			const Token &t = t_[i_];
			if (t.kind == Token::Kind::word) {
				if (!words_ || n > 0 || is_keyword(t))
					break;
				try {
					Bytes b = unescape(t.text);
					out.insert(out.end(), b.begin(), b.end());
				} catch (const std::invalid_argument &e) {
					fail(t, e.what());
				}
			} else if (t.kind == Token::Kind::file) {
				try {
					std::string s = read_all(resolve(base_, t.text));
					out.insert(out.end(), s.begin(), s.end());
				} catch (const std::invalid_argument &e) {
					fail(t, e.what());
				}
			} else {
				out.insert(out.end(), t.text.begin(), t.text.end());
			}
			i_++;
			n++;
		}
		if (n == 0) {
			if (i_ < t_.size())
				fail(t_[i_], what + ": expected bytes (\"text\", x\"hex\" or @file), got '" + t_[i_].text + "'");
			need(what + " bytes");
		}
		return out;
	}

	const std::vector<Token> &t_;
	std::size_t i_;
	const std::string &file_;
	const std::string &base_;
	bool words_;
};

Limits parse_limits_tokens(const std::vector<Token> &t, const std::string &file)
{
	Limits l;
	for (std::size_t i = 1; i < t.size(); i += 2) {
		std::uint64_t v = 0;
		if (i + 1 >= t.size())
			throw ParseError(file, t[i].line, t[i].col, "'" + t[i].text + "' needs a value");
		if (!parse_u64(t[i + 1].text, v) || v > UINT32_MAX)
			throw ParseError(file, t[i + 1].line, t[i + 1].col, "expected a number");
		if (t[i].text == "max_ratio")
			l.max_ratio = static_cast<std::uint32_t>(v);
		else if (t[i].text == "rate")
			l.rate = static_cast<std::uint32_t>(v);
		else if (t[i].text == "burst")
			l.burst = static_cast<std::uint32_t>(v);
		else
			throw ParseError(file, t[i].line, t[i].col, "unknown limit '" + t[i].text + "'");
	}
	if ((l.rate == 0) != (l.burst == 0))
		throw ParseError(file, t[0].line, t[0].col, "rate and burst go together");
	return l;
}

Framing parse_framing_tokens(const std::vector<Token> &t, const std::string &file)
{
	Framing f;
	std::size_t i = 1;
	if (i < t.size() && t[i].kind == Token::Kind::word && t[i].text == "none") {
		i++;
	} else if (i < t.size() && t[i].kind == Token::Kind::word && t[i].text == "term") {
		i++;
		const std::size_t first = i;
		for (; i < t.size() && (t[i].kind == Token::Kind::string || t[i].kind == Token::Kind::hex); i++)
			f.term.insert(f.term.end(), t[i].text.begin(), t[i].text.end());
		if (i == first)
			throw ParseError(file, t[i - 1].line, t[i - 1].col, "framing term: expected the terminator bytes");
		if (f.term.empty() || f.term.size() > term_max_len)
			throw ParseError(file, t[first].line, t[first].col, "framing term: 1 to 8 bytes");
	} else {
		const Token &at = i < t.size() ? t[i] : t[0];
		throw ParseError(file, at.line, at.col, "framing: expected 'term BYTES' or 'none'");
	}
	// eor and write-answers, each at most once, in any order
	for (; i < t.size() && t[i].kind == Token::Kind::word; i++) {
		std::uint32_t bit = 0;
		if (t[i].text == "eor")
			bit = framing_flag_eor;
		else if (t[i].text == "write-answers")
			bit = framing_flag_write_answers;
		else
			break;
		if ((f.flags & bit) != 0)
			throw ParseError(file, t[i].line, t[i].col, "framing: '" + t[i].text + "' given twice");
		f.flags |= bit;
	}
	if (i < t.size())
		throw ParseError(file, t[i].line, t[i].col, "framing: unexpected '" + t[i].text + "'");
	return f;
}

} // namespace

std::string format_framing_text(const Framing &f)
{
	std::string s = f.term.empty() ? "framing none" : "framing term " + format_bytes(f.term);
	if (f.eor())
		s += " eor";
	if (f.write_answers())
		s += " write-answers";
	return s;
}

std::string format_framing_json(const Framing &f)
{
	return "{\"text\":" + json_escape(std::string(f.term.begin(), f.term.end())) +
	       ",\"eor\":" + (f.eor() ? "true" : "false") +
	       ",\"write_answers\":" + (f.write_answers() ? "true" : "false") + "}";
}

Bytes unescape(std::string_view s)
{
	Bytes out;
	out.reserve(s.size());
	for (std::size_t i = 0; i < s.size(); i++) {
		char c = s[i];
		if (c != '\\') {
			out.push_back(static_cast<std::uint8_t>(c));
			continue;
		}
		if (++i >= s.size())
			throw std::invalid_argument("trailing backslash");
		switch (s[i]) {
		case 'n': out.push_back('\n'); break;
		case 'r': out.push_back('\r'); break;
		case 't': out.push_back('\t'); break;
		case '0': out.push_back(0); break;
		case '\\': out.push_back('\\'); break;
		case '"': out.push_back('"'); break;
		case '\'': out.push_back('\''); break;
		case 'x': {
			int h = i + 1 < s.size() ? hexdigit(s[i + 1]) : -1;
			int l = i + 2 < s.size() ? hexdigit(s[i + 2]) : -1;
			if (h < 0 || l < 0)
				throw std::invalid_argument("\\x needs two hex digits");
			out.push_back(static_cast<std::uint8_t>(h * 16 + l));
			i += 2;
			break;
		}
		default:
			throw std::invalid_argument(std::string("unknown escape \\") + s[i]);
		}
	}
	return out;
}

std::string hex(const Bytes &b)
{
	static const char digits[] = "0123456789abcdef";
	std::string out;
	out.reserve(b.size() * 2);
	for (auto c : b) {
		out += digits[c >> 4];
		out += digits[c & 15];
	}
	return out;
}

std::string format_bytes(const Bytes &b)
{
	std::size_t printable = 0;
	for (auto c : b)
		if ((c >= 0x20 && c < 0x7f) || c == '\r' || c == '\n' || c == '\t')
			printable++;
	if (b.empty() || printable * 10 < b.size() * 8)
		return "x\"" + hex(b) + "\"";
	static const char digits[] = "0123456789abcdef";
	std::string out = "\"";
	for (auto c : b) {
		switch (c) {
		case '\n': out += "\\n"; break;
		case '\r': out += "\\r"; break;
		case '\t': out += "\\t"; break;
		case '\\': out += "\\\\"; break;
		case '"': out += "\\\""; break;
		default:
			if (c >= 0x20 && c < 0x7f) {
				out += static_cast<char>(c);
			} else {
				out += "\\x";
				out += digits[c >> 4];
				out += digits[c & 15];
			}
		}
	}
	return out + "\"";
}

std::string format_text(const Rule &r)
{
	std::string out = "rule " + std::to_string(r.id);
	if (r.exact_len())
		out += " exact";
	out += " match " + std::to_string(r.cond_off) + " " + format_bytes(r.cond);
	if (r.reply_len != procs_end(r))
		out += " reply " + std::to_string(r.reply_len);
	for (const auto &p : r.procs) {
		if (p.type == ProcType::put)
			out += " put " + std::to_string(p.dst_off) + " " + format_bytes(p.data);
		else
			out += " copy " + std::to_string(p.dst_off) + " " + std::to_string(p.src_off) + " " +
			       std::to_string(p.len);
	}
	return out;
}

std::string json_escape(std::string_view s)
{
	static const char digits[] = "0123456789abcdef";
	std::string out = "\"";
	for (char ch : s) {
		auto c = static_cast<unsigned char>(ch);
		switch (c) {
		case '"': out += "\\\""; break;
		case '\\': out += "\\\\"; break;
		case '\n': out += "\\n"; break;
		case '\r': out += "\\r"; break;
		case '\t': out += "\\t"; break;
		default:
			if (c < 0x20 || c >= 0x7f) {
				out += "\\u00";
				out += digits[c >> 4];
				out += digits[c & 15];
			} else {
				out += static_cast<char>(c);
			}
		}
	}
	return out + "\"";
}

namespace {

// {"text": ...} for printable bytes (each \u00XX one byte), else {"hex": ...}
std::string json_bytes(const Bytes &b)
{
	std::string f = format_bytes(b);
	if (f[0] == 'x')
		return "\"hex\":\"" + hex(b) + "\"";
	return "\"text\":" + json_escape(std::string_view(reinterpret_cast<const char *>(b.data()), b.size()));
}

} // namespace

std::string format_json(const Rule &r)
{
	std::string out = "{\"id\":" + std::to_string(r.id);
	if (r.exact_len())
		out += ",\"exact\":true";
	out += ",\"match\":{\"offset\":" + std::to_string(r.cond_off) + "," + json_bytes(r.cond) + "}";
	out += ",\"reply_len\":" + std::to_string(r.reply_len) + ",\"procs\":[";
	for (std::size_t i = 0; i < r.procs.size(); i++) {
		const Proc &p = r.procs[i];
		if (i != 0)
			out += ",";
		if (p.type == ProcType::put)
			out += "{\"put\":{\"offset\":" + std::to_string(p.dst_off) + "," + json_bytes(p.data) + "}}";
		else
			out += "{\"copy\":{\"offset\":" + std::to_string(p.dst_off) + ",\"src\":" +
			       std::to_string(p.src_off) + ",\"len\":" + std::to_string(p.len) + "}}";
	}
	return out + "]}";
}

FileDirectives parse_text(std::string_view text, const std::string &file, const RuleSink &sink,
			  const std::string &base_dir)
{
	FileDirectives d;
	Lexer lex(text, file);
	std::vector<Token> toks;
	std::unordered_set<std::uint32_t> ids;
	while (lex.next(toks)) {
		const Token &k = toks[0];
		if (k.kind == Token::Kind::word && k.text == "rule") {
			if (toks.size() < 2)
				throw ParseError(file, k.line, k.col + 4, "missing rule id");
			Rule r = RuleParser(toks, 1, file, base_dir, false).parse(k);
			if (!ids.insert(r.id).second)
				throw ParseError(file, toks[1].line, toks[1].col,
						 "duplicate rule id " + std::to_string(r.id));
			sink(std::move(r));
		} else if (k.kind == Token::Kind::word && k.text == "limits") {
			d.limits = parse_limits_tokens(toks, file);
		} else if (k.kind == Token::Kind::word && k.text == "framing") {
			d.framing = parse_framing_tokens(toks, file);
		} else {
			throw ParseError(file, k.line, k.col,
					 "expected 'rule', 'limits' or 'framing', got '" + k.text + "'");
		}
	}
	return d;
}

// ---- JSON ----------------------------------------------------------------

namespace {

struct JValue {
	enum class T { null, boolean, number, string, array, object } t = T::null;
	bool b = false;
	std::string s; // string, or the number as written
	std::vector<JValue> a;          // array elements, or object member values
	std::vector<std::string> keys;  // object member names (values in a)
	std::size_t line = 0;
	std::size_t col = 0;

	[[nodiscard]] const JValue *get(std::string_view k) const
	{
		if (t != T::object)
			return nullptr;
		for (std::size_t i = 0; i < keys.size(); i++)
			if (keys[i] == k)
				return &a[i];
		return nullptr;
	}
};

class JsonParser {
public:
	JsonParser(std::string_view t, const std::string &file) : t_(t), file_(file) {}

	JValue parse()
	{
		JValue v = value(0);
		ws();
		if (i_ != t_.size())
			fail("trailing characters after the JSON value");
		return v;
	}

private:
	[[noreturn]] void fail(const std::string &m) const { throw ParseError(file_, line_, col_, m); }

	void adv()
	{
		if (t_[i_] == '\n') {
			line_++;
			col_ = 1;
		} else {
			col_++;
		}
		i_++;
	}

	void ws()
	{
		while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r'))
			adv();
	}

	void expect(char c)
	{
		ws();
		if (i_ >= t_.size() || t_[i_] != c)
			fail(std::string("expected '") + c + "'");
		adv();
	}

	JValue value(int depth)
	{
		if (depth > 64)
			fail("nesting too deep");
		ws();
		if (i_ >= t_.size())
			fail("unexpected end of input");
		JValue v;
		v.line = line_;
		v.col = col_;
		char c = t_[i_];
		if (c == '{') {
			v.t = JValue::T::object;
			adv();
			ws();
			if (i_ < t_.size() && t_[i_] == '}') {
				adv();
				return v;
			}
			for (;;) {
				ws();
				if (i_ >= t_.size() || t_[i_] != '"')
					fail("expected a key string");
				std::string k = str();
				expect(':');
				v.keys.push_back(std::move(k));
				v.a.push_back(value(depth + 1));
				ws();
				if (i_ < t_.size() && t_[i_] == ',') {
					adv();
					continue;
				}
				expect('}');
				return v;
			}
		}
		if (c == '[') {
			v.t = JValue::T::array;
			adv();
			ws();
			if (i_ < t_.size() && t_[i_] == ']') {
				adv();
				return v;
			}
			for (;;) {
				v.a.push_back(value(depth + 1));
				ws();
				if (i_ < t_.size() && t_[i_] == ',') {
					adv();
					continue;
				}
				expect(']');
				return v;
			}
		}
		if (c == '"') {
			v.t = JValue::T::string;
			v.s = str();
			return v;
		}
		if (t_.substr(i_, 4) == "true" || t_.substr(i_, 5) == "false" || t_.substr(i_, 4) == "null") {
			std::size_t n = t_[i_] == 'f' ? 5 : 4;
			v.t = t_[i_] == 'n' ? JValue::T::null : JValue::T::boolean;
			v.b = t_[i_] == 't';
			for (std::size_t k = 0; k < n; k++)
				adv();
			return v;
		}
		if (c == '-' || (c >= '0' && c <= '9')) {
			v.t = JValue::T::number;
			while (i_ < t_.size() && (std::isalnum(static_cast<unsigned char>(t_[i_])) != 0 ||
						  t_[i_] == '-' || t_[i_] == '+' || t_[i_] == '.')) {
				v.s += t_[i_];
				adv();
			}
			return v;
		}
		fail(std::string("unexpected character '") + c + "'");
	}

	// a string; \u00XX and other code points up to 0xff become one byte,
	// others UTF-8
	std::string str()
	{
		adv();
		std::string out;
		while (i_ < t_.size() && t_[i_] != '"') {
			char c = t_[i_];
			if (c == '\n')
				fail("unterminated string");
			if (c != '\\') {
				out += c;
				adv();
				continue;
			}
			adv();
			if (i_ >= t_.size())
				fail("unterminated string");
			char e = t_[i_];
			adv();
			switch (e) {
			case 'n': out += '\n'; break;
			case 'r': out += '\r'; break;
			case 't': out += '\t'; break;
			case 'b': out += '\b'; break;
			case 'f': out += '\f'; break;
			case '/': out += '/'; break;
			case '\\': out += '\\'; break;
			case '"': out += '"'; break;
			case 'u': {
				unsigned cp = 0;
				for (int k = 0; k < 4; k++) {
					int h = i_ < t_.size() ? hexdigit(t_[i_]) : -1;
					if (h < 0)
						fail("\\u needs four hex digits");
					cp = cp * 16 + static_cast<unsigned>(h);
					adv();
				}
				if (cp <= 0xff) {
					out += static_cast<char>(cp);
				} else if (cp < 0x800) {
					out += static_cast<char>(0xc0 | (cp >> 6));
					out += static_cast<char>(0x80 | (cp & 0x3f));
				} else {
					out += static_cast<char>(0xe0 | (cp >> 12));
					out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
					out += static_cast<char>(0x80 | (cp & 0x3f));
				}
				break;
			}
			default:
				fail(std::string("unknown escape \\") + e);
			}
		}
		if (i_ >= t_.size())
			fail("unterminated string");
		adv();
		return out;
	}

	std::string_view t_;
	const std::string &file_;
	std::size_t i_ = 0;
	std::size_t line_ = 1;
	std::size_t col_ = 1;
};

class JsonRules {
public:
	JsonRules(const std::string &file, const std::string &base) : file_(file), base_(base) {}

	[[noreturn]] void fail(const JValue &v, const std::string &m) const { throw ParseError(file_, v.line, v.col, m); }

	std::uint64_t num(const JValue &obj, std::string_view key, std::uint64_t max, bool required = true,
			  std::uint64_t dflt = 0) const
	{
		const JValue *v = obj.get(key);
		if (v == nullptr) {
			if (required)
				fail(obj, "missing \"" + std::string(key) + "\"");
			return dflt;
		}
		std::uint64_t n = 0;
		if (v->t != JValue::T::number || !parse_u64(v->s, n))
			fail(*v, "\"" + std::string(key) + "\": expected a non-negative integer");
		if (n > max)
			fail(*v, "\"" + std::string(key) + "\" is above " + std::to_string(max));
		return n;
	}

	Bytes bytes(const JValue &obj) const
	{
		int n = 0;
		Bytes out;
		for (std::size_t i = 0; i < obj.keys.size(); i++) {
			const std::string &k = obj.keys[i];
			const JValue &v = obj.a[i];
			if (k != "text" && k != "hex" && k != "file")
				continue;
			n++;
			if (v.t != JValue::T::string)
				fail(v, "\"" + k + "\": expected a string");
			try {
				if (k == "text")
					out.assign(v.s.begin(), v.s.end());
				else if (k == "hex")
					out = unhex(v.s);
				else {
					std::string s = read_all(resolve(base_, v.s));
					out.assign(s.begin(), s.end());
				}
			} catch (const std::invalid_argument &e) {
				fail(v, e.what());
			}
		}
		if (n != 1)
			fail(obj, "expected exactly one of \"text\", \"hex\" or \"file\"");
		return out;
	}

	Rule rule(const JValue &v) const
	{
		if (v.t != JValue::T::object)
			fail(v, "a rule is an object");
		for (std::size_t i = 0; i < v.keys.size(); i++)
			if (const std::string &k = v.keys[i];
			    k != "id" && k != "exact" && k != "match" && k != "reply_len" && k != "procs")
				fail(v.a[i], "unknown rule member \"" + k + "\"");
		Rule r;
		r.id = static_cast<std::uint32_t>(num(v, "id", UINT32_MAX));
		if (const JValue *e = v.get("exact")) {
			if (e->t != JValue::T::boolean)
				fail(*e, "\"exact\": expected true or false");
			if (e->b)
				r.flags |= flag_exact_len;
		}
		const JValue *m = v.get("match");
		if (m == nullptr || m->t != JValue::T::object)
			fail(m != nullptr ? *m : v, "\"match\": expected an object {\"offset\": N, \"text\"|\"hex\"|\"file\": ...}");
		r.cond_off = static_cast<std::uint16_t>(num(*m, "offset", cond_max_off, false));
		r.cond = bytes(*m);
		const JValue *ps = v.get("procs");
		if (ps == nullptr || ps->t != JValue::T::array)
			fail(ps != nullptr ? *ps : v, "\"procs\": expected an array");
		for (const auto &p : ps->a) {
			if (p.t != JValue::T::object || p.keys.size() != 1)
				fail(p, "a processor is {\"put\": {...}} or {\"copy\": {...}}");
			const std::string &k = p.keys[0];
			const JValue &body = p.a[0];
			if (body.t != JValue::T::object)
				fail(body, "expected an object");
			if (k == "put") {
				r.procs.push_back(Proc::put(static_cast<std::uint32_t>(num(body, "offset", engine_reply_max)),
							    bytes(body)));
			} else if (k == "copy") {
				r.procs.push_back(Proc::copy(static_cast<std::uint32_t>(num(body, "offset", engine_reply_max)),
							     static_cast<std::uint32_t>(num(body, "src", 65535)),
							     static_cast<std::uint32_t>(num(body, "len", 65535))));
			} else {
				fail(p, "unknown processor \"" + k + "\"");
			}
		}
		r.reply_len = static_cast<std::uint32_t>(num(v, "reply_len", engine_reply_max, false, procs_end(r)));
		if (auto err = validate(r); !err.empty())
			fail(v, "rule " + std::to_string(r.id) + ": " + err);
		return r;
	}

private:
	const std::string &file_;
	const std::string &base_;
};

} // namespace

FileDirectives parse_json(std::string_view text, const std::string &file, const RuleSink &sink,
			  const std::string &base_dir)
{
	FileDirectives d;
	JValue root = JsonParser(text, file).parse();
	JsonRules jr(file, base_dir);
	const JValue *rules = &root;
	if (root.t == JValue::T::object) {
		rules = nullptr;
		for (std::size_t i = 0; i < root.keys.size(); i++)
			if (root.keys[i] != "rules" && root.keys[i] != "limits" && root.keys[i] != "framing")
				jr.fail(root.a[i], "unknown member \"" + root.keys[i] +
							   "\" (expected \"rules\", \"limits\" and \"framing\")");
		if (const JValue *fv = root.get("framing")) {
			if (fv->t != JValue::T::object)
				jr.fail(*fv, "\"framing\": expected an object {\"text\"|\"hex\": ..., \"eor\": false, "
					     "\"write_answers\": false}");
			for (std::size_t i = 0; i < fv->keys.size(); i++)
				if (fv->keys[i] != "text" && fv->keys[i] != "hex" && fv->keys[i] != "eor" &&
				    fv->keys[i] != "write_answers")
					jr.fail(fv->a[i], "unknown framing member \"" + fv->keys[i] + "\"");
			Framing f;
			f.term = jr.bytes(*fv);
			if (f.term.size() > term_max_len)
				jr.fail(*fv, "framing: the terminator is 0 to 8 bytes");
			if (const JValue *e = fv->get("eor")) {
				if (e->t != JValue::T::boolean)
					jr.fail(*e, "\"eor\": expected true or false");
				if (e->b)
					f.flags |= framing_flag_eor;
			}
			if (const JValue *w = fv->get("write_answers")) {
				if (w->t != JValue::T::boolean)
					jr.fail(*w, "\"write_answers\": expected true or false");
				if (w->b)
					f.flags |= framing_flag_write_answers;
			}
			d.framing = f;
		}
		rules = root.get("rules");
		if (const JValue *l = root.get("limits")) {
			if (l->t != JValue::T::object)
				jr.fail(*l, "\"limits\": expected an object");
			Limits lim;
			lim.max_ratio = static_cast<std::uint32_t>(jr.num(*l, "max_ratio", UINT32_MAX, false));
			lim.rate = static_cast<std::uint32_t>(jr.num(*l, "rate", UINT32_MAX, false));
			lim.burst = static_cast<std::uint32_t>(jr.num(*l, "burst", UINT32_MAX, false));
			if ((lim.rate == 0) != (lim.burst == 0))
				jr.fail(*l, "rate and burst go together");
			d.limits = lim;
		}
		if (rules == nullptr)
			return d;
	}
	if (rules->t != JValue::T::array)
		jr.fail(*rules, "expected an array of rules");
	std::unordered_set<std::uint32_t> ids;
	for (const auto &v : rules->a) {
		Rule r = jr.rule(v);
		if (!ids.insert(r.id).second)
			jr.fail(v, "duplicate rule id " + std::to_string(r.id));
		sink(std::move(r));
	}
	return d;
}

FileDirectives parse_rules(std::string_view text, const std::string &file, const RuleSink &sink,
			   const std::string &base_dir)
{
	auto first = text.find_first_not_of(" \t\r\n");
	if (first != std::string_view::npos && (text[first] == '{' || text[first] == '['))
		return parse_json(text, file, sink, base_dir);
	return parse_text(text, file, sink, base_dir);
}

FileDirectives load_file(const std::string &path, const RuleSink &sink)
{
	std::string text;
	if (path == "-") {
		text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
		return parse_rules(text, "<stdin>", sink, ".");
	}
	try {
		text = read_all(path);
	} catch (const std::invalid_argument &e) {
		throw ParseError(path, 0, 0, e.what());
	}
	return parse_rules(text, path, sink, dir_of(path));
}

Rule parse_rule_args(const std::vector<std::string> &args)
{
	std::vector<Token> toks;
	for (std::size_t i = 0; i < args.size(); i++) {
		const std::string &a = args[i];
		Token t;
		t.line = 1;
		t.col = i + 1;
		try {
			if (a.size() >= 3 && a[0] == 'x' && a[1] == '"' && a.back() == '"') {
				t.kind = Token::Kind::hex;
				Bytes b = unhex(std::string_view(a).substr(2, a.size() - 3));
				t.text.assign(b.begin(), b.end());
			} else if (a.size() >= 2 && a[0] == '"' && a.back() == '"') {
				t.kind = Token::Kind::string;
				Bytes b = unescape(std::string_view(a).substr(1, a.size() - 2));
				t.text.assign(b.begin(), b.end());
			} else if (a.starts_with("hex:")) {
				t.kind = Token::Kind::hex;
				Bytes b = unhex(std::string_view(a).substr(4));
				t.text.assign(b.begin(), b.end());
			} else if (a.size() > 1 && a[0] == '@') {
				t.kind = Token::Kind::file;
				t.text = a.substr(1);
			} else {
				t.text = a;
			}
		} catch (const std::invalid_argument &e) {
			throw ParseError("argument", 1, i + 1, e.what());
		}
		toks.push_back(std::move(t));
	}
	if (toks.empty())
		throw ParseError("argument", 1, 1, "missing rule id");
	Token start = toks[0];
	return RuleParser(toks, 0, "argument", ".", true).parse(start);
}

} // namespace santa
