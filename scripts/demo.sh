#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The README's first command: build the patched kernel and show Santa in a
# QEMU guest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build-kernel.sh" "$@" >/dev/null
# santa-ctl, which the demo uses on an unmodified nsd
mkdir -p "$top/build/logs"
cmake -S "$top/userspace/santa-ctl" -B "$top/build/santa-ctl" \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >"$top/build/logs/santactl-build.log" 2>&1 &&
	cmake --build "$top/build/santa-ctl" -j"$(nproc)" >>"$top/build/logs/santactl-build.log" 2>&1 ||
	{ echo "demo: santa-ctl does not build (build/logs/santactl-build.log)" >&2; exit 1; }
exec "$top/scripts/run-vm.sh" --suite demo
