#!/bin/bash
# k0040-kernel-source: scripts/kernel-source on Debian's real linux-source packages: 6.12 and the
# default (the newest the archive serves) at apt's candidate versions, --need-rt 6.1 falling back to a version whose PREEMPT_RT series
# the archive serves (expectation probed here version by version), answers from the cache. Uses the
# persistent cache (a tree is a 140 MB download and ~20 s to unpack): correct both cold and warm.
. "$(dirname "$0")/lib.sh"

KS=$SRCDIR/scripts/kernel-source
CACHE=${KBUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kbuild}
STATE=$TRASH_ROOT/state
mkdir -p "$STATE"

candidate() { apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p'; }
upstream() { local u=${1#*:}; echo "${u%-*}"; }

# expect_debian PKG VERSION: the three lines for Debian's PKG=VERSION, from apt's index
expect_debian() {
	local sha
	sha=$(apt-cache show "$1=$2" | awk '$1 == "SHA256:" { print $2; exit }')
	test -n "$sha" &&
	printf 'tree=%s\nversion=%s\norigin=Debian %s %s (sha256 %s)\n' \
		"$CACHE/trees/$1_${2#*:}/$1" "$(upstream "$2")" "$1" "$2" "$sha"
}

# unpacked_right PKG: a whole tree from the .deb; a download said so on stderr (file err)
unpacked_right() {
	tree=$(sed -n "s/^tree=//p" out) &&
	test -f "$tree/Kconfig" && test -f "$tree/arch/x86/Kconfig" && test -f "$tree/kernel/sched/core.c" &&
	test -f "$(dirname "$tree")/origin" &&
	! ls -A "$CACHE/trees" | grep "^\.tmp" &&
	if grep -q "^  FETCH " err; then
		test_grep "^  UNPACK  $1_.*_all.deb -> trees/$(basename "$(dirname "$tree")")$" err
	fi
}

# cached_again ARGS...: a second call answers the same from the cache, fast, without a
# download and without touching the tree
cached_again() {
	tree=$(sed -n "s/^tree=//p" out) &&
	stat -c "%i %Y" "$tree" "$(dirname "$tree")/origin" >before &&
	start=$(date +%s.%N) &&
	"$KS" "$@" >again 2>err2 &&
	end=$(date +%s.%N) &&
	test_cmp out again &&
	! grep -E "^  (FETCH|UNPACK) " err2 &&
	stat -c "%i %Y" "$tree" "$(dirname "$tree")/origin" >after && test_cmp before after &&
	echo "$start $end" | awk '{ d = $2 - $1; print "# cached call: " d " s"; exit !(d < 2) }'
}

test_expect_success '6.12: linux-source-6.12 at apt'\''s candidate, unpacked from the .deb' '
	v=$(candidate linux-source-6.12) && test -n "$v" &&
	expect_debian linux-source-6.12 "$v" >expect &&
	"$KS" 6.12 >out 2>err &&
	test_cmp expect out &&
	unpacked_right linux-source-6.12 &&
	test "$(make -s -C "$tree" kernelversion 2>/dev/null)" = "$(upstream "$v")" &&
	cp out "$STATE/612"
'

test_expect_success '6.12 again: from the cache in under 2 s, no download, the tree untouched' '
	cp "$STATE/612" out &&
	cached_again 6.12
'

# newest_package: the newest linux-source-X.Y apt would install (any suite, security included)
newest_package() {
	local p
	for p in $(apt-cache pkgnames linux-source- | grep -E "^linux-source-[0-9]+\.[0-9]+$" | sort -rV); do
		[ -z "$(candidate "$p" | grep -v "^(none)$")" ] || { echo "$p"; return; }
	done
}

test_expect_success 'no SPEC: the newest linux-source-X.Y the archive serves (security updates included), at its candidate' '
	pkg=$(newest_package) &&
	v=$(candidate "$pkg") && test -n "$v" &&
	. /etc/os-release &&
	if [ "$VERSION_CODENAME" = bookworm ]; then
		# the metapackage linux-source still depends on linux-source-6.1; bookworm-security serves 6.12
		test "$pkg" = linux-source-6.12 && case $v in 6.12.*) ;; *) false ;; esac
	fi &&
	expect_debian "$pkg" "$v" >expect &&
	"$KS" >out 2>err &&
	test_cmp expect out &&
	unpacked_right "$pkg" &&
	echo "$pkg" >"$STATE/default-pkg" &&
	cp out "$STATE/default"
'

test_expect_success 'no SPEC again: from the cache' '
	cp "$STATE/default" out &&
	cached_again
'

test_expect_success 'no SPEC, --need-rt: a default whose PREEMPT_RT is mainline (6.12-) is taken at its candidate, no series probed' '
	pkg=$(cat "$STATE/default-pkg") &&
	case $pkg in
	linux-source-6.1[2-9]|linux-source-[7-9].*)
		cp "$STATE/default" out &&
		cached_again --need-rt &&
		! grep -E "skipping|SOURCE|FETCH" err2 ;;
	*) say "default $pkg is older than 6.12: nothing to check here" ;;
	esac
