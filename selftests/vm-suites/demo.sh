#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of the README's first command: show Santa in the booted kernel.
set -u
echo "== $(uname -r) on $(nproc) vCPUs =="
grep -o 'CONFIG_SANTA[A-Z_]*=y' /proc/config.gz 2>/dev/null || true
echo "== KUnit: Santa's rule engine (ran at boot) =="
for s in /sys/kernel/debug/kunit/santa*/; do
	[ -f "$s/results" ] && grep -E '^    (not )?ok|^ok|^not ok|# ' "$s/results"
done
