#!/bin/bash
# t0125-latency-pipewire: the JACK plane through PipeWire's JACK. --start-server pipewire runs a
# private headless PipeWire at the period asked and leaves nothing behind; a server that grants
# another period is an error, or with --force-quantum is forced and restored, even when the run
# is killed; the xruns of a stalled client agree with PipeWire's profiler, another client's are
# told apart; the real-time setup and the round trip; `check` reports PipeWire's quantum and RT state.
. "$(dirname "$0")/../test-lib.sh"
LB=${LATENCY_BENCH:-$SRCDIR/latency-bench}
JGET=$SRCDIR/tests/tools/jget
TOOLS=${KB_OUT:-$SRCDIR/out}/tests
CPU=$(python3 -c 'import os; print(max(os.sched_getaffinity(0)))')
SCPU=$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))')
unset PIPEWIRE_REMOTE PIPEWIRE_RUNTIME_DIR PIPEWIRE_LATENCY PIPEWIRE_RATE PIPEWIRE_CONFIG_DIR PIPEWIRE_CONFIG_NAME \
	JACK_DEFAULT_SERVER
# latency-bench makes its private server's runtime directory here: nothing may stay behind
export TMPDIR=$TRASH_ROOT/tmp
mkdir -p "$TMPDIR"
export LB JGET TOOLS CPU SCPU

if ! command -v pipewire >/dev/null || ! command -v pw-jack >/dev/null || ! command -v pw-metadata >/dev/null; then
	for t in 'start-server pipewire' 'period' 'refused' 'force' 'force twice' 'xruns' 'other client' 'SIGTERM' \
		 'kill -9' 'repair' 'real time' 'round trip' 'check' 'period changed'; do
		test_skip "$t" 'no PipeWire (apt-get install pipewire pipewire-jack pipewire-bin)'
	done
	test_done
	exit
fi
PW_VERSION=$(pipewire --version | sed -n 's/^Linked with libpipewire //p')

# start_pw DIR QUANTUM MIN MAX: a headless PipeWire of the test's own with its runtime directory
# DIR, its dummy driver at 48 kHz, on the first CPU; returns once a client gets an answer
start_pw() {
	local dir=$1
	mkdir -p "$dir" && chmod 700 "$dir" || return 1
	cat >"$dir/pipewire.conf" <<-EOF || return 1
	context.properties = {
	    core.daemon = true
	    core.name = pipewire-0
	    default.clock.rate = 48000
	    default.clock.quantum = $2
	    default.clock.min-quantum = $3
	    default.clock.max-quantum = $4
	}
	context.spa-libs = { support.* = support/libspa-support }
	context.modules = [
	    { name = libpipewire-module-rt args = { nice.level = -11 } flags = [ ifexists nofail ] }
	    { name = libpipewire-module-protocol-native }
	    { name = libpipewire-module-profiler }
	    { name = libpipewire-module-metadata }
	    { name = libpipewire-module-spa-node-factory }
	    { name = libpipewire-module-client-node }
	    { name = libpipewire-module-access args = { } }
	    { name = libpipewire-module-adapter }
	    { name = libpipewire-module-link-factory }
	]
	context.objects = [
	    { factory = spa-node-factory
	      args = { factory.name = support.node.driver node.name = Dummy-Driver priority.driver = 20000 } }
	]
	EOF
	XDG_RUNTIME_DIR=$dir taskset -c "$SCPU" pipewire -c "$dir/pipewire.conf" >"$dir/log" 2>&1 &
	echo $! >"$dir/pid"
	echo $! >>"$TRASH_ROOT/pw.pids"
	for _ in $(seq 100); do
		XDG_RUNTIME_DIR=$dir pw-metadata -n settings >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	cat "$dir/log"
	return 1
}

