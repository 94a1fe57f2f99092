#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Benchmarks: real servers alone vs. offloaded by Santa, side by side in one
# guest boot (selftests/vm-suites/bench.sh), and the same baselines on a
# kernel built with CONFIG_SANTA=n. Prints tables with ratios; numbers go to
# build/bench/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$top/scripts/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/bench.sh [OPTIONS]

Builds the kernel (scripts/build-kernel.sh), santa-ctl and the load
generator selftests/bench/santa-load.c, boots the kernel and runs, with the
server on vCPU0 and the client on vCPU1 in two network namespaces:
  dns        nsd alone vs. its records offloaded by santa-ctl: hit fraction
             0-100 %, rules 1 .. 1M (10k in --quick); then BIND 9 (the
             paper's server) alone vs. offloaded, hit fraction 0-100 %;
             then Knot DNS over UDP vs. offloaded (100 % hits) vs. its
             XDP mode (AF_XDP, the kernel-bypass peer); dnsperf
             cross-checks
  memcached  UDP and TCP, Zipf key popularity, the 100 and 300 most
             popular of 1000 keys (68 %, 83 % of requests) / all offloaded
  http       nginx (sendfile, keep-alive), 64 B, 1 KiB, 16 KiB; wrk cross-check
  icount     the DNS section again under QEMU's -icount (full mode):
             the server's instructions per request, alone vs. offloaded
  cost       the baselines on a CONFIG_SANTA=n build of the same tree and
             on the Santa kernel without rules, in alternated boots under
             QEMU's -icount (guest time counts instructions: repeatable)
Tables print requests/s and server CPU (vCPU0 busy us) per request, with
ratios to the baseline measured in the same boot.

Options:
  --quick        2 s per run, rules up to 10k, no CONFIG_SANTA=n kernel: a
                 few minutes; fails if a table is empty or a reply is wrong
  --no-build     use the kernels and tools already built
  --no-baseline  skip the CONFIG_SANTA=n kernel (full mode)
  --plots DIR    write gnuplot PNGs of the sweeps to DIR
  --only LIST    sections of the guest suite, e.g. "dns http" (default: all)
  --icount-only  only the DNS section under -icount (its instruction
                 counts, the miss path with 1 and 1,000,000 rules)
  --kernel FILE  bzImage with Santa (default: build/obj/arch/x86/boot/bzImage)
  -h, --help     this help
USAGE
}

mode=full
build=1
baseline=1
plots=""
kernel="$top/build/obj/arch/x86/boot/bzImage"
only="dns memcached http"
icount_only=0
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) mode=quick; baseline=0; shift ;;
	--no-build) build=0; shift ;;
	--no-baseline) baseline=0; shift ;;
	--plots) plots=$(realpath -m "$2"); shift 2 ;;
	--kernel) kernel=$(realpath "$2"); shift 2 ;;
	--only) only=$2; shift 2 ;;
	--icount-only) icount_only=1; baseline=0; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "bench: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done

bdir="$top/build/bench"
mkdir -p "$bdir" "$top/build/logs"
if [ "$build" -eq 1 ]; then
	"$top/scripts/build-kernel.sh" >"$top/build/logs/bench-build.log" 2>&1 ||
		die "kernel build failed (build/logs/bench-build.log)"
	if [ "$baseline" -eq 1 ]; then
		"$top/scripts/build-kernel.sh" --no-santa >>"$top/build/logs/bench-build.log" 2>&1 ||
			die "CONFIG_SANTA=n build failed (build/logs/bench-build.log)"
	fi
fi
if [ "$build" -eq 1 ] || [ ! -x "$top/build/santa-ctl/santa-ctl" ]; then
	{ cmake -S "$top/userspace/santa-ctl" -B "$top/build/santa-ctl" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
		cmake --build "$top/build/santa-ctl" -j"$(nproc)"; } >"$top/build/logs/bench-santactl.log" 2>&1 ||
		die "santa-ctl does not build (build/logs/bench-santactl.log)"
fi
gcc -O2 -Wall -Wextra -Werror -o "$bdir/santa-load" "$top/selftests/bench/santa-load.c" -lm ||
	die "santa-load does not build"

if [ "$baseline" -eq 1 ] && [ ! -f "$top/build/obj-nosanta/arch/x86/boot/bzImage" ]; then
	die "no CONFIG_SANTA=n kernel: run without --no-build, or scripts/build-kernel.sh --no-santa"
fi

