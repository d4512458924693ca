#!/bin/bash
# t0200-args-lock-cache: the main command checks every argument before it fetches or copies anything
# (a typo costs under a second and no disk), one kbuild command per build directory (the lock),
# modules, install and boot-test refuse an unfinished build, and kbuild cache lists and removes
. "$(dirname "$0")/../test-lib.sh"

Q="'"
# the cache is a scratch directory: a run that got as far as the source stage would make it
export KBUILD_CACHE=cache

# typo ARGS... -- EXIT MESSAGE: the main command without --tree fails with EXIT and MESSAGE on
# stderr within a second, and nothing is fetched or written (no cache, no build directory)
typo() {
	local args=() code msg t0 t1
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	code=$2 msg=$3
	t0=$(date +%s%N)
	test_must_fail --exit "$code" timeout 20 "$KBUILD" "${args[@]}" >out 2>err
	t1=$(date +%s%N)
	echo "kbuild: error: $msg" >expect && test_cmp expect err && test_cmp /dev/null out &&
	test ! -e cache && test ! -e build && test "$(ls -A)" = "$(printf "err\nexpect\nout")" &&
	test $(((t1 - t0) / 1000000)) -lt 1000 || { echo "took $(((t1 - t0) / 1000000)) ms" >&2; return 1; }
}

test_expect_success 'argument typos fail before any download: exit 2, the argument named, nothing written, under 1 s' '
	typo --patch lll --config audio -- 2 "--patch lll: no such series directory, patch or tarball (ll, a quilt series directory, a patch or an RT tarball)" &&
	typo --patch ll --source nosuch --config audio -- 2 "--source ${Q}nosuch${Q}: No such file or directory" &&
	typo --base runing --config audio -- 2 "base configuration ${Q}runing${Q}: no such file or kconfig target" &&
	typo --config audoi -- 2 "--config audoi: no fragment, profile or file named ${Q}audoi${Q} (see ${Q}kbuild config --list${Q})" &&
	typo --kernel 6.x --config audio -- 2 "--kernel ${Q}6.x${Q}: not a version (6.12, 6.1.176), a kernel tarball or a tree: No such file or directory" &&
	typo --kernel ./linux-6.12.tar.xz --config audio -- 2 "--kernel ${Q}./linux-6.12.tar.xz${Q}: not a version (6.12, 6.1.176), a kernel tarball or a tree: No such file or directory"
'

test_expect_success '-O naming a file: exit 2 before anything is fetched, the file untouched' '
	echo keep >f &&
	test_must_fail --exit 2 timeout 20 "$KBUILD" -O f --config audio 2>err &&
	echo "kbuild: error: -O ${Q}f${Q}: Not a directory" >expect && test_cmp expect err &&
	echo keep >expect && test_cmp expect f && test ! -e cache
'

test_expect_success 'the ll profile without its file: exit 2 before anything is fetched' '
	mkdir patches &&
	test_must_fail --exit 2 env KBUILD_PATCHDIR="$PWD/patches" timeout 20 "$KBUILD" --patch ll --config audio 2>err &&
	echo "$PWD/patches/ll/sources: error: cannot read the ll profile: No such file or directory" >expect &&
	test_cmp expect err && test ! -e cache
'
test_done
