#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A tiny DNS-like server that offloads one name to the kernel with Santa.

  santa_demo.py server ADDR PORT [READY]
                                   answers what reaches it until SIGTERM, then
                                   prints counters; creates the file READY
                                   once the rule is installed
  santa_demo.py client ADDR PORT N sends N queries for a hot name and N/10
                                   for a cold one, checks every answer
"""
import signal
import socket
import struct
import sys
import time

SOL_SANTA = 288
SANTA_RULE_ADD, SANTA_STATS = 1, 8
SANTA_RULE_F_EXACT_LEN = 1
SANTA_PROC_PUT, SANTA_PROC_COPY = 1, 2
STATS = ("rules rule_bytes hits misses reply_bytes fail_nomem fail_route "
         "fail_too_big fail_ratio fail_rate fail_xmit skipped").split()


def qname(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"


def query(qid, name):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname(name) + b"\0\1\0\1"


def answer(qid, name, addr, rcode=0):
    q = qname(name) + b"\0\1\0\1"
    head = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, 0 if rcode else 1, 0, 0)
    if rcode:
        return head + q
    rr = b"\xc0\x0c\0\1\0\1" + struct.pack("!IH", 300, 4) + socket.inet_aton(addr)
    return head + q + rr


def rule(rid, name, addr):
    """Condition: the query from byte 2 on; reply: id copied, rest put."""
    cond = query(0, name)[2:]
    reply = answer(0, name, addr)
    procs = [(SANTA_PROC_COPY, 0, 2, 0), (SANTA_PROC_PUT, 2, len(reply) - 2, None)]
    hdr_len = 24 + 16 * len(procs)
    data_off = hdr_len + len(cond)
    size = (data_off + len(reply) - 2 + 7) & ~7
    out = struct.pack("=IIIHHIHH", size, rid, SANTA_RULE_F_EXACT_LEN, 2, len(cond),
                      len(reply), len(procs), 0)
    for t, dst, ln, src in procs:
        out += struct.pack("=HHIII", t, 0, dst, ln, data_off if src is None else src)
    out += cond + reply[2:]
    return out + b"\0" * (size - len(out))


def server(addr, port, ready=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    s.setsockopt(SOL_SANTA, SANTA_RULE_ADD, rule(1, "hot.example.com", "192.0.2.53"))
    print("server: rule installed for hot.example.com", flush=True)
    if ready:
        open(ready, "w").close()
    # serve until SIGTERM (the client is done), at most a minute
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    s.settimeout(60)
    seen = 0
    try:
        while True:
            data, peer = s.recvfrom(2048)
            seen += 1
            qid = struct.unpack("!H", data[:2])[0]
            s.sendto(answer(qid, "cold.example.com", "0.0.0.0", rcode=3), peer)
    except (socket.timeout, SystemExit):
        pass
    st = dict(zip(STATS, struct.unpack("=12Q", s.getsockopt(SOL_SANTA, SANTA_STATS, 96))))
    print(f"server: the application saw {seen} requests")
    print("server: santa counters: " + ", ".join(f"{k}={v}" for k, v in st.items() if v))


def client(addr, port, n):
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.settimeout(2)
    ok = {"hot": 0, "cold": 0}
    start = time.monotonic()
    for i in range(n + n // 10):
        kind = "cold" if i % 11 == 10 else "hot"
        qid = i & 0xffff
        c.sendto(query(qid, f"{kind}.example.com"), (addr, port))
        data, _ = c.recvfrom(2048)
        want = (answer(qid, "hot.example.com", "192.0.2.53") if kind == "hot"
                else answer(qid, "cold.example.com", "0.0.0.0", rcode=3))
        if data != want:
            print(f"client: wrong answer to query {i}: {data!r}")
            return 1
        ok[kind] += 1
    dt = time.monotonic() - start
    print(f"client: {ok['hot']} answers for hot.example.com (A 192.0.2.53), "
          f"{ok['cold']} NXDOMAIN for cold.example.com, all correct, {dt:.1f} s")
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
    else:
        sys.exit(client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
