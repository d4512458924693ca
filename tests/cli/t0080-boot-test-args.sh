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
	echo "kbuild: error: no kernel image ${Q}$PWD/b/arch/x86/boot/bzImage${Q}: build the kernel first" >expect &&
	test_cmp expect err &&
	test ! -e b/boot-test
'

# a build directory with the files boot-test looks for first (not bootable: the checks stop before QEMU)
fake_build() {
	mkdir -p "$1/arch/x86/boot" "$1/include/config" "$1/usr" &&
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

test_done
