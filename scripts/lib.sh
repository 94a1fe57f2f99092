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
