#!/bin/bash
# k0051-build-61-ll: vanilla 6.1.176 with --patch ll (Debian's PREEMPT_RT series) built in one
# command through ccache and a distccd on 127.0.0.1: PREEMPT_RT=y, the series in metadata.json;
# a read-only tree is refused; a deliberately broken source file gives the first error and exit 1
. "$(dirname "$0")/lib.sh"

TREE=$TRASH_ROOT/tree
B=$TRASH_ROOT/b
RT=$KT_DEBIAN61/debian/patches-rt
PORT=$((20000 + $$ % 20000))
export CCACHE_DIR=$TRASH_ROOT/ccache
cp -a "$KT_61" "$TREE"
# distccd run by root compiles as nobody: its log must be reachable and writable for that user
chmod 711 "$TRASH_ROOT" && : >"$TRASH_ROOT/distccd.log" && chmod 666 "$TRASH_ROOT/distccd.log"
distccd --daemon --no-detach --allow 127.0.0.1 --listen 127.0.0.1 --port "$PORT" \
	--log-file "$TRASH_ROOT/distccd.log" --log-level info --jobs 2 &
DPID=$!
trap 'kill $DPID 2>/dev/null; mountpoint -q "$TRASH_ROOT/ro" && umount "$TRASH_ROOT/ro"; rm -rf "$TRASH_ROOT"' EXIT
ARGS="--tree $TREE -O $B --patch ll --base tinyconfig --config audio --config qemu-guest --ccache --distcc 127.0.0.1:$PORT/2"
meta() {
	python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$B/metadata.json" "$1"
}

test_expect_success 'a read-only tree: --patch ll is refused with exit 3 and the tree is unchanged' '
	mkdir "$TRASH_ROOT/ro" &&
	mount --bind "$TREE" "$TRASH_ROOT/ro" && mount -o remount,ro,bind "$TRASH_ROOT/ro" &&
	test_must_fail --exit 3 "$KBUILD" --tree "$TRASH_ROOT/ro" -O b --patch ll --base tinyconfig --config audio 2>err &&
	test_grep "Read-only file system" err &&
	umount "$TRASH_ROOT/ro" &&
	diff -r -q "$TREE" "$KT_61" &&
	test ! -e b/.config
'

test_expect_success 'one command: patch, config, build through ccache and distcc; PREEMPT_RT=y' '
	"$KBUILD" $ARGS >out 2>err &&
	REL=$(make -s -C "$TREE" kernelversion)$(cat "$TREE/localversion-rt")-ll &&
	test "$REL" = "$(make -s -C "$KT_61" kernelversion)-rt64-ll" &&
	test_grep "^kbuild: built $REL in " out &&
	test_grep "^CONFIG_PREEMPT_RT=y$" "$B/.config" &&
	test -s "$B/arch/x86/boot/bzImage" &&
	test -f "$B/sound/drivers/snd-dummy.ko" &&
	# a cold cache: kconfig'"'"'s and the arch Makefile'"'"'s compiler probes repeat, the objects miss
	test_grep "^kbuild: ccache: [0-9]* hits, [1-9][0-9]* misses ([0-9]*% hit rate)$" out
'

test_expect_success 'distccd on 127.0.0.1 compiled the objects' '
	n=$(grep -c "COMPILE_OK" "$TRASH_ROOT/distccd.log") &&
	echo "distccd compiled $n objects" &&
	test "$n" -ge 300 &&
	test "$(meta "m[\"make\"][\"distcc_hosts\"]")" = "127.0.0.1:$PORT/2" &&
	test "$(meta "m[\"toolchain\"][\"compiler_string\"]")" = "ccache gcc" &&
	test_grep "^CONFIG_CC_VERSION_TEXT=\"$(gcc --version | head -n1)\"$" "$B/.config"
'

test_expect_success 'metadata.json: the series with every patch and its sha256, ccache statistics' '
	test "$(meta "m[\"status\"]")" = ok &&
	test "$(meta "m[\"kernel_release\"]")" = "$(cat "$B/include/config/kernel.release")" &&
	meta "\"\\n\".join(p[\"name\"] + \" \" + p[\"sha256\"] for p in m[\"series\"][\"patches\"])" >actual &&
	grep -v -e "^#" -e "^[[:space:]]*$" "$RT/series" | while read -r p rest; do
		echo "$p $(sha256sum <"$RT/$p" | cut -d" " -f1)"
	done >expect &&
	test_cmp expect actual &&
	test "$(wc -l <actual)" -eq "$(grep -c -v -e "^#" -e "^[[:space:]]*$" "$RT/series")" &&
	test "$(meta "m[\"ccache\"][\"misses\"]")" -gt 300 &&
	test "$(meta "m[\"ccache\"][\"hits\"] < m[\"ccache\"][\"misses\"] / 5")" = True &&
	test "$(meta "\" \".join(sorted(m[\"stages\"]))")" = "build config patch source"
'

test_expect_success 'a broken source file: the first compiler error with file:line, exit 1' '
	cp -p "$TREE/kernel/fork.c" fork.c.orig &&
	echo "int kbuild_broken = ;" >>"$TREE/kernel/fork.c" &&
	line=$(wc -l <"$TREE/kernel/fork.c") &&
	test_must_fail --exit 1 "$KBUILD" $ARGS >out 2>err &&
	cp -p fork.c.orig "$TREE/kernel/fork.c" &&
	test_grep "^$TREE/kernel/fork.c:$line:[0-9]*: error: expected expression before .*;.* token$" err &&
	test_grep "^kbuild: error: the build failed (make exit 2); the first error is above, the full log is '"'"'$B/build.log'"'"'$" err &&
	test "$(meta "m[\"status\"]")" = failed &&
	meta "m[\"error\"]" >error &&
	test_grep "^$TREE/kernel/fork.c:$line:[0-9]*: error: expected expression" error
'

test_expect_success 'the source fixed, the same command builds again (only what changed)' '
	touch "$TREE/kernel/fork.c" &&
	"$KBUILD" $ARGS >out 2>err &&
	test_grep "^kbuild: built .* ([1-9][0-9]* objects compiled)$" out &&
	test "$(meta "m[\"status\"]")" = ok
'

test_done
