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

# the smallest tree the config stage accepts
make_tree() {
	mkdir -p tree/arch/x86 &&
	printf "VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 3\n" >tree/Makefile &&
	echo "mainmenu \"t\"" >tree/Kconfig && : >tree/arch/x86/Kconfig
}
# a make that answers --version and otherwise waits 10 s (after touching ./make-started), so that
# a kbuild command is at work in its build directory while the test runs another
slow_make() {
	mkdir -p bin && real=$(command -v make) &&
	printf "#!/bin/sh\ncase \"\$1\" in --version) exec %s \"\$@\";; esac\n: >%s/make-started\nsleep 10\nexit 2\n" \
		"$real" "$PWD" >bin/make && chmod +x bin/make
}
# wait_for FILE: up to 10 s
wait_for() {
	for i in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.1; done
	echo "no $1 after 10 s" >&2; return 1
}

test_expect_success 'one writer: a second command on a build directory in use is refused at once (exit 3), naming the first' '
	make_tree && slow_make &&
	{ PATH="$PWD/bin:$PATH" "$KBUILD" --tree tree -O b --base tinyconfig --config audio --stop-after config \
		>first.out 2>first.err & } && pid=$! &&
	wait_for make-started &&
	t0=$(date +%s%N) &&
	test_must_fail --exit 3 "$KBUILD" --tree tree -O b --base tinyconfig --config audio --stop-after config 2>err &&
	t1=$(date +%s%N) &&
	echo "kbuild: error: build directory ${Q}$PWD/b${Q} is in use by another kbuild command (pid $pid: kbuild --tree tree -O b --base tinyconfig --config audio --stop-after config): let it finish, or use another build directory" >expect &&
	test_cmp expect err &&
	test_must_fail --exit 3 "$KBUILD" config --tree tree -O b --base tinyconfig --config audio 2>err &&
	echo "kbuild: error: build directory ${Q}$PWD/b${Q} is in use by another kbuild command (pid $pid: kbuild --tree tree -O b --base tinyconfig --config audio --stop-after config): let it finish, or use another build directory" >expect &&
	test_cmp expect err &&
	test_must_fail --exit 3 "$KBUILD" modules list -O b 2>err &&
	echo "kbuild: error: build directory ${Q}$PWD/b${Q} is in use by another kbuild command (pid $pid: kbuild --tree tree -O b --base tinyconfig --config audio --stop-after config): let it finish, or use another build directory" >expect &&
	test_cmp expect err &&
	test $(((t1 - t0) / 1000000)) -lt 1000 &&
	kill $pid && { wait $pid || :; }
'

test_expect_success 'the lock goes with its command: the next one gets the directory' '
	make_tree && slow_make &&
	{ PATH="$PWD/bin:$PATH" "$KBUILD" --tree tree -O b --base tinyconfig --config audio --stop-after config \
		>/dev/null 2>&1 & } && pid=$! &&
	wait_for make-started && kill -9 $pid && { wait $pid || :; } &&
	"$KBUILD" --tree tree -O b --stop-after source 2>err &&
	test_cmp /dev/null err
'

# an unfinished build: configured, kernel.release and an image from an earlier build, but the
# build stage never finished (no stamp)
make_unfinished() {
	make_tree &&
	mkdir -p b/include/config b/arch/x86/boot b/.kbuild b/usr &&
	ln -s "$PWD/tree" b/source &&
	echo 6.12.3-ll >b/include/config/kernel.release && echo image >b/arch/x86/boot/bzImage &&
	printf "CONFIG_MODULES=y\n" >b/.config && printf "LOCALVERSION=-ll\n" >b/.kbuild/make-vars
}

test_expect_success 'modules, install and boot-test on an unfinished build: "build it first", exit 3, make never runs' '
	make_unfinished && mkdir bin &&
	printf "#!/bin/sh\n: >%s/make-ran\nexit 2\n" "$PWD" >bin/make && chmod +x bin/make &&
	echo "kbuild: error: ${Q}$PWD/b${Q} holds no finished build: build it first (kbuild -O $PWD/b ...)" >expect &&
	for cmd in "modules resolve -O b snd-dummy" "modules list -O b" "modules config -O b" "install -O b --destdir d" \
		"boot-test -O b"; do
		test_must_fail --exit 3 env PATH="$PWD/bin:$PATH" "$KBUILD" $cmd >out 2>err &&
		test_cmp expect err && test_cmp /dev/null out || return 1
	done &&
	test ! -e make-ran && test ! -e d && test ! -e b/.kbuild/modules && test ! -e b/boot-test
'

# a cache with a tree (2 MB of data), a download directory, and a build directory under ./build
make_cache() {
	mkdir -p cache/trees/T cache/sources build/b/.kbuild &&
	make_tree && mv tree cache/trees/T/tree &&
	head -c 2097152 /dev/urandom >cache/trees/T/tree/data && : >cache/trees/.lock &&
	head -c 1048576 /dev/urandom >cache/sources/pkg.deb && head -c 3145728 /dev/urandom >build/b/vmlinux
}

