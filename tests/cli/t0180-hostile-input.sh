#!/bin/bash
# t0180-hostile-input: input without end (/dev/zero, 'source' cycles), numbers beyond their range and
# outputs that are no regular file (standard output, pipes, devices, /dev/full): one named error and
# exit 2 or 3 in bounded time and memory, or a write straight through; never a hang, an abort, a
# node replaced or a file half written
. "$(dirname "$0")/../test-lib.sh"
LB=${LATENCY_BENCH:-$SRCDIR/latency-bench}
GOOD=$FIXTURES/plot/timer.json
KC=$FIXTURES/kconfig
# every command here ends in seconds; a hang or a run-away allocation fails it instead of the machine
T="timeout 60"
MEM=1000000 # KiB of address space: far above what these need, far below what a run-away takes
# limited CMD...: CMD in that address space; ASan reserves terabytes of it up front, so a
# sanitizer build runs unlimited and the timeout alone ends a run-away
if ldd "$KBUILD" "$LB" 2>/dev/null | grep -q libasan; then
	limited() { "$@"; }
else
	limited() { (ulimit -v $MEM && "$@"); }
fi

# two results of different kernels, made from the real one
results() {
	sed 's/"kernel_release": "6.18.44-fc-v669"/"kernel_release": "6.1.0"/' "$GOOD" >a.json &&
	sed 's/"kernel_release": "6.18.44-fc-v669"/"kernel_release": "6.12.0"/' "$GOOD" >b.json
}

# a character device node of our own (1:3, like /dev/null), as a user may name with -o
mkdev() {
	mknod "$1" c 1 3 && ls -l "$1" | cut -d" " -f1,5,6 >"$1.before"
}
same_dev() {
	test -c "$1" && ls -l "$1" | cut -d" " -f1,5,6 >"$1.after" && test_cmp "$1.before" "$1.after"
}

test_expect_success 'kbuild kconfig: a source cycle through two files is named with its chain, exit 2' '
	test_must_fail --exit 2 $T "$KBUILD" kconfig --tree "$KC/source-cycle" --arch x86_64 >out 2>err &&
	echo "drivers/sound/Kconfig:5: error: '\''source'\'' cycle: drivers/Kconfig -> drivers/sound/Kconfig -> drivers/Kconfig" >expect &&
	test_cmp expect err &&
	test ! -s out
'

test_expect_success 'a Kconfig that sources itself twice: kconfig, explain and config stop at once, exit 2' '
	echo "Kconfig:5: error: '\''source'\'' cycle: Kconfig -> Kconfig" >expect &&
	limited test_must_fail --exit 2 $T "$KBUILD" kconfig --tree "$KC/source-self" --arch x86_64 2>err &&
	test_cmp expect err &&
	mkdir b && echo CONFIG_SELF=y >b/.config && cp b/.config keep &&
	limited test_must_fail --exit 2 $T "$KBUILD" explain --tree "$KC/source-self" --arch x86_64 -O b SELF 2>err &&
	test_cmp expect err &&
	echo CONFIG_SELF=y >self.config &&
	limited test_must_fail --exit 2 $T "$KBUILD" config --tree "$KC/source-self" --arch x86_64 -O c --config ./self.config 2>err &&
	test_cmp expect err &&
	test ! -e c &&
	test_cmp keep b/.config
'

test_expect_success 'kbuild merge: /dev/zero as a fragment is refused by its size, exit 2, nothing written' '
	echo CONFIG_A=y >base.config &&
	echo "# kept" >out.config && cp out.config keep &&
	limited test_must_fail --exit 2 $T "$KBUILD" merge -o out.config base.config /dev/zero 2>err &&
	echo "/dev/zero: error: larger than 64 MiB: not a configuration fragment" >expect &&
	test_cmp expect err &&
	test_cmp keep out.config &&
	limited test_must_fail --exit 2 $T "$KBUILD" merge /dev/zero 2>err &&
	test_cmp expect err
'

test_expect_success 'latency-bench plot and compare: /dev/zero as a result is refused by its size, exit 2, nothing written' '
	results &&
	limited test_must_fail --exit 2 $T "$LB" plot /dev/zero -o x.svg 2>err &&
	echo "latency-bench: /dev/zero: error: larger than 16 MiB: not a latency-bench result" >expect &&
	test_cmp expect err &&
	test ! -e x.svg &&
	limited test_must_fail --exit 2 $T "$LB" compare a.json /dev/zero --junit j.xml 2>err &&
	test_cmp expect err &&
	test ! -e j.xml
'

test_expect_success 'numbers beyond their range are refused with the file and member named, not clamped' '
	results &&
	sed "s/\"samples\": 11290/\"samples\": 1180591620717411303424/" b.json >big.json &&
	! cmp -s b.json big.json &&
	test_must_fail --exit 2 "$LB" compare a.json big.json --html h.html 2>err &&
	echo "latency-bench: big.json: error: \"samples\" is out of range (0 to 9223372036854775807)" >expect &&
	test_cmp expect err &&
	test ! -e h.html &&
	sed "s/\"samples\": 11290/\"samples\": 9223372036854775807/" b.json >max.json &&
	"$LB" compare a.json max.json >out &&
	test_grep " 9223372036854775807 " out
