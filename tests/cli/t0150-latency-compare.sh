#!/bin/bash
# t0150-latency-compare: latency-bench compare on real timer results, edited into kernels that
# clearly regressed, clearly did not, and are too noisy to tell: exit codes, the exact decision
# lines, JUnit and HTML that parse (the HTML rendered in headless Chromium and looked at), bad
# input files named with exit 2 and nothing written, an output that cannot be written exit 3
. "$(dirname "$0")/../test-lib.sh"
LB=${LATENCY_BENCH:-$SRCDIR/latency-bench}
PNGCOLORS=$SRCDIR/tests/tools/pngcolors
# the real results and their edited copies, made by the second test and shared by the others
R=$TRASH_ROOT/results

# mkresult SRC OUT RELEASE LABEL P99_US MAX_US: a real result edited: every latency scaled so that
# p99 is P99_US, the worst sample moved to MAX_US (the histogram follows), the safe sizes of the
# verdict worked out again from it with the model of verdict.h, release and label replaced
mkresult() {
	python3 -c '
import json, sys
src, out, rel, label, p99, mx = sys.argv[1:7]
p99, mx = float(p99), float(mx)
r = json.load(open(src))
s = p99 / r["latency_us"]["p99"]
r["latency_us"] = {k: (None if v is None else round(v * s, 3)) for k, v in r["latency_us"].items()}
r["latency_us"]["p99"], r["latency_us"]["max"] = p99, mx
b, top = [], int(mx * 1000)
for lo, hi, c in r["histogram"]["buckets"]:
    lo, hi = int(lo * s), max(int(hi * s), int(lo * s) + 1)
    if lo >= top:
        lo, hi = top, top + 1
    elif hi > top:
        hi = top
    if b and lo < b[-1][1]:
        b[-1][2] += c
    else:
        b.append([lo, hi, c])
if b[-1][0] != top:
    b[-1][2] -= 1
    if not b[-1][2]:
        b.pop()
    b.append([top, top + 1, 1])
r["histogram"]["buckets"] = b
dsp = r["verdict"]["dsp_load"]
for cell in r["verdict"]["safe"]:
    f = 16
    while f <= 8192 and mx > (cell["periods"] - 1 - dsp) * f / cell["rate"] * 1e6:
        f *= 2
    cell["frames"] = f if f <= 8192 else None
r["system"]["kernel_release"] = rel
r["label"] = label
json.dump(r, open(out, "w"), indent=2)
' "$@"
}

# junit FILE: "TESTS FAILURES" of the testsuite, after checking that it parses as XML
junit() {
	python3 -c '
import sys, xml.etree.ElementTree as ET
s = ET.parse(sys.argv[1]).getroot().find("testsuite")
assert s.get("name") == "latency-bench-compare"
cases = s.findall("testcase")
assert int(s.get("tests")) == len(cases)
assert int(s.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
print(s.get("tests"), s.get("failures"))' "$1"
}

# html FILE: parses as HTML with balanced tags; prints the number of <svg> and <polyline> elements
html() {
	python3 -c '
import sys
from html.parser import HTMLParser
void = {"meta", "br", "img", "link", "input", "hr", "line", "rect", "polyline", "path"}
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.stack = []; self.count = {}
    def handle_starttag(self, t, a):
        self.count[t] = self.count.get(t, 0) + 1
        if t not in void: self.stack.append(t)
    def handle_startendtag(self, t, a):
        self.count[t] = self.count.get(t, 0) + 1
    def handle_endtag(self, t):
        if t in void: return
        assert self.stack and self.stack[-1] == t, "</%s> closes <%s>" % (t, self.stack[-1:])
        self.stack.pop()
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read()); p.close()
assert not p.stack, "unclosed: %s" % p.stack
import re
text = open(sys.argv[1], encoding="utf-8").read()
assert not re.search(r"\b(src|href)\s*=|@import|url\([^#]", text), "an external resource"
print(p.count.get("svg", 0), p.count.get("polyline", 0))' "$1"
}

