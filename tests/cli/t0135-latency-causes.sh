#!/bin/bash
# t0135-latency-causes: cause analysis on a host that cannot run it says why in one plain line and
# changes nothing else: the reason for a kernel without the tracers, for a run without root and for
# --no-causes; the exit codes and the verdict stay what they are without it; --threshold's input
# checks (the guest with the tracers is k0150's)
. "$(dirname "$0")/../test-lib.sh"
LB=${LATENCY_BENCH:-$SRCDIR/latency-bench}
CPU=$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))')
REL=$(uname -r)
# this host's tracefs lists timerlat (then the run as root would use it, not say why not)
has_timerlat() {
	grep -qw timerlat /sys/kernel/tracing/available_tracers 2>/dev/null ||
		grep -qw timerlat /sys/kernel/debug/tracing/available_tracers 2>/dev/null ||
		{ [ -r /proc/config.gz ] && zcat /proc/config.gz | grep -q '^CONFIG_TIMERLAT_TRACER=y'; } ||
		grep -qs '^CONFIG_TIMERLAT_TRACER=y' "/boot/config-$REL"
}

test_expect_success 'a kernel without the timerlat tracer: the run names why, exit 0, everything else as before' '
	if has_timerlat || [ "$(id -u)" != 0 ]; then
		echo "# skipped: this host has the tracer, or this is not root"; exit 0
	fi &&
	"$LB" --cpus "$CPU" -D 1 -q --json r.json >out 2>err &&
	test_grep "^cause analysis unavailable: this kernel ($REL) has no timerlat tracer: build it with CONFIG_OSNOISE_TRACER and CONFIG_TIMERLAT_TRACER (kbuild.s audio profile sets them)$" out &&
	test_grep "^verdict: " out &&
	! grep -q "^what made wakeups late" out
'

test_expect_success '--no-causes: the reason is the option' '
	"$LB" --cpus "$CPU" -D 0.5 -q --no-causes >out 2>err &&
	test_grep "^cause analysis unavailable: --no-causes$" out
'

test_expect_success 'without root: the tracers need it, the run still measures, exit 0' '
	if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
		echo "# skipped: needs root and setpriv to drop it"; exit 0
	fi &&
	setpriv --reuid 65534 --regid 65534 --clear-groups "$LB" --cpus "$CPU" -D 0.5 -q >out 2>err &&
	test_grep "^cause analysis unavailable: the kernel.s tracers need root (tracefs); run latency-bench as root for the causes$" out &&
	test_grep "^verdict: " out
'

test_expect_success 'a budget exceeded still exits 1 with the causes unavailable' '
	test_must_fail --exit 1 "$LB" --cpus "$CPU" -D 0.5 -q --max-latency 0.001 >out 2>err &&
	test_grep "^cause analysis unavailable: " out &&
	test_grep "budget exceeded: worst wakeup" err
'

for arg in abc 0 -5us 20s; do
	test_expect_success "--threshold $arg: exit 2, named, nothing run" '
		test_must_fail --exit 2 "$LB" --cpus "$CPU" -D 0.5 -q --threshold "'"$arg"'" --json r2.json >out 2>err &&
		test_grep "^latency-bench: error: invalid --threshold .'"$arg"'.: expected a time such as 100us or 1ms$" err &&
		test ! -s out && test ! -e r2.json
	'
done

test_expect_success '--threshold 250 (plain number: us) is accepted' '
	"$LB" --cpus "$CPU" -D 0.5 -q --threshold 250 >out 2>err &&
	test_grep "^verdict: " out
'

test_done
