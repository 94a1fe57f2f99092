#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot the built Santa kernel in QEMU with virtme-ng and run a command or a
# named suite in it. The host's root filesystem is the guest's (read-only),
# so host programs run in the guest.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$top/scripts/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/run-vm.sh [OPTIONS] (--suite NAME | -- COMMAND...)

Boots a kernel built by scripts/build-kernel.sh with virtme-ng (KVM where
/dev/kvm boots it, else TCG; SANTA_KVM=0|1 forces the choice) and runs
COMMAND, or a suite from selftests/vm-suites/NAME.sh, in the guest. No TTY
is needed. The guest console goes to the log file; the command's output to
stdout. The exit status is the command's (124 on timeout).

Options:
  --kernel FILE    bzImage to boot (default: build/obj/arch/x86/boot/bzImage)
  --debug          boot build/obj-debug (a --debug build)
  --suite NAME     run selftests/vm-suites/NAME.sh (see --list)
  --list           list the suites
  --timeout SEC    kill the guest after SEC seconds (default: 900)
  --log FILE       guest console log (default: build/logs/vm-<suite>.log)
  --out DIR        directory shared read-write with the guest as $SANTA_OUT
                   (default: build/vm-out/<suite>); emptied first
  --cpus N         guest CPUs (default: 2)
  --mem SIZE       guest memory (default: 3G)
  --qemu-opts OPTS further QEMU options (e.g. "-icount shift=0,sleep=off")
  -h, --help       this help
USAGE
}

kernel=""
suite=""
timeout_s=900
log=""
out=""
cpus=2
mem=3G
qemu_opts=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$(realpath "$2"); shift 2 ;;
	--debug) kernel="$top/build/obj-debug/arch/x86/boot/bzImage"; shift ;;
	--suite) suite=$2; shift 2 ;;
	--list) ls "$top/selftests/vm-suites" | sed -n 's/\.sh$//p'; exit 0 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--log) log=$(realpath -m "$2"); shift 2 ;;
	--out) out=$(realpath -m "$2"); shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--qemu-opts) qemu_opts=("--qemu-opts=$2"); shift 2 ;;
	-h|--help) usage; exit 0 ;;
	--) shift; break ;;
	*) echo "run-vm: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done

if [ -n "$suite" ]; then
	[ $# -eq 0 ] || die "give --suite or a command, not both"
	script="$top/selftests/vm-suites/$suite.sh"
	[ -f "$script" ] || die "no suite '$suite' (see --list)"
	cmd="bash $(printf '%q' "$script")"
	name=$suite
else
	[ $# -gt 0 ] || { usage >&2; exit 2; }
	cmd=$(printf '%q ' "$@")
	name=cmd
fi

kernel=${kernel:-$top/build/obj/arch/x86/boot/bzImage}
[ -f "$kernel" ] || die "no kernel at $kernel: run scripts/build-kernel.sh first"
"$top/scripts/install-deps.sh"

log=${log:-$top/build/logs/vm-$name.log}
out=${out:-$top/build/vm-out/$name}
mkdir -p "$(dirname "$log")"
rm -rf "$out"
mkdir -p "$out"

# KVM only where it works: a writable /dev/kvm is not enough (seen here: a
# nested /dev/kvm that answers ioctls, but QEMU's "-cpu host" asserts on an
# MSR, and with that MSR off the guest hangs in the decompressor). The probe
# boots the kernel with KVM for at most 20 s and looks for its banner; the
# answer is kept for this host boot. SANTA_KVM=0 or 1 overrides it.
kvm_works() {
	local cache="$top/build/logs/kvm-probe" id serial ok=0
	id=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo none)
	if [ -f "$cache" ] && [ "$(head -n1 "$cache")" = "$id" ]; then
		[ "$(sed -n 2p "$cache")" = 1 ]
		return
	fi
	mkdir -p "$(dirname "$cache")"
	serial=$(mktemp)
	qemu-system-x86_64 -accel kvm -cpu host -m 256 -display none -nodefaults \
		-no-reboot -serial "file:$serial" -kernel "$kernel" \
		-append "console=ttyS0 panic=-1" >/dev/null 2>&1 &
	local qpid=$!
	for _ in $(seq 40); do
		if grep -q "Linux version" "$serial" 2>/dev/null; then
			ok=1
			break
		fi
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.5
	done
	kill "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null
	rm -f "$serial"
	printf '%s\n%s\n' "$id" "$ok" >"$cache"
	[ "$ok" = 1 ]
}
kvm=(--disable-kvm)
case "${SANTA_KVM:-auto}" in
1) kvm=() ;;
0) ;;
*)
	if [ -w /dev/kvm ]; then
		if kvm_works; then
			kvm=()
		else
			info "/dev/kvm does not boot this kernel (build/logs/kvm-probe): using TCG"
		fi
	fi
	;;
esac

# The guest runs the command in a login-less shell; its status is written
# to $SANTA_OUT/status so that a guest crash (no status) is told apart from
# a failing command.
guest="export SANTA_OUT=$(printf '%q' "$out") SANTA_TOP=$(printf '%q' "$top");
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null;
$cmd >\"\$SANTA_OUT/output\" 2>&1; rc=\$?; echo \$rc > \"\$SANTA_OUT/status\"; exit \$rc"

info "booting ${kernel#$top/} (${kvm[*]:-kvm}, $cpus CPUs, $mem), console log: ${log#$top/}"
set +e
timeout -k 15 "$timeout_s" vng -r "$kernel" "${kvm[@]}" --cpus "$cpus" -m "$mem" \
	"${qemu_opts[@]}" --force-9p -v --rwdir="$out=$out" --cwd "$top" -e "$guest" </dev/null >"$log.raw" 2>&1
rc=$?
set -e

# vng -v interleaves the console and the command's output; keep the whole
# as the log and print what the command printed (lines after the boot).
cp "$log.raw" "$log"
rm -f "$log.raw"
if [ -f "$out/output" ]; then
	cat "$out/output"
fi

if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	warn "guest timed out after ${timeout_s}s (log: $log)"
	exit 124
fi
if [ ! -f "$out/status" ]; then
	warn "guest ended without a status (crash or boot failure, rc=$rc); see $log"
	grep -E "Kernel panic|BUG:|Oops|WARNING:|Call Trace" "$log" | head -20 >&2 || true
	exit 125
fi
exit "$(cat "$out/status")"
