#!/bin/bash
# k0100-never-waits: the hang of issue 15, reproduced in a pseudo-terminal (script) on Debian's 6.12 tree
# (tinyconfig + audio + qemu-guest): a .config edited by hand to drop a prompted symbol, a toolchain
# version that Kconfig reads changed (a pahole wrapper on PATH): the config stage runs again, or the
# build fails naming the symbol, in bounded time, never stopped; SIGINT and SIGTERM (make's process
# group stopped) end the build with 130 in under 2 s
. "$(dirname "$0")/lib.sh"

TREE=$KT_612
# a build directory kept between runs (a full build is minutes; a rerun a few seconds); the tests
# leave it as they found it, and the config stage repairs what a failed run leaves behind
B=${KBUILD_TEST_BUILDS:-${XDG_CACHE_HOME:-$HOME/.cache}/kbuild/test-builds}/k0100-6.12
ARGS="--tree $TREE -O $B --base tinyconfig --config audio --config qemu-guest -j2"
mkdir -p "$B" && exec 9>"$B.lock" && flock 9 || { echo "Bail out! cannot lock $B"; exit 1; }

# unraw: ./raw as lines: no CRs, the live progress line's clear-to-end-of-line as a line end
unraw() {
	tr -d '\r' <raw | sed 's/\x1b\[K/\n/g' >out
}

# in_pty SECONDS CMD: CMD in a pseudo-terminal, killed after SECONDS; its output without CRs in
# ./out, its exit status in ./rc, its wall time in ./secs
in_pty() {
	local t0 rc=0
	t0=$(date +%s.%N)
	timeout -s KILL "$1" script -qefc "$2" /dev/null </dev/null >raw 2>&1 || rc=$?
	echo "$(date +%s.%N) - $t0" | bc >secs
	unraw
	echo "$rc" >rc
	echo "exit $rc after $(cat secs) s"
}

# started CMD: CMD in a pseudo-terminal in the background; ./kpid holds kbuild's pid, $spid script's
started() {
	rm -f kpid
	script -qefc "echo \$\$ >kpid; exec $1" /dev/null </dev/null >raw 2>&1 &
	spid=$!
}

# objects_in DIR N: wait (up to 10 min) until DIR/build.log shows N compiled objects
objects_in() {
	for i in $(seq 1200); do
		test "$(cat "$1/build.log" 2>/dev/null | grep -c "^  CC ")" -ge "$2" && return 0
		kill -0 "$spid" 2>/dev/null || return 1
		sleep 0.5
	done
	return 1
}

# stopped_within SECONDS: wait for script to end; fails when it takes longer, with its status in ./rc
stopped_within() {
	local t0=$(date +%s.%N) rc=0
	for i in $(seq $(($1 * 20 + 40))); do kill -0 "$spid" 2>/dev/null || break; sleep 0.05; done
	wait "$spid" || rc=$?
	echo "$(date +%s.%N) - $t0" | bc >secs
	unraw
	echo "$rc" >rc
	echo "exit $rc after $(cat secs) s"
	test "$(echo "$(cat secs) < $1" | bc)" = 1
}

test_expect_success 'the build directory is built (a rerun is a no-op)' '
	"$KBUILD" $ARGS >o 2>e || { tail -n 20 e; false; } &&
	test_grep "^CONFIG_SND_DUMMY=m$" "$B/.config"
'

test_expect_success 'a .config edited to drop a prompted symbol: configured again and built, never stopped' '
	sed -i "/^CONFIG_SND_DUMMY=m$/d" "$B/.config" &&
	! grep "SND_DUMMY" "$B/.config" &&
	in_pty 900 "$KBUILD $ARGS" &&
	test "$(cat rc)" = 0 &&
	test_grep "^  CONFIG  $B/.config changed since the last run (edited by hand?): configuring again$" out &&
	test_grep "^kbuild: built " out &&
	test_grep "^CONFIG_SND_DUMMY=m$" "$B/.config" &&
	! grep "(NEW)" "$B/build.log"
'

