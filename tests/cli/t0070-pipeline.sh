#!/bin/bash
# t0070-pipeline: the one-command pipeline's arguments and bad input, and kbuild install's checks,
# on hand-made trees (the real builds are tests/kernel/k0050 and k0051)
. "$(dirname "$0")/../test-lib.sh"

# the smallest tree config_check_tree accepts, and a build directory that looks built
make_tree() {
	mkdir -p tree/arch/x86 &&
	printf "VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 3\n" >tree/Makefile &&
	echo "mainmenu \"t\"" >tree/Kconfig && : >tree/arch/x86/Kconfig
}
make_built() {
	make_tree &&
	mkdir -p b/include/config b/arch/x86/boot b/.kbuild &&
	ln -s "$PWD/tree" b/source &&
	echo 6.12.3-ll >b/include/config/kernel.release &&
	echo image >b/arch/x86/boot/bzImage && echo map >b/System.map &&
	echo "# CONFIG_MODULES is not set" >b/.config &&
	printf "LOCALVERSION=-ll\n" >b/.kbuild/make-vars && echo 6.12.3-ll >b/.kbuild/built
}

test_expect_success 'a missing tree: exit 3, named, nothing created' '
	test_must_fail --exit 3 "$KBUILD" --tree "$PWD/nope" -O b --config audio 2>err &&
	echo "kbuild: error: kernel tree '"'"'$PWD/nope'"'"': No such file or directory" >expect &&
	test_cmp expect err &&
	test ! -e b
'

test_expect_success 'an unknown profile: exit 2 before anything runs' '
	make_tree &&
	test_must_fail --exit 2 "$KBUILD" --tree tree -O b --config nosuch 2>err &&
	test_grep "nosuch" err &&
	test ! -e b
'

test_expect_success 'bad arguments: exit 2 with the argument named' '
	make_tree &&
	test_must_fail --exit 2 "$KBUILD" --tree tree --package zip 2>err &&
	test_grep "^kbuild: error: --package '"'"'zip'"'"': not deb, rpm or tar$" err &&
	test_must_fail --exit 2 "$KBUILD" --tree tree -j 0 2>err &&
	test_grep "^kbuild: error: -j '"'"'0'"'"': not a number of jobs from 1 to 4096$" err &&
	test_must_fail --exit 2 "$KBUILD" --tree tree -j 2x 2>err &&
	test_must_fail --exit 2 "$KBUILD" --tree tree --destdir d 2>err &&
	test_grep "^kbuild: error: --destdir stages an install: give --install too$" err &&
	test_must_fail --exit 2 "$KBUILD" --tree tree --kernel 6.12 2>err &&
	test_grep "^kbuild: error: --tree and --kernel exclude each other$" err &&
	test_must_fail --exit 2 "$KBUILD" --tree tree --stop-after install 2>err &&
	test_grep "^kbuild: error: --stop-after '"'"'install'"'"': not source, patch, config, build or package$" err &&
	test_must_fail --exit 2 "$KBUILD" --tree tree --distcc "" 2>err &&
	test_grep "^kbuild: error: --distcc '"'"''"'"': not a list of hosts" err &&
	test_must_fail --exit 2 "$KBUILD" --tree tree --distcc "a/x" 2>err &&
	test ! -e build
'

test_expect_success '--ccache without ccache installed: exit 3 with the package to install' '
	make_tree && mkdir bin &&
	for t in make sh cat; do ln -s "$(command -v $t)" bin/$t; done &&
	test_must_fail --exit 3 env PATH="$PWD/bin" "$KBUILD" --tree tree -O b --ccache --config audio 2>err &&
	echo "kbuild: error: --ccache: '"'"'ccache'"'"' is not installed (apt-get install ccache)" >expect &&
	test_cmp expect err
'

test_expect_success 'no --config and no .config: exit 2, the build directory is made but holds no .config' '
	make_tree &&
	test_must_fail --exit 2 "$KBUILD" --tree tree -O b 2>err &&
	test_grep "^kbuild: error: '"'"'$PWD/b'"'"' has no .config: give --config NAME (and --base) to make one$" err &&
	test ! -e b/.config &&
	python3 -c "import json; m = json.load(open(\"b/metadata.json\")); assert m[\"status\"] == \"failed\", m"
'

