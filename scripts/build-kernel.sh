#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the Santa kernel: base tree + patches/ in build/linux, configured from
# kernel-config/, objects in build/obj (build/obj-debug with --debug).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$top/scripts/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/build-kernel.sh [OPTIONS]

Makes the kernel git tree build/linux (first commit: the base, tagged
v7.3-rc7), applies patches/ in `series` order with `git am`, configures the
kernel from kernel-config/ fragments on top of tinyconfig and builds it with
ccache. Re-running with nothing changed rebuilds nothing.

Base tree (default: ../shared/kernel/linux-source-7.3.tar.xz, sha256-checked
against SHA256SUMS beside it):
  --tarball FILE   use this tarball of v7.3-rc7 instead (not checksummed
                   unless a SHA256SUMS file beside it names it)
  --tree DIR       use a kernel git tree; its tag v7.3-rc7 (or --base REF)
                   is the base
  --base REF       base commit in --tree DIR (default: v7.3-rc7)

Build:
  --debug          add kernel-config/debug.config (KASAN, lockdep, UBSAN,
                   kmemleak...); objects go to build/obj-debug
  --config FILE    add a further config fragment (repeatable)
  --no-santa       the same kernel with CONFIG_SANTA off (the baseline of
                   the benchmarks); objects in build/obj-nosanta
  --headers        also install user headers to <objdir>/usr-headers
  --selftests      also build tools/testing/selftests/net/santa into
                   <objdir>/kselftest (needs --headers, implied)
  --reapply        reset build/linux to the base and apply patches/ again,
                   dropping commits that were made there and not exported
  --tree-only      prepare build/linux and stop (no configure, no build)
  -j N             parallel jobs (default: number of CPUs)
  -h, --help       this help

Environment: CCACHE_DIR (default ~/.cache/ccache), CC (default "ccache gcc").
Prints the path of the bzImage on success.
USAGE
}

tarball=""
tree=""
base_ref="v7.3-rc7"
debug=0
nosanta=0
headers=0
selftests=0
reapply=0
tree_only=0
jobs=$(nproc)
extra_cfg=()

