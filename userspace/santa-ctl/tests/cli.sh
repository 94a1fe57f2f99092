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
for obj in rule stats monitor limits load check socket diag dns memcached http; do
	t 0 "$obj --help" "$SC" "$obj" --help
	has "$obj --help" "Usage: santa-ctl" "$tmp/out"
	t 0 "$obj help" "$SC" "$obj" help
done
for cmd in "rule add" "rule del" "rule list" "dns compile" "dns load" "memcached load" "http compile" "limits set"; do
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
t 2 "memcached compile without protocol" "$SC" memcached compile hot 0 v
echo hello >"$tmp/index.html"
t 0 "http compile" "$SC" http compile --host example.com --date 0 "$tmp/index.html"
has "http compile" 'match 0 "GET /index.html HTTP/1.1\r\nHost: example.com\r\n"' "$tmp/out"
has "http compile" 'Date: Thu, 01 Jan 1970 00:00:00 GMT' "$tmp/out"
exit $bad
