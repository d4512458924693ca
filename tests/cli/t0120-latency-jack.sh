#!/bin/bash
# t0120-latency-jack: the JACK plane against jackd's dummy driver. No server is an environment
# error with a clear message and no result; --start-server runs one for the measurement and
# leaves nothing behind; the plane counts exactly the xruns jackd itself reports in its log; a
# server that goes away mid-run still gives a result, marked device_lost.
. "$(dirname "$0")/../test-lib.sh"
LB=${LATENCY_BENCH:-$SRCDIR/latency-bench}
JGET=$SRCDIR/tests/tools/jget
INTERFERE=${KB_OUT:-$SRCDIR/out}/tests/lb-interfere
CPU=$(python3 -c 'import os; print(max(os.sched_getaffinity(0)))')
NAME=lb-t0120-$$
unset JACK_DEFAULT_SERVER
export NAME CPU

# jackd NAME [-v]: a dummy-driver server at 128 frames, 48 kHz on CPU, its output in jackd.log
# and its pid in $JACKD; returns once a client can connect
start_jackd() {
	local name=$1
	shift
	taskset -c "$CPU" jackd "$@" -n "$name" -d dummy -r 48000 -p 128 >jackd.log 2>&1 &
	JACKD=$!
	echo "$JACKD" >>"$TRASH_ROOT/jackd.pids"
	jack_wait -s "$name" -w -t 5 >/dev/null 2>&1 || { cat jackd.log; return 1; }
}

# gone PID SECONDS: the process has exited (or is a zombie) within SECONDS
gone() {
	local i
	for i in $(seq $(($2 * 5))); do
		case $(ps -o stat= -p "$1" 2>/dev/null) in ''|Z*) return 0 ;; esac
		sleep 0.2
	done
	return 1
}

# jackd's own shutdown is not what these tests measure: one that has not exited 20 s after
# SIGTERM is said so in the log and killed, and its registry entry reclaimed by a new server
stop_jackd() {
	kill -TERM "$JACKD" 2>/dev/null
	if ! gone "$JACKD" 20; then
		echo "# jackd $JACKD had not exited 20 s after SIGTERM: killed" >&2
		kill -KILL "$JACKD" 2>/dev/null
	fi
	wait "$JACKD" 2>/dev/null || true
}

# libjack is opened by the plane (jack-dl.c), not linked: jack2's brings libstdc++ and libdb,
# ~2 MB that every timer-plane run would read in and lock
test_expect_success 'libjack is not linked: the timer plane runs where it cannot be loaded, the JACK plane says why' '
	if command -v readelf >/dev/null; then
		readelf -d "$LB" >dyn &&
		grep -q "NEEDED.*libc\.so" dyn &&
		! grep "NEEDED.*libjack" dyn
	fi &&
	mkdir badlib &&
	: >badlib/libjack.so.0 &&
	LD_LIBRARY_PATH=$PWD/badlib "$LB" -q --cpus "$CPU" --interval 1ms -D 1s --json t.json >out 2>err &&
	test "$("$JGET" t.json "r[\"samples\"] > 900")" = true &&
	test_must_fail --exit 3 env LD_LIBRARY_PATH="$PWD/badlib" "$LB" -q --plane jack --device "$NAME-none" -D 1s \
		--json r.json >out 2>err &&
	echo "latency-bench: error: cannot load the JACK library '\''libjack.so.0'\'': $PWD/badlib/libjack.so.0: file too short (install libjack-jackd2-0, or pipewire-jack)" >expect &&
	test_cmp expect err &&
	! test -e r.json
'

if ! command -v jackd >/dev/null; then
	test_skip 'no server: exit 3, a clear message, no result' 'no jackd (apt-get install jackd2)'
	test_skip '--start-server dummy measures at the asked rate and period and stops the server' 'no jackd'
	test_skip 'the plane counts exactly the xruns jackd reports' 'no jackd'
	test_skip 'a server gone mid-run: exit 3, the result so far with device_lost' 'no jackd'
	test_done
	exit
fi

test_expect_success 'no server: exit 3, a clear message, no result' '
	test_must_fail --exit 3 "$LB" -q --plane jack --device "$NAME-none" -D 1s --json r.json >out 2>err &&
	echo "latency-bench: error: no JACK server is running (server '\''$NAME-none'\''): start jackd, or use --start-server dummy or pipewire" >expect &&
	test_cmp expect err &&
	test_cmp /dev/null out &&
	! test -e r.json &&
	# libjack was told not to start one itself
	! pgrep -f "jackd.*$NAME-none" >/dev/null &&
	! test -e "/dev/shm/jack_$NAME-none_0_0"
'