test_expect_success 'help goes to stdout; no files, bad options: exit 2' '
	"$LB" compare -h >out 2>err &&
	test_cmp /dev/null err &&
	test_grep "^usage: latency-bench compare RESULT.json" out &&
	test_grep "^      --tolerance PCT" out &&
	test_must_fail --exit 2 "$LB" compare >out 2>err &&
	echo "latency-bench: error: compare needs the results of at least two kernels: RESULT.json RESULT.json..." >expect &&
	test_cmp expect err &&
	test_must_fail --exit 2 "$LB" compare a.json b.json --metric p95 2>err &&
	test_grep "^latency-bench: error: invalid --metric .p95.: expected p50, p99, p999 or max$" err &&
	test_must_fail --exit 2 "$LB" compare a.json b.json --by host 2>err &&
	test_grep "^latency-bench: error: invalid --by .host.: expected release, label or file$" err &&
	test_must_fail --exit 2 "$LB" compare a.json b.json --tolerance 5x 2>err &&
	test_grep "^latency-bench: error: invalid --tolerance .5x.: expected a percentage from 0 to 10000$" err
'

test_expect_success 'three real runs, edited into a baseline and four other kernels' '
	mkdir -p "$R" &&
	for i in 1 2 3; do
		"$LB" --interval 1000 -D 0.5 --cpus 0 -q --json "$R/r$i.json" >/dev/null 2>"$R/err$i" || exit 1
	done &&
	cd "$R" &&
	mkresult r1.json base1.json 6.1.0-base "before 1" 40.0 500 &&
	mkresult r2.json base2.json 6.1.0-base "before 2" 40.8 500 &&
	mkresult r3.json base3.json 6.1.0-base "before 3" 41.6 500 &&
	mkresult r1.json worse1.json 6.12.0-worse "after 1" 88 1000 &&
	mkresult r2.json worse2.json 6.12.0-worse "after 2" 92.4 1000 &&
	mkresult r3.json worse3.json 6.12.0-worse "after 3" 96.8 1000 &&
	mkresult r1.json same1.json 6.12.0-same "same 1" 39.6 480 &&
	mkresult r2.json same2.json 6.12.0-same "same 2" 40.4 480 &&
	mkresult r3.json same3.json 6.12.0-same "same 3" 41.2 480 &&
	mkresult r1.json noisy1.json 6.12.0-noisy "noisy 1" 30 480 &&
	mkresult r2.json noisy2.json 6.12.0-noisy "noisy 2" 60 480 &&
	mkresult r3.json noisy3.json 6.12.0-noisy "noisy 3" 90 480 &&
	mkresult r1.json one1.json 6.12.0-one "one" 80 500 &&
	test "$(ls *.json | wc -l)" = 16
'

test_expect_success 'a clear regression: exit 1, the decision line, JUnit with one failure, HTML with the plot' '
	test_must_fail --exit 1 "$LB" compare "$R"/base[123].json "$R"/worse[123].json --junit j.xml --html h.html >out 2>err &&
	test_cmp /dev/null err &&
	cat >expect <<-EOF &&
	6.12.0-worse: p99 40.8 → 92.4 us (x2.26, shift +51.6 us, delta +1.00); 3 runs each: Mann-Whitney p = 0.050; safe size 64 → 128 frames at 48 kHz: regression (p99, safe size)

	regression: 1 of 1 kernel release: 6.12.0-worse (p99 x2.26; safe size 64 → 128 frames at 48 kHz)
	EOF
	tail -n 3 out >actual &&
	test_cmp expect actual &&
	test_grep "^baseline: 6.1.0-base (3 runs), compared with 1 other kernel release$" out &&
	test_grep "^6.1.0-base  *3  *[0-9]*  *[0-9.]*  *40.8  *-  *500.0  *[0-9]*  *[0-9]*  64$" out &&
	test_grep "^6.12.0-worse  *3  *[0-9]*  *[0-9.]*  *92.4  *-  *1000.0  *[0-9]*  *[0-9]*  128$" out &&
	test "$(junit j.xml)" = "1 1" &&
	test_grep "<failure type=\"regression\" message=\"p99 40.8 → 92.4 us" j.xml &&
	test "$(html h.html)" = "1 2" &&
	test_grep "<p id=\"summary\" class=\"regression\">regression: 1 of 1 kernel release: 6.12.0-worse" h.html &&
	# the same again: the reports are already what they should be, which is no error
	touch -d "2020-01-01" j.xml h.html &&
	test_must_fail --exit 1 "$LB" compare "$R"/base[123].json "$R"/worse[123].json --junit j.xml --html h.html >out2 2>err &&
	test_cmp /dev/null err && test_cmp out out2 &&
	test "$(stat -c %Y j.xml h.html | sort -u)" = "$(date -d 2020-01-01 +%s)"
