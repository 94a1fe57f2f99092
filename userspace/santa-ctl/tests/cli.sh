#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# santa-ctl's command line without a Santa kernel: help at every level,
# exit statuses, errors with their position, compile output read back.
set -u
SC=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0
t() { # expected-status description command...
	local want=$1 what=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL: $what: exit $rc, expected $want"; cat "$tmp/out" "$tmp/err"; bad=1
	fi
}
has() { # description pattern file
	grep -qF -- "$2" "$3" || { echo "FAIL: $1: no '$2' in:"; cat "$3"; bad=1; }
}

t 0 "--help" "$SC" --help
has "--help" "Usage: santa-ctl" "$tmp/out"
t 0 "--version" "$SC" --version
t 2 "no object" "$SC"
t 2 "unknown option" "$SC" --frob rule list
t 2 "unknown object" "$SC" frob
for obj in rule stats monitor limits framing load check socket diag dns memcached http; do
	t 0 "$obj --help" "$SC" "$obj" --help
	has "$obj --help" "Usage: santa-ctl" "$tmp/out"
	t 0 "$obj help" "$SC" "$obj" help
done
for cmd in "rule add" "rule del" "rule list" "dns compile" "dns load" "memcached load" "http compile" "limits set" "framing set" "framing show"; do
	# shellcheck disable=SC2086
	t 0 "$cmd --help" "$SC" $cmd --help
	has "$cmd --help" "Usage: santa-ctl" "$tmp/out"
done
t 2 "rule add without a socket" "$SC" rule add 1 match 0 a put 0 b
has "no socket" "no socket given" "$tmp/err"
t 2 "--pid without --fd" "$SC" --pid 1 stats
t 1 "no server on the address" "$SC" -s 'udp 127.0.0.1:9' stats
has "no server" "no udp socket bound to 127.0.0.1:9" "$tmp/err"
t 2 "bad endpoint" "$SC" -s 'sctp 1.2.3.4:5' stats

# framing: the grammar is checked before a socket is looked for
t 2 "framing set without a terminator" "$SC" -s 'tcp 127.0.0.1:9' framing set
has "framing set without a terminator" "give --term BYTES or --none" "$tmp/err"
t 2 "framing set: 9-byte terminator" "$SC" -s 'tcp 127.0.0.1:9' framing set --term '123456789'
has "framing set: 9-byte terminator" "longer than 8 bytes" "$tmp/err"
t 2 "framing set: bad escape" "$SC" -s 'tcp 127.0.0.1:9' framing set --term '\q'
t 2 "framing set: unknown word" "$SC" -s 'tcp 127.0.0.1:9' framing set --term '\r\n' --frob
t 2 "framing: unknown command" "$SC" -s 'tcp 127.0.0.1:9' framing frob
t 2 "framing set: write-answers without a terminator" "$SC" -s 'tcp 127.0.0.1:9' framing set --write-answers
has "framing set: write-answers without a terminator" "give --term BYTES or --none" "$tmp/err"
t 2 "framing set: --write_answers misspelt" "$SC" -s 'tcp 127.0.0.1:9' framing set --none --write_answers
has "framing set: --write_answers misspelt" "unknown argument '--write_answers'" "$tmp/err"
# the grammar accepts the flag (dashed or not, with eor): it gets as far as the socket lookup
for args in "--term \r\n --write-answers" "term \r\n write-answers" "--none --eor --write-answers" "none write-answers eor"; do
	# shellcheck disable=SC2086
	t 1 "framing set $args" "$SC" -s 'tcp 127.0.0.1:9' framing set $args
	has "framing set $args" "no tcp socket listening on 127.0.0.1:9" "$tmp/err"
done
t 0 "framing --help" "$SC" framing --help
has "framing --help" "[--write-answers]" "$tmp/out"
has "framing --help" "writes the whole answer to a request before it" "$tmp/out"
t 0 "http --help" "$SC" http --help
has "http --help" "--strict-order" "$tmp/out"
has "http --help" "aio threads" "$tmp/out"
t 0 "memcached --help" "$SC" memcached --help
has "memcached --help" "--strict-order" "$tmp/out"
t 0 "load --help" "$SC" load --help
has "load --help" "framing { term BYTES | none } [eor] [write-answers]" "$tmp/out"
t 1 "framing show: no listener" "$SC" -s 'tcp 127.0.0.1:9' framing show
has "framing show: no listener" "no tcp socket listening on 127.0.0.1:9" "$tmp/err"

printf 'rule 1 match 0 "a" put 0 "b"\nrule 2 match 0 "c" put 0 x"0g"\n' >"$tmp/bad.rules"
t 1 "check bad file" "$SC" check "$tmp/bad.rules"
has "check bad file" "bad.rules:2:26: bad hex digit 'g'" "$tmp/err"
printf '{"rules": [\n {"id": 1, "match": {"text": "a"}, "procs": [{"put": {"offset": 0}}]}]}\n' >"$tmp/bad.json"
t 1 "check bad JSON" "$SC" check "$tmp/bad.json"
has "check bad JSON" "bad.json:2:54: expected exactly one of" "$tmp/err"
t 1 "check missing file" "$SC" check "$tmp/none.rules"

