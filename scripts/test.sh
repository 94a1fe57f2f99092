#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run every Santa test: host-side checks of the series, then the KUnit and
# kselftest suites in a QEMU guest. Ends with "N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$top/scripts/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/test.sh [OPTIONS]

Builds the kernel (incrementally, scripts/build-kernel.sh), then runs:
  series    scripts/review.sh --sparse: export, checkpatch --strict,
            sign-off and subject per patch, cover letter, MAINTAINERS,
            kernel-doc, Documentation, size of the hooks, sparse
  kunit     the KUnit suites built into the kernel, in the guest
  kselftest the Santa kselftests (tools/testing/selftests/net/santa), in
            the guest
  santactl  santa-ctl/libsanta: build, ctest, clang-tidy, then santa-ctl
            against real nsd, memcached and nginx in the guest
  demo      the demo of the README's first command, checked
  bench     scripts/bench.sh --quick: the benchmarks end to end (numbers
            printed, not judged; replies checked, every table filled)
  bisect    scripts/check-series.sh: every patch builds, W=1 clean on the
            files it touches (last; skipped, with a line that says so,
            when 40 minutes have gone already)
Each check prints "PASS name" or "FAIL name"; the last line is
"N passed, N failed" and the exit status is 1 if anything failed.

Options:
  --no-build      use the kernel already built
  --only GROUP    run one group (series, kunit, kselftest, santactl, demo,
                  bench, bisect)
  --timeout SEC   guest timeout per suite (default 1200)
  -h, --help      this help
USAGE
}

build=1
only=""
vm_timeout=1200
while [ $# -gt 0 ]; do
	case "$1" in
	--no-build) build=0; shift ;;
	--only) only=$2; shift 2 ;;
	--timeout) vm_timeout=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "test: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
# a group that matches none would run no check and end "0 passed, 0 failed"
case "$only" in
''|series|kunit|kselftest|santactl|demo|bench|bisect) ;;
*) echo "test: unknown group '$only' for --only (see --help)" >&2; exit 2 ;;
esac

passed=0
failed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
want() { [ -z "$only" ] || [ "$only" = "$1" ]; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

start=$(date +%s)
mkdir -p "$top/build"
if [ "$build" -eq 1 ]; then
	if ! "$top/scripts/build-kernel.sh" --selftests >"$top/build/build.log" 2>&1; then
		tail -n 30 "$top/build/build.log"
		fail "build-kernel"
		finish
	fi
	pass "build-kernel ($(( $(date +%s) - start )) s)"
fi

# --- series: what reviewers check first (scripts/review.sh) -------------------
if want series; then
	relay_run review "$top/scripts/review.sh" --sparse
fi

# --- kunit: results of the suites that ran at boot ---------------------------------
if want kunit; then
	"$top/scripts/run-vm.sh" --suite kunit --timeout "$vm_timeout" >/dev/null
	rc=$?
	tap="$top/build/vm-out/kunit/kunit.tap"
	if [ "$rc" -ne 0 ] || [ ! -s "$tap" ]; then
		fail "kunit: guest run (status $rc, log build/logs/vm-kunit.log)"
	elif kunit_parse "$tap"; then
		echo "$kunit_results"
		echo "kunit: $kunit_line"
		passed=$((passed + kunit_passed))
		failed=$((failed + kunit_failed))
		[ "$kunit_skipped" -eq 0 ] ||
			echo "kunit: $kunit_skipped skipped (see $tap for why)"
	else
		fail "kunit: no test results in $tap (kunit.py: ${kunit_line:-no summary})"
	fi
fi

# --- kselftest: the Santa selftests in the guest ---------------------------------
if want kselftest; then
	"$top/scripts/run-vm.sh" --suite kselftest --timeout "$vm_timeout" >/dev/null
	rc=$?
	tap="$top/build/vm-out/kselftest/kselftest.tap"
	if [ ! -s "$tap" ]; then
		fail "kselftest: guest run (status $rc, log build/logs/vm-kselftest.log)"
	else
		# the harness prints one "ok N name" / "not ok N name" per test;
		# the guest suite "# PROG exited with STATUS" per test program
		nres=0
		while read -r line; do
			name=${line#*ok }
			nres=$((nres + 1))
			case "$line" in
			"not ok "*) fail "kselftest $name" ;;
			*"# SKIP"*) echo "SKIP kselftest $name" ;;
			"ok "*) pass "kselftest $name" ;;
			esac
		done < <(grep -E '^(not )?ok [0-9]+ ' "$tap")
		relay_checks kselftest < <(kselftest_programs "$tap" "$rc")
		if [ "$nres" -eq 0 ]; then
			fail "kselftest: no test result in $tap (status $rc, log build/logs/vm-kselftest.log)"
		elif [ "$rc" -ne 0 ]; then
			fail "kselftest: a test program failed (status $rc)"
		fi
	fi
fi

# --- santactl: santa-ctl/libsanta unit tests, then against real servers in the guest
if want santactl; then
	relay_run santa-ctl "$top/scripts/test-santactl.sh" --vm --no-deps
fi

# --- demo: the README's first command, in the guest -----------------------------
if want demo; then
	if "$top/scripts/run-vm.sh" --suite demo --timeout "$vm_timeout" >"$top/build/demo.out" 2>&1; then
		pass "demo: kernel answers the offloaded name, the application the rest"
	else
		tail -n 15 "$top/build/demo.out"
		fail "demo (build/demo.out)"
	fi
fi

# --- bench: the benchmarks, quick mode: every table fills, every reply is right
if want bench; then
	bstart=$(date +%s)
	if "$top/scripts/bench.sh" --quick --no-build >"$top/build/bench.out" 2>&1; then
		pass "bench: quick run of scripts/bench.sh, every reply checked, every table filled ($(( $(date +%s) - bstart )) s)"
	else
		grep -E '^(ERROR|EMPTY)' "$top/build/bench.out" | head -n 10
		fail "bench: quick run of scripts/bench.sh (build/bench.out)"
	fi
fi

# --- bisect: every patch builds on its own, W=1 clean (scripts/check-series.sh)
# About 10 minutes with a warm ccache, 35 from a cold one: in a full run it
# goes last, and only while CI's 90 minutes still leave room for it.
if want bisect; then
	spent=$(( $(date +%s) - start ))
	if [ -z "$only" ] && [ "$spent" -gt 2400 ]; then
		echo "SKIP bisect: $((spent / 60)) minutes spent already and the per-patch builds may take 35 more; run scripts/review.sh --bisect"
	else
		relay_run bisect "$top/scripts/check-series.sh"
	fi
fi

echo "total time: $(( $(date +%s) - start )) s"
finish