test_expect_success '--stop-after source: metadata.json names the tree and its version, nothing else runs' '
	make_tree &&
	"$KBUILD" --tree tree -O b --stop-after source --config audio 2>err &&
	python3 -c "
import json
m = json.load(open(\"b/metadata.json\"))
assert m[\"status\"] == \"ok\", m
assert m[\"source\"][\"version\"] == \"6.12.3\", m
assert m[\"source\"][\"tree\"] == \"$PWD/tree\", m
assert list(m[\"stages\"]) == [\"source\"], m
assert m[\"make\"][\"localversion\"] == \"-ll\", m
" &&
	test ! -e b/.config
'

test_expect_success 'the default build directory is build/<tree name> under the current directory' '
	make_tree &&
	"$KBUILD" --tree tree --stop-after source --config audio 2>err &&
	test -f build/tree/metadata.json
'

test_expect_success 'kbuild install: a build directory that was never built is refused (exit 3)' '
	make_tree && mkdir b &&
	test_must_fail --exit 3 "$KBUILD" install -O b --tree tree --destdir d 2>err &&
	echo "kbuild: error: '"'"'$PWD/b'"'"' holds no finished build: build it first (kbuild -O $PWD/b ...)" >expect &&
	test_cmp expect err
'

test_expect_success 'kbuild install without --destdir as a normal user: exit 3, nothing touched' '
	make_built &&
	chmod -R a+rX . && chmod a+rx "$TRASH_ROOT" &&
	test_must_fail --exit 3 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$KBUILD" install -O b 2>err &&
	test_grep "^kbuild: error: installing into the running system needs root: run '"'"'sudo kbuild install -O $PWD/b'"'"', or stage it with --destdir DIR$" err
'

test_expect_success 'kbuild install --destdir of a kernel without modules: image, map and config' '
	make_built &&
	"$KBUILD" install -O b --destdir stage >out 2>err &&
	echo image >expect && test_cmp expect stage/boot/vmlinuz-6.12.3-ll &&
	echo map >expect && test_cmp expect stage/boot/System.map-6.12.3-ll &&
	test_cmp b/.config stage/boot/config-6.12.3-ll &&
	test ! -e stage/lib &&
	test_grep "^kbuild: staged 6.12.3-ll in $PWD/stage: /boot/vmlinuz-6.12.3-ll; " out &&
	test_grep "^kbuild: this kernel is not PREEMPT_RT and cannot thread its interrupts (IRQ_FORCED_THREADING=n): expect higher audio latency$" out
'

test_expect_success 'kbuild install: a build directory kbuild did not make is refused (exit 3)' '
	make_built && rm b/.kbuild/make-vars &&
	test_must_fail --exit 3 "$KBUILD" install -O b --destdir stage 2>err &&
	test_grep "was not built by kbuild (no .kbuild/make-vars)" err &&
	test ! -e stage/boot
'

test_expect_success 'kbuild install without -O: the one build directory under ./build, else a list' '
	make_built && mkdir build && mv b build/one && echo {} >build/one/metadata.json &&
	rm build/one/source && ln -s "$PWD/tree" build/one/source &&
	"$KBUILD" install --destdir stage >out 2>err &&
	echo image >expect && test_cmp expect stage/boot/vmlinuz-6.12.3-ll &&
	cp -a build/one build/two &&
	test_must_fail --exit 2 "$KBUILD" install --destdir stage2 2>err &&
	echo "kbuild: error: no build directory given: use -O BUILD with one of build/one, build/two" >expect.a &&
	echo "kbuild: error: no build directory given: use -O BUILD with one of build/two, build/one" >expect.b &&
	{ test_cmp expect.a err || test_cmp expect.b err; } &&
	rm -rf build &&
	test_must_fail --exit 2 "$KBUILD" install --destdir stage2 2>err &&
	echo "kbuild: error: no build directory given (use -O BUILD), and none under ./build" >expect &&
	test_cmp expect err &&
	test ! -e stage2/boot
'

test_expect_success '--install as a normal user without --destdir: refused before anything runs' '
	make_tree && chmod a+rx "$TRASH_ROOT" . &&
	test_must_fail --exit 3 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$KBUILD" --tree tree -O /tmp/kbuild-t0070-$$ --config audio --install 2>err &&
	test_grep "^kbuild: error: --install into the running system needs root: build as yourself, then run " err &&
	test ! -e /tmp/kbuild-t0070-$$
'

test_done