# compile output is a valid rule file, in both formats
zone=$(dirname "$0")/../../../selftests/santactl/example.zone
t 0 "dns compile" "$SC" dns compile "$zone"
cp "$tmp/out" "$tmp/dns.rules"
n=$(wc -l <"$tmp/dns.rules")
[ "$n" -eq 68 ] || { echo "FAIL: dns compile: $n rules, expected 68"; bad=1; }
t 0 "check compiled rules" "$SC" check "$tmp/dns.rules"
has "check compiled rules" "68 rules, valid" "$tmp/out"
t 0 "dns compile -j" "$SC" -j dns compile "$zone" --rd 1 --ad 0
cp "$tmp/out" "$tmp/dns.json"
t 0 "check compiled JSON" "$SC" check "$tmp/dns.json"
has "check compiled JSON" "17 rules, valid" "$tmp/out"
t 0 "memcached compile" "$SC" memcached compile --udp hot 0 'hello\r\nworld'
has "memcached compile" 'put 2 "\x00\x00\x00\x01\x00\x00VALUE hot 0 12' "$tmp/out"
t 0 "memcached compile --tcp" "$SC" memcached compile --tcp hot 0 'v'
has "memcached compile --tcp" 'framing term "\r\n" write-answers' "$tmp/out"
has "memcached compile --tcp" 'rule 1 exact match 0 "get hot\r\n"' "$tmp/out"
cp "$tmp/out" "$tmp/mc.rules"
t 0 "check memcached TCP rules with framing" "$SC" check "$tmp/mc.rules"
has "check memcached TCP rules with framing" "1 rules, valid" "$tmp/out"
t 2 "memcached compile without protocol" "$SC" memcached compile hot 0 v
t 0 "memcached compile --tcp --strict-order" "$SC" memcached compile --tcp --strict-order hot 0 'v'
has "memcached compile --tcp --strict-order" 'framing term "\r\n"' "$tmp/out"
if grep -q 'write-answers' "$tmp/out"; then echo "FAIL: memcached compile --strict-order: write-answers in output"; cat "$tmp/out"; bad=1; fi
t 0 "memcached compile -j --tcp" "$SC" -j memcached compile --tcp hot 0 'v'
has "memcached compile -j --tcp" '{"framing":{"text":"\r\n","eor":false,"write_answers":true}' "$tmp/out"
cp "$tmp/out" "$tmp/mc.json"
t 0 "check memcached JSON" "$SC" check "$tmp/mc.json"
has "check memcached JSON" "1 rules, valid" "$tmp/out"
t 0 "memcached compile --udp --strict-order (no framing)" "$SC" memcached compile --udp --strict-order hot 0 'v'
if grep -q 'framing' "$tmp/out"; then echo "FAIL: memcached compile --udp: framing in output"; cat "$tmp/out"; bad=1; fi
echo hello >"$tmp/index.html"
t 0 "http compile" "$SC" http compile --host example.com --date 0 "$tmp/index.html"
has "http compile" 'match 0 "GET /index.html HTTP/1.1\r\nHost: example.com\r\n"' "$tmp/out"
has "http compile" 'Date: Thu, 01 Jan 1970 00:00:00 GMT' "$tmp/out"
has "http compile" 'framing term "\r\n\r\n" write-answers' "$tmp/out"
cp "$tmp/out" "$tmp/http.rules"
t 0 "check http rules with framing" "$SC" check "$tmp/http.rules"
has "check http rules with framing" "1 rules, valid" "$tmp/out"
t 0 "http compile --strict-order" "$SC" http compile --host example.com --date 0 --strict-order "$tmp/index.html"
has "http compile --strict-order" 'framing term "\r\n\r\n"' "$tmp/out"
if grep -q 'write-answers' "$tmp/out"; then echo "FAIL: http compile --strict-order: write-answers in output"; cat "$tmp/out"; bad=1; fi
t 0 "http compile -j --strict-order" "$SC" -j http compile --host example.com --date 0 --strict-order "$tmp/index.html"
has "http compile -j --strict-order" '{"framing":{"text":"\r\n\r\n","eor":false,"write_answers":false}' "$tmp/out"
t 0 "http compile -j" "$SC" -j http compile --host example.com --date 0 "$tmp/index.html"
cp "$tmp/out" "$tmp/http.json"
has "http compile -j" '{"framing":{"text":"\r\n\r\n","eor":false,"write_answers":true}' "$tmp/http.json"
t 0 "check http JSON with framing" "$SC" check "$tmp/http.json"
printf 'framing term "123456789"\n' >"$tmp/badframing.rules"
t 1 "check bad framing line" "$SC" check "$tmp/badframing.rules"
has "check bad framing line" "badframing.rules:1:14: framing term: 1 to 8 bytes" "$tmp/err"
printf 'framing term "\\r\\n" write-answers eor\nrule 1 exact match 0 "get a\\r\\n" put 0 "b"\n' >"$tmp/wa.rules"
t 0 "check framing with write-answers and eor" "$SC" check "$tmp/wa.rules"
has "check framing with write-answers and eor" "1 rules, valid" "$tmp/out"
printf 'framing none write-answers write-answers\n' >"$tmp/wa2.rules"
t 1 "check write-answers twice" "$SC" check "$tmp/wa2.rules"
has "check write-answers twice" "wa2.rules:1:28: framing: 'write-answers' given twice" "$tmp/err"
printf '{"framing": {"text": "\\r\\n", "write_answers": "yes"}, "rules": []}\n' >"$tmp/wa.json"
t 1 "check JSON write_answers not a boolean" "$SC" check "$tmp/wa.json"
has "check JSON write_answers not a boolean" '"write_answers": expected true or false' "$tmp/err"
exit $bad
