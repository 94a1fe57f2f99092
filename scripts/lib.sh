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
# and kunit_skipped; returns 1 when there is no summary.
kunit_parse() {
	local tap summary

	# kunit.py changes to the kernel tree: give it an absolute path
	tap=$(realpath "$1")
	summary=$(python3 "$top/build/linux/tools/testing/kunit/kunit.py" parse "$tap" 2>&1)
	kunit_results=$(echo "$summary" | grep -E '\[(PASSED|FAILED|SKIPPED|CRASHED)\]' |
		sed 's/^\[[^]]*\] //')
	kunit_line=$(echo "$summary" | grep -E 'Ran [0-9]+ tests' | tail -n1)
	kunit_passed=$(echo "$kunit_line" | grep -oE 'passed: [0-9]+' | grep -oE '[0-9]+')
	kunit_failed=$(echo "$kunit_line" | grep -oE '(failed|crashed|errors): [0-9]+' |
		grep -oE '[0-9]+' | paste -sd+ | bc)
	kunit_skipped=$(echo "$kunit_line" | grep -oE 'skipped: [0-9]+' | grep -oE '[0-9]+')
	kunit_passed=${kunit_passed:-0}
	kunit_failed=${kunit_failed:-0}
	kunit_skipped=${kunit_skipped:-0}
	[ -n "$kunit_line" ]
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
