#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages the Santa scripts need. Idempotent: does
# nothing when everything is already there. Packages come from Debian only;
# virtme-ng is not in bookworm, so it is taken from trixie with a low pin
# priority that keeps every other package on bookworm.
set -euo pipefail

usage() {
	cat <<'USAGE'
Usage: scripts/install-deps.sh [--check]

Installs the build, VM and test dependencies with apt-get (needs root or
sudo). --check only reports what is missing and exits 1 if anything is.
USAGE
}

check_only=0
case "${1:-}" in
-h|--help) usage; exit 0 ;;
--check) check_only=1 ;;
"") ;;
*) usage >&2; exit 2 ;;
esac

BOOKWORM_PKGS=(
	build-essential bc bison flex libelf-dev libssl-dev dwarves cpio kmod
	ccache git xz-utils python3 rsync sparse python3-docutils
	qemu-system-x86 udev
	python3-argcomplete python3-requests util-linux-extra kbd file
	busybox-static iproute2 procps
	cmake g++
	googletest libgtest-dev clang-tidy
	nsd knot-dnsutils dnsutils memcached libmemcached-tools nginx-light curl
	nftables dnsperf wrk gnuplot-nox knot linux-perf bind9
	# the XDP program of the DNS benchmark (selftests/bench/xdp_dns.c)
	clang
)
TRIXIE_PKGS=(virtme-ng)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi

missing=()
for p in "${BOOKWORM_PKGS[@]}" "${TRIXIE_PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi
if [ "$check_only" -eq 1 ]; then
	echo "missing packages: ${missing[*]}" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2

# Add trixie for virtme-ng, using the mirror already configured here.
if [ ! -e /etc/apt/sources.list.d/santa-trixie.list ]; then
	mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -v '^[[:space:]]*#' | grep -oE 'https?://[^ ]+/debian/?' |
		grep -v security | head -n1 || true)
	mirror=${mirror:-http://deb.debian.org/debian}
	$SUDO tee /etc/apt/sources.list.d/santa-trixie.list >/dev/null <<SRC
deb ${mirror%/} trixie main
SRC
	$SUDO tee /etc/apt/preferences.d/santa-trixie.pref >/dev/null <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${BOOKWORM_PKGS[@]}" >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends -t trixie "${TRIXIE_PKGS[@]}" >/dev/null
