#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The checks a netdev reviewer (and netdev's CI) makes on the series, one
# line per check: "PASS name" or "FAIL name", then "N passed, N failed".
# Host-side and quick; --bisect adds scripts/check-series.sh (a build of
# every patch, W=1 on the files it touches).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$top/scripts/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/review.sh [--bisect] [--sparse]

Checks patches/ against build/linux (made by scripts/build-kernel.sh):
  export       patches/ is what scripts/export-patches.sh makes of build/linux
  checkpatch   checkpatch.pl --strict, per patch
  signoff      a Signed-off-by of the author, per patch
  subject      netdev subject prefixes (net: santa:, udp:, tcp:,
               selftests: net: santa:, docs: networking:), per patch
  cover        the cover letter has base-commit, every patch, test results
  maintainers  every file the series adds has the Santa MAINTAINERS entry
  kernel-doc   scripts/kernel-doc -none -Wall on the C files the series adds
               and on the files Documentation/ includes kernel-doc from
  rst          Documentation/networking/santa.rst parses (docutils)
  hooks        lines added outside net/santa/ (the paper: ~300), printed;
               fails above 300
  sparse       with --sparse: C=2 on net/santa (needs a sparse that knows
               the compiler's builtins)
  bisect       with --bisect: every patch builds, W=1 clean
USAGE
}

bisect=0
sparse=0
while [ $# -gt 0 ]; do
	case "$1" in
	--bisect) bisect=1; shift ;;
	--sparse) sparse=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "review: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done

src="$top/build/linux"
[ -d "$src/.git" ] || die "no build/linux: run scripts/build-kernel.sh first"
base=v7.3-rc7
passed=0
failed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

if "$top/scripts/export-patches.sh" --check >/dev/null 2>&1; then
	pass "export: patches/ matches build/linux"
else
	fail "export: patches/ differs from build/linux (scripts/export-patches.sh)"
fi

prefixes='^(net: santa: |udp: |tcp: |selftests: net: santa: |docs: networking: )'

# known_false_positives OUTPUT: the checkpatch reports of OUTPUT that are
# not listed in scripts/checkpatch-known (type and the flagged source line,
# exactly), with the summary line dropped: empty when all are known
known_false_positives() {
	python3 - "$top/scripts/checkpatch-known" "$1" <<'PY'
import sys
known = set()
for l in open(sys.argv[1]):
    if l.strip() and not l.startswith("#"):
        t, src = l.rstrip("\n").split("\t")[:2]
        known.add((t, src))
blocks = [b for b in sys.argv[2].split("\n\n") if b.strip()]
for b in blocks:
    lines = b.splitlines()
    if lines[0].startswith("total:"):
        continue
    head = lines[0].split(":")[0]
    code = next((x[1:] for x in lines if x.startswith("+")), "")
    if head in ("WARNING", "CHECK") and any(lines[0].startswith(head + ": " + t) and code.strip() == s.strip() for t, s in known):
        continue
    print(b)
PY
}
n=0
while read -r p; do
	case "$p" in ''|'#'*) continue ;; esac
	n=$((n + 1))
	f="$top/patches/$p"
	if [ ! -f "$f" ]; then
		fail "series: patches/series names $p, which is not in patches/"
		continue
	fi
	# clean is no output and status 0: checkpatch.pl that did not run
	# (no perl, no build/linux/scripts) prints why, or fails
	out=$(cd "$src" && perl scripts/checkpatch.pl --strict -q --no-tree "$f" 2>&1)
	rc=$?
	known=""
	if [ "$rc" -eq 1 ] && [ -n "$out" ]; then
		# known false positives (scripts/checkpatch-known): only those
		rest=$(known_false_positives "$out")
		if [ -z "$rest" ]; then
			known=" (known false positive: $(echo "$out" | grep -c '^WARNING'), see scripts/checkpatch-known)"
			rc=0
			out=""
		fi
	fi
	if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
		pass "checkpatch --strict: $p$known"
	else
		echo "$out" | head -n 20
		fail "checkpatch --strict: $p (status $rc)"
	fi
	author=$(sed -n 's/^From: //p' "$f" | head -n 1)
	if [ -n "$author" ] && grep -qxF "Signed-off-by: $author" "$f"; then
		pass "signoff: $p"
	else
		fail "signoff: $p has no 'Signed-off-by: $author'"
	fi
	subject=$(sed -n 's/^Subject: \[PATCH[^]]*\] //p' "$f" | head -n 1)
	if echo "$subject" | grep -Eq "$prefixes"; then
		pass "subject: $subject"
	else
		fail "subject: '$subject' has no netdev prefix"
	fi
