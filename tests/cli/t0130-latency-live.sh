#!/bin/bash
# t0130-latency-live: latency-bench --live driven in a tmux pane: the screen (title, one row per
# CPU, histogram, running verdict, the top cause or why there is none) refreshes, q and Ctrl-C
# end the run with a result and a sane terminal, a resize redraws to fit, and without a terminal
# the plain progress lines come instead
. "$(dirname "$0")/../test-lib.sh"
LB=${LATENCY_BENCH:-$SRCDIR/latency-bench}
JGET=$SRCDIR/tests/tools/jget

if ! command -v tmux >/dev/null 2>&1; then
	test_skip 'the live view in a terminal' 'tmux is not installed'
	test_done
	exit
fi

# a tmux server of our own (no configuration, its own socket), gone when the test ends
TMUX_NAME=lb-live-$$
unset TMUX
tm() { tmux -L "$TMUX_NAME" -f /dev/null "$@"; }
trap 'tm kill-server >/dev/null 2>&1; rm -rf "$TRASH_ROOT"' EXIT

# capture NAME FILE: the pane's text, one line per screen row; with HISTORY=1 from the start of
# its scrollback (a summary longer than the screen)
capture() {
	tm capture-pane -p ${HISTORY:+-S -} -t "$1" >"$2"
}

# wait_screen NAME FILE ERE [SECONDS]: poll the pane until a line matches; the last capture is in FILE
wait_screen() {
	local i n=$(( ${4:-30} * 5 ))
	for ((i = 0; i < n; i++)); do
		capture "$1" "$2" && grep -E -q -e "$3" "$2" && return 0
		sleep 0.2
	done
	echo "wait_screen: no line matches '$3' after ${4:-30} s; the screen:" >&2
	sed 's/^/    |/' "$2" >&2
	return 1
}