'

test_expect_success '-o /dev/full: the write fails with ENOSPC, exit 3, in bounded memory' '
	results &&
	limited test_must_fail --exit 3 $T "$LB" plot "$GOOD" -o /dev/full 2>err &&
	echo "latency-bench: error: cannot write '\''/dev/full'\'': No space left on device" >expect &&
	test_cmp expect err &&
	limited test_must_fail --exit 3 $T "$LB" compare a.json b.json --junit /dev/full >/dev/null 2>err &&
	test_cmp expect err &&
	echo CONFIG_A=y >base.config &&
	test_must_fail --exit 3 $T "$KBUILD" merge -o /dev/full base.config 2>err &&
	echo "kbuild: error: cannot write '\''/dev/full'\'': No space left on device" >expect &&
	test_cmp expect err
'

test_expect_success '-o naming a device node writes to the device and leaves the node in place' '
	results &&
	mkdev node &&
	$T "$LB" plot "$GOOD" -o node &&
	same_dev node &&
	$T "$LB" compare a.json b.json --junit node --html node >/dev/null &&
	same_dev node &&
	echo CONFIG_A=y >base.config &&
	$T "$KBUILD" merge -o node base.config &&
	same_dev node &&
	test_must_fail --exit 3 $T "$LB" plot "$GOOD" -o . 2>err &&
	echo "latency-bench: error: cannot write '\''.'\'': Is a directory" >expect &&
	test_cmp expect err
'

test_expect_success '-o - and /dev/stdout are standard output: plot, merge, compare --junit and --html' '
	results &&
	"$LB" plot "$GOOD" -o x.svg &&
	$T "$LB" plot "$GOOD" -o - >out.svg &&
	test_cmp x.svg out.svg &&
	$T "$LB" plot "$GOOD" -o /dev/stdout | cat >piped.svg &&
	test_cmp x.svg piped.svg &&
	printf "CONFIG_A=y\nCONFIG_B=m\n" >base.config &&
	"$KBUILD" merge base.config >expect &&
	$T "$KBUILD" merge -o - base.config >out &&
	test_cmp expect out &&
	$T "$KBUILD" merge -o /dev/stdout base.config | cat >out &&
	test_cmp expect out &&
	"$LB" compare a.json b.json --junit j.xml --html h.html >text &&
	$T "$LB" compare a.json b.json --junit - >out 2>err &&
	test_cmp j.xml out &&
	test_cmp text err &&
	$T "$LB" compare a.json b.json --html /dev/stdout 2>err | cat >out &&
	test_cmp h.html out &&
	test_cmp text err &&
	test ! -e ./- && test ! -e /dev/stdout.tmp*
'

test_expect_success '-o /dev/stdout with standard output closed: exit 3, /dev/stdout left alone' '
	ls -l /dev/stdout >before &&
	test_must_fail --exit 3 $T "$LB" plot "$GOOD" -o /dev/stdout >&- 2>err &&
	echo "latency-bench: error: cannot write '\''/dev/stdout'\'': Bad file descriptor" >expect &&
	test_cmp expect err &&
	ls -l /dev/stdout >after &&
	test_cmp before after && test -L /dev/stdout
'

test_expect_success '-o - to a pipe whose reader is gone: exit 3 and the reason, no death by SIGPIPE' '
	{ sleep 1; "$LB" plot "$GOOD" -o - 2>err; echo $? >rc; } | true &&
	echo 3 >expect && test_cmp expect rc &&
	echo "latency-bench: error: cannot write to standard output: Broken pipe" >expect &&
	test_cmp expect err
'

test_expect_success 'latency-bench --json /dev/stdout into a pipe ends: the JSON alone there, the text on stderr' '
	$T "$LB" -q -D 1s --json /dev/stdout --label piped 2>err | cat >out.json &&
	python3 -c "import json, sys; r = json.load(open(sys.argv[1])); assert r[\"label\"] == \"piped\"" out.json &&
	test_grep "^latency (us) " err &&
	$T "$LB" -q -D 1s --json - --histogram hist.txt >out2.json 2>err &&
	"$LB" plot out2.json -o y.svg &&
	test_grep "^latency (us) " err &&
	test_grep "^# Histogram" hist.txt
'

test_expect_success 'latency-bench --json /dev/full: the run is made, the write fails, exit 3' '
	test_must_fail --exit 3 $T "$LB" -q -D 1s --json /dev/full >/dev/null 2>err &&
	echo "latency-bench: error: cannot write '\''/dev/full'\'': No space left on device" >expect &&
	grep -v "^latency-bench: warning: " err >errors &&
	test_cmp expect errors
'

test_expect_success 'latency-bench --json into a missing directory is refused before the run, exit 3' '
	test_must_fail --exit 3 $T "$LB" -q -D 60s --json nodir/r.json 2>err &&
	echo "latency-bench: error: cannot write '\''nodir/r.json'\'': No such file or directory" >expect &&
	test_cmp expect err
'

test_done
