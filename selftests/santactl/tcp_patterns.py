#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hostile and real TCP client patterns for the santa-ctl guest suite.

    tcp_patterns.py http HOST PORT HOSTHDR DIR   run the HTTP patterns, one
                                                transcript file per pattern
    tcp_patterns.py mc HOST PORT DIR             the memcached patterns
    tcp_patterns.py compare BEFORE AFTER         PASS/FAIL per pattern group
    tcp_patterns.py mc-stale HOST PORT KEY OLD NEW   the known stale answer

A transcript is every byte the client received on each connection of the
pattern (HTTP: the Date header masked, nothing else), in order. The suite
runs the patterns once against the server without rules and once with the
rules loaded by santa-ctl, and compares the transcripts byte for byte. Each
run also writes DIR/requests: how many complete requests it sent (for the
"server log + kernel hits == requests" check). Every socket has a timeout.
"""
import os
import re
import socket
import subprocess
import sys
import time

TIMEOUT = 3.0      # per wait for an answer
LINGER = 0.05      # after the last expected answer: catch extra bytes
GAP = 0.004        # between two sends meant as two segments
SETTLE = 0.05      # after connect, before the first request

DATE = re.compile(rb"\r\nDate: [^\r\n]*\r\n")


def mask(b):
    return DATE.sub(b"\r\nDate: X\r\n", b)


def count_http(buf):
    """Complete HTTP responses at the start of buf (Content-Length bodies)."""
    n, pos = 0, 0
    while True:
        end = buf.find(b"\r\n\r\n", pos)
        if end < 0:
            return n
        head = buf[pos:end]
        m = re.search(rb"\r\ncontent-length: *(\d+)", head, re.I)
        body = int(m.group(1)) if m else 0
        if len(buf) < end + 4 + body:
            return n
        pos = end + 4 + body
        n += 1


MC_END = (b"END", b"STORED", b"NOT_STORED", b"EXISTS", b"NOT_FOUND", b"DELETED", b"ERROR")


def count_mc(buf):
    """Complete memcached text responses at the start of buf."""
    n, pos = 0, 0
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return n
        line = buf[pos:eol]
        if line.startswith(b"VALUE "):
            try:
                size = int(line.split()[3])
            except (IndexError, ValueError):
                return n
            if len(buf) < eol + 2 + size + 2:
                return n
            pos = eol + 2 + size + 2
            continue
        pos = eol + 2
        if line in MC_END or line.startswith((b"CLIENT_ERROR", b"SERVER_ERROR")):
            n += 1


class Conn:
    def __init__(self, host, port, counter):
        self.c = socket.create_connection((host, port), timeout=TIMEOUT)
        self.c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.count = counter
        self.sent = 0

    def send(self, data, gap=0.0):
        self.c.sendall(data)
        if gap:
            time.sleep(gap)

    def wait(self, n, first_byte=False):
        """Until n complete answers (or, first_byte, more bytes) arrived."""
        start = len(self.buf)
        end = time.time() + TIMEOUT
        while time.time() < end:
            if first_byte and len(self.buf) > start:
                return True
            if not first_byte and self.count(self.buf) >= n:
                return True
            self.c.settimeout(max(0.01, end - time.time()))
            try:
                chunk = self.c.recv(262144)
            except socket.timeout:
                break
            if not chunk:
                break
            self.buf += chunk
        return False

    def close(self, n):
        self.wait(n)
        # anything the kernel (or the server) sent beyond the answers
        self.c.settimeout(LINGER)
        try:
            while True:
                chunk = self.c.recv(262144)
                if not chunk:
                    break
                self.buf += chunk
        except (socket.timeout, OSError):
            pass
        self.c.close()
        return self.buf


class Runner:
    def __init__(self, host, port, outdir, count):
        self.host, self.port, self.dir, self.count = host, port, outdir, count
        self.requests = 0
        os.makedirs(outdir, exist_ok=True)

    def conn(self):
        c = Conn(self.host, self.port, self.count)
        # no kernel answer before accept(): let the server accept first
        time.sleep(SETTLE)
        return c

    def save(self, name, data):
        with open(os.path.join(self.dir, name.replace("/", "@")), "wb") as f:
            f.write(mask(data) if self.count is count_http else data)

    def pipeline(self, name, reqs, mode):
        """reqs sent as one segment ("one"), one segment each ("each"),
        or cut in the middle of requests ("cut")."""
        c = self.conn()
        data = b"".join(reqs)
        if mode == "one":
            c.send(data)
        elif mode == "each":
            for r in reqs:
                c.send(r, GAP)
        else:
            cut = max(1, len(reqs[0]) * 3 // 2)
            for i in range(0, len(data), cut):
                c.send(data[i:i + cut], GAP)
        self.requests += len(reqs)
        self.save(name, c.close(len(reqs)))

    def split_every_offset(self, name, first, req):
        """On one connection: first + req[:k] in a segment, then req[k:],
        for every k; first (may be empty) is a whole request before it."""
        c = self.conn()
        per = (1 if first else 0) + 1
        done = 0
        for k in range(1, len(req)):
            c.send(first + req[:k], GAP)
            c.send(req[k:])
            done += per
            self.requests += per
            if not c.wait(done):
                break
        self.save(name, c.close(done))

    def slow(self, name, reqs, first_byte=False):
        """The next request as soon as the answer (or its first byte) arrived."""
        c = self.conn()
        for i, r in enumerate(reqs):
            c.send(r)
            self.requests += 1
            c.wait(i + 1, first_byte)
        self.save(name, c.close(len(reqs)))

    def finish(self):
        with open(os.path.join(self.dir, "requests"), "w") as f:
            f.write("%d\n" % self.requests)


def mix(hits, misses, d, salt):
    """d requests, hits and misses interleaved (at least one miss if d > 1)."""
    out = []
    for i in range(d):
        if (i * 7 + salt) % 3 == 1 or (d > 1 and i == d - 1 and not any(m in out for m in misses)):
            out.append(misses[(i + salt) % len(misses)])
        else:
            out.append(hits[(i + salt) % len(hits)])
    return out


def http_patterns(a):
    def get(path):
        return ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: santa-test\r\nAccept: */*\r\n\r\n"
                % (path, a.hosthdr)).encode()
    hits = [get("/hot.txt"), get("/index.html")]
    misses = [get("/cold.txt"), get("/nope"), get("/hot.txt?x=1")]
    r = Runner(a.host, a.port, a.dir, count_http)
    for d in range(1, 17):
        r.pipeline("pipe_hits_one/d%02d" % d, [hits[i % 2] for i in range(d)], "one")
        r.pipeline("pipe_mixed_one/d%02d" % d, mix(hits, misses, d, d), "one")
        r.pipeline("pipe_mixed_each/d%02d" % d, mix(hits, misses, d, d + 1), "each")
        r.pipeline("pipe_hits_cut/d%02d" % d, [hits[0]] * d, "cut")
    r.pipeline("pipe_hits_17_one/d17", [hits[0]] * 17, "one")
    r.split_every_offset("split_hit/every_offset", b"", hits[0])
    r.split_every_offset("split_after_hit/every_offset", hits[0], hits[0])
    r.split_every_offset("split_miss/every_offset", b"", misses[0])
    seq = [hits[0], misses[0], hits[1], hits[0], misses[1], hits[0]] * 5
    r.slow("slow_mixed/30", seq)
    r.slow("slow_hits/30", [hits[0], hits[1]] * 15)
    r.slow("slow_next_on_first_byte/30", [hits[1], hits[0], misses[0]] * 10, first_byte=True)
    # a body that looks like a request (POST: nginx answers 405 for a
    # static file and discards the body)
    body = hits[0]
    post = ("POST /hot.txt HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n" % (a.hosthdr, len(body))).encode()
    c = r.conn()
    c.send(post, GAP)
    c.send(body, GAP)
    c.send(hits[0])
    r.requests += 2
    r.save("post_body_like_request/1", c.close(2))
    # real clients: curl (one connection, several URLs), http.client, urllib
    base = "http://%s:%d" % (a.host, a.port) if a.port != 80 else "http://%s" % a.host
    urls = [base + p for p in ("/hot.txt", "/index.html", "/nope", "/hot.txt", "/cold.txt", "/index.html")]
    try:
        out = subprocess.run(["curl", "-s", "--max-time", "10", "-D", "-"] + urls, capture_output=True,
                             timeout=15).stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        out = repr(e).encode()
    r.save("client_curl/6urls", out)
    import http.client
    import urllib.request
    import urllib.error
    out = b""
    try:
        h = http.client.HTTPConnection(a.host, a.port, timeout=TIMEOUT)
        for p in ("/hot.txt", "/index.html", "/nope", "/index.html", "/cold.txt", "/hot.txt"):
            h.request("GET", p)
            resp = h.getresponse()
            out += b"%d %s\n" % (resp.status, resp.reason.encode())
            out += b"".join(b"%s: %s\n" % (k.encode(), v.encode()) for k, v in resp.getheaders()
                            if k.lower() != "date")
            out += resp.read() + b"\n--\n"
        h.close()
    except Exception as e:  # noqa: BLE001 - recorded in the transcript
        out += repr(e).encode()
    r.save("client_http_client/6", out)
    out = b""
    for p in ("/hot.txt", "/index.html", "/nope"):
        try:
            with urllib.request.urlopen(base + p, timeout=TIMEOUT) as resp:
                out += b"%d\n" % resp.status + resp.read()
        except urllib.error.HTTPError as e:
            out += b"%d\n" % e.code + e.read()
        except Exception as e:  # noqa: BLE001
            out += repr(e).encode()
    r.save("client_urllib/3", out)
    r.requests += len(urls) + 6 + 3
    r.finish()
    return 0


def mc_patterns(a):
    r = Runner(a.host, a.port, a.dir, count_mc)
    # the same state before each run: cold is held by memcached (no rule)
    c = r.conn()
    c.send(b"set cold 5 0 10\r\ncold value\r\ndelete missing\r\n")
    c.close(2)
    hits = [b"get hot\r\n", b"get hot2\r\n"]
    misses = [b"get cold\r\n", b"get missing\r\n", b"get hot cold\r\n", b"gets hot\r\n"]
    for d in range(1, 17):
        r.pipeline("mc_pipe_hits_one/d%02d" % d, [hits[i % 2] for i in range(d)], "one")
        r.pipeline("mc_pipe_mixed_one/d%02d" % d, mix(hits, misses, d, d), "one")
        r.pipeline("mc_pipe_mixed_each/d%02d" % d, mix(hits, misses, d, d + 2), "each")
        r.pipeline("mc_pipe_hits_cut/d%02d" % d, [hits[0]] * d, "cut")
    r.pipeline("mc_pipe_hits_17_one/d17", [hits[0]] * 17, "one")
    r.split_every_offset("mc_split_hit/every_offset", b"", hits[0])
    r.split_every_offset("mc_split_after_hit/every_offset", hits[0], hits[1])
    r.slow("mc_slow_mixed/30", [hits[0], misses[0], hits[1], misses[1], hits[0], hits[0]] * 5)
    r.slow("mc_slow_hits/30", hits * 15)
    # a data block that looks like a hit, in its own segment: memcached
    # stores it (it read the set line and has not answered yet)
    for name, steps in (("own_segment", [b"set cold 0 0 7\r\n", b"get hot\r\n"]),
                        ("split", [b"set cold 0 0 7\r\nget ", b"hot\r\n"]),
                        ("same_segment", [b"set cold 0 0 7\r\nget hot\r\n"]),
                        ("noreply_then_get", [b"set cold 0 0 7 noreply\r\n", b"get hot\r\n", b"get hot\r\n"])):
        c = r.conn()
        for s in steps:
            c.send(s, GAP)
        n = 2 if name == "noreply_then_get" else 1
        c.send(b"get cold\r\n")
        r.requests += n + 1
        r.save("mc_set_data_like_get/" + name, c.close(n + 1))
    c = r.conn()
    c.send(b"set cold 5 0 10\r\ncold value\r\n")
    c.close(1)
    r.finish()
    return 0


def mc_stale(a):
    """get KEY after set KEY NEW: prints what came back (OLD = stale)."""
    c = Conn(a.host, a.port, count_mc)
    new = a.new.encode()
    c.send(b"set %s 42 0 %d\r\n%s\r\n" % (a.key.encode(), len(new), new))
    c.wait(1)
    c.send(b"get %s\r\n" % a.key.encode())
    got = c.close(2)[len(b"STORED\r\n"):]
    old = a.old.encode()
    if new in got:
        print("new value: %r" % got)
    elif old in got:
        print("old value (stale): %r" % got)
    else:
        print("other: %r" % got)
    return 0


def model_server(a):
    """A server that behaves exactly as the contract's event loop: reads,
    answers "APP <request>" per "\\r\\n" request, then recv(MSG_DONTWAIT)
    until EAGAIN. One connection at a time; exits after a.seconds."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.host, a.port))
    ls.listen(8)
    ls.settimeout(1)
    end = time.time() + a.seconds
    while time.time() < end:
        try:
            c, _ = ls.accept()
        except socket.timeout:
            continue
        # blocking, no timeout: with a timeout Python polls before every
        # recv(), so the recv(MSG_DONTWAIT) that finds nothing (what tells
        # the kernel the server is idle) would never reach the kernel
        c.settimeout(None)
        buf = b""
        while time.time() < end:
            try:
                d = c.recv(65536)
            except socket.timeout:
                continue
            if not d:
                break
            buf += d
            while True:
                out = b""
                while b"\r\n" in buf:
                    line, buf = buf.split(b"\r\n", 1)
                    out += b"APP " + line + b"\r\n"
                if out:
                    c.sendall(out)
                try:
                    more = c.recv(65536, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    break  # EAGAIN after the answer: idle
                if not more:
                    break
                buf += more
        c.close()
    return 0


def model_client(a):
    """Steps on one connection to the model server; PASS/FAIL per step,
    with the expected and received bytes."""
    c = Conn(a.host, a.port, lambda b: b.count(b"\r\n"))
    time.sleep(0.5)  # accepted, nothing received: idle
    steps = [("fresh_idle_hit", b"get hot\r\n", b"KERNEL hot\r\n"),
             ("miss_to_app", b"get cold\r\n", b"APP get cold\r\n"),
             ("hit_after_app_answered", b"get hot\r\n", b"KERNEL hot\r\n"),
             ("two_hits_one_segment", b"get hot\r\nget hot\r\n", b"KERNEL hot\r\nKERNEL hot\r\n"),
             ("hit_and_miss_to_app", b"get hot\r\nget cold\r\n", b"APP get hot\r\nAPP get cold\r\n"),
             ("hit_after_mixed", b"get hot\r\n", b"KERNEL hot\r\n")]
    bad = 0
    done = 0
    for name, req, want in steps:
        before = len(c.buf)
        c.send(req)
        done += want.count(b"\r\n")
        c.wait(done)
        got = c.buf[before:]
        if got == want:
            print("PASS santactl_model_%s" % name)
        else:
            bad += 1
            print("FAIL santactl_model_%s: sent %r expected %r got %r" % (name, req, want, got))
        time.sleep(0.3)  # the server has answered and found nothing to read
    c.close(done)
    return 1 if bad else 0


def show(b, at):
    return repr(b[max(0, at - 20):at + 60])


def compare(a):
    # no transcript of the server alone (its run failed) is no pattern
    # compared, not every pattern equal
    try:
        names = sorted(n for n in os.listdir(a.before) if n != "requests")
    except OSError as e:
        names, why = [], "no transcripts of the server alone (%s)" % e
    else:
        why = "no transcripts of the server alone in %s" % a.before
    if not names:
        print("FAIL santactl_tcp_patterns: %s" % why)
        return 1
    groups = {}
    for n in names:
        groups.setdefault(n.split("@")[0], []).append(n)
    bad = 0
    for g, members in sorted(groups.items()):
        why = None
        for n in members:
            with open(os.path.join(a.before, n), "rb") as f:
                want = f.read()
            try:
                with open(os.path.join(a.after, n), "rb") as f:
                    got = f.read()
            except OSError:
                why = "%s: no transcript" % n
                break
            if want != got:
                at = next((i for i in range(min(len(want), len(got))) if want[i] != got[i]),
                          min(len(want), len(got)))
                why = ("%s: differs at byte %d (server %d bytes, with rules %d bytes): expected %s got %s"
                       % (n.replace("@", "/"), at, len(want), len(got), show(want, at), show(got, at)))
                break
            if not want:
                why = "%s: the server sent nothing" % n
                break
        if why:
            bad += 1
            print("FAIL santactl_tcp_%s: %s" % (g, why))
        else:
            print("PASS santactl_tcp_%s" % g)
    return 1 if bad else 0


def main():
    import argparse
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("http")
    h.add_argument("host"); h.add_argument("port", type=int); h.add_argument("hosthdr"); h.add_argument("dir")
    h.set_defaults(f=http_patterns)
    m = sub.add_parser("mc")
    m.add_argument("host"); m.add_argument("port", type=int); m.add_argument("dir")
    m.set_defaults(f=mc_patterns)
    s = sub.add_parser("mc-stale")
    s.add_argument("host"); s.add_argument("port", type=int); s.add_argument("key")
    s.add_argument("old"); s.add_argument("new")
    s.set_defaults(f=mc_stale)
    ms = sub.add_parser("model-server")
    ms.add_argument("host"); ms.add_argument("port", type=int)
    ms.add_argument("--seconds", type=float, default=120); ms.set_defaults(f=model_server)
    mc = sub.add_parser("model-client")
    mc.add_argument("host"); mc.add_argument("port", type=int); mc.set_defaults(f=model_client)
    c = sub.add_parser("compare")
    c.add_argument("before"); c.add_argument("after")
    c.set_defaults(f=compare)
    a = p.parse_args()
    return a.f(a)


if __name__ == "__main__":
    sys.exit(main())