'

test_expect_success 'no regression, not significant, one run each: exit 0, 0 and 1, each line exact' '
	"$LB" compare "$R"/base[123].json "$R"/same[123].json --junit j.xml >out 2>err &&
	test_cmp /dev/null err &&
	cat >expect <<-EOF &&
	6.12.0-same: p99 40.8 → 40.4 us (x0.99, shift -0.4 us, delta -0.33); 3 runs each: Mann-Whitney p = 0.800; safe size 64 frames at 48 kHz, unchanged: no regression

	no regression
	EOF
	tail -n 3 out >actual && test_cmp expect actual &&
	test "$(junit j.xml)" = "1 0" &&
	"$LB" compare "$R"/base[123].json "$R"/noisy[123].json >out &&
	test_grep "^6.12.0-noisy: p99 40.8 → 60.0 us (x1.47, shift +19.2 us, delta +0.33); 3 runs each: Mann-Whitney p = 0.350; safe size 64 frames at 48 kHz, unchanged: no regression (not significant)$" out &&
	test_must_fail --exit 1 "$LB" compare "$R/base1.json" "$R/one1.json" >out &&
	test_grep "^6.12.0-one: p99 40.0 → 80.0 us (x2.00, shift +40.0 us, delta +1.00); 1 run each: no statistical test, the ratio alone decides; safe size 64 frames at 48 kHz, unchanged: regression (p99)$" out
'

test_expect_success 'four kernels at once, a baseline named, options between files, --tolerance, --metric' '
	test_must_fail --exit 1 "$LB" compare "$R"/same[123].json --baseline 6.1.0-base "$R"/worse[123].json \
		"$R"/base[123].json --junit j.xml "$R"/noisy[123].json >out &&
	test "$(sed -n "5,8p" out | cut -d" " -f1)" = "$(printf "6.1.0-base\n6.12.0-same\n6.12.0-worse\n6.12.0-noisy")" &&
	test "$(grep -c ": no regression" out)" = 2 &&
	test "$(junit j.xml)" = "3 1" &&
	"$LB" compare "$R"/base[123].json "$R"/worse[123].json --tolerance 200 >out &&
	test_grep "^6.12.0-worse: .*: no regression (within 200 %)$" out &&
	test_must_fail --exit 1 "$LB" compare "$R"/base[123].json "$R"/worse[123].json --metric max >out &&
	test_grep "^6.12.0-worse: max 500.0 → 1000.0 us (x2.00, shift +500.0 us, delta +1.00); 3 runs each: Mann-Whitney p = 0.050; " out
'

test_expect_success 'one kernel release, two labels: compared by label, and the output says so' '
	for i in 1 2; do
		mkresult "$R/r$i.json" a$i.json 6.18.0 "quiet box" 40 500 &&
		mkresult "$R/r$i.json" b$i.json 6.18.0 "loaded box" 200 2000 || exit 1
	done &&
	test_must_fail --exit 1 "$LB" compare a1.json a2.json b1.json b2.json --junit j.xml >out 2>err &&
	test_cmp /dev/null err &&
	printf "%s\n" "note: all results are of kernel 6.18.0: compared by label" \
		"baseline: quiet box (2 runs), compared with 1 other label" >expect &&
	head -n 2 out >actual && test_cmp expect actual &&
	cat >expect <<-EOF &&
	loaded box: p99 40.0 → 200.0 us (x5.00, shift +160.0 us, delta +1.00); 2 runs each: no statistical test, the ratio alone decides; safe size 64 → 256 frames at 48 kHz: regression (p99, safe size)

	regression: 1 of 1 label: loaded box (p99 x5.00; safe size 64 → 256 frames at 48 kHz)
	EOF
	tail -n 3 out >actual && test_cmp expect actual &&
	test "$(junit j.xml)" = "1 1" &&
	test_grep "<property name=\"group_by\" value=\"label\"/>" j.xml &&
	test_grep "<property name=\"note\" value=\"all results are of kernel 6.18.0: compared by label\"/>" j.xml &&
	# --by label gives the same, without the note
	test_must_fail --exit 1 "$LB" compare a1.json a2.json b1.json b2.json --by label >out2 &&
	sed 1d out >expect && test_cmp expect out2 &&
	"$LB" compare a1.json a2.json b1.json b2.json --label --baseline "loaded box" >out &&
	test_grep "^baseline: loaded box (2 runs), compared with 1 other label$" out
