#!/bin/bash
# k0120-lock-unfinished: on Debian's 6.12 tree, a build at work holds its build directory: kbuild
# modules, install, boot-test and a second main command are refused at once and name it, kbuild cache
# marks it in use and keeps it; interrupted, the build directory holds no finished build, and those
# commands say "build it first" (exit 3) instead of running make into make's own errors
. "$(dirname "$0")/lib.sh"

TREE=$KT_612
Q="'"
ARGS="--tree $TREE -O build/g --base tinyconfig --config audio --config qemu-guest -j2"

test_expect_success 'a build at work: every other command on its build directory is refused at once, naming it' '
	mkdir build && objdir_for "$TREE" build/g &&
	{ "$KBUILD" $ARGS >first.out 2>first.err & } && pid=$! &&
	for i in $(seq 1200); do
		test "$(grep -c "^  CC " build/g/build.log 2>/dev/null)" -ge 20 && break
		sleep 0.5
	done &&
	test "$(grep -c "^  CC " build/g/build.log)" -ge 20 &&
	echo "kbuild: error: build directory ${Q}$PWD/build/g${Q} is in use by another kbuild command (pid $pid: kbuild $ARGS): let it finish, or use another build directory" >expect &&
	for cmd in "modules resolve -O build/g snd-dummy" "modules list -O build/g" "modules config -O build/g" \
		"install -O build/g --destdir d" "boot-test -O build/g" "$ARGS"; do
		t0=$(date +%s%N) &&
		test_must_fail --exit 3 "$KBUILD" $cmd >o 2>e &&
		t1=$(date +%s%N) &&
		test_cmp expect e && test_cmp /dev/null o &&
		test $(((t1 - t0) / 1000000)) -lt 2000 || { echo "kbuild $cmd" >&2; return 1; }
	done &&
	KBUILD_CACHE=$PWD/cache "$KBUILD" cache >o &&
	test_grep "^ *[0-9.]* [KMG]B  build/g  (in use)$" o &&
	test_must_fail --exit 3 env KBUILD_CACHE=$PWD/cache "$KBUILD" cache remove build/g 2>e &&
	echo "kbuild: error: ${Q}build/g${Q} is in use by a kbuild command: not removed" >expect && test_cmp expect e &&
	test -f build/g/.config && test ! -e d && test ! -e build/g/boot-test &&
	kill -INT $pid && { rc=0 && wait $pid || rc=$?; } && test "$rc" -eq 130
'

test_expect_success 'interrupted: modules, install and boot-test say "build it first" (exit 3), make never runs' '
	test -f "$TRASH_ROOT/1/build/g/.config" && cd "$TRASH_ROOT/1" &&
	test ! -e build/g/.kbuild/built &&
	echo "kbuild: error: ${Q}$PWD/build/g${Q} holds no finished build: build it first (kbuild -O $PWD/build/g ...)" >expect &&
	for cmd in "modules resolve -O build/g snd-dummy" "modules list -O build/g" "modules config -O build/g" \
		"install -O build/g --destdir d" "boot-test -O build/g"; do
		test_must_fail --exit 3 "$KBUILD" $cmd >o 2>e &&
		test_cmp expect e && test_cmp /dev/null o || { echo "kbuild $cmd" >&2; return 1; }
	done &&
	test ! -e build/g/.kbuild/modules && test ! -e d &&
	KBUILD_CACHE=$PWD/cache "$KBUILD" cache remove build/g >o 2>e &&
	test_grep "^kbuild: freed [0-9.]* [KMG]B$" o && test ! -e build/g
'
test_done
