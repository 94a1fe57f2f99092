#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds and tests santa-ctl/libsanta (userspace/santa-ctl): one line per
# check, "PASS name", "FAIL name" or "SKIP name: reason", then a summary
# "santa-ctl: N passed, N failed, N skipped". Exit status 1 if anything failed.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$top/scripts/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/test-santactl.sh [OPTIONS]

Builds userspace/santa-ctl with CMake (-Wall -Wextra -Werror) into
build/santa-ctl, runs its GoogleTest unit tests with ctest (parsing,
encoding, protocol helpers, the uapi header sync, and real nsd, memcached
and nginx on the host where installed) and clang-tidy.

Options:
  --vm          also run the guest integration suite
                (scripts/run-vm.sh --suite santactl: santa-ctl against real
                nsd, memcached and nginx on the Santa kernel)
  --vm-only     only the guest suite (builds santa-ctl first)
  --no-tidy     skip clang-tidy
  --no-deps     do not run scripts/install-deps.sh
  -h, --help    this help
USAGE
}

vm=0 unit=1 tidy=1 deps=1
while [ $# -gt 0 ]; do
	case "$1" in
	--vm) vm=1 ;;
	--vm-only) vm=1 unit=0 tidy=0 ;;
	--no-tidy) tidy=0 ;;
	--no-deps) deps=0 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "test-santactl: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done

src=$top/userspace/santa-ctl
bld=$top/build/santa-ctl
log=$top/build/logs
mkdir -p "$bld" "$log"
passed=0 failed=0 skipped=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; failed=$((failed + 1)); }
skip() { echo "SKIP $1: $2"; skipped=$((skipped + 1)); }

# count PASS/FAIL/SKIP lines of a suite's output, echoing them
count_lines() {
	local line
	while IFS= read -r line; do
		case "$line" in
		PASS\ *) echo "$line"; passed=$((passed + 1)) ;;
		FAIL\ *) echo "$line"; failed=$((failed + 1)) ;;
		SKIP\ *) echo "$line"; skipped=$((skipped + 1)) ;;
		esac
	done
}

if [ "$deps" -eq 1 ]; then
	"$top/scripts/install-deps.sh" >"$log/santactl-deps.log" 2>&1 || warn "install-deps failed (see $log/santactl-deps.log)"
fi

if cmake -S "$src" -B "$bld" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSANTA_WERROR=ON >"$log/santactl-build.log" 2>&1 &&
	cmake --build "$bld" -j"$(nproc)" >>"$log/santactl-build.log" 2>&1; then
	pass santactl_build
else
	fail santactl_build "see build/logs/santactl-build.log"
	tail -n 30 "$log/santactl-build.log" >&2
	echo "santa-ctl: $passed passed, $failed failed, $skipped skipped"
	exit 1
fi

if [ "$unit" -eq 1 ]; then
	(cd "$bld" && ctest --timeout 300 -j"$(nproc)" --output-on-failure) >"$log/santactl-ctest.log" 2>&1
	ctest_rc=$?
	f0=$failed
	# "  1/40 Test  #1: Encode.Header ......   Passed    0.01 sec"
	sed -nE 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: ([^ ]+) \.+ *(\*\*\*)?([A-Za-z ]+[a-z]).*/\3 \1/p' "$log/santactl-ctest.log" >"$log/santactl-ctest.results"
	# "100% tests passed, 0 tests failed out of 40": every test has a result line
	total=$(sed -n 's/.* tests failed out of \([0-9]*\)$/\1/p' "$log/santactl-ctest.log" | tail -n 1)
	nres=$(grep -c . "$log/santactl-ctest.results")
	if [ "$nres" -eq 0 ]; then
		fail santactl_ctest "no test results (status $ctest_rc, see build/logs/santactl-ctest.log)"
	elif [ "${total:-x}" != "$nres" ]; then
		fail santactl_ctest "$nres results for ${total:-an unknown number of} tests (status $ctest_rc, see build/logs/santactl-ctest.log)"
	fi
	while read -r status name; do
		case "$status" in
		Passed) pass "ctest_$name" ;;
		Skipped) skip "ctest_$name" "$(grep -A3 "$name" "$log/santactl-ctest.log" | sed -n 's/.*SKIPPED.*\] *//p' | head -1)" ;;
		*) fail "ctest_$name" "$status (see build/logs/santactl-ctest.log)" ;;
		esac
	done < <(sed -E 's/^(Passed|Skipped|Failed|Not Run|Timeout|Exception[A-Za-z]*) (.*)$/\1 \2/' "$log/santactl-ctest.results" | sed 's/^Not Run/NotRun/')
	# ctest failed, and no result above says so
	if [ "$ctest_rc" -ne 0 ] && [ "$failed" -eq "$f0" ]; then
		fail santactl_ctest "ctest exited with status $ctest_rc (see build/logs/santactl-ctest.log)"
	fi
fi

if [ "$tidy" -eq 1 ]; then
	if command -v clang-tidy >/dev/null; then
		if clang-tidy -p "$bld" --quiet "$src"/src/*.cpp >"$log/santactl-tidy.log" 2>&1 &&
			! grep -qE "(warning|error):" "$log/santactl-tidy.log"; then
			pass santactl_clang_tidy
		else
			fail santactl_clang_tidy "$(grep -cE "(warning|error):" "$log/santactl-tidy.log") findings (build/logs/santactl-tidy.log)"
		fi
	else
		skip santactl_clang_tidy "clang-tidy not installed"
	fi
fi

if [ "$vm" -eq 1 ]; then
	kernel=$top/build/obj/arch/x86/boot/bzImage
	if [ ! -f "$kernel" ]; then
		skip santactl_vm "no kernel at build/obj (run scripts/build-kernel.sh)"
	else
		"$top/scripts/run-vm.sh" --suite santactl --timeout 900 >"$log/santactl-vm.out" 2>"$log/santactl-vm.err"
		rc=$?
		count_lines <"$log/santactl-vm.out"
		grep '^#' "$log/santactl-vm.out" || true
		if [ "$rc" -ne 0 ]; then
			fail santactl_vm "guest suite exited $rc (see build/logs/santactl-vm.out, build/logs/vm-santactl.log)"
		elif ! grep -q '^PASS ' "$log/santactl-vm.out"; then
			fail santactl_vm "no results from the guest"
		fi
	fi
fi

echo "santa-ctl: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