'

test_expect_success 'one kernel release, one label: compared by file, each file on its own, named by its file name' '
	mkresult "$R/r1.json" before.json 6.18.0 "" 40 500 &&
	mkresult "$R/r2.json" after.json 6.18.0 "" 100 1000 &&
	test_must_fail --exit 1 "$LB" compare before.json after.json --html h.html >out 2>err &&
	test_cmp /dev/null err &&
	printf "%s\n" "note: all results are of kernel 6.18.0: compared by file" \
		"baseline: before.json (1 run), compared with 1 other file" >expect &&
	head -n 2 out >actual && test_cmp expect actual &&
	test_grep "^file        runs    samples      p50      p99    p99.9      max  missed  xruns  safe frames at 48 kHz, 2 periods$" out &&
	test_grep "^before.json  *1 " out && test_grep "^after.json  *1 " out &&
	cat >expect <<-EOF &&
	after.json: p99 40.0 → 100.0 us (x2.50, shift +60.0 us, delta +1.00); 1 run each: no statistical test, the ratio alone decides; safe size 64 → 128 frames at 48 kHz: regression (p99, safe size)

	regression: 1 of 1 file: after.json (p99 x2.50; safe size 64 → 128 frames at 48 kHz)
	EOF
	tail -n 3 out >actual && test_cmp expect actual &&
	test "$(html h.html)" = "1 2" &&
	test_grep "<p class=\"rule\">Note: all results are of kernel 6.18.0: compared by file.</p>" h.html &&
	# the same file name in two directories: the paths as given
	mkdir x y && cp before.json x/r.json && cp after.json y/r.json &&
	test_must_fail --exit 1 "$LB" compare x/r.json y/r.json >out &&
	test_grep "^baseline: x/r.json (1 run), compared with 1 other file$" out &&
	test_grep "^y/r.json: p99 40.0 → 100.0 us " out
'

test_expect_success 'one kernel release with --by release given: exit 2, nothing written; --by file on any results' '
	mkresult "$R/r1.json" a1.json 6.18.0 "quiet box" 40 500 &&
	mkresult "$R/r2.json" b1.json 6.18.0 "loaded box" 200 2000 &&
	test_must_fail --exit 2 "$LB" compare a1.json b1.json --by release --junit j2.xml >out 2>err &&
	printf "latency-bench: error: all 2 results are of one kernel release, \0476.18.0\047: nothing to compare with (--by label groups by the results\047 labels, --by file each file on its own)\n" >expect &&
	test_cmp expect err && test_cmp /dev/null out && ! test -e j2.xml &&
	test_must_fail --exit 1 "$LB" compare "$R/base1.json" "$R/worse1.json" --by file >out &&
	test_grep "^baseline: base1.json (1 run), compared with 1 other file$" out &&
	! grep "^note: " out &&
	test_must_fail --exit 2 "$LB" compare a1.json b1.json --by host 2>err &&
	test_grep "^latency-bench: error: invalid --by .host.: expected release, label or file$" err
'

test_expect_success 'results of different planes or intervals compare with a warning' '
	python3 -c "import json; r = json.load(open(\"$R/one1.json\")); r[\"plane\"] = \"alsa\"; r[\"params\"][\"interval_ns\"] = 1333333; json.dump(r, open(\"alsa.json\", \"w\"))" &&
	test_must_fail --exit 1 "$LB" compare "$R/base1.json" alsa.json >out 2>err &&
	cat >expect <<-EOF &&
	latency-bench: warning: the results are of different planes (timer, alsa): their latencies measure different things
	latency-bench: warning: the results have different wakeup intervals (1000.0 us, 1333.3 us): compare runs made with the same --interval or --period and --rate
	EOF
	test_cmp expect err
