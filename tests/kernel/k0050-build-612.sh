#!/bin/bash
# k0050-build-612: Debian's 6.12 tree from tinyconfig + audio + qemu-guest to bzImage and modules in
# one command: interrupted and resumed, the modules staged with depmod, metadata.json, a no-op rerun,
# a changed fragment, the kernel's own tar and deb packages, a staged install with depmod files
. "$(dirname "$0")/lib.sh"

B=$TRASH_ROOT/b
TREE=$KT_612
REL=$(make -s -C "$TREE" kernelversion)-ll
ARGS="--tree $TREE -O $B --base tinyconfig --config audio --config qemu-guest -j2"
trap 'mountpoint -q "$TRASH_ROOT/full" && umount "$TRASH_ROOT/full"; rm -rf "$TRASH_ROOT"' EXIT
meta() { # meta EXPR: a value from metadata.json
	python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$B/metadata.json" "$1"
}

test_expect_success 'Ctrl-C during the build: exit 130, metadata says interrupted, what was built stays' '
	"$KBUILD" $ARGS >out 2>err &
	pid=$! &&
	for i in $(seq 600); do
		test "$(grep -c "^  CC " "$B/build.log" 2>/dev/null)" -ge 150 && break
		sleep 0.5
	done &&
	kill -INT $pid &&
	rc=0 && wait $pid || rc=$? &&
	test "$rc" -eq 130 &&
	test_grep "^kbuild: error: interrupted: run the same command again to resume" err &&
	test "$(meta "m[\"status\"]")" = interrupted &&
	find "$B" -name "*.o" | wc -l >"$TRASH_ROOT/objects-before" &&
	test "$(cat "$TRASH_ROOT/objects-before")" -ge 150
'

test_expect_success 'the same command resumes and builds bzImage and modules' '
	"$KBUILD" $ARGS >out 2>err &&
	cat out && tail -n 3 err &&
	# not a terminal: a plain progress line every 10% of the estimate
	test_grep "^  MAKE  *[1-9][0-9]*% [0-9]*/[0-9]* objects, [0-9hms]*, ETA [0-9hms]*$" err &&
	test_grep "^kbuild: built $REL in .*: $B/arch/x86/boot/bzImage, [0-9]* modules (\([0-9]*\) objects compiled)$" out &&
	test -s "$B/arch/x86/boot/bzImage" &&
	echo "$REL" >expect && test_cmp expect "$B/include/config/kernel.release" &&
	test -f "$B/sound/drivers/snd-dummy.ko" && test -f "$B/sound/drivers/snd-aloop.ko" &&
	compiled=$(sed -n "s/.*modules (\([0-9]*\) objects compiled)$/\1/p" out) &&
	total=$(grep -c "^  CC .*\.o$\|^  AS .*\.o$\|^  CC \[M\] .*\.o$" "$B/build.log") &&
	echo "compiled $compiled, in the log $total, objects before $(cat "$TRASH_ROOT/objects-before")" &&
	test "$compiled" -eq "$total" &&
	# resumed: the objects of the interrupted run were not compiled again
	# (every object there now, less those there before, with room for the few make redoes)
	test "$compiled" -le $(($(find "$B" -name "*.o" | wc -l) - $(cat "$TRASH_ROOT/objects-before") + 60)) &&
	test_grep "^CONFIG_SND_DUMMY=m$" "$B/.config" &&
	test_grep "^CONFIG_SERIAL_8250_CONSOLE=y$" "$B/.config" &&
	# the modules staged as the booted kernel will see them: modules_install (stripped) and depmod
	printf "%s\n" "  INSTALL $B/.kbuild/modules/lib/modules/$REL" "  DEPMOD  $REL" >expect &&
	grep "^  INSTALL \|^  DEPMOD " err >actual && test_cmp expect actual &&
	test_grep "kernel/sound/drivers/snd-dummy.ko:" "$B/.kbuild/modules/lib/modules/$REL/modules.dep" &&
	test "$(stat -c %s "$B/.kbuild/modules/lib/modules/$REL/kernel/sound/drivers/snd-dummy.ko")" -lt "$(stat -c %s "$B/sound/drivers/snd-dummy.ko")"
