#!/bin/bash
# t0110-latency-truth: latency-bench measures what is really there. (1) A SCHED_FIFO process of
# higher priority pinned to the measured CPU busy-loops 600 us at a known rate: the result must
# show that delay at that rate, and twice as often at twice the rate. (2) Side by side with
# rt-tests' cyclictest on the same CPU, interval and priority: min and median agree within noise.
. "$(dirname "$0")/../test-lib.sh"
LB=${LATENCY_BENCH:-$SRCDIR/latency-bench}
JGET=$SRCDIR/tests/tools/jget
INTERFERE=${KB_OUT:-$SRCDIR/out}/tests/lb-interfere
CPU=$(python3 -c 'import os; print(max(os.sched_getaffinity(0)))')
BUSY=600      # us the disturbance spins each time
THRESH=300    # us: wakeups later than this are counted
SECS=6
PAIRS=12      # alternating 1.5 s runs of latency-bench and cyclictest

# samples later than THRESH in a result
late() { "$JGET" "$1" "cnt($THRESH, 1e9)"; }

# run the disturbance every PERIOD us while measuring SECS seconds at 1 kHz
disturbed() {
	local period=$1 out=$2
	"$INTERFERE" "$CPU" 90 $BUSY "$period" $((SECS + 2)) >"$out.windows" &
	sleep 0.3
	"$LB" -q --cpus "$CPU" --interval 1000 --priority 80 --duration $SECS --json "$out" >/dev/null
	kill -TERM $! 2>/dev/null; wait $! || true
}

if [ "$(id -u)" != 0 ] && [ "$(ulimit -r)" != unlimited ] && [ "$(ulimit -r)" -lt 90 ]; then
	test_skip 'a known disturbance shows up at its size and rate' 'needs SCHED_FIFO 90 (root or RLIMIT_RTPRIO)'
else
test_expect_success 'a known disturbance shows up at its size and rate' '
	"$LB" -q --cpus "$CPU" --interval 1000 --priority 80 --duration $SECS --json base.json >/dev/null &&
	disturbed 9973 slow.json &&
	disturbed 4987 fast.json &&
	b=$(late base.json) && s=$(late slow.json) && f=$(late fast.json) &&
	# a wakeup that falls into a busy window waits out its rest: later than THRESH when it falls
	# in the first BUSY-THRESH us, so per window (BUSY-THRESH)/interval samples are expected
	es=$(python3 -c "print(round($SECS * 1e6 / 9973 * ($BUSY - $THRESH) / 1000))") &&
	ef=$(python3 -c "print(round($SECS * 1e6 / 4987 * ($BUSY - $THRESH) / 1000))") &&
	echo "late samples: baseline $b, 100 Hz $s (expected +$es), 200 Hz $f (expected +$ef)" &&
	python3 - "$b" "$s" "$f" "$es" "$ef" <<-\PY &&
	import sys
	b, s, f, es, ef = map(int, sys.argv[1:])
	ds, df = s - b, f - b
	assert 0.6 * es <= ds <= 1.6 * es, "100 Hz: %d more late samples, expected about %d" % (ds, es)
	assert 0.6 * ef <= df <= 1.6 * ef, "200 Hz: %d more late samples, expected about %d" % (df, ef)
	assert 1.5 <= df / ds <= 2.6, "twice the rate gave %.2fx the late samples" % (df / ds)
	PY
	test "$("$JGET" slow.json "r[\"latency_us\"][\"max\"] >= 0.9 * $BUSY")" = true &&
	# nothing is added beyond the disturbance: samples later than BUSY + 150 us stay near the baseline
	test "$("$JGET" slow.json "cnt($BUSY + 150, 1e9) - $("$JGET" base.json "cnt($BUSY + 150, 1e9)") <= 0.3 * $es")" = true &&
	test "$("$JGET" slow.json "r[\"per_cpu\"][0][\"cpu\"]")" = "$CPU"
'
fi

# a sanitizer build cannot lock its memory (ASan's mlockall is a no-op) and runs instrumented:
# its figures are marked not real-time and are no match for cyclictest's
probe=$TRASH_ROOT/probe.json
"$LB" -q --cpus "$CPU" --duration 0.2 --json "$probe" >/dev/null 2>&1
if ! command -v cyclictest >/dev/null; then
	test_skip 'min and median agree with cyclictest on the same CPU, interval and priority' 'no cyclictest (apt-get install rt-tests)'
elif [ "$("$JGET" "$probe" "r[\"realtime\"]" 2>/dev/null)" != true ]; then
	test_skip 'min and median agree with cyclictest on the same CPU, interval and priority' 'latency-bench does not run real-time here (a sanitizer build, or no privileges)'
else
test_expect_success 'min and median agree with cyclictest on the same CPU, interval and priority' '
	# many short alternating runs, pooled: the medians on this shared machine drift by 2x from
	# second to second, so each tool gets the same mix of quiet and busy moments
	for i in $(seq $PAIRS); do
		"$LB" -q --cpus "$CPU" --interval 1000 --priority 80 --duration 1.5 --json lb$i.json >/dev/null &&
		cyclictest -q -m -t1 -a "$CPU" -p 80 -i 1000 -l 1500 -h 2000 --histfile=ct$i.hist >/dev/null || return 1
	done &&
	PAIRS=$PAIRS python3 - <<-\PY
	import collections, json, os
	pairs = range(1, int(os.environ["PAIRS"]) + 1)
	# both pooled on the grid of cyclictest: whole microseconds, truncated
	lb, ct = collections.Counter(), collections.Counter()
	lb_mins, ct_mins = [], []
	for i in pairs:
	    for lo, hi, n in json.load(open("lb%d.json" % i))["histogram"]["buckets"]:
	        lb[lo // 1000] += n
	    lb_mins.append(json.load(open("lb%d.json" % i))["latency_us"]["min"] // 1)
	    for line in open("ct%d.hist" % i):
	        if line[0].isdigit():
	            us, n = line.split()[:2]
	            if int(n):
	                ct[int(us)] += int(n)
	        elif line.startswith("# Min Latencies:"):
	            ct_mins.append(int(line.split(":")[1]))
	def median(h):
	    total, seen = sum(h.values()), 0
	    for us in sorted(h):
	        seen += h[us]
	        if 2 * seen >= total:
	            return us
	lmin, lmed, cmin, cmed = min(lb), median(lb), min(ct), median(ct)
	# a minimum is one lucky sample: its noise is how far the runs of one tool spread
	noise = max(max(lb_mins) - min(lb_mins), max(ct_mins) - min(ct_mins))
	print("latency-bench min %d median %d us; cyclictest min %d median %d us; run minima spread %d us"
	      % (lmin, lmed, cmin, cmed, noise))
	assert abs(lmin - cmin) <= max(3, noise), "min differs"
	assert abs(lmed - cmed) <= max(5, 0.3 * cmed), "median differs"
	PY
'
fi

test_done
