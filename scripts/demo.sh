#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The README's first command: build the patched kernel and show Santa in a
# QEMU guest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build-kernel.sh" "$@" >/dev/null
exec "$top/scripts/run-vm.sh" --suite demo
