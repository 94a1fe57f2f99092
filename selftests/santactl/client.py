#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Small protocol clients for the santa-ctl integration suite.

Every command prints the answer as hex with the request-specific bytes left
out (DNS id, memcached request id), so that the answer of the server and
the answer of the kernel can be compared byte for byte.
"""
import argparse
import re
import socket
import struct
import sys
import time


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def dns_query(qid, name, qtype, flags2, flags3, edns):
    q = struct.pack(">HBBHHHH", qid, flags2, flags3, 1, 0, 0, 1 if edns else 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    if edns:
        q += b"\0" + struct.pack(">HHBBHH", 41, 1232, 0, 0, 0, 0)
    return q


TYPES = {"A": 1, "NS": 2, "CNAME": 5, "TXT": 16, "AAAA": 28}


def print_same(answers):
    """Print the one answer all requests got; exit status 1 if they differ."""
    if len(answers) != 1:
        print("answers differ between requests", file=sys.stderr)
        return 1
    print(answers.pop())
    return 0


def udp_same_answer(host, port, count, id_name, make_id, make_request):
    """Send count requests, each with its own 16-bit id in its first two
    bytes; every answer must echo the id; the rest is printed by print_same()."""
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(3)
    answers = set()
    for i in range(count):
        rid = make_id(i)
        s.sendto(make_request(rid), (host, port))
        r = s.recv(65535)
        if r[:2] != struct.pack(">H", rid):
            print("wrong " + id_name, file=sys.stderr)
            return 1
        answers.add(r[2:].hex())
    return print_same(answers)


def cmd_dns(a):
    return udp_same_answer(a.host, a.port, a.count, "id",
                           lambda i: (0x1234 + i * 7919) & 0xFFFF,
                           lambda qid: dns_query(qid, a.name, TYPES[a.type], a.flags2, a.flags3, a.edns))


def cmd_mc_udp(a):
    return udp_same_answer(a.host, a.port, a.count, "request id",
                           lambda i: (0x4242 + i * 31) & 0xFFFF,
                           lambda rid: struct.pack(">HHHH", rid, 0, 1, 0) + b"get %s\r\n" % a.key.encode())


# The kernel never answers a request that arrives before the server has
# accept()ed the connection (the TCP contract): wait until it has, so that a
# request meant for the kernel is not sent into the accept queue.
SETTLE = 0.3


def tcp_exchange(host, port, data, until, timeout=5):
    c = socket.create_connection((host, port), timeout=timeout)
    time.sleep(SETTLE)
    c.sendall(data)
    buf = b""
    end = time.time() + timeout
    while not until(buf) and time.time() < end:
        chunk = c.recv(65536)
        if not chunk:
            break
        buf += chunk
    c.close()
    return buf


def cmd_mc_tcp(a):
    answers = set()
    for _ in range(a.count):
        r = tcp_exchange(a.host, a.port, b"get %s\r\n" % a.key.encode(), lambda b: b.endswith(b"END\r\n"))
        answers.add(r.hex())
    return print_same(answers)


def cmd_mc_set(a):
    v = a.value.encode()
    r = tcp_exchange(a.host, a.port, b"set %s %d 0 %d\r\n%s\r\n" % (a.key.encode(), a.flags, len(v), v),
                     lambda b: b.endswith(b"\r\n"))
    print(r.decode().strip())
    return 0 if r == b"STORED\r\n" else 1


def cmd_mc_stats(a):
    r = tcp_exchange(a.host, a.port, b"stats\r\n", lambda b: b.endswith(b"END\r\n"))
    st = dict(re.findall(r"STAT (\S+) (\S+)", r.decode()))
    print(" ".join("%s=%s" % (k, st.get(k, "?")) for k in a.names))
    return 0


def cmd_http(a):
    req = "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n" % (a.path, a.hostname)
    answers = set()
    for _ in range(a.count):
        def complete(b):
            head, sep, body = b.partition(b"\r\n\r\n")
            if not sep:
                return False
            m = re.search(rb"Content-Length: (\d+)", head)
            return m is not None and len(body) >= int(m.group(1))
        r = tcp_exchange(a.host, a.port, req.encode(), complete)
        r = re.sub(rb"Date: [^\r]*\r\n", b"Date: X\r\n", r)
        answers.add(r.hex())
    return print_same(answers)


def cmd_ping(a):
    s = socket.socket(family(a.host), socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(a.payload.encode(), (a.host, a.port))
    print(s.recv(65535).decode(errors="replace"))
    return 0


def cmd_hold(a):
    s = socket.socket(family(a.host), socket.SOCK_DGRAM)
    s.bind((a.host, a.port))
    n = 0
    s.settimeout(1)
    end = time.time() + a.seconds
    while time.time() < end:
        try:
            d, peer = s.recvfrom(65535)
        except socket.timeout:
            continue
        n += 1
        with open(a.countfile, "w") as f:
            f.write("%d\n" % n)
        s.sendto(b"APP " + d, peer)
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dns")
    d.add_argument("host"); d.add_argument("port", type=int); d.add_argument("name"); d.add_argument("type")
    d.add_argument("--flags2", type=lambda x: int(x, 0), default=0x01)
    d.add_argument("--flags3", type=lambda x: int(x, 0), default=0x00)
    d.add_argument("--edns", action="store_true"); d.add_argument("--count", type=int, default=1)
    d.set_defaults(f=cmd_dns)
    for n, f in (("mc-udp", cmd_mc_udp), ("mc-tcp", cmd_mc_tcp)):
        m = sub.add_parser(n)
        m.add_argument("host"); m.add_argument("port", type=int); m.add_argument("key")
        m.add_argument("--count", type=int, default=1); m.set_defaults(f=f)
    m = sub.add_parser("mc-set")
    m.add_argument("host"); m.add_argument("port", type=int); m.add_argument("key")
    m.add_argument("flags", type=int); m.add_argument("value"); m.set_defaults(f=cmd_mc_set)
    m = sub.add_parser("mc-stats")
    m.add_argument("host"); m.add_argument("port", type=int); m.add_argument("names", nargs="+")
    m.set_defaults(f=cmd_mc_stats)
    h = sub.add_parser("http")
    h.add_argument("host"); h.add_argument("port", type=int); h.add_argument("path"); h.add_argument("hostname")
    h.add_argument("--count", type=int, default=1); h.set_defaults(f=cmd_http)
    g = sub.add_parser("ping")
    g.add_argument("host"); g.add_argument("port", type=int); g.add_argument("payload"); g.set_defaults(f=cmd_ping)
    o = sub.add_parser("hold")
    o.add_argument("host"); o.add_argument("port", type=int); o.add_argument("countfile")
    o.add_argument("--seconds", type=float, default=600); o.set_defaults(f=cmd_hold)
    a = p.parse_args()
    return a.f(a)


if __name__ == "__main__":
    sys.exit(main())