'

test_expect_success 'metadata.json: release, source, fragments and config with sha256, toolchain, command' '
	test "$(meta "m[\"status\"]")" = ok &&
	test "$(meta "m[\"kernel_release\"]")" = "$REL" &&
	test "$(meta "m[\"source\"][\"tree\"]")" = "$(readlink -f "$TREE")" &&
	test "$(meta "m[\"source\"][\"version\"]")" = "$(make -s -C "$TREE" kernelversion)" &&
	test "$(meta "m[\"series\"]")" = None &&
	test "$(meta "m[\"config\"][\"config_sha256\"]")" = "$(sha256sum <"$B/.config" | cut -d" " -f1)" &&
	meta "\"\\n\".join(f[\"path\"] + \" \" + f[\"sha256\"] for f in m[\"config\"][\"fragments\"])" >actual &&
	for f in preempt modules ide-scsi audio tracers qemu-guest; do
		echo "$SRCDIR/kconfig-fragments/$f.config $(sha256sum <"$SRCDIR/kconfig-fragments/$f.config" | cut -d" " -f1)"
	done >expect &&
	test_cmp expect actual &&
	test "$(meta "m[\"config\"][\"base_sha256\"]")" = "$(sha256sum <"$B/.kbuild/base/.config" | cut -d" " -f1)" &&
	test "$(meta "m[\"toolchain\"][\"cc\"]")" = "$(gcc --version | head -n1)" &&
	test "$(meta "m[\"toolchain\"][\"make\"]")" = "$(make --version | head -n1)" &&
	test "$(meta "m[\"make\"][\"localversion\"]")" = "-ll" &&
	test "$(meta "m[\"make\"][\"jobs\"]")" = 2 &&
	test "$(meta "\" \".join(sorted(m[\"stages\"]))")" = "build config source" &&
	# a shell command line: quoted where needed, the same words once the shell has read it
	eval "set -- $(meta "m[\"command\"]")" && test "$*" = "$KBUILD $ARGS" &&
	meta "m[\"make_command\"]" >mc &&
	test_grep "^make -C '"'"'\?$TREE'"'"'\? O=$B ARCH=x86_64 -j2 LOCALVERSION=-ll .KBUILD_BUILD_TIMESTAMP=.* KBUILD_BUILD_USER=kbuild KBUILD_BUILD_HOST=kbuild bzImage modules$" mc
'

test_expect_success 'the build is reproducible: timestamp from the source, fixed user and host' '
	ts=$(date -u -d "@$(stat -c %Y "$TREE/Makefile")" "+%a %b %e %H:%M:%S UTC %Y") &&
	test_grep "^#define UTS_VERSION \"#[0-9]* .*PREEMPT_RT $ts\"$" "$B/include/generated/utsversion.h" &&
	test_grep "^#define LINUX_COMPILE_BY[[:space:]]*\"kbuild\"$" "$B/include/generated/compile.h" &&
	test_grep "^#define LINUX_COMPILE_HOST[[:space:]]*\"kbuild\"$" "$B/include/generated/compile.h"
'

test_expect_success 'a second identical run: no config stage, .config untouched, make compiles nothing' '
	stat -c %Y.%y "$B/.config" >before &&
	"$KBUILD" $ARGS >out 2>err &&
	test_grep "^  CONFIG  $B/.config unchanged: base, fragments and tree as last time$" err &&
	! grep "^  MERGE " err &&
	stat -c %Y.%y "$B/.config" >after && test_cmp before after &&
	test_grep "(0 objects compiled)$" out &&
	! grep "^  CC " "$B/build.log" &&
	# the staged modules are current: not installed again
	! grep "^  INSTALL \|^  DEPMOD " err
'