status=0
guest() { # NAME BZIMAGE MODE(santa|nosanta) [SECTIONS] [QEMU-OPTIONS]
	info "$1: running the $mode benchmarks (${4:-$only})${5:+ with $5}"
	"$top/scripts/run-vm.sh" --kernel "$2" --timeout 3000 --out "$bdir/$1" ${5:+--qemu-opts "$5"} \
		--log "$top/build/logs/vm-bench-$1.log" -- \
		env SANTA_BENCH_MODE="$mode" SANTA_BENCH_KERNEL="$3" SANTA_LOAD="$bdir/santa-load" \
		SANTA_BENCH_ONLY="${4:-$only}" SANTA_VMLINUX="$(dirname "$2")/../../../vmlinux" \
		SANTA_BENCH_RULES="${SANTA_BENCH_RULES:-}" SANTA_BENCH_DUR="${SANTA_BENCH_DUR:-}" \
		SANTA_BENCH_XCHECK="${SANTA_BENCH_XCHECK:-1}" SANTA_BENCH_PROFILE="${SANTA_BENCH_PROFILE:-1}" \
		bash "$top/selftests/vm-suites/bench.sh" >"$bdir/$1.out" 2>&1 || status=1
	grep -E '^(ERROR|# )' "$bdir/$1.out" || true
}
rm -rf "$bdir"/santa "$bdir"/icount "$bdir"/base-*
[ "$icount_only" -eq 1 ] || guest santa "$kernel" santa
# QEMU -icount (see the cost boots below): guest time counts the
# instructions the vCPUs execute
icount_opts="-icount shift=0,sleep=off -cpu qemu64,+rdrand"
# The DNS section once more under -icount, one rule in the sweep, no
# profiler (its interrupts would count): the server's instructions per
# request alone and offloaded, a ratio the shared host's speed does not
# enter (BIND's wall-clock cost per query varies by half between runs)
icount=()
icount_guest() { # NAME BZIMAGE MODE [SECTIONS]: 3 s per run, no cross-checks
	SANTA_KVM=0 SANTA_BENCH_DUR=3 SANTA_BENCH_XCHECK=0 guest "$1" "$2" "$3" "${4:-}" "$icount_opts"
}
# The sweep there is 1 and 1,000,000 rules: the miss path's cost in
# instructions, which wall-clock runs cannot resolve (their noise is
# larger than the cost).
if [ "$mode" = full ] && [[ " $only " == *" dns "* ]]; then
	SANTA_BENCH_RULES="1 1000000" SANTA_BENCH_PROFILE=0 icount_guest icount "$kernel" santa dns
	icount=(--icount "$bdir/icount/bench.dat")
fi
if [ "$icount_only" -eq 1 ]; then
	python3 "$top/selftests/bench/report.py" --icount-only "$bdir/icount/bench.dat" |
		tee "$bdir/report-icount.txt"
	exit "$(( status | PIPESTATUS[0] ))"
fi
# The cost of the series with no rules: boots of the CONFIG_SANTA=n kernel
# and of the Santa kernel running the same baselines, alternated. They run
# under TCG with -icount: the guest's clock counts the instructions its
# vCPUs execute (1 ns each), so requests per guest second measure the
# instructions a request costs the whole guest, whatever the shared host
# is doing (wall-clock figures drifted by up to 27 % between such boots).
# One vCPU thread then runs both vCPUs in turn; the ratio y/n is the figure.
# The vCPU model is the default (qemu64) plus RDRAND: with a clock that
# counts instructions the kernel's jitter entropy never seeds the CRNG, and
# getrandom() (python, named) would block forever.
costs=()
if [ "$baseline" -eq 1 ]; then
	for round in 1 2; do
		icount_guest "base-n$round" "$top/build/obj-nosanta/arch/x86/boot/bzImage" nosanta
		icount_guest "base-y$round" "$kernel" nosanta
		costs+=(--cost "$bdir/base-n$round/bench.dat,$bdir/base-y$round/bench.dat")
	done
fi

python3 "$top/selftests/bench/report.py" --mode "$mode" --only "$only" ${plots:+--plots "$plots"} \
	"${costs[@]}" "${icount[@]}" "$bdir/santa/bench.dat" | tee "$bdir/report-$mode.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
if [ "$mode" = full ] && ls "$bdir"/santa/profile-*.txt >/dev/null 2>&1; then
	python3 "$top/selftests/bench/profile.py" "$top/build/obj/vmlinux" "$bdir"/santa/profile-*.txt |
		tee -a "$bdir/report-$mode.txt"
fi
exit "$status"