test_expect_success '--start-server dummy measures at the asked rate and period and stops the server' '
	"$LB" -q --plane jack --start-server dummy --rate 48000 --period 128 -D 3s --json r.json >out 2>err &&
	! grep -i "error" err &&
	test "$("$JGET" r.json "r[\"plane\"]")" = jack &&
	test "$("$JGET" r.json "r[\"audio\"][\"granted\"][\"rate\"]")" = 48000 &&
	test "$("$JGET" r.json "r[\"audio\"][\"granted\"][\"period_frames\"]")" = 128 &&
	test "$("$JGET" r.json "r[\"audio\"][\"server_started\"]")" = true &&
	test "$("$JGET" r.json "r[\"audio\"][\"card\"].startswith(\"jackd \")")" = true &&
	test "$("$JGET" r.json "r[\"audio\"][\"card\"].endswith(\", dummy driver\")")" = true &&
	test "$("$JGET" r.json "r[\"audio\"][\"dsp_load_pct\"][\"max\"] >= 0")" = true &&
	# this host has no osnoise tracer (or no root): the JACK plane says why it names no causes
	if grep -qsw osnoise /sys/kernel/tracing/available_tracers; then :; else
		test_grep "^cause analysis unavailable: " out &&
		test "$("$JGET" r.json "r[\"cause_analysis\"][\"available\"]")" = false
	fi &&
	# the server it started: what jackd logged is what the plane counted, and the process
	# thread priority recorded is the one jackd gave it (-P 80 makes clients 75)
	test "$("$JGET" r.json "r[\"audio\"][\"server_xruns\"] == r[\"xruns\"]")" = true &&
	if [ "$(id -u)" = 0 ]; then test "$("$JGET" r.json "r[\"params\"][\"priority\"]")" = 75; fi &&
	# latency over time: the reporter took the worst wakeup of each of the 3 seconds
	test "$("$JGET" r.json "(r[\"timeline\"][\"step_s\"], len(r[\"timeline\"][\"max_us\"]))")" = "[1, 3]" &&
	test "$("$JGET" r.json "max(v for v in r[\"timeline\"][\"max_us\"] if v is not None) == r[\"latency_us\"][\"max\"]")" = true &&
	# the run measures from the activation of the client (however long a loaded machine makes
	# jackd take to grant it) for its duration_s: 3 s at 128 frames, 48 kHz is 1125 cycles.
	# Every cycle is measured or, when the client was not called in time (an xrun, a stalled
	# machine), counted as missed, but for a cycle at each end; never more than the time holds
	samples=$("$JGET" r.json "r[\"samples\"]") &&
	missed=$("$JGET" r.json "r[\"missed_periods\"]") &&
	cycles=$("$JGET" r.json "round(r[\"duration_s\"] * 48000 / 128)") &&
	echo "samples $samples, missed $missed, expected $cycles" &&
	test "$cycles" = 1125 &&
	test $((samples + missed)) -ge $((cycles - 3)) && test "$samples" -le $((cycles + 2)) &&
	server=$("$JGET" r.json "r[\"audio\"][\"device\"]") &&
	case $server in latency-bench-[0-9]*) ;; *) false ;; esac &&
	! pgrep -f "jackd -n $server " >/dev/null &&
	! test -e "/dev/shm/jack_${server}_0_0"
'

if [ "$(id -u)" != 0 ] && [ "$(ulimit -r)" != unlimited ] && [ "$(ulimit -r)" -lt 90 ]; then
	test_skip 'the plane counts exactly the xruns jackd reports' 'needs SCHED_FIFO 90 (root or RLIMIT_RTPRIO)'
