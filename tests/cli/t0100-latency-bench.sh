#!/bin/bash
# t0100-latency-bench: the timer plane's command line, outputs and behaviour: bad arguments exit 2
# and write nothing, a run writes a valid result (also when stopped by a signal or run without
# privileges), budgets exit 1, the cyclictest histogram adds up, plot and check work
. "$(dirname "$0")/../test-lib.sh"
LB=${LATENCY_BENCH:-$SRCDIR/latency-bench}
JGET=$SRCDIR/tests/tools/jget

# the CPUs this process may use, as latency-bench names them ("0-3", "0,2")
allowed_cpus() {
	python3 -c 'import os
c = sorted(os.sched_getaffinity(0)); out = []; i = 0
while i < len(c):
    j = i
    while j + 1 < len(c) and c[j + 1] == c[j] + 1: j += 1
    out.append(str(c[i]) if i == j else "%d-%d" % (c[i], c[j])); i = j + 1
print(",".join(out))'
}

# stderr of a run, less the one warning a sanitizer build gives: ASan's mlockall locks nothing,
# so the result (rightly) says memory_locked false
run_err() {
	if [ "$("$JGET" "$1" "r[\"params\"][\"memory_locked\"]")" = false ]; then
		grep -v "^latency-bench: warning: not real-time: memory could not be locked" "$2" || true
	else
		cat "$2"
	fi
}

bad_arg() {
	local msg=$1
	shift
	test_must_fail --exit 2 "$LB" --json r.json "$@" >out 2>err &&
	echo "latency-bench: error: $msg" >expect &&
	test_cmp expect err &&
	test_cmp /dev/null out &&
	! test -e r.json
}

test_expect_success 'help goes to stdout and exits 0; --version' '
	"$LB" -h >out 2>err &&
	test_cmp /dev/null err &&
	test_grep "^usage: latency-bench \[OPTIONS\]" out &&
	test_grep "^  -D, --duration TIME" out &&
	"$LB" --version >out &&
	test_grep "^latency-bench " out
'

test_expect_success 'bad periods, rates and intervals: exit 2, a message naming the argument, no result' '
	bad_arg "invalid --period '\''0'\'': expected a period from 8 to 65536 frames" --period 0 &&
	bad_arg "invalid --period '\''-64'\'': expected a period from 8 to 65536 frames" --period -64 &&
	bad_arg "invalid --period '\''64k'\'': expected a period from 8 to 65536 frames" --period 64k &&
	bad_arg "invalid --period '\''1000000'\'': expected a period from 8 to 65536 frames" --period 1000000 &&
	bad_arg "invalid --rate '\''0'\'': expected a sample rate from 8000 to 768000 Hz" --rate 0 &&
	bad_arg "invalid --period 8 at --rate 768000: a 10.4 us period is below the 50 us this tool measures" --period 8 --rate 768000 &&
	bad_arg "invalid --period 65536 at --rate 8000: a period longer than 1 s is not an audio period" --period 65536 --rate 8000 &&
	bad_arg "invalid --interval '\''10us'\'': expected from 50 us to 1 s" --interval 10us &&
	bad_arg "invalid --interval '\''fast'\'': expected a time such as 1000, 1333us or 2ms" --interval fast &&
	bad_arg "--interval and --rate/--period both set the wakeup interval: give one of them" --interval 1000 --period 64
'

test_expect_success 'bad durations, planes, CPUs, loads and priorities: exit 2' '
	bad_arg "invalid --duration '\''5x'\'': expected a time from 0.1 s to 30 days such as 30s, 10m or 2h" --duration 5x &&
	bad_arg "invalid --duration '\''0'\'': expected a time from 0.1 s to 30 days such as 30s, 10m or 2h" --duration 0 &&
	bad_arg "invalid --duration '\''-1m'\'': expected a time from 0.1 s to 30 days such as 30s, 10m or 2h" --duration -1m &&
	bad_arg "invalid --duration '\'''\'': expected a time from 0.1 s to 30 days such as 30s, 10m or 2h" --duration "" &&
	bad_arg "invalid --duration: 0.100 s is shorter than one 200.000 ms period" --duration 100ms --interval 200ms &&
	bad_arg "invalid --plane '\''disk'\'': unknown plane (known: timer, alsa, jack)" --plane disk &&
	bad_arg "invalid --cpus '\''4096'\'': no such CPU (this process may use $(allowed_cpus))" --cpus 4096 &&
	bad_arg "invalid --cpus '\''0-'\'': expected a list such as 0-3,6" --cpus 0- &&
	bad_arg "invalid --cpus '\''1,a'\'': expected a list such as 0-3,6" --cpus 1,a &&
	bad_arg "invalid --load '\''cpu,disk'\'': unknown load '\''disk'\'' (known: messaging, cpu, memory, io, all, none)" --load cpu,disk &&
	bad_arg "invalid --priority '\''100'\'': expected a SCHED_FIFO priority from 1 to 99" --priority 100 &&
	bad_arg "unknown command '\''run'\'' (commands: check, compare, devices, plot; see latency-bench -h)" run
'

test_expect_success 'an unknown option, an option without its value: exit 2, the option named, no usage dump' '
	bad_arg "unknown option '\''--bogus'\'' (see --help)" --bogus &&
	bad_arg "option '\''--duration'\'' needs an argument" --duration &&
	bad_arg "option '\''-D'\'' needs an argument" -D &&
	bad_arg "unknown option '\''-Z'\'' (see --help)" -Z &&
	for c in compare plot; do
		test_must_fail --exit 2 "$LB" $c --bogus a.json b.json >out 2>err &&
		echo "latency-bench: error: unknown option '\''--bogus'\'' (see --help)" >expect &&
		test_cmp expect err && test_cmp /dev/null out || exit 1
	done
'

test_expect_success 'a CPU that exists on no machine of this size is refused by number' '
	n=$(nproc) &&
	bad_arg "invalid --cpus '\''$n'\'': CPU $n does not exist or is not allowed here (this process may use $(allowed_cpus))" --cpus $n
'

test_expect_success 'a result that could not be written is refused before the run, exit 3' '
	test_must_fail --exit 3 timeout 5 "$LB" --duration 60 --json nodir/r.json >out 2>err &&
	echo "latency-bench: error: cannot write '"'"'nodir/r.json'"'"': No such file or directory" >expect &&
	test_cmp expect err &&
	test_must_fail --exit 3 timeout 5 "$LB" --duration 60 --histogram nodir/h.txt 2>err &&
	test_grep "cannot write '"'"'nodir/h.txt'"'"'" err
'

test_expect_success 'a 1 s run: every deadline is a sample or a missed period, the files agree' '
	"$LB" -q --cpus 0 --duration 1 --json r.json --histogram h.txt >out 2>err &&
	run_err r.json err >err.run && test_cmp /dev/null err.run &&
	test "$("$JGET" r.json "r[\"schema\"]")" = latency-bench/1 &&
	test "$("$JGET" r.json "r[\"plane\"]")" = timer &&
	test "$("$JGET" r.json "r[\"params\"][\"interval_ns\"]")" = 1333333 &&
	test "$("$JGET" r.json "r[\"samples\"] + r[\"missed_periods\"]")" = 750 &&
	test "$("$JGET" r.json "sum(b[2] for b in r[\"histogram\"][\"buckets\"]) + r[\"histogram\"][\"overflow\"][\"count\"]")" = "$("$JGET" r.json "r[\"samples\"]")" &&
	test "$("$JGET" r.json "r[\"per_cpu\"][0][\"samples\"]")" = "$("$JGET" r.json "r[\"samples\"]")" &&
	test "$("$JGET" r.json "r[\"realtime\"] == r[\"params\"][\"memory_locked\"] and r[\"params\"][\"policy\"] == \"fifo\"")" = true &&
	test "$("$JGET" r.json "r[\"interrupted\"]")" = false &&
	test "$("$JGET" r.json "r[\"system\"][\"kernel_release\"]")" = "$(uname -r)" &&
	test "$("$JGET" r.json "[k for k in (\"min\",\"p50\",\"p99\",\"p999\",\"p9999\",\"max\") if k not in r[\"latency_us\"]]")" = "[]" &&
	test "$("$JGET" r.json "r[\"latency_us\"][\"p9999\"]")" = null &&
	test "$("$JGET" r.json "len(r[\"verdict\"][\"safe\"])")" = 6 &&
	test "$("$JGET" r.json "r[\"verdict\"][\"summary\"]")" = "$(sed -n "s/^verdict: //p" out)" &&
	test_grep "^latency-bench: timer plane on 1 CPU, 1.0 s, SCHED_FIFO 80, interval 1333.3 us (64 frames at 48000 Hz)$" out &&
	test "$(grep -c "^[0-9]\{6\} [0-9]\{6\}$" h.txt)" = 10000 &&
	total=$(sed -n "s/^# Total: //p" h.txt) && over=$(sed -n "s/^# Histogram Overflows: //p" h.txt) &&
	test $((10#$total + 10#$over)) = "$("$JGET" r.json "r[\"samples\"]")" &&
	test "$(awk "/^[0-9]/ { s += \$2 } END { print s }" h.txt)" = $((10#$total))
'

test_expect_success 'SIGTERM ends the run early and still writes a valid result' '
	"$LB" -q --cpus 0 --duration 60 --json r.json >out 2>err &
	pid=$! && sleep 1.5 && kill -TERM $pid && wait $pid &&
	test "$("$JGET" r.json "r[\"interrupted\"]")" = true &&
	test "$("$JGET" r.json "r[\"duration_s\"] < 5 and r[\"samples\"] > 500")" = true &&
	test_grep "^interrupted: the figures cover the" out
'

test_expect_success 'without SCHED_FIFO and mlock it still measures, warns and says not real-time' '
	command -v setpriv >/dev/null &&
	chmod 777 . &&
	(ulimit -r 0 -l 64 && setpriv --reuid 65534 --regid 65534 --clear-groups \
		"$LB" -q --cpus 0 --duration 0.5 --json r.json >out 2>err) &&
	test_grep "^latency-bench: warning: not real-time: SCHED_FIFO was refused, measured as an ordinary process, memory not locked (RLIMIT_RTPRIO 0)" err &&
	test "$("$JGET" r.json "(r[\"realtime\"], r[\"params\"][\"policy\"], r[\"params\"][\"memory_locked\"])")" = "$(printf "%s" "[false, \"other\", false]")" &&
	test "$("$JGET" r.json "r[\"samples\"] + r[\"missed_periods\"]")" = 375 &&
	test_grep "^latency-bench: timer plane on 1 CPU, 0.5 s, SCHED_OTHER (not real-time), interval" out
'

test_expect_success 'budgets: --max-latency and --max-missed exceeded exit 1, the result still written' '
	test_must_fail --exit 1 "$LB" -q --cpus 0 --duration 0.2 --max-latency 0.001 --json r.json >out 2>err &&
	test_grep "^latency-bench: error: budget exceeded: worst wakeup [0-9.]* us late, --max-latency is 0.0 us$" err &&
	test "$("$JGET" r.json "r[\"params\"][\"max_latency_us\"]")" = 0.001 &&
	"$LB" -q --cpus 0 --duration 0.2 --max-latency 1000000 --max-missed 1000 >out 2>err
'

test_expect_success 'loads are started, recorded and stopped; the load command'"'"'s own exit status is kept' '
	"$LB" -q --cpus 0 --duration 0.5 --load cpu,io --load-cmd "exit 3" --json r.json >out 2>err &&
	test "$("$JGET" r.json "(r[\"params\"][\"load\"][\"kinds\"], r[\"params\"][\"load\"][\"cmd\"], r[\"params\"][\"load\"][\"cmd_exit_status\"])")" = "[[\"cpu\", \"io\"], \"exit 3\", 3]" &&
	test_grep "^kernel .*, load: cpu,io, command '"'"'exit 3'"'"'$" out &&
	"$LB" -q --cpus 0 --duration 0.3 --load messaging --load-cmd "exec sleep 4242" --json s.json >out 2>err &&
	run_err s.json err >err.run && test_cmp /dev/null err.run &&
	! pgrep -x -f "sleep 4242"
'

test_expect_success 'plot: two results make one SVG with both labels; a broken result names its line' '
	"$LB" -q --cpus 0 --duration 0.3 --label "first <run>" --json a.json >/dev/null &&
	"$LB" -q --cpus 0 --duration 0.3 --label second --json b.json >/dev/null &&
	"$LB" plot a.json b.json -o p.svg &&
	test_grep "first &lt;run&gt;" p.svg && test_grep ">second" p.svg &&
	test "$(grep -c "<polyline" p.svg)" = 2 &&
	# the same plot again: the file already holds it, which is no error, and it is left alone
	cp -p p.svg p.before && "$LB" plot a.json b.json -o p.svg 2>err &&
	test_cmp /dev/null err && test_cmp p.before p.svg && test p.svg -ot p.before -o ! p.svg -nt p.before &&
	# rendered (on fixed results, so the picture does not move with the noise): each curve
	# covers several times the pixels a result without samples leaves (its legend swatch)
	if command -v rsvg-convert >/dev/null; then
		F=$FIXTURES/plot &&
		"$LB" plot "$F/timer.json" "$F/rt-escaped-label.json" -o f.svg &&
		rsvg-convert f.svg -o f.png &&
		"$SRCDIR/tests/tools/pngcolors" f.png "#1f77b4" "#d62728" "#2ca02c" >colors &&
		"$LB" plot "$F/no-label-no-samples.json" "$F/no-label-no-samples.json" -o e.svg &&
		rsvg-convert e.svg -o e.png &&
		"$SRCDIR/tests/tools/pngcolors" e.png "#1f77b4" "#d62728" >empty &&
		test "$(sed -n 1p colors)" = 960x540 &&
		test "$(awk "/^#1f77b4/ { print (\$2 > 300) }" colors)" = 1 &&
		test "$(awk "/^#d62728/ { print (\$2 > 300) }" colors)" = 1 &&
		test "$(awk "/^#2ca02c/ { print \$2 }" colors)" = 0 &&
		test "$(awk "/^#/ { print (\$2 < 100) }" empty | sort -u)" = 1
	fi &&
	printf "{\n  \"schema\": \"latency-bench/1\",\n  \"samples\": 1,,\n}\n" >bad.json &&
	test_must_fail --exit 2 "$LB" plot a.json bad.json -o q.svg 2>err &&
	test_grep "bad.json:3" err &&
	! test -e q.svg
'

test_expect_success 'check: one line per check, advice under each warning, exit 1 when anything warns' '
	rc=0 && "$LB" check >out 2>err || rc=$? &&
	test_cmp /dev/null err &&
	test_grep "^kernel $(uname -r) " out &&
	test_grep "^  [A-Z]* *Preemption model" out &&
	w=$(grep -c "^  WARN " out) &&
	test "$(grep -c "^        -> " out)" = "$w" &&
	test_grep "^$w warnings\?$" out &&
	if [ "$w" -gt 0 ]; then test $rc = 1; else test $rc = 0; fi
'

test_done