# wait_file FILE [SECONDS]: until FILE exists
wait_file() {
	local i n=$(( ${2:-30} * 5 ))
	for ((i = 0; i < n; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.2
	done
	echo "wait_file: no $1 after ${2:-30} s" >&2
	return 1
}

# start_pane NAME: a plain shell in an 80x24 window, in the test directory
start_pane() {
	tm new-session -d -s "$1" -x 80 -y 24 -c "$PWD" "env PS1='$ ' HISTFILE=/dev/null bash --norc --noprofile" &&
	wait_screen "$1" prompt.txt '^\$ ?$'
}

# run_live NAME ARGS...: latency-bench --live in the pane; when it ends, its exit code goes to
# rc and the terminal modes it left behind to stty.txt (read before anything else touches them)
run_live() {
	local name=$1
	shift
	tm send-keys -t "$name" "$(printf '%q' "$LB") --live $* 2>err; echo \$? >rc.tmp; stty -a >stty.txt; mv rc.tmp rc" Enter
}

# sane_tty: the modes a shell expects are back: canonical input, echo, signals, CR to NL, output processing
sane_tty() {
	printf '%s\n' echo icanon icrnl isig onlcr opost >expect.modes &&
	tr ' ;' '\n\n' <stty.txt | grep -x -e echo -e icanon -e icrnl -e isig -e onlcr -e opost | sort -u >modes &&
	test_cmp expect.modes modes
}

# stderr less the warning a run without real-time privileges (or under ASan, whose mlockall
# locks nothing) rightly gives
run_err() {
	grep -v "^latency-bench: warning: not real-time: " err || true
}

# samples FILE ROW: the samples column of a table row ("cpu0", "all")
samples() {
	awk -v row="$2" '$1 == row { print $8 }' "$1"
}

# bins_total FILE: the counts of the histogram rows
bins_total() {
	sed -n -E 's/^ *([0-9]+( [mu]?s)?-[0-9]+ [mu]?s|>= [0-9]+ [mu]?s) +([0-9]+) \|#*$/\3/p' "$1" |
		awk '{ n += $1 } END { print n + 0 }'
}

# the SCHED_FIFO part of the second line, as the result file says it went
sched_text() {
	if [ "$("$JGET" r.json "r[\"params\"][\"policy\"]")" = fifo ]; then
		echo "SCHED_FIFO 80"
	else
		echo "not SCHED_FIFO \\(0 of $1 threads\\)"
	fi
}

HEADER="us   current     min     p50     p99   p99.9     max   samples missed xruns"
NUM="[0-9]+(\\.[0-9])?"
VAL="($NUM|-)"
ROW="+$NUM +$NUM +$VAL +$VAL +$VAL +$NUM +[1-9][0-9]* +[0-9]+ +[0-9]+$"

test_expect_success 'one CPU: title, the row of the CPU, a histogram of its samples and the running verdict, refreshed' '
	start_pane one &&
	run_live one -D 60 --cpus 0 --json r.json &&
	wait_screen one s1 "^cpu0 $ROW" &&
	n1=$(samples s1 cpu0) &&
	for i in $(seq 50); do
		sleep 0.2 && capture one s2 &&
		n2=$(samples s2 cpu0) && [ -n "$n2" ] && [ "$n2" -gt "$n1" ] && break
	done &&
	tm send-keys -t one q &&
	wait_file rc &&
	test "$(cat rc)" = 0 &&
	rel=$("$JGET" r.json "r[\"system\"][\"kernel_release\"]") &&
	model=$("$JGET" r.json "r[\"system\"][\"preemption_model\"]") &&
	reason=$("$JGET" r.json "r[\"cause_analysis\"].get(\"reason\") or \"\"") &&
	for s in s1 s2; do
		# the line under the verdict: the top cause so far, or why the run has no cause analysis
		cause=$(sed -n "/^verdict so far: /,/^ q quit/p" $s | grep -E "^(cause analysis|top cause: |no late wakeup yet)") &&
		if [ -n "$reason" ]; then
			# as much of it as the 80 columns hold
			want="cause analysis unavailable: $reason" &&
			test "$cause" = "${want:0:80}" || test "$cause" = "$(echo "${want:0:80}" | sed "s/ *\$//")"
		else
			echo "$cause" | grep -E -x "top cause: .+, [0-9.]+ us at worst, [0-9]+ late wakeups?|no late wakeup yet \(later than [0-9.]+ us\)"
		fi || exit 1
		test $(wc -l <$s) = 24 &&
		! awk "length > 80" $s | grep . &&
		echo "latency-bench: timer plane, kernel $rel, $model" >expect &&
		sed -n 1p $s >actual && test_cmp expect actual &&
		sed -n 2p $s | grep -E -x "[0-9]+ s / 60 s, $(sched_text 1), period 64 frames at 48000 Hz \\(1333\\.3 us\\)" &&
		test -z "$(sed -n 3p $s)" &&
		echo "$HEADER" >expect && sed -n 4p $s >actual && test_cmp expect actual &&
		sed -n 5p $s | grep -E -x "cpu0 $ROW" &&
		test -z "$(sed -n 6p $s)" &&
		echo "histogram (log-scaled bars)" >expect && sed -n 7p $s >actual && test_cmp expect actual &&
		test "$(bins_total $s)" = "$(samples $s cpu0)" &&
		grep -E -q "^verdict so far: (suitable for [0-9]+-frame buffers at 48 kHz|not suitable for audio)" $s &&
		sed -n 24p $s | grep -E -x " q quit *" || exit 1
	done &&
	test "$(samples s2 cpu0)" -gt "$(samples s1 cpu0)" &&
	test "$(sed -n "2s/ s .*//p" s2)" -ge "$(sed -n "2s/ s .*//p" s1)" &&
	! grep -E -q "^(cpu1|all) " s1
'

if [ "$(python3 -c 'import os; print(len(os.sched_getaffinity(0)))')" -ge 2 ]; then
	test_expect_success 'two CPUs: an all row that adds them up, one row each, the histogram of both' '
		start_pane two &&
		run_live two -D 60 --cpus 0,1 --json r.json &&
		wait_screen two s "^cpu1 $ROW" &&
		tm send-keys -t two q &&
		wait_file rc &&
		test "$(cat rc)" = 0 &&
		echo "$HEADER" >expect && sed -n 4p s >actual && test_cmp expect actual &&
		sed -n 2p s | grep -E -x "[0-9]+ s / 60 s, $(sched_text 2), period 64 frames at 48000 Hz \\(1333\\.3 us\\)" &&
		sed -n 5p s | grep -E -x "all +- +$NUM +$VAL +$VAL +$VAL +$NUM +[1-9][0-9]* +[0-9]+ +[0-9]+" &&
		sed -n 6p s | grep -E -x "cpu0 $ROW" &&
		sed -n 7p s | grep -E -x "cpu1 $ROW" &&
		test -z "$(sed -n 8p s)" &&
		echo "histogram of all CPUs (log-scaled bars)" >expect && sed -n 9p s >actual && test_cmp expect actual &&
		test "$(samples s all)" = $(( $(samples s cpu0) + $(samples s cpu1) )) &&
		test "$(bins_total s)" = "$(samples s all)" &&
		grep -E -q "^verdict so far: " s &&
		test "$("$JGET" r.json "r[\"params\"][\"cpus\"]")" = "[0, 1]"
	'
else
	test_skip 'two CPUs: an all row that adds them up, one row each, the histogram of both' 'one CPU here'
fi

test_expect_success 'q ends the run early: exit 0, a result marked interrupted, the summary on the normal screen, a sane terminal' '
	start_pane quit &&
	run_live quit -D 60 --cpus 0 --json r.json &&
	wait_screen quit s "^cpu0 $ROW" &&
	tm send-keys -t quit q &&
	wait_file rc &&
	test "$(cat rc)" = 0 &&
	test "$("$JGET" r.json "r[\"interrupted\"]")" = true &&
	test "$("$JGET" r.json "int(r[\"params\"][\"duration_s\"])")" = 60 &&
	HISTORY=1 wait_screen quit after "^verdict: " &&
	grep -E -q "^latency-bench: timer plane on 1 CPU, [0-9.]+ s, " after &&
	grep -q "^interrupted: the figures cover the" after &&
	! grep -q "q quit" after &&
	! grep -q "^verdict so far" after &&
	sane_tty &&
	echo "  RUN     timer plane, 1 CPU, interval 1333.3 us, 60 s" >expect &&
	run_err >actual && test_cmp expect actual
'

test_expect_success 'a resize to 50x15 redraws what fits; back at 80x24 the whole layout returns' '
	start_pane rs &&
	run_live rs -D 60 --cpus 0 --json r.json &&
	wait_screen rs big "^cpu0 $ROW" &&
	tm resize-window -t rs -x 50 -y 15 &&
	wait_screen rs small "^us   current     p99     max   samples xruns$" &&
	test $(wc -l <small) = 15 &&
	! awk "length > 50" small | grep . &&
	sed -n 1p big | cut -c1-50 >expect && sed -n 1p small >actual && test_cmp expect actual &&
	sed -n 5p small | grep -E -x "cpu0 +$NUM +$VAL +$NUM +[1-9][0-9]* +[0-9]+" &&
	grep -q "^verdict so far: " small &&
	sed -n 15p small | grep -E -x " q quit *" &&
	tm resize-window -t rs -x 80 -y 24 &&
	wait_screen rs again "^$HEADER$" &&
	test $(wc -l <again) = 24 &&
	sed -n 1p big >expect && sed -n 1p again >actual && test_cmp expect actual &&
	sed -n 5p again | grep -E -x "cpu0 $ROW" &&
	echo "histogram (log-scaled bars)" >expect && sed -n 7p again >actual && test_cmp expect actual &&
	grep -q "^verdict so far: " again &&
	sed -n 24p again | grep -E -x " q quit *" &&
	tm send-keys -t rs q &&
	wait_file rc &&
	test "$(cat rc)" = 0 &&
	sane_tty
'

test_expect_success 'Ctrl-C ends the run like q: exit 0, interrupted, the summary, a sane terminal' '
	start_pane intr &&
	run_live intr -D 60 --cpus 0 --json r.json &&
	wait_screen intr s "^cpu0 $ROW" &&
	tm send-keys -t intr C-c &&
	wait_file rc &&
	test "$(cat rc)" = 0 &&
	test "$("$JGET" r.json "r[\"interrupted\"]")" = true &&
	HISTORY=1 wait_screen intr after "^verdict: " &&
	grep -E -q "^latency-bench: timer plane on 1 CPU, [0-9.]+ s, " after &&
	! grep -q "q quit" after &&
	sane_tty &&
	echo "  RUN     timer plane, 1 CPU, interval 1333.3 us, 60 s" >expect &&
	run_err >actual && test_cmp expect actual
'

test_expect_success 'without a terminal: the plain progress lines on stderr, no escape sequences anywhere' '
	"$LB" --live -D 3 --cpus 0 --json r.json </dev/null >out 2>err &&
	echo "  RUN     timer plane, 1 CPU, interval 1333.3 us, 3 s" >expect &&
	run_err | head -n 1 >actual && test_cmp expect actual &&
	run_err | sed 1d >progress &&
	test -s progress &&
	! grep -E -v "^  RUN     [1-9]0% [0-9]+ s / 3 s, [0-9]+ samples, max [0-9.]+ us, [0-9]+ missed$" progress &&
	! grep -q "$(printf "\\033")" out &&
	! grep -q "$(printf "\\033")" err &&
	grep -E -q "^latency-bench: timer plane on 1 CPU, 3\\.0 s, " out &&
	test "$("$JGET" r.json "r[\"interrupted\"]")" = false
'

test_done