else
test_expect_success 'the plane counts exactly the xruns jackd reports' '
	# jackd -v marks when our client opened and closed: only its xrun reports in between are
	# ones the client can have been told of. A SCHED_FIFO 90 busy loop of 10 ms every 300 ms
	# on the server CPU, from 1 s to 4 s into a 6 s run, holds off its 2.7 ms cycles.
	start_jackd "$NAME" -v
	"$LB" -q --plane jack --device "$NAME" -D 6s --json r.json >out 2>err &
	lb=$!
	sleep 1
	"$INTERFERE" "$CPU" 90 10000 300000 3 >windows
	wait $lb
	stop_jackd
	# every message reached the log
	test_grep "no message buffer overruns" jackd.log &&
	awk "/JackEngine::ClientExternalOpen: .*name = latency-bench\$/ { on = 1 }
	     on && /JackTimedDriver::Process XRun|JackEngine::XRun:/ { n++ }
	     on && /JackEngine::ClientExternalClose/ { on = 0 }
	     END { print n + 0 }" jackd.log >expect &&
	"$JGET" r.json "r[\"xruns\"]" >actual &&
	echo "jackd reported $(cat expect) xruns to the client, the plane counted $(cat actual), $(cat windows) busy windows" &&
	test_cmp expect actual &&
	test "$(cat actual)" -gt 0 &&
	# the periods the busy windows took are counted missed, and every xrun is in the log
	test "$("$JGET" r.json "r[\"missed_periods\"] >= r[\"xruns\"]")" = true &&
	test "$("$JGET" r.json "len(r[\"audio\"][\"xrun_log\"]) == min(r[\"xruns\"], 64)")" = true
'
fi

# libjack waits for the server's answers without a limit: latency-bench must not, so a hang
# fails here in a minute, not at the test runner's limit
test_expect_success 'a server gone mid-run: exit 3, the result so far with device_lost' '
	start_jackd "$NAME-lost" &&
	{ (sleep 1.5 && kill -TERM $JACKD) & } &&
	test_must_fail --exit 3 timeout -k 5 60 "$LB" -q --plane jack --device "$NAME-lost" -D 6s --json r.json >out 2>err &&
	stop_jackd &&
	echo "latency-bench: error: the JACK server '\''$NAME-lost'\'' went away during the run: JACK server has been closed" >expect &&
	tail -n 1 err >actual &&
	test_cmp expect actual &&
	test "$("$JGET" r.json "r[\"audio\"][\"device_lost\"]")" = true &&
	test "$("$JGET" r.json "r[\"interrupted\"]")" = true &&
	test "$("$JGET" r.json "r[\"samples\"] > 100")" = true
'

# A server stopped mid-run calls the client no more: those periods are missed, up to the end
# of the run, as any other (the server is let go on after the run's end, so the client closes)
test_expect_success 'a server stopped mid-run: its missing cycles are counted missed' '
	start_jackd "$NAME-paused" &&
	{ "$LB" -q --plane jack --device "$NAME-paused" -D 2s --json r.json >out 2>err & } &&
	lb=$! &&
	sleep 1 &&
	kill -STOP "$JACKD" &&
	sleep 5 &&
	kill -CONT "$JACKD" &&
	{ wait $lb; test $? = 0; } &&
	stop_jackd &&
	samples=$("$JGET" r.json "r[\"samples\"]") &&
	missed=$("$JGET" r.json "r[\"missed_periods\"]") &&
	echo "samples $samples, missed $missed, of 750 cycles" &&
	test $((samples + missed)) -ge 747 && test $((samples + missed)) -le 752 &&
	test "$missed" -ge 100
'

# A stopped server (SIGSTOP, a debugger) answers nothing: latency-bench gives up after 10 s
# with what to do, and Ctrl-C ends the wait at once, as it ends a run
test_expect_success 'a server that does not answer: exit 3 after 10 s and no result; Ctrl-C ends the wait' '
	start_jackd "$NAME-stopped" &&
	kill -STOP "$JACKD" &&
	start=$(date +%s) &&
	test_must_fail --exit 3 timeout -k 5 60 "$LB" -q --plane jack --device "$NAME-stopped" -D 3s --json r.json >out 2>err &&
	took=$(($(date +%s) - start)) &&
	echo "latency-bench: error: the JACK server '\''$NAME-stopped'\'' did not answer in 10 s: is it stopped (kill -CONT) or hung? Restart it" >expect &&
	test_cmp expect err &&
	test_cmp /dev/null out &&
	! test -e r.json &&
	echo "gave up after $took s" &&
	test "$took" -ge 10 && test "$took" -le 20 &&
	{ "$LB" -q --plane jack --device "$NAME-stopped" -D 3s --json r.json >out 2>err & } &&
	lb=$! &&
	sleep 1 &&
	kill -INT $lb &&
	start=$(date +%s) &&
	gone $lb 3 &&
	wait $lb &&
	test "$("$JGET" r.json "(r[\"interrupted\"], r[\"samples\"])")" = "[true, 0]" &&
	test_cmp /dev/null err &&
	kill -CONT "$JACKD" &&
	stop_jackd
'

# A server that dies while the client waits for its answer: said as such, not as a status
# number
test_expect_success 'a server that dies while the client connects: exit 3, a clear message, no result' '
	start_jackd "$NAME-dies" &&
	kill -STOP "$JACKD" &&
	{ "$LB" -q --plane jack --device "$NAME-dies" -D 3s --json r.json >out 2>err & } &&
	lb=$! &&
	sleep 1 &&
	kill -KILL "$JACKD" &&
	{ wait "$JACKD" || :; } &&
	{ wait $lb; test $? = 3; } &&
	echo "latency-bench: error: the JACK server '\''$NAME-dies'\'' failed while the client connected (stopping, or crashed?): start it again" >expect &&
	test_cmp expect err &&
	! test -e r.json &&
	# a killed server stays in JACK'\''s registry: the next one of its name takes the entry back
	start_jackd "$NAME-dies" &&
	stop_jackd
'

# a test that failed half-way may have left its server running; a server stopped under its
# client leaves the client semaphore behind
if [ -f "$TRASH_ROOT/jackd.pids" ]; then
	while read -r pid; do
		kill -TERM "$pid" 2>/dev/null && sleep 1 && kill -KILL "$pid" 2>/dev/null
	done <"$TRASH_ROOT/jackd.pids"
fi
rm -f /dev/shm/jack_sem.0_"$NAME"* /dev/shm/jack_"$NAME"*
test_done
