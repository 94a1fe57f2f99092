# SPDX-License-Identifier: GPL-2.0
# Helpers shared by the Santa scripts (sourced, not run).

DEFAULT_TARBALL=$(realpath -m "$top/../shared/kernel/linux-source-7.3.tar.xz")

info() { printf '%s: %s\n' "$(basename "$0" .sh)" "$*" >&2; }
warn() { printf '%s: warning: %s\n' "$(basename "$0" .sh)" "$*" >&2; }
die() { printf '%s: error: %s\n' "$(basename "$0" .sh)" "$*" >&2; exit 1; }

# Identity of the series: changes when patches/ or series change.
series_id() {
	(cd "$top/patches" && cat series $(grep -v '^#' series)) 2>/dev/null | sha256sum | cut -c1-16
}

# Every CONFIG_FOO=y/n asked for by a fragment must have survived olddefconfig
# (a missing dependency silently drops a symbol otherwise).
check_config() {
	local cfg=$1 f line sym val bad=0
	shift
	for f in "$@"; do
		# a fragment that cannot be read was not checked, let alone applied
		[ -r "$f" ] || { warn "config fragment $f cannot be read"; bad=1; continue; }
		while read -r line; do
			case "$line" in CONFIG_*=*) ;; *) continue ;; esac
			sym=${line%%=*}; val=${line#*=}
			if [ "$val" = n ]; then
				grep -q "^$sym=" "$cfg" && { warn "$sym=n asked by ${f##*/} but is set"; bad=1; }
			elif ! grep -qx "$sym=$val" "$cfg"; then
				warn "$sym=$val asked by ${f##*/} is not in the final .config"
				bad=1
			fi
		done <"$f"
	done
	[ "$bad" -eq 0 ] || die "config fragments could not be applied as asked (see above)"
}

# The build environment every kernel build of the scripts shares, so that
# builds of the same tree reuse each other's objects and ccache entries.
kbuild_env() {
	export KBUILD_BUILD_TIMESTAMP="2026-01-01" KBUILD_BUILD_USER=santa KBUILD_BUILD_HOST=santa
	export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
	# paths relative to build/: clones in other directories share the cache
	export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$top/build}
	CC=${CC:-ccache gcc}
}

# Parse KTAP of KUnit suites with the kernel's own parser. Sets kunit_line
# (its summary), kunit_passed, kunit_failed (failed, crashed and errors)
# and kunit_skipped; returns 1 when there is no summary, or one of no test.
kunit_parse() {
	local tap summary

	# kunit.py changes to the kernel tree: give it an absolute path
	tap=$(realpath "$1")
	summary=$(python3 "$top/build/linux/tools/testing/kunit/kunit.py" parse "$tap" 2>&1)
	kunit_results=$(echo "$summary" | grep -E '\[(PASSED|FAILED|SKIPPED|CRASHED)\]' |
		sed 's/^\[[^]]*\] //')
	kunit_line=$(echo "$summary" | grep -E 'Ran [0-9]+ tests' | tail -n1)
	kunit_passed=$(echo "$kunit_line" | grep -oE 'passed: [0-9]+' | grep -oE '[0-9]+')
	# awk, not bc: a missing bc would make every failure count as none
	kunit_failed=$(echo "$kunit_line" | grep -oE '(failed|crashed|errors): [0-9]+' |
		awk '{ n += $2 } END { print n + 0 }')
	kunit_skipped=$(echo "$kunit_line" | grep -oE 'skipped: [0-9]+' | grep -oE '[0-9]+')
	kunit_passed=${kunit_passed:-0}
	kunit_failed=${kunit_failed:-0}
	kunit_skipped=${kunit_skipped:-0}
	# a summary that counts no test at all is no result either
	[ -n "$kunit_line" ] && [ $((kunit_passed + kunit_failed + kunit_skipped)) -gt 0 ]
}

# Count the checks a sub-command prints ("PASS name", "FAIL name",
# "SKIP name: why") on stdin as the caller's own, named "PREFIX: name",
# with the caller's pass and fail functions. Its own summary line is
# dropped, anything else is shown as it is.
relay_checks() {
	local prefix=$1 line

	while IFS= read -r line; do
		case "$line" in
		"PASS "*) pass "$prefix: ${line#PASS }" ;;
		"FAIL "*) fail "$prefix: ${line#FAIL }" ;;
		"SKIP "*) echo "SKIP $prefix: ${line#SKIP }" ;;
		*" passed, "*" failed"*) ;;
		*) echo "$line" ;;
		esac
	done
}

# The end of each kselftest program in TAP (the guest suite writes
# "# running PROG" and "# PROG exited with STATUS"), as checks on stdout:
# "SKIP PROG: ..." for one that skipped as a whole (4, KSFT_SKIP: it
# prints no result of its own), "FAIL PROG: ..." for any other non-zero
# status (a timeout, 124, or a crash may print no "not ok") and for one
# that started and never ended (the guest status RC says why).
kselftest_programs() {
	local tap=$1 rc=$2 prog st

	while read -r prog st; do
		case "$st" in
		0) ;;
		4) echo "SKIP $prog: skipped as a whole (exit status 4)" ;;
		*) echo "FAIL $prog: exited with $st" ;;
		esac
	done < <(sed -n 's/^# \(.*\) exited with \([0-9]*\)$/\1 \2/p' "$tap")
	while read -r prog; do
		grep -qx "# $prog exited with [0-9]*" "$tap" ||
			echo "FAIL $prog: did not run to its end (guest status $rc)"
	done < <(sed -n 's/^# running //p' "$tap")
}

# Run COMMAND... and count the checks it prints as the caller's
# (relay_checks PREFIX). A command that exits non-zero without a FAIL line
# of its own is one more FAIL (it died, or it failed without saying what),
# and so is one that prints no check at all: its checks did not run.
relay_run() {
	# shellcheck disable=SC2154 # passed, failed: the caller's counts
	local prefix=$1 rc p0=$passed f0=$failed
	shift
	relay_checks "$prefix" < <("$@" 2>&1)
	# the status of the process substitution (bash >= 4.4)
	rc=0
	wait "$!" || rc=$?
	if [ "$rc" -ne 0 ] && [ "$failed" -eq "$f0" ]; then
		fail "$prefix: ${1#"$top"/} exited with status $rc and no FAIL line"
	elif [ "$passed" -eq "$p0" ] && [ "$failed" -eq "$f0" ]; then
		fail "$prefix: ${1#"$top"/} printed no check (status $rc)"
	fi
}