'

test_expect_success 'malformed, truncated, foreign, empty and missing files: exit 2, the file named, nothing written' '
	sed "2s/,\$/,,/" "$R/base1.json" >bad.json &&
	head -n 20 "$R/base1.json" >trunc.json &&
	echo "{\"name\": \"left-pad\", \"version\": \"1.3.0\"}" >foreign.json &&
	: >empty.json &&
	printf "{\"schema\": \"latency-bench/2\"}\n" >future.json &&
	for f in bad trunc foreign empty future missing; do
		test_must_fail --exit 2 "$LB" compare "$R/base1.json" $f.json --junit j.xml --html h.html >out 2>err.$f &&
		test_cmp /dev/null out && ! test -e j.xml && ! test -e h.html || exit 1
	done &&
	test_grep "^latency-bench: bad.json:2: error: not valid JSON: " err.bad &&
	echo "latency-bench: trunc.json:20: error: not valid JSON: unexpected end of file" >expect && test_cmp expect err.trunc &&
	echo "latency-bench: foreign.json: error: not a latency-bench result: no \"schema\"" >expect && test_cmp expect err.foreign &&
	echo "latency-bench: empty.json:1: error: not valid JSON: unexpected end of file" >expect && test_cmp expect err.empty &&
	printf "latency-bench: future.json: error: unsupported schema \047latency-bench/2\047 (expected \047latency-bench/1\047)\n" >expect &&
	test_cmp expect err.future &&
	echo "latency-bench: missing.json: error: cannot read: No such file or directory" >expect && test_cmp expect err.missing &&
	python3 -c "import json; r = json.load(open(\"$R/base1.json\")); r[\"latency_us\"][\"p99\"] = None; json.dump(r, open(\"nop99.json\", \"w\"))" &&
	test_must_fail --exit 2 "$LB" compare "$R/base1.json" nop99.json 2>err &&
	test_grep "^latency-bench: nop99.json: error: no p99 latency (\"latency_us\".\"p99\" is null: it needs at least 100 samples, this run has [0-9]*); compare another --metric$" err &&
	test_must_fail --exit 2 "$LB" compare "$R/base1.json" "$R/worse1.json" --metric p999 2>err &&
	test_grep "base1.json: error: no p99.9 latency" err
'

test_expect_success 'a report that cannot be written: exit 3, the decision still printed' '
	test_must_fail --exit 3 "$LB" compare "$R/base1.json" "$R/one1.json" --junit nodir/j.xml >out 2>err &&
	printf "latency-bench: error: cannot write \047nodir/j.xml\047: No such file or directory\n" >expect &&
	test_cmp expect err &&
	test_grep "^regression: " out
'

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	test_skip 'the HTML report renders in headless Chromium' 'no chromium (scripts/install-deps installs it)'
else
test_expect_success 'two kernels compared: the HTML report renders in headless Chromium, a curve in each colour' '
	test_must_fail --exit 1 "$LB" compare "$R"/base[123].json "$R"/worse[123].json --html h.html >out &&
	mkdir profile &&
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--force-color-profile=srgb --hide-scrollbars --user-data-dir="$PWD/profile" \
		--screenshot="$PWD/shot.png" --window-size=1200,1600 "file://$PWD/h.html" >chromium.log 2>&1 &&
	"$PNGCOLORS" shot.png "#1f77b4" "#d62728" "#2ca02c" "#ff7f0e" >colors &&
	cat colors &&
	test "$(sed -n 1p colors)" = 1200x1600 &&
	test "$(awk "/^#1f77b4/ { print (\$2 > 300) }" colors)" = 1 &&
	test "$(awk "/^#d62728/ { print (\$2 > 300) }" colors)" = 1 &&
	test "$(awk "/^#2ca02c/ { print \$2 }" colors)" = 0 &&
	test "$(awk "/^#ff7f0e/ { print \$2 }" colors)" = 0
'
fi

test_done
