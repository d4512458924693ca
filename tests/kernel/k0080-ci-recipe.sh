#!/bin/bash
# k0080-ci-recipe: scripts/ci-compare-kernels on the 6.12 tree: two kernels from one tree (voluntary
# preemption and PREEMPT_RT, both cached builds of tinyconfig + audio + qemu-guest), each booted in
# QEMU with latency-bench run three times per plane inside, compared per plane; the exit status
# follows the decisions, the reports are complete and the HTML report renders in headless Chromium
. "$(dirname "$0")/lib.sh"

JGET=$SRCDIR/tests/tools/jget
PNGCOLORS=$SRCDIR/tests/tools/pngcolors
LB=${LATENCY_BENCH:-$SRCDIR/out/latency-bench}
if [ ! -x "$LB" ]; then
	echo "Bail out! no latency-bench binary at $LB (build it, or set LATENCY_BENCH)"
	exit 1
fi
export LATENCY_BENCH=$LB KBUILD
# both kernels exist before the recipe runs (the first run builds them, minutes each); the recipe
# then runs kbuild on them again, which finds nothing to do, under the same locks
if ! GV=$(kt_guest_kernel voluntary) || ! GR=$(kt_guest_kernel); then
	echo "Bail out! cannot build the guest kernels (kt_guest_kernel failed)"
	exit 1
fi
REL=$(cat "$GR/include/config/kernel.release")
W=$TRASH_ROOT/work

