#!/bin/bash
# t0080-boot-test-args: kbuild boot-test refuses bad arguments (exit 2) and a build it cannot boot
# (exit 3) with the exact message, before QEMU starts; the real boots are in tests/kernel/k0070
. "$(dirname "$0")/../test-lib.sh"

# quotes in the expected messages, kept out of the single-quoted test bodies
Q="'"

test_expect_success 'boot-test -h lists its options and exits 0' '
	"$KBUILD" boot-test -h >out 2>err &&
	test_grep "^usage: kbuild boot-test \[-O BUILD\] \[--timeout SECS\] \[--accel auto|kvm|tcg\] \[--results DIR\] \[-- COMMAND...\]$" out &&
	for o in "-O, --objdir DIR" "--timeout SECS" "--boot-timeout SECS" "--accel auto|kvm|tcg" "--results DIR" "--latency-bench FILE" "--busybox FILE" "--append ARGS"; do
		test_grep "^ *$o  " out || exit 1
	done &&
	test_cmp /dev/null err
'

test_expect_success 'kbuild --help names the boot-test command' '
	"$KBUILD" --help >out &&
	test_grep "^  boot-test boot a built kernel in QEMU, run latency-bench inside, bring the results back$" out
'

test_expect_success 'bad --accel, --timeout, a stray argument, -- without a command: exit 2' '
	mkdir b &&
	test_must_fail --exit 2 "$KBUILD" boot-test -O b --accel xen 2>err &&
	echo "kbuild: error: --accel ${Q}xen${Q}: not auto, kvm or tcg" >expect && test_cmp expect err &&
	test_must_fail --exit 2 "$KBUILD" boot-test -O b --timeout 0 2>err &&
	echo "kbuild: error: --timeout ${Q}0${Q}: not a duration from 1 s to 1 d" >expect && test_cmp expect err &&
	test_must_fail --exit 2 "$KBUILD" boot-test -O b --timeout 10x 2>err &&
	echo "kbuild: error: --timeout ${Q}10x${Q}: not a duration from 1 s to 1 d" >expect && test_cmp expect err &&
	test_must_fail --exit 2 "$KBUILD" boot-test -O b --boot-timeout -1 2>err &&
	echo "kbuild: error: --boot-timeout ${Q}-1${Q}: not a duration from 1 s to 1 d" >expect && test_cmp expect err &&
	test_must_fail --exit 2 "$KBUILD" boot-test -O b true 2>err &&
	echo "kbuild: error: unexpected argument ${Q}true${Q} (the guest command comes after --)" >expect && test_cmp expect err &&
	test_must_fail --exit 2 "$KBUILD" boot-test -O b -- 2>err &&
	echo "kbuild: error: no command after -- (leave out -- for the default latency-bench runs)" >expect && test_cmp expect err &&
	test ! -e b/boot-test
'

test_expect_success 'no build directory under ./build and no -O: exit 2' '
	test_must_fail --exit 2 "$KBUILD" boot-test 2>err &&
	echo "kbuild: error: no build directory given (use -O BUILD), and none under ./build" >expect &&
	test_cmp expect err
'

test_expect_success 'a missing build directory, a build without bzImage: exit 3, nothing written' '
	test_must_fail --exit 3 "$KBUILD" boot-test -O nowhere 2>err &&
	echo "kbuild: error: build directory ${Q}nowhere${Q}: No such file or directory" >expect && test_cmp expect err &&
	mkdir b &&
	test_must_fail --exit 3 "$KBUILD" boot-test -O b -- true 2>err &&
	echo "kbuild: error: ${Q}$PWD/b${Q} holds no finished build: build it first (kbuild -O $PWD/b ...)" >expect &&
	test_cmp expect err &&
	test ! -e b/boot-test
'

# a build directory with the files boot-test looks for first (not bootable: the checks stop before QEMU)
fake_build() {
	mkdir -p "$1/arch/x86/boot" "$1/include/config" "$1/usr" "$1/.kbuild" && echo 6.12.0-fake >"$1/.kbuild/built" &&
	echo kernel >"$1/arch/x86/boot/bzImage" &&
	echo 6.12.0-fake >"$1/include/config/kernel.release" &&
	printf "#!/bin/sh\nexit 1\n" >"$1/usr/gen_init_cpio" && chmod +x "$1/usr/gen_init_cpio"
}

test_expect_success 'no usr/gen_init_cpio in the build: exit 3, says what builds it' '
	fake_build b && rm b/usr/gen_init_cpio &&
	test_must_fail --exit 3 "$KBUILD" boot-test -O b 2>err &&
	echo "kbuild: error: no ${Q}$PWD/b/usr/gen_init_cpio${Q}: the initramfs is made with the build${Q}s own tool (CONFIG_BLK_DEV_INITRD=y builds it)" >expect &&
	test_cmp expect err
