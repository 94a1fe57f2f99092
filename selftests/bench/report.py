#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tables (and plots) from the bench.dat files of selftests/vm-suites/bench.sh.

report.py [--mode quick|full] [--plots DIR] SANTA.dat [NOSANTA.dat]

Ratios compare runs of the same guest boot: throughput (requests/s) and
server CPU per request (busy microseconds of the server's vCPU). Exits 1
when a table has an empty row (a run that answered nothing).
"""
import argparse
import os
import subprocess
import sys

FIELDS = ("rps", "srv_us", "cli_us", "srv_busy", "hit", "lost", "mismatched")


def load(path):
    """Rows of a bench.dat. Where a run has its own calibration (the
    speed of vCPU0 around it), its CPU figures are scaled to the speed of
    vCPU0 at the start of the boot: the host is shared and drifts."""
    rows = {}
    ref = None
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) not in (10, 11):
                continue
            d = {}
            for k, v in zip(FIELDS + ("calib",), p[3:]):
                try:
                    d[k] = float(v)
                except ValueError:
                    d[k] = None
            if p[0] == "calib" and p[2] == "start":
                ref = d["rps"]
            if ref and d.get("calib"):
                for k in ("srv_us", "cli_us"):
                    if d[k] is not None:
                        d[k] *= d["calib"] / ref
            rows[(p[0], p[1], p[2])] = d
    return rows


def fmt(v, spec="%.0f"):
    return "-" if v is None else spec % v


def minus(a, b):
    return None if a is None or b is None else a - b


def plus(a, b):
    return None if a is None or b is None else a + b


def ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


class Table:
    def __init__(self, title, cols):
        self.title, self.cols, self.rows = title, cols, []

    def add(self, *cells):
        self.rows.append([c if isinstance(c, str) else fmt(c) for c in cells])

    def show(self):
        print("\n" + self.title)
        w = [max(len(str(c)) for c in col) for col in zip(self.cols, *self.rows)]
        for r in [self.cols] + self.rows:
            print("  " + "  ".join(str(c).rjust(n) for c, n in zip(r, w)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="full")
    ap.add_argument("--plots")
    ap.add_argument("--only", default="dns memcached http",
                    help="the sections that were run")
    ap.add_argument("--cost", action="append", default=[],
                    help="N.dat,Y.dat: baselines of a CONFIG_SANTA=n boot and "
                         "of a Santa boot without rules")
    ap.add_argument("--icount",
                    help="bench.dat of a Santa boot running the DNS section under -icount")
    ap.add_argument("--icount-only", action="store_true",
                    help="DAT is the -icount boot: print its tables only")
    ap.add_argument("dat")
    a = ap.parse_args()
    for p in [a.dat] + [x for c in a.cost for x in c.split(",")] + ([a.icount] if a.icount else []):
        if not os.path.exists(p):
            print("EMPTY: no results in %s (the guest did not run the suite)" % p)
            return 1
    s = load(a.dat)
    missing = []

    def get(key, field="rps", rows=s):
        d = rows.get(key)
        if d is None or not d.get("rps"):
            missing.append(" ".join(key))
            return None
        return d.get(field)

    def target(r, t):
        if r is None:
            return "-"
        return "met (>= %.1fx)" % t if r >= t else "missed (< %.1fx)" % t

    if a.icount_only:
        icount_table(s, get, target)
        if missing:
            print("\nEMPTY: " + ", ".join(sorted(set(missing))))
            return 1
        return 0
    only = a.only.split()
    counts = sorted({int(k[1]) for k in s if k[0] == "dns_rules"})
    if "dns" in only and not counts:
        # no row of the sweep at all would be an empty table, not a failure
        missing.append("dns_rules (no run of the rule-count sweep)")
    if "dns" in only:
        dns_tables(s, get, target, counts)
    if "memcached" in only:
        memcached_table(get, target)
    if "http" in only:
        http_table(s, get, target)
    if a.icount and "dns" in only:
        icount_table(load(a.icount), get, target)
    if a.cost:
        cost_table([tuple(load(p) for p in c.split(",")) for c in a.cost], get, only)
    if a.plots and "dns" in only:
        plots(a.plots, s, counts, load(a.icount) if a.icount else {})
    if missing:
        print("\nEMPTY: " + ", ".join(sorted(set(missing))))
        return 1
    return 0


def dns_tables(s, get, target, counts):
    # DNS: hit fraction, nsd then BIND 9 (the paper's server and baseline:
    # its 5.5x target is against BIND)
    for sec, srv, name, tgt in (("dns", "nsd", "nsd", None),
                                ("dns_bind", "named", "BIND 9", 5.5)):
        al = (sec, srv, "alone")
        t = Table("DNS (%s alone vs. santa-ctl offload, by %% of requests that hit)" % name,
                  ["hit%", "req/s", "x alone", "srv us/req", "alone/santa CPU", "target"])
        t.add(srv, get(al), "1.00", fmt(get(al, "srv_us"), "%.1f"), "1.00", "")
        for f in (0, 25, 50, 75, 100):
            k = (sec, "hit%d" % f, "santa")
            rr = ratio(get(k), get(al))
            cr = ratio(get(al, "srv_us"), get(k, "srv_us"))
            tg = ""
            if f == 100:
                tg = target(cr, tgt) if tgt else "(paper: vs. BIND)"
            t.add(fmt(get(k, "hit")), get(k), fmt(rr, "%.2f"), fmt(get(k, "srv_us"), "%.1f"),
                  fmt(cr, "%.2f"), tg)
        dp_a, dp_s = s.get((sec, "dnsperf", "alone")), s.get((sec, "dnsperf", "santa"))
        if dp_a and dp_s:
            t.add("dnsperf", dp_s["rps"], fmt(ratio(dp_s["rps"], dp_a["rps"]), "%.2f"),
                  "-", "-", "dnsperf alone %.0f/s" % dp_a["rps"])
        t.show()

    knot_table(s, get)

    # DNS: number of rules
    t = Table("DNS, 100 % hits, names sharing a 40-byte prefix (rules installed; "
              "server capacity = 1 / srv us/req)",
              ["rules", "req/s", "x 1 rule", "srv us/req", "cli us/req",
               "capacity x 1 rule", "target"])
    one = ("dns_rules", "1", "santa")
    for n in counts:
        k = ("dns_rules", str(n), "santa")
        r = ratio(get(k), get(one))
        cap = ratio(get(one, "srv_us"), get(k, "srv_us"))
        t.add(str(n), get(k), fmt(r, "%.2f"), fmt(get(k, "srv_us"), "%.1f"),
              fmt(get(k, "cli_us"), "%.1f"), fmt(cap, "%.2f"),
              target(cap, 0.9) if n == counts[-1] else "")
    t.show()

    # DNS: the miss path, with the same rules installed
    t = Table("DNS misses: nsd's 1000 names, against n rules for other names of the same "
              "length (every query hashed, probed, missed), vs. the same socket with no rule",
              ["rules", "req/s", "x no rule", "srv us/req", "miss cost us/req",
               "no rule/miss CPU"])
    al = ("dns_miss", "0", "santa")
    t.add("0", get(al), "1.00", fmt(get(al, "srv_us"), "%.1f"), "-", "1.00")
    for n in counts:
        k = ("dns_miss", str(n), "santa")
        t.add(str(n), get(k), fmt(ratio(get(k), get(al)), "%.2f"), fmt(get(k, "srv_us"), "%.1f"),
              fmt(minus(get(k, "srv_us"), get(al, "srv_us")), "%+.2f"),
              fmt(ratio(get(al, "srv_us"), get(k, "srv_us")), "%.2f"))
    t.show()
    xdp_table(get, "DNS, one query: nsd vs. a Santa rule vs. an XDP program answering it "
              "(us per request; total = server + client vCPU)")


def xdp_table(get, title, rows=None):
    """One DNS query, the same in each run: nsd answering it, a Santa rule,
    and an XDP program answering it from veth's native XDP
    (selftests/bench/xdp_dns.c), in one boot. The program's NAPI poll runs
    on vCPU0 when the suite could thread and pin it; compare the totals."""
    t = Table(title, ["variant", "req/s", "srv", "cli", "total", "nsd/variant srv",
                      "nsd/variant total"])
    # nsd answering one name over and over would be capped by its response
    # rate limiting: its figure is that of the DNS section (1000 names)
    base = ("dns", "nsd", "alone")
    kw = {} if rows is None else {"rows": rows}
    bs, bc = get(base, "srv_us", **kw), get(base, "cli_us", **kw)
    for name, k in (("nsd", base), ("nsd + Santa rule", ("dns_xdp", "santa", "santa")),
                    ("XDP program", ("dns_xdp", "prog", "xdp"))):
        sv, cv = get(k, "srv_us", **kw), get(k, "cli_us", **kw)
        tot = plus(sv, cv)
        t.add(name, get(k, **kw), fmt(sv, "%.1f"), fmt(cv, "%.1f"), fmt(tot, "%.1f"),
              fmt(ratio(bs, sv), "%.2f"), fmt(ratio(plus(bs, bc), tot), "%.2f"))
    t.show()


def knot_table(s, get):
    """Knot DNS three ways in one boot: its UDP sockets, its UDP sockets
    with the hot names offloaded by Santa (100 % hits), and its XDP mode
    (AF_XDP, the kernel-bypass peer). The XDP program runs in veth's NAPI
    poll, on vCPU0 when the guest suite could thread and pin it (else on the
    client's vCPU: then only the total CPU compares)."""
    t = Table("DNS, Knot DNS: UDP sockets vs. Santa (100 % hits) vs. its XDP mode "
              "(total = server + client vCPU)",
              ["variant", "req/s", "x UDP", "srv us/req", "cli us/req", "total us/req",
               "UDP/variant CPU", "UDP/variant total", "dnsperf req/s"])
    base = ("dns_knot", "knot", "alone")
    btot = plus(get(base, "srv_us"), get(base, "cli_us"))
    for name, k, dp in (("knotd UDP", base, "alone"),
                        ("knotd + Santa", ("dns_knot", "hit100", "santa"), None),
                        ("knotd XDP", ("dns_knot", "knot", "xdp"), "xdp")):
        tot = plus(get(k, "srv_us"), get(k, "cli_us"))
        d = s.get(("dns_knot", "dnsperf", dp)) if dp else None
        t.add(name, get(k), fmt(ratio(get(k), get(base)), "%.2f"), fmt(get(k, "srv_us"), "%.1f"),
              fmt(get(k, "cli_us"), "%.1f"), fmt(tot, "%.1f"),
              fmt(ratio(get(base, "srv_us"), get(k, "srv_us")), "%.2f"),
              fmt(ratio(btot, tot), "%.2f"), fmt(d["rps"] if d else None))
    t.show()


def icount_table(r, get, target):
    """The DNS section again in a boot under QEMU -icount shift=0 (see
    cost_table): srv_us is then the thousands of instructions the server's
    vCPU executes per request, a figure the shared host's speed does not
    enter (wall-clock runs of BIND gave 210 to 320 us per query on this
    host for the same 42k instructions)."""
    t = Table("DNS under QEMU -icount: k-instructions of the server's vCPU per request "
              "(alone, then by % of requests that hit)",
              ["server", "alone", "hit0", "hit25", "hit50", "hit75", "hit100",
               "alone/hit100", "target"])
    for sec, srv, name, tgt in (("dns", "nsd", "nsd", None),
                                ("dns_bind", "named", "BIND 9", 5.5)):
        al = get((sec, srv, "alone"), "srv_us", rows=r)
        hits = [get((sec, "hit%d" % f, "santa"), "srv_us", rows=r) for f in (0, 25, 50, 75, 100)]
        cr = ratio(al, hits[-1])
        t.add(name, fmt(al, "%.1f"), *[fmt(h, "%.1f") for h in hits], fmt(cr, "%.2f"),
              target(cr, tgt) if tgt else "")
    t.show()
    t = Table("Knot DNS under QEMU -icount: k-instructions per request",
              ["variant", "server vCPU", "client vCPU", "total", "UDP/variant server",
               "UDP/variant total"])
    base = ("dns_knot", "knot", "alone")
    bs, bc = get(base, "srv_us", rows=r), get(base, "cli_us", rows=r)
    for name, k in (("knotd UDP", base), ("knotd + Santa", ("dns_knot", "hit100", "santa")),
                    ("knotd XDP", ("dns_knot", "knot", "xdp"))):
        sv, cv = get(k, "srv_us", rows=r), get(k, "cli_us", rows=r)
        tot = plus(sv, cv)
        t.add(name, fmt(sv, "%.1f"), fmt(cv, "%.1f"), fmt(tot, "%.1f"), fmt(ratio(bs, sv), "%.2f"),
              fmt(ratio(plus(bs, bc), tot), "%.2f"))
    t.show()
    xdp_table(get, "DNS, one query, under QEMU -icount: k-instructions per request", rows=r)
    # the miss path: nsd's names, every one a miss against n rules for
    # other names of their length, against the same socket with no rule
    counts = sorted({int(k[1]) for k in r if k[0] == "dns_miss"} - {0})
    t = Table("DNS misses under QEMU -icount: k-instructions of the server's vCPU per "
              "query (nsd's names; n rules for other names of their length), vs. no rule",
              ["rules", "server vCPU", "miss cost", "no rule/miss"])
    al = get(("dns_miss", "0", "santa"), "srv_us", rows=r)
    t.add("0", fmt(al, "%.2f"), "-", "1.00")
    for n in counts:
        m = get(("dns_miss", str(n), "santa"), "srv_us", rows=r)
        t.add(str(n), fmt(m, "%.2f"), fmt(minus(m, al), "%+.2f"), fmt(ratio(al, m), "%.3f"))
    t.show()


def memcached_table(get, target):
    t = Table("memcached (Zipf 0.99 over 1000 keys; hotN: the N most popular "
              "offloaded; targets: the paper's, 1.7x at 82 % hits and 2.1x with all "
              "keys over UDP, 1.6x with all keys over TCP)",
              ["proto", "variant", "hit%", "req/s", "x alone",
               "srv us/req", "alone/santa CPU", "target"])
    for proto, tgts in (("udp", {"hot300": 1.7, "all": 2.1}), ("tcp", {"all": 1.6})):
        ka = ("memcached", proto, "alone")
        t.add(proto, "alone", "-", get(ka), "1.00", fmt(get(ka, "srv_us"), "%.1f"), "1.00", "")
        for v in ("hot100", "hot300", "all"):
            k = ("memcached", proto, v)
            cr = ratio(get(ka, "srv_us"), get(k, "srv_us"))
            t.add(proto, v, fmt(get(k, "hit")), get(k), fmt(ratio(get(k), get(ka)), "%.2f"),
                  fmt(get(k, "srv_us"), "%.1f"), fmt(cr, "%.2f"),
                  target(cr, tgts[v]) if v in tgts else "")
    t.show()


def http_table(s, get, target):
    t = Table("HTTP (nginx, sendfile, keep-alive, 16 connections)",
              ["size", "alone req/s", "santa req/s", "x alone", "alone us/req",
               "santa us/req", "alone/santa CPU", "wrk x", "target"])
    for size in ("64", "1024", "16384"):
        ka, ks = ("http", size, "alone"), ("http", size, "santa")
        cr = ratio(get(ka, "srv_us"), get(ks, "srv_us"))
        wa, ws = s.get(("http", "wrk" + size, "alone")), s.get(("http", "wrk" + size, "santa"))
        wr = ratio(ws["rps"], wa["rps"]) if wa and ws else None
        t.add(size, get(ka), get(ks), fmt(ratio(get(ks), get(ka)), "%.2f"),
              fmt(get(ka, "srv_us"), "%.1f"), fmt(get(ks, "srv_us"), "%.1f"),
              fmt(cr, "%.2f"), fmt(wr, "%.2f"), target(cr, 2.5) if size == "64" else "")
    t.show()


def cost_table(pairs, get, only):
    """The boots ran under QEMU -icount shift=0: a guest nanosecond is one
    instruction executed by a vCPU, so 1e6 / (requests per guest second)
    is the thousands of instructions a request costs the guest (server,
    client and the veth between them). Requests are counted over the whole
    run (closed loop: some vCPU always runs)."""
    t = Table("Cost of the series with no rules: CONFIG_SANTA=n vs. =y without rules "
              "(alternated boots under QEMU -icount: guest time counts instructions)",
              ["workload", "round", "=n req/s", "=y req/s", "=n kinsn/req", "=y kinsn/req",
               "y/n"])
    ratios, per = {}, {}
    wl = (("dns", "nsd", "alone"), ("dns_bind", "named", "alone"),
          ("memcached", "udp", "alone"), ("memcached", "tcp", "alone"),
          ("http", "64", "alone"), ("http", "16384", "alone"))
    for rnd, (n, y) in enumerate(pairs, 1):
        for k in wl:
            sec = "dns" if k[0] == "dns_bind" else k[0]
            if sec not in only:
                continue
            rn, ry = get(k, rows=n), get(k, rows=y)
            kn = 1e6 / rn if rn else None
            ky = 1e6 / ry if ry else None
            r = ratio(ky, kn)
            if r:
                ratios.setdefault(k, []).append(r)
            per.setdefault(k, []).append((kn, ky))
            t.add(" ".join(k[:2]), str(rnd), rn, ry, fmt(kn, "%.2f"), fmt(ky, "%.2f"),
                  fmt(r, "%.4f"))
    for k, rs in ratios.items():
        rs = sorted(rs)
        med = (rs[(len(rs) - 1) // 2] + rs[len(rs) // 2]) / 2
        t.add(" ".join(k[:2]), "median", "", "", "", "", fmt(med, "%.4f"))
    t.show()
    # how repeatable a boot is: the same kernel's rounds against each other
    t = Table("Repeatability: round 2 / round 1 of the same kernel (instructions per request)",
              ["workload", "=n r2/r1", "=y r2/r1"])
    for k, v in per.items():
        if len(v) >= 2:
            t.add(" ".join(k[:2]), fmt(ratio(v[1][0], v[0][0]), "%.4f"),
                  fmt(ratio(v[1][1], v[0][1]), "%.4f"))
    t.show()


def plots(pdir, s, counts, ic):
    os.makedirs(pdir, exist_ok=True)
    with open(os.path.join(pdir, "hits.dat"), "w") as f:
        f.write("# hit%  nsd: req/s srv_us alone/santa-CPU  BIND: req/s srv_us alone/santa-CPU"
                "  BIND under -icount: alone/santa instructions\n")
        for fr in (0, 25, 50, 75, 100):
            cells = [str(fr)]
            for sec, srv, rows in (("dns", "nsd", s), ("dns_bind", "named", s),
                                   ("dns_bind", "named", ic)):
                d = rows.get((sec, "hit%d" % fr, "santa")) or {}
                a = rows.get((sec, srv, "alone")) or {}
                r = ratio(a.get("srv_us"), d.get("srv_us"))
                if rows is ic:
                    cells.append(fmt(r, "%.2f"))
                else:
                    cells += [fmt(d.get("rps")), fmt(d.get("srv_us"), "%.1f"), fmt(r, "%.2f")]
            f.write(" ".join(cells) + "\n")
    with open(os.path.join(pdir, "rules.dat"), "w") as f:
        for n in counts:
            d = s.get(("dns_rules", str(n), "santa"))
            if d:
                f.write("%d %s %s\n" % (n, d["rps"], d["srv_us"]))
    gp = """set terminal png size 800,480
set grid
set key left bottom
set output '{d}/dns-hits.png'
set title 'DNS with Santa by fraction of requests that hit: server capacity gain (TCG guest)'
set xlabel 'requests answered by the kernel (%)'
set ylabel 'server CPU per request, alone / with Santa'
set yrange [0:*]
set key left top
set datafile missing '-'
$paper << EOD
0 1.0
25 3.58
100 4.4
EOD
plot '{d}/hits.dat' using 1:7 with linespoints title 'BIND 9 + Santa', \\
     '{d}/hits.dat' using 1:4 with linespoints title 'nsd + Santa', \\
{icount}     $paper using 1:2 with points pt 7 title 'paper (short), BIND 9: throughput gain', \\
     5.5 with lines dt 2 title 'target 5.5x (paper, vs. BIND)'
set output '{d}/dns-rules.png'
set title 'DNS: 100 % hits, by number of rules (names share a 40-byte prefix)'
set xlabel 'rules installed'
set ylabel 'requests/s'
set y2label 'server CPU per request (us)'
set ytics nomirror
set y2tics
set y2range [0:*]
set logscale x
set key right bottom
plot '{d}/rules.dat' using 1:2 with linespoints title 'req/s', \\
     '{d}/rules.dat' using 1:3 axes x1y2 with linespoints title 'server us/req'
    """.format(d=pdir, icount="     '%s/hits.dat' using 1:8 with linespoints dt 3 title "
               "'BIND 9 + Santa, instructions (-icount)', \\\n" % pdir if ic else "")
    subprocess.run(["gnuplot"], input=gp, text=True, check=True)
    print("\nplots: %s/dns-hits.png, %s/dns-rules.png" % (pdir, pdir))


if __name__ == "__main__":
    sys.exit(main())
