#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Inputs of the benchmarks: zone files, memcached items and request files
for santa-load (one request per line, C escapes).

  mkreq.py zone FILE N [--prefix P]        zone example.com with N A records
  mkreq.py dns-names N [--prefix P] [--sample M]
                                           the names of that zone, one a line
                                           (--sample: M of them drawn with
                                           replacement, seeded)
  mkreq.py dns NAMES_FILE                  queries (id 0, RD=1, A, no EDNS)
  mkreq.py dnsperf NAMES_FILE              the same as a dnsperf data file
  mkreq.py memcached-udp KEYS...           "get KEY" in a memcached UDP frame
  mkreq.py memcached-tcp KEYS...           "get KEY"
  mkreq.py http HOST PATHS...              GET PATH, Host: HOST
Output goes to standard output (zone: to FILE).
"""
import random
import struct
import sys


def esc(data):
    out = []
    for b in data:
        c = chr(b)
        if c == "\\":
            out.append("\\\\")
        elif 0x20 <= b < 0x7F:
            out.append(c)
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def names(n, prefix):
    return ["%s%07d.example.com" % (prefix, i) for i in range(n)]


def dns_query(name):
    q = struct.pack(">HHHHHH", 0, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00" + struct.pack(">HH", 1, 1)


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    prefix = "h"
    if "--prefix" in args:
        i = args.index("--prefix")
        prefix = args[i + 1]
        del args[i:i + 2]
    sample = None
    if "--sample" in args:
        i = args.index("--sample")
        sample = int(args[i + 1])
        del args[i:i + 2]
    if cmd == "zone":
        path, n = args[0], int(args[1])
        with open(path, "w") as f:
            f.write("$ORIGIN example.com.\n$TTL 3600\n")
            f.write("@ IN SOA ns1.example.com. admin.example.com. "
                    "1 7200 3600 1209600 3600\n")
            f.write("@ IN NS ns1.example.com.\nns1 IN A 192.0.2.1\n")
            for i, name in enumerate(names(n, prefix)):
                f.write("%s. IN A 198.51.%d.%d\n" % (name, 100 + (i >> 16) % 3,
                                                    i % 250 + 1))
    elif cmd == "dns-names":
        ns = names(int(args[0]), prefix)
        if sample:
            rnd = random.Random(1)
            ns = [rnd.choice(ns) for _ in range(sample)]
        print("\n".join(ns))
    elif cmd in ("dns", "dnsperf"):
        with open(args[0]) as f:
            for line in f:
                name = line.strip()
                if not name:
                    continue
                if cmd == "dns":
                    print(esc(dns_query(name)))
                else:
                    print("%s A" % name)
    elif cmd == "memcached-udp":
        for k in args:
            print(esc(struct.pack(">HHHH", 0, 0, 1, 0) +
                      b"get " + k.encode() + b"\r\n"))
    elif cmd == "memcached-tcp":
        for k in args:
            print(esc(b"get " + k.encode() + b"\r\n"))
    elif cmd == "http":
        host = args[0]
        for p in args[1:]:
            print(esc(("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" %
                       (p, host)).encode()))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
