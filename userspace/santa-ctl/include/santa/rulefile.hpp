// SPDX-License-Identifier: GPL-2.0
// Rule files: a line-oriented text format and a JSON format (docs/santa-ctl.md).
#pragma once

#include "santa/santa.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace santa {

// An input error with its place: "FILE:LINE:COL: message".
class ParseError : public std::runtime_error {
public:
	ParseError(const std::string &file, std::size_t line, std::size_t col, const std::string &msg);
	std::string file;
	std::size_t line;
	std::size_t col;
	std::string msg;
};

struct Token {
	enum class Kind { word, string, hex, file } kind = Kind::word;
	std::string text; // word: as written; string/hex: decoded bytes; file: the path
	std::size_t line = 0;
	std::size_t col = 0;
};

// What a rule file holds besides rules.
struct FileDirectives {
	std::optional<Limits> limits;
	// "framing term BYTES [eor] [write-answers]" / "framing none [eor]
	// [write-answers]" (TCP sockets; set
	// before the rules are installed)
	std::optional<Framing> framing;
};

using RuleSink = std::function<void(Rule &&)>;

// Parses the text format. @file names the input in errors; @base_dir is
// where @"relative" file literals are read from. Rules are passed to
// @sink one by one (1M rules are not held in memory twice). Checks every
// rule as the kernel would and rejects duplicate ids. Throws ParseError.
FileDirectives parse_text(std::string_view text, const std::string &file, const RuleSink &sink,
			  const std::string &base_dir = ".");

// Parses the JSON format (an object {"rules": [...], "limits": {...}} or an
// array of rules). Throws ParseError with the line and column of the value.
FileDirectives parse_json(std::string_view text, const std::string &file, const RuleSink &sink,
			  const std::string &base_dir = ".");

// Picks the format: JSON if the first non-blank character is '{' or '['.
FileDirectives parse_rules(std::string_view text, const std::string &file, const RuleSink &sink,
			   const std::string &base_dir = ".");

// Reads and parses a file ("-": standard input).
FileDirectives load_file(const std::string &path, const RuleSink &sink);

// A rule from command line words ("7 exact match 0 'get k\r\n' put 0 ..."):
// words in place of bytes are taken as C-escaped strings.
Rule parse_rule_args(const std::vector<std::string> &args);

// One rule per line in the text format; parse_text() reads it back.
std::string format_text(const Rule &r);
std::string format_json(const Rule &r);
// "framing term \"\\r\\n\" [eor] [write-answers]" / "framing none", and its
// JSON member value
std::string format_framing_text(const Framing &f);
std::string format_framing_json(const Framing &f);
// A bytes literal: "text\r\n" when mostly printable, else x"0a0b...".
std::string format_bytes(const Bytes &b);

// C-style escapes (\\ \" \n \r \t \0 \xHH); throws std::invalid_argument.
Bytes unescape(std::string_view s);
std::string json_escape(std::string_view s);
std::string hex(const Bytes &b);

} // namespace santa
