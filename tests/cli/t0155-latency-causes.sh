#!/bin/bash
# t0155-latency-causes: what made wakeups late, as the result files carry it: a real run's timeline
# (one step a second, its worst the run's max) and cause analysis member; compare puts the causes
# of two kernels side by side in text and HTML with each side's reason when it has none; plot
# --over-time marks the spikes with their cause, rendered; files without any of it still work
. "$(dirname "$0")/../test-lib.sh"
LB=${LATENCY_BENCH:-$SRCDIR/latency-bench}
JGET=$SRCDIR/tests/tools/jget
PNGCOLORS=$SRCDIR/tests/tools/pngcolors
F=$FIXTURES/compare

# html FILE: parses as HTML with balanced tags (void elements as the reports write them)
html() {
	python3 -c '
import sys
from html.parser import HTMLParser
void = {"meta", "br", "img", "link", "input", "hr", "line", "rect", "polyline", "path", "circle"}
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.stack = []
    def handle_starttag(self, t, a):
        if t not in void: self.stack.append(t)
    def handle_endtag(self, t):
        if t in void: return
        assert self.stack and self.stack[-1] == t, "</%s> closes <%s>" % (t, self.stack[-1:])
        self.stack.pop()
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read()); p.close()
assert not p.stack, "unclosed: %s" % p.stack' "$1"
}

# edit IN OUT PYTHON: a copy of a result with `r` changed by the statements
edit() {
	python3 -c "import json, sys; r = json.load(open(sys.argv[1])); $3; json.dump(r, open(sys.argv[2], 'w'))" "$1" "$2"
}

