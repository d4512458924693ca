#!/bin/bash
# t0160-ci-compare-args: scripts/ci-compare-kernels refuses bad arguments with exit 2 and the exact
# message before anything is built or written, and a tree kbuild cannot build with exit 3; the
# real run (two kernels built, booted and compared) is tests/kernel/k0080-ci-recipe
. "$(dirname "$0")/../test-lib.sh"

CI=$SRCDIR/scripts/ci-compare-kernels
export KBUILD LATENCY_BENCH
# quotes in the expected messages, kept out of the single-quoted test bodies
Q="'"

test_expect_success '--help lists the options and exits 0' '
	"$CI" --help >out 2>err &&
	test_cmp /dev/null err &&
	test_grep "^usage: scripts/ci-compare-kernels \[--tree DIR | --kernel VERSION\] \[--work DIR\] \[OPTIONS\]$" out &&
	for o in "--tree DIR" "--kernel VERSION" "--work DIR" "--a CONFIGS" "--b CONFIGS" "--a-label NAME" "--b-label NAME" \
		"--a-objdir DIR" "--b-objdir DIR" "--base BASE" "--patch SERIES" "--planes LIST" "--boots N" "--runs N" \
		"--duration TIME" "--metric NAME" "--tolerance PCT" "--accel auto|kvm|tcg" "-j, --jobs N"; do
		test_grep "^ *$o  " out || exit 1
	done
'

# bad ARGS... MESSAGE: exit 2, the message and the hint on stderr, nothing on stdout, nothing made
bad() {
	local msg=${*: -1}
	set -- "${@:1:$#-1}"
	test_must_fail --exit 2 "$CI" --work w "$@" >out 2>err &&
	printf "%s\n" "ci-compare-kernels: error: $msg" "Try ${Q}scripts/ci-compare-kernels --help${Q}." >expect &&
	test_cmp expect err && test_cmp /dev/null out && ! test -e w
}

test_expect_success 'unknown options, missing values, bad numbers: exit 2 before anything is made' '
	bad --frobnicate "unknown argument ${Q}--frobnicate${Q}" &&
	bad stray "unknown argument ${Q}stray${Q}" &&
	bad --runs "option ${Q}--runs${Q} needs an argument" &&
	bad --runs 0 "invalid --runs ${Q}0${Q}: not a positive whole number" &&
	bad --boots x "invalid --boots ${Q}x${Q}: not a positive whole number" &&
	bad --runs 100000 "invalid --runs ${Q}100000${Q}: more than 9999" &&
	bad -j0 "invalid -j ${Q}0${Q}: not a positive whole number"
'

test_expect_success 'bad labels, planes, metric, accelerator, duration, tolerance: exit 2' '
	bad --a-label "my kernel" "invalid --a-label ${Q}my kernel${Q}: letters, digits and ._+- only" &&
	bad --a-label rt "--a-label and --b-label are both ${Q}rt${Q}: the report could not tell them apart" &&
	bad --planes timer,jack "invalid --planes ${Q}timer,jack${Q}: ${Q}jack${Q} is not timer or alsa" &&
	bad --planes , "invalid --planes ${Q},${Q}: no plane" &&
	bad --metric p90 "invalid --metric ${Q}p90${Q}: p50, p99, p999 or max" &&
	bad --accel xen "invalid --accel ${Q}xen${Q}: auto, kvm or tcg" &&
	bad --duration 10y "invalid --duration ${Q}10y${Q}: a time such as 10s, 1.5m or 500ms" &&
	bad --duration "1 0" "invalid --duration ${Q}1 0${Q}: a time such as 10s, 1.5m or 500ms" &&
	bad --tolerance much "invalid --tolerance ${Q}much${Q}: a percentage such as 20 or 12.5" &&
	bad --a "" "--a: no fragment given"
'

test_expect_success 'the tree: missing, given twice, or the same build directory twice: exit 2' '
	bad --tree nosuch "--tree ${Q}nosuch${Q}: no such directory" &&
	mkdir t &&
	bad --tree t --kernel 6.12 "--tree and --kernel name the one tree: give one of them once" &&
	bad --tree t --a-objdir b --b-objdir ./b/ "--a-objdir and --b-objdir are the same directory: the second build would undo the first"
'

test_expect_success 'a tree kbuild cannot build: exit 3, kernel A named, no results or reports' '
	mkdir -p notakernel &&
	test_must_fail --exit 3 "$CI" --tree notakernel --work w >out 2>err &&
	test_cmp /dev/null out &&
	test_grep "^kbuild: error: ${Q}$PWD/notakernel${Q} is not a kernel tree: no Kconfig and Makefile at its top$" err &&
	test_grep "^ci-compare-kernels: error: kernel voluntary did not build (kbuild exit 3)$" err &&
	! test -e w/results && ! test -e w/report
'

test_done