'

test_expect_success 'a dynamically linked busybox, a script as busybox, no latency-bench: exit 3' '
	fake_build b &&
	ls=$(command -v ls) &&
	test_must_fail --exit 3 "$KBUILD" boot-test -O b --busybox "$ls" 2>err &&
	echo "kbuild: error: busybox ${Q}$ls${Q} is dynamically linked: install busybox-static" >expect && test_cmp expect err &&
	test_must_fail --exit 3 "$KBUILD" boot-test -O b --busybox b/usr/gen_init_cpio 2>err &&
	echo "kbuild: error: busybox ${Q}$PWD/b/usr/gen_init_cpio${Q} is not an ELF program: install busybox-static" >expect && test_cmp expect err &&
	test_must_fail --exit 3 "$KBUILD" boot-test -O b --busybox /nonexistent/busybox 2>err &&
	echo "kbuild: error: busybox ${Q}/nonexistent/busybox${Q}: No such file or directory" >expect && test_cmp expect err &&
	test_must_fail --exit 3 "$KBUILD" boot-test -O b --busybox /bin/busybox --latency-bench /nonexistent/lb 2>err &&
	echo "kbuild: error: latency-bench ${Q}/nonexistent/lb${Q} is not an executable file (give --latency-bench FILE)" >expect &&
	test_cmp expect err
'

# the tools boot-test checks for before it makes the initramfs; with them, a build whose
# gen_init_cpio keeps its list and the guest command file and fails shows what would go in
if command -v qemu-system-x86_64 >/dev/null && command -v depmod >/dev/null && command -v modinfo >/dev/null &&
   busybox=$(command -v busybox) && [ -x "${KB_OUT:-$SRCDIR/out}/latency-bench" ]; then
LB=${LATENCY_BENCH:-${KB_OUT:-$SRCDIR/out}/latency-bench}
capture_build() {
	fake_build "$1" &&
	printf "%s\n" "#!/bin/sh" "b=\${0%/usr/gen_init_cpio}" \
		"cp \"\$1\" \"\$b/initramfs.list\" && cp \"\${1%/*}/command.sh\" \"\$b/command.sh\"" "exit 1" >"$1/usr/gen_init_cpio"
}
# capture ARGS...: boot-test on build c up to the initramfs (exit 3 from the fake gen_init_cpio)
capture() {
	rm -rf c && capture_build c &&
	test_must_fail --exit 3 "$KBUILD" boot-test -O c --latency-bench "$LB" "$@" 2>err &&
	test_grep "^kbuild: error: ${Q}$PWD/c/usr/gen_init_cpio${Q} failed (exit 1) on ${Q}.*/initramfs.list${Q}$" err
}

test_expect_success 'the words after -- are the arguments of the guest command, each quoted for sh, none split or joined' '
	nl=$(printf "l1\nl2") &&
	capture -- sh -c "printf \"%s\\n\" \"\$@\"" x "a b" "it${Q}s" "c;d" "\$e" "FOO=1" "$nl" "" "*" &&
	printf "%s\n" "sh -c ${Q}printf \"%s\\n\" \"\$@\"${Q} x ${Q}a b${Q} ${Q}it${Q}\\${Q}${Q}s${Q} ${Q}c;d${Q} ${Q}\$e${Q} FOO=1 ${Q}l1" "l2${Q} ${Q}${Q} ${Q}*${Q}" >expect &&
	test_cmp expect c/command.sh &&
	# the shell of the guest gives the command exactly these words
	mkdir -p run && (cd run && "$busybox" sh ../c/command.sh) >actual &&
	printf "%s\n" "a b" "it${Q}s" "c;d" "\$e" "FOO=1" l1 l2 "" "*" >expect &&
	test_cmp expect actual &&
	grep -c "^file /etc/boot-test.sh .*/command.sh 0755 0 0$" c/initramfs.list >count && echo 1 >expect && test_cmp expect count
'

test_expect_success 'a first word that sh would read as an assignment or a reserved word is quoted; no command: the default line' '
	capture -- FOO=1 if then &&
	echo "${Q}FOO=1${Q} if then" >expect && test_cmp expect c/command.sh &&
	capture -- if x &&
	echo "${Q}if${Q} x" >expect && test_cmp expect c/command.sh &&
	capture &&
	printf "%s\n" "latency-bench --plane timer -D 3 --cpus 0 -q --json /out/timer.json && latency-bench --plane alsa --device hw:Dummy --period 256 -D 3 -q --json /out/alsa.json" >expect &&
	test_cmp expect c/command.sh