done <"$top/patches/series"
# no patch read (patches/series missing or empty): nothing above was checked
[ "$n" -gt 0 ] || fail "series: patches/series names no patch: no patch was checked"

cover="$top/patches/0000-cover-letter.patch"
missing=""
base_id=$(git -C "$src" rev-parse -q --verify "$base^{commit}")
if [ -z "$base_id" ]; then
	missing="$missing base-commit(no $base in build/linux)"
elif ! grep -q "^base-commit: $base_id" "$cover"; then
	missing="$missing base-commit"
fi
grep -q "^Tested:" "$cover" || missing="$missing test-results"
for i in $(seq 1 "$n"); do
	grep -q "patch $i " "$cover" || missing="$missing patch-$i"
done
if [ -z "$missing" ]; then
	pass "cover letter: base-commit, all $n patches, test results"
else
	fail "cover letter: missing$missing"
fi

uncovered=""
if ! added=$(git -C "$src" diff --name-only --diff-filter=A "$base" HEAD); then
	fail "maintainers: git diff $base HEAD failed in build/linux"
elif [ -z "$added" ]; then
	fail "maintainers: the series adds no file (git diff $base HEAD): nothing checked"
else
	for f in $added; do
		# get_maintainer.pl's output, then the search: a get_maintainer.pl
		# that did not run is a file not covered, never a covered one
		if ! m=$(cd "$src" && perl scripts/get_maintainer.pl --no-git --no-rolestats -f "$f" 2>&1); then
			uncovered="$uncovered $f(get_maintainer.pl failed: $(echo "$m" | head -n 1))"
		elif ! grep -q 'santa-devel@example.org' <<<"$m"; then
			uncovered="$uncovered $f"
		fi
	done
	if [ -z "$uncovered" ]; then
		pass "maintainers: the Santa entry covers every file the series adds ($(echo "$added" | wc -w) files)"
	else
		fail "maintainers: no Santa entry for:$uncovered"
	fi
fi

if ! docs=$(cd "$src" && git diff --name-only --diff-filter=A "$base" -- include net/santa); then
	fail "kernel-doc: git diff $base failed in build/linux"
else
	docs=$(echo "$docs" | grep -E '\.[ch]$' | grep -v '_test\.c$')
	ndocs=$(echo "$docs" | grep -c .)
	# clean is no output and status 0
	# shellcheck disable=SC2086
	out=$(cd "$src" && scripts/kernel-doc -none -Wall $docs 2>&1)
	rc=$?
	if [ "$ndocs" -eq 0 ]; then
		fail "kernel-doc -Wall: no C file or header added under include/ and net/santa/: nothing checked"
	elif [ "$rc" -eq 0 ] && [ -z "$out" ]; then
		pass "kernel-doc -Wall: $ndocs files"
	else
		echo "$out" | head -n 20
		fail "kernel-doc -Wall ($ndocs files, status $rc)"
	fi
fi

rst="$src/Documentation/networking/santa.rst"
if [ -f "$rst" ]; then
	# kernel-doc:: is a Sphinx directive: check what it includes above,
	# and the rest with docutils
	if ! python3 -c 'import docutils' 2>/dev/null; then
		fail "rst: python3-docutils is not installed (scripts/install-deps.sh)"
	elif out=$(sed '/^\.\. kernel-doc::/d' "$rst" |
		python3 -m docutils --halt=warning - /dev/null 2>&1); then
		pass "rst: Documentation/networking/santa.rst parses"
	else
		echo "$out" | head -n 10
		fail "rst: Documentation/networking/santa.rst"
	fi
	if grep -qx '   santa' "$src/Documentation/networking/index.rst"; then
		pass "rst: santa is in Documentation/networking/index.rst"
	else
		fail "rst: santa is not in Documentation/networking/index.rst"
	fi
else
	fail "rst: no Documentation/networking/santa.rst in build/linux: not checked"
fi

