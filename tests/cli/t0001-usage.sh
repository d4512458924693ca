#!/bin/bash
# t0001-usage: help, version, unknown commands and options, exit codes 0 and 2
. "$(dirname "$0")/../test-lib.sh"

test_expect_success 'kbuild --help prints usage on stdout and exits 0' '
	"$KBUILD" --help >out 2>err &&
	test_grep "^       kbuild COMMAND \[OPTIONS\]$" out &&
	test_grep "^  config    merge fragments" out &&
	test ! -s err
'

test_expect_success 'kbuild --version' '
	"$KBUILD" --version >out &&
	test_grep "^kbuild [0-9a-f.]" out
'

test_expect_success 'no command is a usage error (exit 2) with usage on stderr' '
	test_must_fail --exit 2 "$KBUILD" >out 2>err &&
	test_grep "^       kbuild COMMAND \[OPTIONS\]$" err &&
	test ! -s out
'

test_expect_success 'unknown command: exit 2 and the exact message' '
	test_must_fail --exit 2 "$KBUILD" frobnicate 2>err &&
	echo "kbuild: error: unknown command '\''frobnicate'\'' (see '\''kbuild --help'\'')" >expect &&
	test_cmp expect err
'

test_expect_success 'unknown option of a command: exit 2' '
	test_must_fail --exit 2 "$KBUILD" config --bogus 2>err &&
	echo "kbuild: error: unknown option '\''--bogus'\'' (see --help)" >expect &&
	test_cmp expect err
'

test_expect_success 'option without its argument: exit 2' '
	test_must_fail --exit 2 "$KBUILD" config --tree 2>err &&
	echo "kbuild: error: option '\''--tree'\'' needs an argument" >expect &&
	test_cmp expect err
'

test_expect_success 'config -h lists its options and exits 0' '
	"$KBUILD" config -h >out &&
	test_grep "^usage: kbuild config --tree SRC -O BUILD" out &&
	test_grep "[-]-allow-unmet" out &&
	test_grep "[-]-json FILE" out
'

test_expect_success 'config without --tree: exit 2' '
	test_must_fail --exit 2 "$KBUILD" config -O b --config audio 2>err &&
	echo "kbuild: error: no kernel tree given (use --tree DIR)" >expect &&
	test_cmp expect err
'

test_expect_success 'config without --config: exit 2, nothing created' '
	test_must_fail --exit 2 "$KBUILD" config --tree "$FIXTURES/kconfig/reasons" -O b 2>err &&
	echo "kbuild: error: nothing to merge: give at least one --config NAME|FILE" >expect &&
	test_cmp expect err &&
	test ! -e b
'

test_expect_success 'stray argument: exit 2' '
	test_must_fail --exit 2 "$KBUILD" config --tree "$FIXTURES/kconfig/reasons" -O b audio 2>err &&
	test_grep "unexpected argument '\''audio'\'' (fragments are given with --config)" err
'

test_expect_success 'config --list shows every shipped fragment and profile with its Help line' '
	"$KBUILD" config --list >out &&
	for f in "$SRCDIR"/kconfig-fragments/*.config "$SRCDIR"/kconfig-fragments/*.profile; do
		name=$(basename "$f"); kind=${name##*.}; name=${name%.*}
		help=$(sed -n "1s/^# Help: *//p" "$f")
		test -n "$help" || { echo "$f has no Help line" >&2; exit 1; }
		printf "%-12s %-8s %s\n" "$name" "$kind" "$help"
	done | sort >expect &&
	sort out >actual &&
	test_cmp expect actual
'

test_expect_success 'the ./kbuild launcher builds and runs from any directory' '
	"$SRCDIR/kbuild" --help >out &&
	test_grep "^       kbuild COMMAND \[OPTIONS\]$" out
'

test_done