# no_rt_conf DIR: a JACK client configuration in DIR (for PIPEWIRE_CONFIG_DIR) without the RT module
no_rt_conf() {
	mkdir -p "$1" &&
	printf '%s\n' 'context.properties = { log.level = 0 }' \
		'context.spa-libs = { support.* = support/libspa-support }' \
		'context.modules = [' '  { name = libpipewire-module-protocol-native }' \
		'  { name = libpipewire-module-client-node }' '  { name = libpipewire-module-metadata }' ']' \
		'jack.properties = { }' >"$1/jack.conf"
}

stop_pw() {
	kill -TERM "$(cat "$1/pid")" 2>/dev/null
	wait "$(cat "$1/pid")" 2>/dev/null || true
}

# setting DIR KEY: the value of KEY in the settings metadata ("" when not set)
setting() {
	XDG_RUNTIME_DIR=$1 pw-metadata -n settings 0 "$2" | sed -n "s/^update: id:0 key:'$2' value:'\\([^']*\\)'.*/\\1/p"
}

# live processes (no zombies) whose command line matches
live() {
	ps -eo stat=,args= | awk '$1 !~ /^Z/' | grep -e "$1" | grep -v -e grep -e awk || true
}

# janitors still at work (not zombies waiting for init)
janitors() {
	ps -eo stat=,comm= | awk '$1 !~ /^Z/ && $2 == "lb-pw-janitor"'
}

# the private server's processes; its directory, servers and janitors all gone
private_pw() {
	live "pipewire -c $TMPDIR/lb-pw-"
}
private_pw_up() {
	test -n "$(private_pw)"
}
all_gone() {
	test -z "$(private_pw)" && test -z "$(ls "$TMPDIR")" && test -z "$(janitors)"
}
# force_is DIR VALUE: the server's clock.force-quantum
force_is() {
	test "$(setting "$1" clock.force-quantum)" = "$2"
}

# wait_for CMD...: up to 10 s for CMD (a function that looks anew each time) to succeed
wait_for() {
	for _ in $(seq 100); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}
export -f setting live janitors private_pw private_pw_up all_gone force_is wait_for