while [ $# -gt 0 ]; do
	case "$1" in
	--tarball) tarball=$(realpath "$2"); shift 2 ;;
	--tree) tree=$(realpath "$2"); shift 2 ;;
	--base) base_ref=$2; shift 2 ;;
	--debug) debug=1; shift ;;
	--no-santa) nosanta=1; shift ;;
	--config) extra_cfg+=("$(realpath "$2")"); shift 2 ;;
	--headers) headers=1; shift ;;
	--selftests) selftests=1; headers=1; shift ;;
	--reapply) reapply=1; shift ;;
	--tree-only) tree_only=1; shift ;;
	-j) jobs=$2; shift 2 ;;
	-j*) jobs=${1#-j}; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "build-kernel: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done

if [ -n "$tarball" ] && [ -n "$tree" ]; then
	die "--tarball and --tree exclude each other"
fi

"$top/scripts/install-deps.sh"

src="$top/build/linux"
mkdir -p "$top/build"

# --- 1. the base ---------------------------------------------------------
make_base_from_tarball() {
	local tb=$1 sums
	sums="$(dirname "$tb")/SHA256SUMS"
	if [ -f "$sums" ] && grep -q " [* ]\?$(basename "$tb")\$" "$sums"; then
		info "verifying $(basename "$tb") against $sums"
		(cd "$(dirname "$tb")" && grep " [* ]\?$(basename "$tb")\$" SHA256SUMS | sha256sum -c --quiet -) ||
			die "checksum mismatch for $tb: refusing to build from it"
	elif [ "$tb" = "$DEFAULT_TARBALL" ]; then
		die "no checksum for the default tarball in $sums"
	else
		warn "no SHA256SUMS entry for $tb: not verified"
	fi
	info "extracting $tb into build/linux"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -C "$src.tmp" --strip-components=1 -xf "$tb"
	[ -f "$src.tmp/Makefile" ] || die "$tb does not look like a kernel tree"
	git -C "$src.tmp" init -q -b santa
	git -C "$src.tmp" add -A -f .
	base_commit "$src.tmp" "Linux v7.3-rc7 (from $(basename "$tb"))"
	mv "$src.tmp" "$src"
}

make_base_from_tree() {
	local t=$1
	git -C "$t" rev-parse -q --verify "$base_ref^{commit}" >/dev/null ||
		die "$t has no commit '$base_ref' (use --base REF)"
	info "cloning $t ($base_ref) into build/linux"
	rm -rf "$src"
	git clone -q --shared --no-checkout "$t" "$src"
	git -C "$src" checkout -q -b santa "$(git -C "$t" rev-parse "$base_ref^{commit}")"
	git -C "$src" tag -f v7.3-rc7 HEAD >/dev/null
}

base_commit() {
	GIT_AUTHOR_NAME="Santa base" GIT_AUTHOR_EMAIL="santa-devel@example.org" \
	GIT_COMMITTER_NAME="Santa base" GIT_COMMITTER_EMAIL="santa-devel@example.org" \
	GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z" \
		git -C "$1" commit -q --no-verify -m "$2"
	git -C "$1" tag -f v7.3-rc7 HEAD >/dev/null
}

if [ -n "$tree" ]; then
	base_id="tree:$tree:$(git -C "$tree" rev-parse "$base_ref^{commit}")"
else
	tarball=${tarball:-$DEFAULT_TARBALL}
	[ -f "$tarball" ] || die "tarball $tarball not found (is ../shared beside the repo?)"
	base_id="tarball:$(stat -c '%s' "$tarball"):$(basename "$tarball")"
fi

stamp_file="$src/.git/santa-base"
if [ ! -d "$src/.git" ] || [ "$(cat "$stamp_file" 2>/dev/null)" != "$base_id" ]; then
	if [ -n "$tree" ]; then
		make_base_from_tree "$tree"
	else
		make_base_from_tarball "$tarball"
	fi
	echo "$base_id" >"$stamp_file"
	rm -f "$src/.git/santa-applied"
	# commits made in the tree carry the series' identity
	git -C "$src" config user.name "Santa Developers"
	git -C "$src" config user.email santa-devel@example.org
fi

# --- 2. the series ---------------------------------------------------------
patches_id=$(series_id)
applied_file="$src/.git/santa-applied"
head=$(git -C "$src" rev-parse HEAD)
if [ -f "$applied_file" ]; then
	read -r applied_id applied_head <"$applied_file"
else
	applied_id=""; applied_head=""
fi

apply_series() {
	info "applying patches/ to build/linux"
	git -C "$src" am --abort >/dev/null 2>&1 || true
	git -C "$src" reset -q --hard v7.3-rc7
	git -C "$src" clean -q -fdx
	local p
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		[ -f "$top/patches/$p" ] || die "series names $p, which is not in patches/"
		if ! git -C "$src" -c user.name="Santa Developers" -c user.email=santa-devel@example.org \
			am -q --committer-date-is-author-date "$top/patches/$p" >/dev/null 2>"$top/build/am.log"; then
			cat "$top/build/am.log" >&2
			git -C "$src" am --abort >/dev/null 2>&1 || true
			die "patch $p does not apply to $(git -C "$src" log -1 --format=%s HEAD)"
		fi
	done <"$top/patches/series"
	echo "$patches_id $(git -C "$src" rev-parse HEAD)" >"$applied_file"
}

if [ "$reapply" -eq 1 ] || [ -z "$applied_id" ]; then
	apply_series
elif [ "$applied_head" != "$head" ]; then
	warn "build/linux has commits that are not in patches/ (HEAD moved since the series was applied):"
	warn "building the tree as it is; export with scripts/export-patches.sh, or --reapply to drop them"
elif [ "$applied_id" != "$patches_id" ]; then
	if [ -n "$(git -C "$src" status --porcelain --untracked-files=no)" ]; then
		die "patches/ changed but build/linux has uncommitted changes; commit or discard them first"
	fi
	apply_series
fi

[ "$tree_only" -eq 1 ] && exit 0

# --- 3. configure ------------------------------------------------------------
if [ "$debug" -eq 1 ]; then
	obj="$top/build/obj-debug"
elif [ "$nosanta" -eq 1 ]; then
	obj="$top/build/obj-nosanta"
else
	obj="$top/build/obj"
fi
mkdir -p "$obj"

frags=("$top/kernel-config/vm.config")
if [ "$nosanta" -eq 1 ]; then
	# the same kernel as build/obj but for CONFIG_SANTA (and its KUnit
	# suite): what the benchmarks compare to measure the patch's cost
	grep -v 'SANTA' "$top/kernel-config/santa.config" >"$obj/santa-off.config"
	frags+=("$obj/santa-off.config")
else
	frags+=("$top/kernel-config/santa.config")
fi
[ "$debug" -eq 1 ] && frags+=("$top/kernel-config/debug.config")
frags+=("${extra_cfg[@]}")

kbuild_env
MAKE=(make -C "$src" O="$obj" -j"$jobs" CC="$CC" HOSTCC="$CC" -s)

cfg_id=$( (cat "${frags[@]}"; git -C "$src" rev-parse HEAD:arch/x86/configs 2>/dev/null) | sha256sum | cut -c1-16)
if [ "$(cat "$obj/.santa-config" 2>/dev/null)" != "$cfg_id" ] || [ ! -f "$obj/.config" ]; then
	info "configuring (tinyconfig + ${frags[*]##*/})"
	"${MAKE[@]}" tinyconfig >/dev/null
	(cd "$src" && scripts/kconfig/merge_config.sh -m -O "$obj" "$obj/.config" "${frags[@]}" >/dev/null)
	"${MAKE[@]}" olddefconfig >/dev/null
	check_config "$obj/.config" "${frags[@]}"
	echo "$cfg_id" >"$obj/.santa-config"
else
	# new Kconfig symbols from changed patches
	"${MAKE[@]}" olddefconfig >/dev/null
fi

# --- 4. build ----------------------------------------------------------------
info "building in ${obj#$top/} (-j$jobs, CC=\"$CC\")"
start=$(date +%s)
"${MAKE[@]}" bzImage
if [ "$headers" -eq 1 ]; then
	"${MAKE[@]}" headers_install INSTALL_HDR_PATH="$obj/usr-headers" >/dev/null
fi
if [ "$selftests" -eq 1 ]; then
	# never leave an earlier build's kselftests to be run as this tree's
	rm -rf "$obj/kselftest"
	[ -d "$src/tools/testing/selftests/net/santa" ] ||
		die "--selftests: build/linux has no tools/testing/selftests/net/santa"
	make -s -C "$src/tools/testing/selftests" O="$obj/kselftest-build" \
		KHDR_INCLUDES="-isystem $obj/usr-headers/include" TARGETS=net/santa \
		INSTALL_PATH="$obj/kselftest" install >/dev/null
fi
info "built in $(( $(date +%s) - start )) s"
echo "$obj/arch/x86/boot/bzImage"
