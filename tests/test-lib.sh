# test-lib.sh - shell test library in the style of git's t/test-lib.sh, producing TAP
#
#   . "$(dirname "$0")/../test-lib.sh"
#   test_expect_success 'what it checks' '
#           commands that must all succeed
#   '
#   test_done
#
# Every test runs in a fresh scratch directory of its own, with $KBUILD the
# binary under test and $SRCDIR the project.

set -u
SRCDIR=${KB_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
KBUILD=${KBUILD:-$SRCDIR/kbuild}
FIXTURES=$SRCDIR/tests/fixtures
export KBUILD_DATADIR=$SRCDIR/kconfig-fragments
test_count=0
test_failures=0
TRASH_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/kbuild-test.XXXXXX")
trap 'rm -rf "$TRASH_ROOT"' EXIT

say() { printf '# %s\n' "$*"; }

test_expect_success() {
	local desc=$1 body=$2 dir out
	test_count=$((test_count + 1))
	dir=$TRASH_ROOT/$test_count
	mkdir -p "$dir"
	out=$dir.log
	if (cd "$dir" && set -e && eval "$body") >"$out" 2>&1; then
		echo "ok $test_count - $desc"
	else
		echo "not ok $test_count - $desc"
		test_failures=$((test_failures + 1))
		sed 's/^/#   /' "$out" | tail -n 30
	fi
}

test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $1 # SKIP $2"
}

# test_must_fail [--exit N] CMD...: CMD must fail (with exit code N if given), not crash.
test_must_fail() {
	local want= rc=0
	if [ "$1" = "--exit" ]; then
		want=$2
		shift 2
	fi
	"$@" || rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "test_must_fail: '$*' succeeded" >&2
		return 1
	fi
	if [ "$rc" -gt 128 ]; then
		echo "test_must_fail: '$*' died of signal $((rc - 128))" >&2
		return 1
	fi
	if [ -n "$want" ] && [ "$rc" -ne "$want" ]; then
		echo "test_must_fail: '$*' exited $rc, expected $want" >&2
		return 1
	fi
	return 0
}

# test_cmp EXPECTED ACTUAL: files must be identical.
test_cmp() {
	diff -u "$1" "$2"
}

# test_grep PATTERN FILE: like grep, but shows the file when it does not match.
test_grep() {
	if ! grep -e "$1" "$2" >/dev/null; then
		echo "test_grep: no line matches '$1' in $2:" >&2
		sed 's/^/    /' "$2" >&2
		return 1
	fi
}

test_done() {
	echo "1..$test_count"
	[ "$test_failures" -eq 0 ]
}