test_expect_success 'a changed fragment runs the config stage again (and make), nothing else' '
	cp "$SRCDIR/kconfig-fragments/qemu-guest.config" mine.config &&
	echo "# a comment changes the fragment, not the result" >>mine.config &&
	"$KBUILD" --tree "$TREE" -O "$B" --base tinyconfig --config audio --config "$PWD/mine.config" -j2 >out 2>err &&
	test_grep "^  MERGE   $PWD/mine.config$" err &&
	test_grep "^  WRITE   $B/.config (unchanged)$" err &&
	test_grep "(0 objects compiled)$" out &&
	# and back: the stamp follows the inputs
	"$KBUILD" $ARGS >out 2>err &&
	test_grep "^  MERGE   " err
'

test_expect_success '--package tar: the kernel'"'"'s tar-pkg with the image and modules' '
	"$KBUILD" $ARGS --package tar >out 2>err &&
	tarball=$(sed -n "s/^  \(.*\.tar\)$/\1/p" out) &&
	test -f "$tarball" &&
	tar tf "$tarball" >list &&
	test_grep "^\(\./\)\?boot/vmlinuz-$REL$" list &&
	test_grep "^\(\./\)\?lib/modules/$REL/kernel/sound/drivers/snd-dummy.ko" list &&
	test "$(meta "m[\"packages\"]")" = "$tarball"
'

test_expect_success '--package deb: bindeb-pkg makes linux-image-REL' '
	"$KBUILD" $ARGS --package deb >out 2>err &&
	deb=$(sed -n "s/^  \(.*linux-image-.*\.deb\)$/\1/p" out) &&
	test -f "$deb" &&
	test "$(dpkg-deb -f "$deb" Package)" = "linux-image-$REL" &&
	dpkg-deb -c "$deb" >list &&
	test_grep "\./boot/vmlinuz-$REL$" list
'

test_expect_success 'a staged --install --destdir: image, System.map, config, modules and depmod files' '
	"$KBUILD" $ARGS --install --destdir "$PWD/stage" >out 2>err &&
	cmp "$B/arch/x86/boot/bzImage" "stage/boot/vmlinuz-$REL" &&
	cmp "$B/System.map" "stage/boot/System.map-$REL" &&
	cmp "$B/.config" "stage/boot/config-$REL" &&
	test_grep "kernel/sound/drivers/snd-dummy.ko:" "stage/lib/modules/$REL/modules.dep" &&
	test -s "stage/lib/modules/$REL/modules.alias" &&
	test -s "stage/lib/modules/$REL/modules.dep.bin" &&
	test_grep "^kbuild: staged $REL in $PWD/stage: /boot/vmlinuz-$REL and its modules; " out &&
	test_grep "^kbuild: for audio work no extra kernel parameters are needed (PREEMPT_RT threads every interrupt)$" out &&
	! test -e "/boot/vmlinuz-$REL" && ! test -e "/lib/modules/$REL"
'

test_expect_success 'kbuild install -O BUILD --destdir: the same files from the install command' '
	"$KBUILD" install -O "$B" --destdir "$PWD/stage2" >out 2>err &&
	cmp "$B/arch/x86/boot/bzImage" "stage2/boot/vmlinuz-$REL" &&
	test_grep "kernel/sound/drivers/snd-aloop.ko:" "stage2/lib/modules/$REL/modules.dep" &&
	echo "$REL" >expect && test_cmp expect "$B/include/config/kernel.release"
'

test_expect_success 'a full disk during the build: exit 3, says so, metadata.json stays whole' '
	mkdir "$TRASH_ROOT/full" && ln -s "$TRASH_ROOT/full" full && mount -t tmpfs -o size=48m tmpfs full &&
	rc=0 && "$KBUILD" --tree "$TREE" -O full/b --base tinyconfig --config audio --config qemu-guest -j2 >out 2>err || rc=$? &&
	mount -o remount,size=400m full &&
	test "$rc" -eq 3 &&
	test_grep "^kbuild: error: the disk is full in '"'"'$PWD/full/b'"'"': free some space and run the same command again (the build resumes)$" err &&
	# atomic writes: the last metadata.json that fitted, never a torn one
	python3 -c "import json; assert json.load(open(\"full/b/metadata.json\"))[\"status\"] in (\"building\", \"failed\")" &&
	umount "$TRASH_ROOT/full"
'

test_done