'

test_expect_success '--need-rt 6.1: the newest version whose PREEMPT_RT series the archive serves, the skipped named' '
	pkg=linux-source-6.1 &&
	cand=$(candidate "$pkg") &&
	# the versions from the candidate down, and each one'\''s source package
	apt-cache madison "$pkg" | awk -F"|" "{ gsub(/ /, \"\", \$2); print \$2 }" | awk "!seen[\$0]++" |
		awk -v c="$cand" "\$0 == c { on = 1 } on" >versions &&
	chosen= && skipped= && tried= &&
	while read -r v; do
		up=$(upstream "$v") &&
		src=$(apt-cache show "$pkg=$v" | awk "\$1 == \"Source:\" { print \$2; exit }") &&
		src=${src:-$pkg} &&
		case " $tried " in
		*" $up:ok "*) break ;;
		*" $up:no "*) skipped="$skipped $v"; continue ;;
		esac &&
		if "$SRCDIR/scripts/debian-source" --package "$src" "$up" >series-dir 2>probe.err; then
			chosen=$v; tried="$tried $up:ok"; echo "$src" >src; break
		else
			tried="$tried $up:no"; skipped="$skipped $v"
		fi
	done <versions &&
	say "--need-rt: candidate $cand, expect $chosen, skipped:${skipped:- none}" &&
	test -n "$chosen" &&
	expect_debian "$pkg" "$chosen" >expect &&
	"$KS" --need-rt 6.1 >out 2>err &&
	test_cmp expect out &&
	unpacked_right "$pkg" &&
	# what the pipeline runs next succeeds on this tree version
	"$SRCDIR/scripts/debian-source" --package "$(cat src)" "$(upstream "$chosen")" >dir &&
	test -s "$(cat dir)/series" &&
	for v in $skipped; do
		grep "^kernel-source: --need-rt: skipping $pkg .*$v[,:]" err || exit 1
	done &&
	if [ -n "$skipped" ]; then
		test_grep "^kernel-source: --need-rt: using $pkg $chosen, the newest whose PREEMPT_RT series the archive serves$" err
	else
		test "$chosen" = "$cand" && ! grep "skipping" err
	fi &&
	cp out "$STATE/need-rt" && echo "$chosen" >"$STATE/need-rt-version"
'

test_expect_success '--need-rt 6.1 again: from the cache, the same answer' '
	cp "$STATE/need-rt" out &&
	cached_again --need-rt 6.1
'

test_expect_success 'X.Y.Z: the newest Debian version of that upstream version (no new download here)' '
	chosen=$(cat "$STATE/need-rt-version") &&
	cp "$STATE/need-rt" out &&
	cached_again "$(upstream "$chosen")"
'

test_expect_success 'a version the archive does not have: exit 2, what it has instead' '
	test_must_fail --exit 2 "$KS" 6.1.9999 2>err &&
	test_grep "^kernel-source: error: unknown kernel version 6.1.9999: the archive has linux-source-6.1 " err &&
	test_must_fail --exit 2 "$KS" 2.4 2>err &&
	test_grep "^kernel-source: error: unknown kernel version 2.4: the archive has no linux-source-2.4, only linux-source-" err
'

test_done