test_expect_success 'kbuild cache lists the cached trees, downloads and build directories with their sizes' '
	make_cache &&
	"$KBUILD" cache >out 2>err && test_cmp /dev/null err &&
	cat >expect <<-EOT &&
	cache: $PWD/cache
	build directories: $PWD/build
	    3.0 MB  build/b
	    1.0 MB  sources
	    2.0 MB  trees/T
	total: 6.0 MB in 3 entries; remove with ${Q}kbuild cache remove NAME...${Q} or ${Q}kbuild cache remove --all${Q}
	EOT
	test_cmp expect out &&
	"$KBUILD" cache list >out2 && test_cmp out out2
'

test_expect_success 'kbuild cache remove NAME: that entry only; an unknown name removes nothing (exit 2)' '
	make_cache &&
	test_must_fail --exit 2 "$KBUILD" cache remove trees/T nosuch 2>err &&
	echo "kbuild: error: ${Q}nosuch${Q}: no such entry in the cache ($PWD/cache) or build/ (see ${Q}kbuild cache${Q})" >expect &&
	test_cmp expect err && test -d cache/trees/T &&
	"$KBUILD" cache remove trees/T build/b >out 2>err &&
	echo "kbuild: freed 5.0 MB" >expect && test_cmp expect out &&
	test ! -e cache/trees/T && test ! -e build/b && test -f cache/sources/pkg.deb &&
	test "$(ls -A cache/trees build)" = "$(printf "build:\n\ncache/trees:\n.lock")" &&
	test_must_fail --exit 2 "$KBUILD" cache remove 2>err &&
	test_grep "^kbuild: error: nothing to remove" err &&
	test_must_fail --exit 2 "$KBUILD" cache remove --all sources 2>err &&
	test_must_fail --exit 2 "$KBUILD" cache prune 2>err &&
	echo "kbuild: error: unknown cache command ${Q}prune${Q} (list or remove)" >expect && test_cmp expect err &&
	test -f cache/sources/pkg.deb
'

test_expect_success 'kbuild cache never removes a tree or a build directory a kbuild command is using (exit 3)' '
	make_cache && slow_make &&
	{ PATH="$PWD/bin:$PATH" "$KBUILD" --tree cache/trees/T/tree -O build/b --base tinyconfig --config audio \
		--stop-after config >/dev/null 2>&1 & } && pid=$! &&
	wait_for make-started &&
	"$KBUILD" cache >out &&
	test_grep "^    3.0 MB  build/b  (in use)$" out && test_grep "^    2.0 MB  trees/T  (in use)$" out &&
	test_grep "^    1.0 MB  sources$" out &&
	test_must_fail --exit 3 "$KBUILD" cache remove build/b 2>err &&
	echo "kbuild: error: ${Q}build/b${Q} is in use by a kbuild command: not removed" >expect && test_cmp expect err &&
	test_must_fail --exit 3 "$KBUILD" cache remove --all >out 2>err &&
	test_grep "^kbuild: error: ${Q}trees/T${Q} is in use by a kbuild command: not removed$" err &&
	test_grep "^  REMOVE  sources (1.0 MB)$" err &&
	echo "kbuild: freed 1.0 MB" >expect && test_cmp expect out &&
	test -f build/b/vmlinux && test -f cache/trees/T/tree/data && test ! -e cache/sources &&
	kill $pid && { wait $pid || :; } &&
	"$KBUILD" cache remove --all >out 2>&1 && test ! -e cache/trees/T && test ! -e build/b
'

test_expect_success 'prerequisites first: what the base and the fragments need is checked before anything is fetched (exit 3)' '
	mkdir bin && printf "#!/bin/sh\necho v1.10\n" >bin/pahole && chmod +x bin/pahole &&
	printf "CONFIG_DEBUG_INFO_BTF=y\nCONFIG_MODULES=y\n" >base.config &&
	test_must_fail --exit 3 env PATH="$PWD/bin:$PATH" timeout 20 "$KBUILD" --base "$PWD/base.config" --config audio \
		>out 2>err &&
	test_grep "^  old      pahole             1.10     (needs 1.16 for CONFIG_DEBUG_INFO_BTF=y, built-in minimum)$" out &&
	test_grep "^not ready to build: pahole too old$" out &&
	tail -n 1 err >last &&
	echo "kbuild: error: nothing was fetched, copied or built: install what is missing first (or run with --install-deps)" >expect &&
	test_cmp expect last && test ! -e cache && test ! -e build
'

test_expect_success 'prerequisites first: a fragment that turns the need off is counted; a run that stops before the build is not held up' '
	mkdir bin && printf "#!/bin/sh\necho v1.10\n" >bin/pahole && chmod +x bin/pahole &&
	printf "CONFIG_DEBUG_INFO_BTF=y\nCONFIG_MODULES=y\n" >base.config &&
	printf "# CONFIG_DEBUG_INFO_BTF is not set\n" >nobtf.config && make_tree &&
	test_must_fail env PATH="$PWD/bin:$PATH" "$KBUILD" --tree tree -O b --base "$PWD/base.config" --config audio \
		--config "$PWD/nobtf.config" >out 2>err &&
	! grep pahole out err && test -f b/metadata.json && rm -rf b &&
	PATH="$PWD/bin:$PATH" "$KBUILD" --tree tree -O b --base "$PWD/base.config" --config audio --stop-after source \
		>out 2>err &&
	! grep pahole out err && test -f b/metadata.json
'
test_done
