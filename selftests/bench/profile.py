#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where the server's vCPU spends its time, from the profiles of bench.sh.

profile.py VMLINUX PROFILE.txt...

PROFILE.txt is `perf report --sort dso,sym --stdio` of cpu-clock samples
of vCPU0, taken in the guest. Kernel addresses are resolved here with the
symbols of VMLINUX (the guest kernel has no kallsyms) and grouped: idle,
Santa, the network stack, the scheduler and system calls, user space.
Prints, per profile, each group's share of the busy samples.
"""
import bisect
import re
import subprocess
import sys

GROUPS = (
    ("santa", re.compile(r"^santa_|^__santa")),
    ("net: udp/ip", re.compile(r"^(udp|__udp|udp4|udp6|ip_|__ip_|ip6_|ipv6_|inet_|fib|"
                               r"rt_|__rt|ip_route|dst_|neigh|raw_|icmp|__inet|nf_hook|"
                               r"ipv4_portaddr|__flow_hash|deliver_ptype|__siphash)")),
    ("net: tcp", re.compile(r"^(tcp_|__tcp|inet_csk|sk_stream)")),
    ("net: skb/sock", re.compile(r"^(skb|__skb|kfree_skb|consume_skb|__alloc_skb|alloc_skb|"
                                 r"sk_|__sk_|sock_|__sock|sock|napi|__napi|csum|"
                                 r"__copy_skb|pskb|__pskb|build_skb)")),
    ("net: device/veth/rps", re.compile(r"^(veth|dev_|__dev_|netif|__netif|net_rx|"
                                        r"net_tx|process_backlog|enqueue_to_backlog|"
                                        r"backlog|rps_|get_rps|__get_xps|sch_|qdisc|"
                                        r"__qdisc|validate_xmit|eth_|__netdev|netdev)")),
    ("mm: slab/page", re.compile(r"^(slab_|__slab|___slab|kmalloc|__kmalloc|kfree|"
                                 r"kmem_cache|page_slab|free_to_|__free_slab|"
                                 r"free_frozen|memcg_slab|virt_to_slab|"
                                 r"slab_want|alloc_pages|__alloc_pages|get_page_from|"
                                 r"free_unref|__free_pages|rmqueue)")),
    ("irq/softirq/ipi", re.compile(r"^(handle_softirqs|__do_softirq|do_softirq|irq_|"
                                   r"__irq|default_send_IPI|__sysvec|sysvec|"
                                   r"asm_sysvec|generic_smp|smp_|__smp|flush_smp|"
                                   r"__raw_.*irqrestore|_raw_.*irqrestore|"
                                   r"local_bh|__local_bh)")),
    ("syscalls/scheduler", re.compile(r"^(do_syscall|entry_|syscall|__x64_sys|__sys_|"
                                      r"__schedule|schedule|try_to_wake|ttwu|"
                                      r"pick_next|enqueue_|dequeue_|update_|finish_task|"
                                      r"__switch_to|switch_|ep_|do_epoll|__fdget|fput|"
                                      r"fdget|__fget|import_|_copy_|copy_|"
                                      r"__check_object|check_heap|rep_movs|memcpy|"
                                      r"__wake_up|autoremove|futex|do_futex|"
                                      r"__futex|restore_|exit_to_user|"
                                      r"syscall_exit|__audit)")),
)


def kernel_symbols(vmlinux):
    out = subprocess.run(["nm", "-n", vmlinux], capture_output=True, text=True,
                         check=True).stdout
    syms = []
    for line in out.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in "tTwW":
            syms.append((int(p[0], 16), p[2]))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def group_of(name, user):
    if user:
        return "user space"
    if name in ("default_idle", "default_idle_call", "arch_cpu_idle",
                "do_idle", "cpu_idle_poll", "pv_native_safe_halt"):
        return "idle"
    for g, rx in GROUPS:
        if rx.search(name):
            return g
    return "other kernel"


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    addrs, names = kernel_symbols(argv[1])
    for path in argv[2:]:
        shares = {}
        santa_fns = {}
        with open(path) as f:
            for line in f:
                m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(\S+)", line)
                if not m:
                    continue
                pct, dso, kind, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4)
                user = kind != "k"
                if not user and sym.startswith("0x"):
                    i = bisect.bisect_right(addrs, int(sym, 16)) - 1
                    sym = names[i] if i >= 0 else "?"
                g = group_of(sym, user)
                shares[g] = shares.get(g, 0) + pct
                if g == "santa":
                    santa_fns[sym] = santa_fns.get(sym, 0) + pct
        busy = sum(v for k, v in shares.items() if k != "idle")
        print("\n%s: busy %.1f %% of the samples of vCPU0" % (path.split("/")[-1], busy))
        for g, v in sorted(shares.items(), key=lambda x: -x[1]):
            if g != "idle" and busy:
                print("  %-22s %5.1f %% of busy" % (g, 100 * v / busy))
        if santa_fns:
            print("  santa functions: " + ", ".join(
                "%s %.1f %%" % (n, 100 * v / busy)
                for n, v in sorted(santa_fns.items(), key=lambda x: -x[1])))


if __name__ == "__main__":
    main(sys.argv)
