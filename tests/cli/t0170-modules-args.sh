#!/bin/bash
# t0170-modules-args: kbuild modules refuses bad arguments with exit 2 and the exact message before it
# looks at a build, and spy without root or without module loading with exit 3, changing nothing;
# the real runs on a built kernel and in the QEMU guest are tests/kernel/k0090-modules
. "$(dirname "$0")/../test-lib.sh"

Q="'"

test_expect_success 'kbuild --help names the command; modules -h lists the options; no subcommand is a usage error' '
	"$KBUILD" --help >out &&
	test_grep "^  modules   a build.s modules: what a request loads, modprobe -c, a modprobe.d for audio; spy on autoloads$" out &&
	"$KBUILD" modules -h >out 2>err && test_cmp /dev/null err &&
	test_grep "^usage: kbuild modules resolve|list|config|spy \[-O BUILD\] \[OPTIONS\] \[REQUEST...\]$" out &&
	for o in "-O, --objdir DIR" "--modprobe-conf PATH" "--profile NAME" "-o, --output FILE" "-D, --duration TIME"; do
		test_grep "^ *$o  " out || exit 1
	done &&
	test_must_fail --exit 2 "$KBUILD" modules >out 2>err &&
	test_cmp /dev/null out && test_grep "^usage: kbuild modules " err
'

# bad ARGS... MESSAGE: exit 2, exactly MESSAGE on stderr, nothing on stdout
bad() {
	local msg=${*: -1}
	set -- "${@:1:$#-1}"
	test_must_fail --exit 2 "$KBUILD" modules "$@" >out 2>err &&
	echo "kbuild: error: $msg" >expect && test_cmp expect err && test_cmp /dev/null out
}

test_expect_success 'unknown subcommand, missing request, stray argument, options of another subcommand: exit 2' '
	bad frob "unknown modules command ${Q}frob${Q} (resolve, list, config or spy)" &&
	bad resolve -O b "no request to resolve (a module, char-major-116, fs-iso9660, snd-card-0, a modalias)" &&
	bad list -O b extra "unexpected argument ${Q}extra${Q}" &&
	bad config -O b extra "unexpected argument ${Q}extra${Q}" &&
	bad list --profile audio "--profile is an option of ${Q}kbuild modules config${Q}" &&
	bad resolve -o f x "--output is an option of ${Q}kbuild modules config${Q}" &&
	bad config --modprobe-conf x "--modprobe-conf is an option of ${Q}kbuild modules resolve${Q} and ${Q}list${Q}" &&
	bad list -D 10 "--duration is an option of ${Q}kbuild modules spy${Q}" &&
	bad spy -D 0 "--duration ${Q}0${Q}: not a duration from 0.1 s to 30 d (30s, 10m, 2h)" &&
	bad spy -O b "${Q}kbuild modules spy${Q} watches the running kernel: -O, --tree, --modprobe-conf and --profile are not its options" &&
	bad spy stray "unexpected argument ${Q}stray${Q} (the command to run comes after --)" &&
	! test -e b
'

test_expect_success 'resolve on a directory that is no build: exit 3 or 2, named' '
	test_must_fail --exit 3 "$KBUILD" modules resolve -O nosuch snd-dummy 2>err &&
	echo "kbuild: error: build directory ${Q}nosuch${Q}: No such file or directory" >expect && test_cmp expect err
'

SETPRIV=$(command -v setpriv || true)
if [ -z "$SETPRIV" ] || [ "$(id -u)" != 0 ]; then
	test_skip 'spy without root: exit 3, nothing changed' 'needs root and setpriv to drop to nobody'
else
test_expect_success 'spy without root: exit 3, nothing changed' '
	before=$(cat /proc/sys/kernel/modprobe 2>/dev/null || echo none) &&
	test_must_fail --exit 3 "$SETPRIV" --reuid=65534 --regid=65534 --clear-groups "$KBUILD" modules spy -D 1 >out 2>err &&
	echo "kbuild: error: kbuild modules spy needs root: it points /proc/sys/kernel/modprobe at a logging wrapper (run it with sudo)" >expect &&
	test_cmp expect err && test_cmp /dev/null out &&
	test "$(cat /proc/sys/kernel/modprobe 2>/dev/null || echo none)" = "$before"
'
fi

if [ -e /proc/sys/kernel/modprobe ] || [ "$(id -u)" != 0 ]; then
	test_skip 'spy where the kernel loads no modules: exit 3' 'this kernel has module loading (the guest test covers spy)'
else
test_expect_success 'spy where the kernel loads no modules: exit 3, said why, nothing written' '
	test_must_fail --exit 3 "$KBUILD" modules spy -D 1 >out 2>err &&
	echo "kbuild: error: cannot read ${Q}/proc/sys/kernel/modprobe${Q}: No such file or directory (a kernel without module loading has none)" >expect &&
	test_cmp expect err && test_cmp /dev/null out &&
	! test -e /var/lib/kbuild/spy/modprobe-spy && ! test -e /var/lib/kbuild/spy/modprobe-spy.state
'
fi

test_expect_success 'boot-test --with a program that is not there: exit 2' '
	mkdir b &&
	test_must_fail --exit 2 "$KBUILD" boot-test -O b --with ./nosuch 2>err &&
	echo "kbuild: error: --with ${Q}./nosuch${Q}: no such program" >expect && test_cmp expect err
'

test_done