'

test_expect_success '--with a script, a static program, scripts for busybox, for a static and a dynamic interpreter' '
	capture && grep -v "kbuild-boot\." c/initramfs.list >plain &&
	printf "#!/bin/sh\necho s\n" >s.sh &&
	cp "$busybox" static-prog &&
	printf "#!/usr/bin/env sh\necho e\n" >e.sh &&
	printf "#!$PWD/static-prog sh\necho t\n" >t.sh &&
	chmod +x s.sh static-prog e.sh t.sh &&
	capture --with ./s.sh --with ./static-prog --with e.sh --with ./t.sh &&
	grep -v "kbuild-boot\." c/initramfs.list >with &&
	# what --with added, in order: the scripts for busybox alone, a static program alone, a script
	# and its static interpreter at its own path (its parents made), no library
	diff plain with | sed -n "s/^> //p" >added &&
	{
		printf "%s\n" "file /usr/bin/s.sh $PWD/s.sh 0755 0 0" "file /usr/bin/static-prog $PWD/static-prog 0755 0 0" \
			"file /usr/bin/e.sh $PWD/e.sh 0755 0 0" "file /usr/bin/t.sh $PWD/t.sh 0755 0 0" &&
		d= && for part in $(echo "${PWD#/}" | tr / " "); do
			d=$d/$part && grep -q "^dir $d 0755 0 0$" plain || echo "dir $d 0755 0 0"
		done &&
		echo "file $PWD/static-prog $PWD/static-prog 0755 0 0"
	} >expect &&
	test_cmp expect added
'

if [ -x /bin/bash ] && ! "$busybox" --list-full | grep -qx "bin/bash"; then
test_expect_success '--with a script for bash: bash goes in at its path, with its libraries' '
	printf "#!/bin/bash\necho b\n" >b.sh && chmod +x b.sh &&
	capture --with ./b.sh &&
	test_grep "^file /usr/bin/b.sh $PWD/b.sh 0755 0 0$" c/initramfs.list &&
	test_grep "^file /bin/bash /bin/bash 0755 0 0$" c/initramfs.list &&
	for lib in $(ldd /bin/bash | sed -n "s/.* => \(\/[^ ]*\) .*/\1/p"); do
		test_grep "^file $lib " c/initramfs.list || exit 1
	done
'
fi

test_expect_success '--with what cannot run in the guest: exit 3, the file and the reason named' '
	rm -rf c && capture_build c &&
	printf "hello\n" >text && chmod +x text &&
	test_must_fail --exit 3 "$KBUILD" boot-test -O c --latency-bench "$LB" --with ./text 2>err &&
	echo "kbuild: error: ${Q}./text${Q} is neither a program (ELF) nor a script (#!)" >expect && test_cmp expect err &&
	printf "#!/nonexistent/interp\n" >n.sh && chmod +x n.sh &&
	test_must_fail --exit 3 "$KBUILD" boot-test -O c --latency-bench "$LB" --with ./n.sh 2>err &&
	echo "kbuild: error: ${Q}./n.sh${Q} is a script for ${Q}/nonexistent/interp${Q}, which neither the guest${Q}s busybox nor this host has" >expect &&
	test_cmp expect err &&
	printf "#!/usr/bin/env kbuild-no-such-program\n" >m.sh && chmod +x m.sh &&
	test_must_fail --exit 3 "$KBUILD" boot-test -O c --latency-bench "$LB" --with ./m.sh 2>err &&
	echo "kbuild: error: ${Q}./m.sh${Q} is a script for ${Q}/usr/bin/env kbuild-no-such-program${Q}, and neither busybox nor this host${Q}s PATH has ${Q}kbuild-no-such-program${Q}" >expect &&
	test_cmp expect err &&
	printf "#!$PWD/n.sh\n" >nn.sh && chmod +x nn.sh &&
	test_must_fail --exit 3 "$KBUILD" boot-test -O c --latency-bench "$LB" --with ./nn.sh 2>err &&
	echo "kbuild: error: ${Q}./nn.sh${Q} is a script for ${Q}$PWD/n.sh${Q}, which is not a program (ELF) that can be copied into the guest" >expect &&
	test_cmp expect err &&
	test ! -e c/initramfs.list
'
else
	test_skip 'the words after -- are the arguments of the guest command' 'no qemu-system-x86_64, kmod, busybox or latency-bench'
	test_skip 'a first word that sh would read as an assignment or a reserved word is quoted' 'the same'
	test_skip '--with a script, a static program, scripts for busybox' 'the same'
	test_skip '--with what cannot run in the guest: exit 3' 'the same'
fi

test_done