test_expect_success 'the same edit without --config: make is stopped at the question, which names the symbol' '
	sed -i "/^CONFIG_SND_DUMMY=m$/d" "$B/.config" &&
	in_pty 120 "$KBUILD --tree $TREE -O $B -j2" &&
	test "$(cat rc)" = 1 &&
	test "$(echo "$(cat secs) < 60" | bc)" = 1 &&
	test_grep "^kbuild: error: the kernel'"'"'s syncconfig asked for CONFIG_SND_DUMMY, which '"'"'$B/.config'"'"' has no value for" out &&
	test_grep "(SND_DUMMY) \[N/m/y/?\] (NEW)" "$B/build.log" &&
	# stopped there: nothing compiled after the question, the .config as the user left it
	! sed -n "/(SND_DUMMY) .*(NEW)/,\$p" "$B/build.log" | grep "^  CC " &&
	! grep "SND_DUMMY" "$B/.config" &&
	python3 -c "import json,sys; m=json.load(open(sys.argv[1])); assert m[\"status\"] == \"failed\" and m[\"error\"] == \"make asked the Kconfig question CONFIG_SND_DUMMY\", m" "$B/metadata.json"
'

test_expect_success 'a new pahole version (a wrapper on PATH): configured again, PAHOLE_VERSION follows, built' '
	before=$(sed -n "s/^CONFIG_PAHOLE_VERSION=//p" "$B/.config") &&
	mkdir bin && printf "#!/bin/sh\necho v1.99\n" >bin/pahole && chmod +x bin/pahole &&
	# the previous test left the symbol out: the stamp sees that too, so set it right first
	"$KBUILD" $ARGS >o 2>e &&
	in_pty 900 "env PATH=$PWD/bin:\$PATH $KBUILD $ARGS" &&
	test "$(cat rc)" = 0 &&
	test_grep "^  CONFIG  the toolchain Kconfig reads changed (pahole): configuring again$" out &&
	test_grep "^CONFIG_PAHOLE_VERSION=199$" "$B/.config" &&
	! grep "(NEW)" "$B/build.log" &&
	# and back to the real one
	in_pty 900 "$KBUILD $ARGS" &&
	test "$(cat rc)" = 0 &&
	test_grep "^  CONFIG  the toolchain Kconfig reads changed (pahole): configuring again$" out &&
	test_grep "^CONFIG_PAHOLE_VERSION=$before$" "$B/.config" &&
	# unchanged now: the stage is skipped
	in_pty 300 "$KBUILD $ARGS" &&
	test_grep "^  CONFIG  $B/.config unchanged: base, fragments and tree as last time$" out
'

test_expect_success 'SIGINT in a pseudo-terminal during the build: exit 130 in under 2 s, the resume hint' '
	objdir_for "$TREE" "$TRASH_ROOT/c" &&
	started "$KBUILD --tree $TREE -O $TRASH_ROOT/c --base tinyconfig --config audio --config qemu-guest -j2" &&
	objects_in "$TRASH_ROOT/c" 5 &&
	kill -INT "$(cat kpid)" &&
	stopped_within 2 &&
	test "$(cat rc)" = 130 &&
	test_grep "^kbuild: error: interrupted: run the same command again to resume the build (make keeps what is done)$" out &&
	python3 -c "import json,sys; assert json.load(open(sys.argv[1]))[\"status\"] == \"interrupted\"" "$TRASH_ROOT/c/metadata.json"
'

test_expect_success 'SIGTERM while make'"'"'s process group is stopped: exit 130 in under 2 s, nothing left' '
	started "$KBUILD --tree $TREE -O $TRASH_ROOT/c --base tinyconfig --config audio --config qemu-guest -j2" &&
	objects_in "$TRASH_ROOT/c" $(($(grep -c "^  CC " "$TRASH_ROOT/c/build.log") + 3)) &&
	k=$(cat kpid) && m=$(cat /proc/$k/task/$k/children) &&
	test -n "$m" && kill -STOP -- -$m &&
	sleep 0.5 && test "$(ps -o stat= -p $m | cut -c1)" = T &&
	kill -TERM "$k" &&
	stopped_within 2 &&
	test "$(cat rc)" = 130 &&
	test_grep "^kbuild: error: interrupted: run the same command again to resume the build" out &&
	# the whole group is gone (zombies waiting for init are dead)
	sleep 0.2 && test -z "$(ps -eo pgid=,stat= | awk -v g="$m" '"'"'$1 == g && $2 !~ /^Z/'"'"')"
'

test_done