test_expect_success 'the recipe builds both from one tree, boots each, compares each plane: exit status from the decisions' '
	rc=0 &&
	flock "$GV.lock" flock "$GR.lock" "$SRCDIR/scripts/ci-compare-kernels" --tree "$KT_612" --work "$W" \
		--a-objdir "$GV" --b-objdir "$GR" --runs 3 --duration 2s --accel tcg -j2 >out 2>err || rc=$? &&
	cat err out && cp out "$TRASH_ROOT/recipe.out" &&
	test "$rc" -le 1 &&
	test_grep "^  BUILD   voluntary: --base tinyconfig --config audio --config qemu-guest --config voluntary -j 2 in $GV$" err &&
	test_grep "^  BUILD   rt: --base tinyconfig --config audio --config qemu-guest -j 2 in $GR$" err &&
	test "$(grep -c "^kbuild: built $REL in " err)" = 2 &&
	test_grep "^  BOOT    voluntary, boot 1 of 1: 2 plane(s) x 3 runs of 2s$" err &&
	test_grep "^  NOTE    no cause analysis in the guests under TCG: " err &&
	test_grep "^  GUEST   $REL, PREEMPT_VOLUNTARY, /sys/kernel/realtime absent, sound cards: Intel Dummy Loopback$" err &&
	test_grep "^  GUEST   $REL, PREEMPT_RT, /sys/kernel/realtime absent, sound cards: Intel Dummy Loopback$" err &&
	# the decision of each plane, as latency-bench compare itself gives it on the same files
	verdicts= && status=0 &&
	for p in timer alsa; do
		s=0 && "$LB" compare --by label --baseline voluntary "$W"/results/*/$p-*.json >expect || s=$? &&
		tail -n 1 expect >expect.last && tail -n 1 "$W/report/$p.txt" >actual.last &&
		test_cmp expect.last actual.last &&
		case $s in
		0) v="no regression" ;;
		1) v=regression && status=1 ;;
		*) exit 1 ;;
		esac &&
		verdicts="$verdicts${verdicts:+, }$p: $v" || exit 1
	done &&
	test "$rc" = "$status" &&
	if [ $status = 0 ]; then overall="no regression"; else overall=regression; fi &&
	echo "ci-compare-kernels: rt against voluntary: $overall ($verdicts); reports in $W/report" >expect &&
	tail -n 1 out >actual && test_cmp expect actual
'

test_expect_success 'the results: three runs per plane and kernel, labelled, one release, each with its preemption model' '
	for k in voluntary rt; do
		(cd "$W/results/$k-1" && ls *.json) >files &&
		printf "%s\n" alsa-1-1.json alsa-1-2.json alsa-1-3.json boot-test.json timer-1-1.json timer-1-2.json timer-1-3.json >expect &&
		test_cmp expect files || exit 1
		if [ $k = rt ]; then model=PREEMPT_RT; else model=PREEMPT_VOLUNTARY; fi
		test_grep "^preemption model: $model$" "$W/results/$k-1/checks.txt" &&
		for f in "$W/results/$k-1"/timer-*.json "$W/results/$k-1"/alsa-*.json; do
			test "$("$JGET" "$f" "r[\"label\"]")" = $k &&
			test "$("$JGET" "$f" "r[\"system\"][\"kernel_release\"]")" = "$REL" &&
			test "$("$JGET" "$f" "r[\"system\"][\"preemption_model\"]")" = $model &&
			test "$("$JGET" "$f" "r[\"samples\"] > 0")" = true &&
			# under TCG no tracer is started: its code patching can kill a TCG guest
			test "$("$JGET" "$f" "r[\"cause_analysis\"][\"reason\"]")" = "--no-causes" || exit 1
		done || exit 1
	done &&
	test "$("$JGET" "$W/results/rt-1/alsa-1-1.json" "r[\"audio\"][\"card\"]")" = "card 1: Dummy, Dummy PCM"
'

test_expect_success 'the reports: a table with both kernels per plane, JUnit with its failure when it regressed, the summary' '
	(cd "$W/report" && ls) >files &&
	printf "%s\n" alsa.html alsa.junit.xml alsa.txt summary.txt timer.html timer.junit.xml timer.txt >expect &&
	test_cmp expect files &&
	printf "%s\n" "rt against voluntary, 1 boot(s), 3 runs of 2s per plane and boot:" >expect &&
	for p in timer alsa; do
		test_grep "^baseline: voluntary (3 runs), compared with 1 other label$" "$W/report/$p.txt" &&
		test_grep "^voluntary  *3  *[0-9]* " "$W/report/$p.txt" &&
		test_grep "^rt  *3  *[0-9]* " "$W/report/$p.txt" &&
		if grep -q "^no regression$" "$W/report/$p.txt"; then v="no regression" f=0; else v=regression f=1; fi &&
		echo "  $p: $v" >>expect &&
		python3 -c "
import sys, xml.etree.ElementTree as ET
s = ET.parse(sys.argv[1]).getroot().find(\"testsuite\")
cases = s.findall(\"testcase\")
print(len(cases), sum(1 for c in cases if c.find(\"failure\") is not None), cases[0].get(\"name\"))" \
			"$W/report/$p.junit.xml" >junit &&
		echo "1 $f rt" >expect.junit && test_cmp expect.junit junit || exit 1
	done &&
	test_cmp expect "$W/report/summary.txt"
'

test_expect_success 'the HTML reports: both kernels side by side in the system checks, one curve each' '
	for p in timer alsa; do
		test_grep "<h1>$p plane: rt against voluntary</h1>" "$W/report/$p.html" &&
		test_grep "PREEMPT_VOLUNTARY" "$W/report/$p.html" &&
		test_grep "PREEMPT_RT" "$W/report/$p.html" &&
		test "$(grep -c "<polyline" "$W/report/$p.html")" = 2 || exit 1
	done
'

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	test_skip 'the HTML reports render in headless Chromium' 'no chromium (scripts/install-deps installs it)'
else
test_expect_success 'the HTML reports render in headless Chromium: a curve in each colour, nothing else plotted' '
	for p in timer alsa; do
		rm -rf profile && mkdir profile &&
		timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
			--disable-background-networking --disable-component-update --disable-sync \
			--force-color-profile=srgb --hide-scrollbars --user-data-dir="$PWD/profile" \
			--screenshot="$PWD/$p.png" --window-size=1200,1600 "file://$W/report/$p.html" >chromium.log 2>&1 &&
		"$PNGCOLORS" $p.png "#1f77b4" "#d62728" "#2ca02c" >colors &&
		cat colors &&
		test "$(sed -n 1p colors)" = 1200x1600 &&
		test "$(awk "/^#1f77b4/ { print (\$2 > 300) }" colors)" = 1 &&
		test "$(awk "/^#d62728/ { print (\$2 > 300) }" colors)" = 1 &&
		test "$(awk "/^#2ca02c/ { print \$2 }" colors)" = 0 || exit 1
	done
'
fi

test_done