test_expect_success 'a real run: cause_analysis says whether it ran, the timeline has a step a second, its worst is the max' '
	"$LB" --interval 1000 -D 3 --cpus 0 -q --json r.json >/dev/null 2>err &&
	test "$("$JGET" r.json "r[\"timeline\"][\"step_s\"]")" = 1 &&
	test "$("$JGET" r.json "len(r[\"timeline\"][\"max_us\"])")" = 3 &&
	test "$("$JGET" r.json "max(v for v in r[\"timeline\"][\"max_us\"] if v is not None) == r[\"latency_us\"][\"max\"]")" = true &&
	test "$("$JGET" r.json "r[\"cause_analysis\"][\"method\"]")" = timerlat &&
	if test "$("$JGET" r.json "r[\"cause_analysis\"][\"available\"]")" = false; then
		test -n "$("$JGET" r.json "r[\"cause_analysis\"][\"reason\"]")" &&
		test "$("$JGET" r.json "(r[\"causes\"], r[\"spikes\"], r[\"cause_analysis\"][\"worst\"])")" = "[[], [], null]"
	else
		test "$("$JGET" r.json "\"reason\" in r[\"cause_analysis\"]")" = false
	fi &&
	"$LB" plot --over-time r.json -o t.svg &&
	test_grep "<path stroke=\"#1f77b4\" d=\"M" t.svg
'

test_expect_success 'compare: the causes of two kernels side by side, a side without an analysis says why' '
	"$LB" compare "$F/causes-base.json" "$F/causes-rt.json" "$F/no-tracer.json" "$F/older.json" >out 2>err &&
	sed -n "/^what made wakeups late/,/^\$/p" out >actual &&
	cat >expect <<-EOF &&
	what made wakeups late, by kernel release: the largest delay of one wakeup, the wakeups it delayed, their total (- not seen)
	                                                      6.1.0-base                     6.12.0-rt
	kind        name                       max us wakeups   total us     max us wakeups   total us
	irq         24 i915 (0000:00:02.0)       81.5       4      200.4          -       -          -
	thread      kworker/0:1                  40.0       9      300.0       12.0       3       20.0
	softirq     NET_RX                          -       -          -       30.0       2       45.5
	6.18.0-vm: cause analysis unavailable: this kernel has no timerlat tracer (CONFIG_TIMERLAT_TRACER)
	5.10.0-old: cause analysis unavailable: the result has none (written by an older latency-bench)

	EOF
	test_cmp expect actual &&
	# between the table and the decisions, which stay last
	test "$(grep -n "^what made" out | cut -d: -f1)" = 10 &&
	test_grep "^6.12.0-rt: p99 30.0 → 12.0 us " out &&
	tail -n 1 out >actual && echo "no regression" >expect && test_cmp expect actual
'

test_expect_success 'compare: runs of one kernel add up (counts and totals, the largest max); one run of two without an analysis' '
	edit "$F/causes-base.json" base2.json "r[\"causes\"][0][\"max_us\"] = 90.25; r[\"causes\"][0][\"count\"] = 6" &&
	edit "$F/no-tracer.json" rt2.json "r[\"system\"][\"kernel_release\"] = \"6.12.0-rt\"" &&
	"$LB" compare "$F/causes-base.json" base2.json "$F/causes-rt.json" rt2.json >out 2>err &&
	sed -n "/^what made wakeups late/,/^\$/p" out >actual &&
	cat >expect <<-EOF &&
	what made wakeups late, by kernel release: the largest delay of one wakeup, the wakeups it delayed, their total (- not seen)
	                                                      6.1.0-base                     6.12.0-rt
	kind        name                       max us wakeups   total us     max us wakeups   total us
	irq         24 i915 (0000:00:02.0)       90.2      10      400.8          -       -          -
	thread      kworker/0:1                  40.0      18      600.0       12.0       3       20.0
	softirq     NET_RX                          -       -          -       30.0       2       45.5
	6.12.0-rt: cause analysis unavailable in 1 of 2 runs: this kernel has no timerlat tracer (CONFIG_TIMERLAT_TRACER)

	EOF
	test_cmp expect actual
'

test_expect_success 'compare: results without any cause analysis have no such section' '
	edit "$F/older.json" older2.json "r[\"system\"][\"kernel_release\"] = \"5.10.1-old\"" &&
	"$LB" compare "$F/older.json" older2.json --html h.html >out 2>err &&
	! grep "what made wakeups late" out &&
	html h.html &&
	! grep -e "What made wakeups late" -e "Latency over time" h.html
'

test_expect_success 'compare --html: the causes table, each side unavailable with its reason, latency over time with the spikes' '
	"$LB" compare "$F/causes-base.json" "$F/causes-rt.json" "$F/no-tracer.json" --html h.html >out 2>err &&
	html h.html &&
	test_grep "^<tr><th rowspan=\"2\">kind</th><th rowspan=\"2\">name</th><th colspan=\"3\">6.1.0-base</th><th colspan=\"3\">6.12.0-rt</th></tr>$" h.html &&
	test_grep "^<tr><td>softirq</td><td>NET_RX</td><td class=\"n\">-</td><td class=\"n\">-</td><td class=\"n\">-</td><td class=\"n\">30.0</td><td class=\"n\">2</td><td class=\"n\">45.5</td></tr>$" h.html &&
	test_grep "^<li><b>6.18.0-vm</b>: cause analysis unavailable: this kernel has no timerlat tracer (CONFIG_TIMERLAT_TRACER)</li>$" h.html &&
	test_grep "^<h2>Latency over time</h2>$" h.html &&
	test_grep ">irq 24 i915 (0000:00:02.0)</text>$" h.html &&
	test "$(grep -c "<svg" h.html)" = 2 &&
	# the two runs with a timeline: a curve each; the one without none
	test "$(grep -c "^<path stroke=" h.html)" = 2
'

test_expect_success 'plot --over-time: each spike marked and labelled with its cause, rendered; --help says so' '
	"$LB" plot -h >out &&
	test_grep "^      --over-time " out &&
	"$LB" plot --over-time "$F/causes-base.json" "$F/causes-rt.json" -o t.svg --title "Two kernels" &&
	test "$(grep -c "<circle " t.svg)" = 3 &&
	test_grep "<title>base with causes: 120.0 &#181;s at 6.50 s on CPU 1: irq 24 i915 (0000:00:02.0)</title></circle>" t.svg &&
	sed -n "/<g id=\"spike-labels\"/,/<\/g>/p" t.svg | sed -n "s/.*fill=\"\([^\"]*\)\">\(.*\)<\/text>/\1 \2/p" >actual &&
	printf "%s\n" "#1f77b4 irq 24 i915 (0000:00:02.0)" "#1f77b4 thread kworker/0:1" "#1f77b4 no cause found" >expect &&
	test_cmp expect actual &&
	test_grep "font-weight=\"bold\">Two kernels</text>" t.svg &&
	if command -v rsvg-convert >/dev/null; then
		rsvg-convert t.svg -o t.png &&
		"$PNGCOLORS" t.png "#1f77b4" "#d62728" "#2ca02c" >colors &&
		test "$(sed -n 1p colors)" = 960x540 &&
		test "$(awk "/^#1f77b4/ { print (\$2 > 500) }" colors)" = 1 &&
		test "$(awk "/^#d62728/ { print (\$2 > 100) }" colors)" = 1 &&
		test "$(awk "/^#2ca02c/ { print \$2 }" colors)" = 0
	fi
'

test_expect_success 'plot --over-time: a result without a timeline, or a bad one: exit 2, named, nothing written' '
	test_must_fail --exit 2 "$LB" plot --over-time "$F/causes-base.json" "$F/older.json" -o t.svg 2>err &&
	echo "latency-bench: $F/older.json: error: no \"timeline\" (latency over the run'"'"'s time): written by a latency-bench that did not record it" >expect &&
	test_cmp expect err && ! test -e t.svg &&
	edit "$F/causes-base.json" bad.json "r[\"spikes\"][1][\"kind\"] = \"gremlin\"" &&
	test_must_fail --exit 2 "$LB" plot --over-time bad.json -o t.svg 2>err &&
	echo "latency-bench: bad.json: error: \"spikes\"[1].\"kind\" is '"'"'gremlin'"'"', not a kind of cause (irq, softirq, nmi, thread, hardware, irq-off, preempt-off, idle)" >expect &&
	test_cmp expect err && ! test -e t.svg &&
	test_must_fail --exit 2 "$LB" compare "$F/causes-rt.json" bad.json 2>err &&
	test_cmp expect err &&
	# the histogram does not need the causes: a plot of it reads past them
	"$LB" plot bad.json -o h.svg
'

test_done