# the numbers first: awk would make 0 lines of a git diff that failed
if ! numstat=$(git -C "$src" diff --numstat "$base" HEAD -- . ':!net/santa' ':!tools' \
	':!Documentation' ':!MAINTAINERS' ':!include/uapi/linux/santa.h' \
	':!include/net/santa.h' ':!include/trace/events/santa.h'); then
	fail "hooks: git diff --numstat $base HEAD failed in build/linux"
else
	hooks=$(echo "$numstat" | awk '{ a += $1 } END { print a + 0 }')
	if [ "$hooks" -eq 0 ]; then
		fail "hooks: no line added outside net/santa/: is the series in build/linux?"
	elif [ "$hooks" -le 300 ]; then
		pass "hooks: $hooks lines added outside net/santa/ and Santa's own headers (paper: ~300)"
	else
		fail "hooks: $hooks lines added outside net/santa/ (paper: ~300)"
	fi
fi

if [ "$sparse" -eq 1 ]; then
	kbuild_env
	logdir="$top/build/logs"
	log="$logdir/sparse.log"
	# Debian 12's sparse 0.6.4 predates __typeof_unqual__, which the
	# kernel's checker-valid.sh probes for; __typeof__ stands in for it
	# (it keeps qualifiers: at worst a false warning, never a missed one
	# in code that does not use it). Every .c file the series touches is
	# checked (C=2); a warning counts when it is on a line the series
	# added or in a file it added. Without -s, kbuild prints a "CHECK"
	# line for each file it ran sparse on: each asked-for file must have
	# one (a sparse kbuild finds unusable, or a make that never ran,
	# checks nothing and warns about nothing).
	files=$(git -C "$src" diff --name-only --diff-filter=AM "$base" HEAD -- '*.c')
	diff_rc=$?
	files=$(echo "$files" | grep -v '^tools/' | grep -v '_test\.c$' | sort -u)
	nfiles=$(echo "$files" | grep -c .)
	if [ "$diff_rc" -ne 0 ]; then
		fail "sparse: git diff $base HEAD failed in build/linux"
	elif [ "$nfiles" -eq 0 ]; then
		fail "sparse: the series touches no .c file outside tools/: nothing to check"
	elif ! command -v sparse >/dev/null; then
		fail "sparse: not installed (scripts/install-deps.sh)"
	elif ! mkdir -p "$logdir" || ! : >"$log"; then
		fail "sparse: cannot write ${log#"$top"/}"
	else
		objs=$(for f in $files; do echo "${f%.c}.o"; done)
		# shellcheck disable=SC2086
		make -C "$src" O="$top/build/obj" CC="$CC" HOSTCC="$CC" C=2 \
			CHECKFLAGS="-D__typeof_unqual__=__typeof__" $objs >"$log" 2>&1
		rc=$?
		# "  CHECK   net/santa/rules.c"
		checked=$(sed -n 's/^  CHECK   *//p' "$log" | sort -u)
		unchecked=$(comm -23 <(echo "$files") <(echo "$checked") | tr '\n' ' ')
		nchecked=$(comm -12 <(echo "$files") <(echo "$checked") | grep -c .)
		new=$(python3 "$top/scripts/new-warnings.py" "$src" "$base" "$top/build/obj" <"$log")
		nrc=$?
		if [ "$rc" -ne 0 ]; then
			tail -n 20 "$log"
			fail "sparse: make exited with status $rc (build/logs/sparse.log)"
		elif [ ! -s "$log" ]; then
			fail "sparse: make printed nothing: nothing checked (build/logs/sparse.log)"
		elif grep -q "not available or not up to date" "$log"; then
			fail "sparse: kbuild did not run it (build/logs/sparse.log)"
		elif [ "$nchecked" -lt "$nfiles" ]; then
			fail "sparse: checked $nchecked of $nfiles files; no CHECK line for: ${unchecked% } (build/logs/sparse.log)"
		elif [ "$nrc" -ne 0 ]; then
			fail "sparse: scripts/new-warnings.py exited with status $nrc"
		elif [ -z "$new" ]; then
			pass "sparse: no warning on the lines the series adds ($nchecked of $nfiles files checked, build/logs/sparse.log)"
		else
			echo "$new" | head -n 20
			fail "sparse: warnings on lines the series adds ($nchecked of $nfiles files checked, build/logs/sparse.log)"
		fi
	fi
fi

if [ "$bisect" -eq 1 ]; then
	relay_run bisect "$top/scripts/check-series.sh"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