test_expect_success '--start-server pipewire: 64 frames at 48 kHz granted and measured, the server named, nothing left' '
	"$LB" -q --plane jack --start-server pipewire --period 64 --rate 48000 -D 3s --json r.json >out 2>err &&
	! grep -i error err &&
	test "$("$JGET" r.json "r[\"audio\"][\"granted\"][\"period_frames\"]")" = 64 &&
	test "$("$JGET" r.json "r[\"audio\"][\"granted\"][\"rate\"]")" = 48000 &&
	test "$("$JGET" r.json "r[\"audio\"][\"server_started\"]")" = true &&
	test "$("$JGET" r.json "r[\"audio\"][\"server\"][\"kind\"]")" = pipewire &&
	test "$("$JGET" r.json "r[\"audio\"][\"server\"][\"version\"]")" = "$PW_VERSION" &&
	test "$("$JGET" r.json "r[\"audio\"][\"card\"]")" = "PipeWire $PW_VERSION, dummy driver" &&
	test "$("$JGET" r.json "r[\"audio\"][\"server\"][\"driver\"]")" = Dummy-Driver &&
	test "$("$JGET" r.json "r[\"audio\"][\"server\"][\"quantum\"]")" = 64 &&
	test "$("$JGET" r.json "r[\"verdict\"][\"measured_period\"]")" = "{\"frames\": 64, \"rate\": 48000}" &&
	test_grep "^server .* (PipeWire $PW_VERSION, dummy driver): granted 48000 Hz, 64 frames" out &&
	test_grep "^PipeWire: driver Dummy-Driver at quantum 64, 48000 Hz" out &&
	# 3 s of 64-frame periods at 48 kHz is 2250 cycles: each measured or counted missed
	samples=$("$JGET" r.json "r[\"samples\"]") && missed=$("$JGET" r.json "r[\"missed_periods\"]") &&
	cycles=$("$JGET" r.json "r[\"duration_s\"] * 48000 / 64") &&
	echo "samples $samples, missed $missed, cycles $cycles" &&
	test "$("$JGET" r.json "abs(r[\"samples\"] + r[\"missed_periods\"] - $cycles) <= 0.03 * $cycles")" = true &&
	all_gone
'

# PipeWire's libjack tells its client nothing when the server dies, its callbacks just stop:
# the plane hears it on its own connection, ends the run there and keeps the result so far
test_expect_success 'a PipeWire gone mid-run: exit 3, the result so far with device_lost, nothing left' '
	{ "$LB" -q --plane jack --start-server pipewire --period 64 --rate 48000 -D 8s --json r.json >out 2>err & } &&
	lb=$! &&
	wait_for pgrep -P $lb -x pipewire >server &&
	sleep 2.5 &&
	kill -KILL "$(cat server)" &&
	{ wait $lb; test $? = 3; } &&
	test_grep "^latency-bench: error: the JACK server .* went away during the run: PipeWire closed the connection\$" err &&
	test "$("$JGET" r.json "(r[\"audio\"][\"device_lost\"], r[\"interrupted\"])")" = "[true, true]" &&
	test "$("$JGET" r.json "500 < r[\"samples\"] and r[\"duration_s\"] < 6")" = true &&
	wait_for all_gone
'

test_expect_success 'a server that runs at 1024: no --period measures 1024 and the verdict speaks for no less' '
	start_pw "$TRASH_ROOT/vm" 1024 1024 2048 &&
	XDG_RUNTIME_DIR=$TRASH_ROOT/vm pw-jack "$LB" -q --plane jack -D 2s --json r.json >out 2>err &&
	stop_pw "$TRASH_ROOT/vm" &&
	test "$("$JGET" r.json "r[\"audio\"][\"granted\"][\"period_frames\"]")" = 1024 &&
	test "$("$JGET" r.json "r[\"audio\"][\"requested\"][\"period_frames\"]")" = null &&
	test "$("$JGET" r.json "r[\"params\"][\"interval_ns\"]")" = 21333333 &&
	test "$("$JGET" r.json "r[\"audio\"][\"server\"][\"settings\"][\"clock.min-quantum\"]")" = 1024 &&
	test "$("$JGET" r.json "r[\"verdict\"][\"measured_period\"][\"frames\"]")" = 1024 &&
	# no cell judges a size shorter than the 21.3 ms measured
	test "$("$JGET" r.json "all(c[\"from_frames\"] * 48000 >= 1024 * c[\"rate\"] and (c[\"frames\"] is None or c[\"frames\"] >= c[\"from_frames\"]) for c in r[\"verdict\"][\"safe\"])")" = true &&
	! grep -E "suitable for (16|32|64|128|256|512)-frame" out
'

test_expect_success '--period 64 on a server that will not run at it: exit 3, why and what to do, no result' '
	start_pw "$TRASH_ROOT/vm" 1024 1024 2048 &&
	test_must_fail --exit 3 env XDG_RUNTIME_DIR=$TRASH_ROOT/vm pw-jack "$LB" -q --plane jack --period 64 -D 2s \
		--json r.json >out 2>err &&
	stop_pw "$TRASH_ROOT/vm" &&
	echo "latency-bench: error: PipeWire (server '\''default'\'') runs the client at 1024 frames at 48000 Hz, not the 64 frames asked for (its clock.min-quantum is 1024): add --force-quantum to force it for the run (it is restored afterwards), or leave out --period and --rate to measure what it runs at" >expect &&
	test_cmp expect err &&
	test_cmp /dev/null out &&
	! test -e r.json
'

test_expect_success '--force-quantum: 64 forced for the run, measured at 64, and the setting restored' '
	start_pw "$TRASH_ROOT/vm" 1024 1024 2048 &&
	XDG_RUNTIME_DIR=$TRASH_ROOT/vm pw-jack "$LB" -q --plane jack --period 64 --force-quantum -D 2s \
		--json r.json >out 2>err &&
	force=$(setting "$TRASH_ROOT/vm" clock.force-quantum) &&
	ledger=$(setting "$TRASH_ROOT/vm" latency-bench.forced) &&
	stop_pw "$TRASH_ROOT/vm" &&
	! grep -i error err &&
	test "$force" = 0 && test -z "$ledger" &&
	test "$("$JGET" r.json "r[\"audio\"][\"granted\"][\"period_frames\"]")" = 64 &&
	test "$("$JGET" r.json "r[\"audio\"][\"server\"][\"forced\"]")" = "{\"quantum\": 64, \"rate\": null, \"restored_quantum\": 0, \"restored_rate\": 0}" &&
	test_grep "^forced for the run: clock.force-quantum 64 (then back to 0)$" out &&
	test "$("$JGET" r.json "abs(r[\"samples\"] + r[\"missed_periods\"] - r[\"duration_s\"] * 750) <= 0.03 * r[\"duration_s\"] * 750")" = true
'

test_expect_success '--force-quantum while another run forces it: exit 3, the other run named' '
	start_pw "$TRASH_ROOT/vm" 1024 1024 2048
	XDG_RUNTIME_DIR=$TRASH_ROOT/vm pw-jack "$LB" -q --plane jack --period 64 --force-quantum -D 30s >out 2>err &
	lb=$!
	wait_for force_is "$TRASH_ROOT/vm" 64 &&
	test_must_fail --exit 3 env XDG_RUNTIME_DIR=$TRASH_ROOT/vm pw-jack "$LB" -q --plane jack --period 128 \
		--force-quantum -D 1s >out2 2>err2 &&
	force=$(setting "$TRASH_ROOT/vm" clock.force-quantum) &&
	kill -TERM $lb && wait $lb &&
	stop_pw "$TRASH_ROOT/vm" &&
	echo "latency-bench: error: another latency-bench (pid $lb) forces PipeWire'\''s quantum now: wait until it ends" >expect &&
	test_cmp expect err2 &&
	test "$force" = 64
'

if [ "$CPU" = "$SCPU" ] || { [ "$(id -u)" != 0 ] && [ "$(ulimit -r)" != unlimited ] && [ "$(ulimit -r)" -lt 90 ]; }; then
	test_skip 'a stalled client: its xruns and PipeWire'\''s agree' 'needs two CPUs and SCHED_FIFO 90'
	test_skip 'another client late: PipeWire counts it apart, and this client has no xrun' 'needs two CPUs and SCHED_FIFO 90'
else
test_expect_success 'a stalled client: its xruns and PipeWire'\''s agree' '
	# the server on one CPU; on the other, the client, held off by a SCHED_FIFO 90 busy loop of
	# 10 ms every 300 ms (7.5 periods of 64 frames) from 1 s to 4 s of a 6 s run
	start_pw "$TRASH_ROOT/pw" 64 64 64
	XDG_RUNTIME_DIR=$TRASH_ROOT/pw pw-jack "$LB" -q --plane jack --cpus "$CPU" --period 64 -D 6s --json r.json >out 2>err &
	lb=$!
	sleep 1
	"$TOOLS/lb-interfere" "$CPU" 90 10000 300000 3 >windows
	wait $lb
	stop_pw "$TRASH_ROOT/pw"
	ours=$("$JGET" r.json "r[\"xruns\"]") && theirs=$("$JGET" r.json "r[\"audio\"][\"server_xruns\"]") &&
	inside=$("$JGET" r.json "r[\"audio\"][\"server_xruns_detail\"][\"in_callback\"]") &&
	echo "$(cat windows) windows: the client missed $ours cycles, PipeWire counted $theirs, $inside inside its callback" &&
	grep xruns out &&
	test "$("$JGET" r.json "r[\"audio\"][\"server_xruns_detail\"][\"source\"]")" = "PipeWire'\''s profiler" &&
	test "$theirs" -ge "$(cat windows)" &&
	test "$("$JGET" r.json "r[\"missed_periods\"] == r[\"xruns\"]")" = true &&
	# every cycle PipeWire found unfinished is one the client missed, or one a stall caught it in;
	# a few are not (a cycle at either end of the run, one served so late that its signal ended the
	# next): fewer than half a stall, and the note says why
	test $((theirs - ours - inside)) -ge -3 && test $((theirs - ours - inside)) -le 3 &&
	if [ "$ours" = "$theirs" ]; then
		test_grep "^server xruns (PipeWire'\''s profiler): $theirs: PipeWire counted the same $theirs$" out
	elif [ $((ours + inside)) = "$theirs" ]; then
		test_grep "^server xruns (PipeWire'\''s profiler): $theirs: PipeWire counted the $ours cycles this client missed and $inside more in which a stall caught the client inside its callback" out
	elif [ $((ours + inside)) -lt "$theirs" ]; then
		test_grep "^server xruns (PipeWire'\''s profiler): $theirs: PipeWire found $theirs cycles unfinished by this client ($inside of them caught inside its callback), the client missed $ours: PipeWire also counts a cycle the client served only after" out
	else
		test_grep "^server xruns (PipeWire'\''s profiler): $theirs: the client missed $ours cycles, PipeWire found $theirs unfinished by it ($inside of them caught inside its callback): a stall of PipeWire'\''s own driver" out
	fi
'

test_expect_success 'another client late: PipeWire counts it apart, and this client has no xrun' '
	start_pw "$TRASH_ROOT/pw" 64 64 64
	XDG_RUNTIME_DIR=$TRASH_ROOT/pw pw-jack "$LB" -q --plane jack --cpus "$CPU" --period 64 -D 5s --json r.json >out 2>err &
	lb=$!
	sleep 1
	# the other client is not real-time: on the server'\''s CPU its stalls hold up only itself
	no_rt_conf conf &&
	PIPEWIRE_CONFIG_DIR=$PWD/conf XDG_RUNTIME_DIR=$TRASH_ROOT/pw taskset -c "$SCPU" \
		pw-jack "$TOOLS/lb-stall" lb-stall 5000 300 3 >stalls
	wait $lb
	stop_pw "$TRASH_ROOT/pw"
	echo "$(cat stalls) stalls of the other client; the client missed $("$JGET" r.json "r[\"xruns\"]"), PipeWire: $("$JGET" r.json "r[\"audio\"][\"server_xruns\"]"), $("$JGET" r.json "r[\"audio\"][\"server_xruns_detail\"]")" &&
	test "$(cat stalls)" -gt 0 &&
	test "$("$JGET" r.json "r[\"audio\"][\"server_xruns_detail\"][\"other_clients\"] >= $(cat stalls)")" = true &&
	test "$("$JGET" r.json "r[\"audio\"][\"server_xruns_detail\"][\"other_nodes\"]")" = lb-stall &&
	test "$("$JGET" r.json "abs(r[\"audio\"][\"server_xruns\"] - r[\"xruns\"] - r[\"audio\"][\"server_xruns_detail\"][\"in_callback\"]) <= 3")" = true &&
	test_grep "because other clients had not finished (lb-stall): this client had, so they are not its xruns" out
'
fi

test_expect_success 'SIGTERM: the run ends with its result, the private server and its directory are gone' '
	"$LB" -q --plane jack --start-server pipewire -D 30s --json r.json >out 2>err &
	lb=$!
	wait_for private_pw_up &&
	sleep 1 &&
	kill -TERM $lb &&
	wait $lb &&
	test "$("$JGET" r.json "r[\"interrupted\"]")" = true &&
	all_gone
'

test_expect_success 'kill -9: no PipeWire process, no directory, no forced quantum left behind' '
	"$LB" -q --plane jack --start-server pipewire -D 30s >out 2>err &
	lb=$!
	wait_for private_pw_up &&
	kill -KILL $lb &&
	wait_for all_gone &&
	start_pw "$TRASH_ROOT/vm" 1024 1024 2048
	XDG_RUNTIME_DIR=$TRASH_ROOT/vm pw-jack "$LB" -q --plane jack --period 64 --force-quantum -D 30s >out 2>err &
	lb=$!
	wait_for force_is "$TRASH_ROOT/vm" 64 &&
	kill -KILL $lb &&
	wait_for force_is "$TRASH_ROOT/vm" 0 &&
	test -z "$(setting "$TRASH_ROOT/vm" latency-bench.forced)" &&
	stop_pw "$TRASH_ROOT/vm"
'

test_expect_success 'killed with its janitor: check names the forced quantum, and the next run repairs it' '
	start_pw "$TRASH_ROOT/vm" 1024 1024 2048
	XDG_RUNTIME_DIR=$TRASH_ROOT/vm pw-jack "$LB" -q --plane jack --period 64 --force-quantum -D 30s >out 2>err &
	lb=$!
	wait_for force_is "$TRASH_ROOT/vm" 64 &&
	janitor=$(pgrep -P $lb -x lb-pw-janitor) &&
	kill -KILL $janitor $lb &&
	sleep 1 &&
	test "$(setting "$TRASH_ROOT/vm" clock.force-quantum)" = 64 &&
	XDG_RUNTIME_DIR=$TRASH_ROOT/vm "$LB" check >check 2>&1 || true
	test_grep "^  WARN  PipeWire quantum (settings metadata)     clock.quantum 1024 at 48000 Hz, clock.min-quantum 1024, clock.max-quantum 2048; forced: quantum 64, rate 0$" check &&
	test_grep "^        -> latency-bench (pid $lb) forced the quantum and was killed before it could undo it: the next latency-bench run on this server undoes it" check &&
	XDG_RUNTIME_DIR=$TRASH_ROOT/vm pw-jack "$LB" -q --plane jack -D 1s --json r.json >out 2>err &&
	force=$(setting "$TRASH_ROOT/vm" clock.force-quantum) &&
	stop_pw "$TRASH_ROOT/vm" &&
	test "$force" = 0 &&
	test "$("$JGET" r.json "r[\"audio\"][\"server\"][\"repaired_pid\"]")" = "$lb" &&
	test_grep "^note: undid the quantum forced by an earlier run (pid $lb) that was killed$" out &&
	test "$("$JGET" r.json "r[\"audio\"][\"granted\"][\"period_frames\"]")" = 1024
'

test_expect_success 'real time: the thread PipeWire makes real-time counts as such; without its RT module, why and the fix' '
	start_pw "$TRASH_ROOT/pw" 64 64 64 &&
	XDG_RUNTIME_DIR=$TRASH_ROOT/pw pw-jack "$LB" -q --plane jack -D 1s --json rt.json >out 2>err &&
	if [ "$(id -u)" = 0 ]; then
		test "$("$JGET" rt.json "r[\"params\"][\"policy\"]")" = fifo &&
		test "$("$JGET" rt.json "r[\"params\"][\"priority\"]")" = 88 &&
		test "$("$JGET" rt.json "r[\"note\"] is None or \"SCHED\" not in r[\"note\"]")" = true &&
		test_grep "^real time: PipeWire'\''s RT module (/usr/share/pipewire/jack.conf) gave it real-time priority directly, as root$" out
	fi &&
	# a client configuration without the RT module
	no_rt_conf conf &&
	PIPEWIRE_CONFIG_DIR=$PWD/conf XDG_RUNTIME_DIR=$TRASH_ROOT/pw pw-jack "$LB" -q --plane jack -D 1s --json no-rt.json >out 2>err &&
	test "$("$JGET" no-rt.json "r[\"params\"][\"policy\"]")" = other &&
	echo "latency-bench: warning: not real-time: the JACK process thread runs SCHED_OTHER: $PWD/conf/jack.conf does not load PipeWire'\''s RT module (libpipewire-module-rt); fix: add { name = libpipewire-module-rt args = { } flags = [ ifexists nofail ] } to context.modules in ~/.config/pipewire/jack.conf (start from /usr/share/pipewire/jack.conf)" >expect &&
	test_cmp expect err &&
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
		# a user without real-time limits, and no rtkit to ask
		chmod 755 "$TRASH_ROOT" "$TRASH_ROOT/pw" && chmod 777 "$TRASH_ROOT/pw/pipewire-0" . &&
		# (the RT module of PipeWire leaks when it fails and is unloaded: a sanitizer build
		# cannot tell its leaks from ours, so they are not looked for here)
		XDG_RUNTIME_DIR=$TRASH_ROOT/pw TMPDIR=$PWD ASAN_OPTIONS=detect_leaks=0 \
			setpriv --reuid=65534 --regid=65534 --clear-groups \
			prlimit --rtprio=0 pw-jack "$LB" -q --plane jack -D 1s --json user.json >out 2>err &&
		test "$("$JGET" user.json "r[\"params\"][\"policy\"]")" = other &&
		test_grep "SCHED_OTHER: PipeWire'\''s RT module may not set SCHED_FIFO 88 itself (RLIMIT_RTPRIO 0, not root) and " err &&
		test_grep "fix: add \"@audio - rtprio 95\" and \"@audio - memlock unlimited\" to /etc/security/limits.d/audio.conf" err
	fi &&
	stop_pw "$TRASH_ROOT/pw"
'

test_expect_success 'round trip through PipeWire: one period, nothing extra, compensation right as it is' '
	"$LB" -q --plane jack --start-server pipewire --period 64 -D 3s --roundtrip --json r.json >out 2>err &&
	test "$("$JGET" r.json "r[\"audio\"][\"roundtrip\"][\"received\"] >= 20")" = true &&
	test "$("$JGET" r.json "r[\"audio\"][\"roundtrip\"][\"frames\"][\"median\"]")" = 64.0 &&
	test "$("$JGET" r.json "r[\"audio\"][\"roundtrip\"][\"extra_frames\"]")" = 0.0 &&
	test "$("$JGET" r.json "r[\"audio\"][\"roundtrip\"][\"compensation\"]")" = "{\"frames\": 0, \"jackd_input_output\": 0}" &&
	test_grep "one period through the server, 64 frames, and 0 the server reports: 0.00 frames extra$" out &&
	test_grep "^latency compensation: right as it is" out
'

test_expect_success 'check under a running PipeWire: its version, quantum settings and real-time state' '
	start_pw "$TRASH_ROOT/vm" 1024 1024 2048 &&
	pid=$(cat "$TRASH_ROOT/vm/pid") &&
	{ XDG_RUNTIME_DIR=$TRASH_ROOT/vm "$LB" check >check 2>err || true; } &&
	XDG_RUNTIME_DIR=$TRASH_ROOT/vm pw-metadata -n settings 0 clock.force-quantum 256 >/dev/null &&
	{ XDG_RUNTIME_DIR=$TRASH_ROOT/vm PIPEWIRE_LATENCY=128/48000 "$LB" check >check2 2>&1 || true; } &&
	# libpipewire is opened on first use (pw-dl.c), not linked: one that cannot be loaded is named
	mkdir badlib &&
	: >badlib/libpipewire-0.3.so.0 &&
	{ XDG_RUNTIME_DIR=$TRASH_ROOT/vm LD_LIBRARY_PATH=$PWD/badlib "$LB" check >check4 2>err4 || true; } &&
	stop_pw "$TRASH_ROOT/vm" &&
	test_cmp /dev/null err4 &&
	test_grep "^  INFO  PipeWire server                          none reached (cannot load the PipeWire library '\''libpipewire-0.3.so.0'\'': $PWD/badlib/libpipewire-0.3.so.0: file too short (install libpipewire-0.3-0))$" check4 &&
	test_grep "^  [A-Z]*  *Locked memory limit (RLIMIT_MEMLOCK) " check4 &&
	if command -v readelf >/dev/null; then
		readelf -d "$LB" >dyn &&
		grep -q "NEEDED.*libc\.so" dyn &&
		! grep "NEEDED.*libpipewire" dyn
	fi &&
	test_cmp /dev/null err &&
	test_grep "^  INFO  PipeWire server                          PipeWire $PW_VERSION, pipewire-0 (pid $pid)$" check &&
	test_grep "^  WARN  PipeWire quantum (settings metadata)     clock.quantum 1024 at 48000 Hz, clock.min-quantum 1024, clock.max-quantum 2048$" check &&
	test_grep "^        -> no client gets a period below 1024 frames unless the quantum is forced: for this session \`pw-metadata -n settings 0 clock.min-quantum 64\`" check &&
	test_grep "^  [A-Z]*  *PipeWire server real-time " check &&
	test_grep "^  [A-Z]*  *PipeWire JACK client real-time " check &&
	if [ "$(id -u)" = 0 ]; then
		test_grep "^  OK    PipeWire server real-time                its data thread runs at SCHED_FIFO 88 (pid $pid)$" check &&
		test_grep "^  OK    PipeWire JACK client real-time           RT module in /usr/share/pipewire/jack.conf, SCHED_FIFO 88 directly (root)$" check
	fi &&
	test_grep "^  INFO  PIPEWIRE_LATENCY                         not set: JACK clients ask for no latency of their own$" check &&
	test_grep "clock.max-quantum 2048; forced: quantum 256, rate 0$" check2 &&
	test_grep "^  INFO  PIPEWIRE_LATENCY                         128/48000: JACK clients started from here ask for this latency$" check2 &&
	# without a server: said once, no error
	{ XDG_RUNTIME_DIR=$TRASH_ROOT/none "$LB" check >check3 2>err3 || true; } &&
	test_grep "^  INFO  PipeWire server                          none reached (no PipeWire server at '\''$TRASH_ROOT/none/pipewire-0'\'')$" check3
'

test_expect_success 'the period changed by another during the run: exit 3, the result so far, and why' '
	start_pw "$TRASH_ROOT/pw" 1024 16 2048
	XDG_RUNTIME_DIR=$TRASH_ROOT/pw pw-jack "$LB" -q --plane jack --period 64 -D 10s --json r.json >out 2>err &
	lb=$!
	sleep 2
	XDG_RUNTIME_DIR=$TRASH_ROOT/pw pw-metadata -n settings 0 clock.force-quantum 128 >/dev/null
	rc=0 && wait $lb || rc=$?
	stop_pw "$TRASH_ROOT/pw"
	test "$rc" = 3 &&
	echo "latency-bench: error: the JACK server '\''default'\'' changed the period from 64 to 128 frames during the run (another client asked for it, or its quantum was forced): the result covers the 64-frame periods until then" >expect &&
	grep "error" err >actual &&
	test_cmp expect actual &&
	test "$("$JGET" r.json "r[\"interrupted\"]")" = true &&
	test "$("$JGET" r.json "r[\"audio\"][\"granted\"][\"period_frames\"]")" = 64 &&
	test "$("$JGET" r.json "r[\"samples\"] > 500")" = true
'

# a test that failed half-way may have left its servers running
if [ -f "$TRASH_ROOT/pw.pids" ]; then
	while read -r pid; do
		kill -TERM "$pid" 2>/dev/null && sleep 0.5 && kill -KILL "$pid" 2>/dev/null
	done <"$TRASH_ROOT/pw.pids"
fi
test_done
