#!/bin/bash
# t0020-merge: merge_config.sh semantics in one pass, with provenance in the warnings
. "$(dirname "$0")/../test-lib.sh"

setup() {
	cat >base.config <<-\EOT
	CONFIG_A=y
	CONFIG_B=m
	# CONFIG_C is not set
	CONFIG_S="base"
	EOT
	cat >one.config <<-\EOT
	# Help: first fragment
	CONFIG_B=y
	CONFIG_D=m
	CONFIG_S="one \"quoted\""
	EOT
	cat >two.config <<-\EOT
	CONFIG_D=y
	CONFIG_A=n
	CONFIG_C=y
	CONFIG_B=m
	EOT
}

test_expect_success 'last assignment wins; =n and is-not-set are assignments; order of first appearance' '
	setup &&
	"$KBUILD" merge base.config one.config two.config >out 2>err &&
	cat >expect <<-\EOT &&
	# CONFIG_A is not set
	CONFIG_B=m
	CONFIG_C=y
	CONFIG_S="one \"quoted\""
	CONFIG_D=y
	EOT
	test_cmp expect out
'

test_expect_success 'redefinitions between fragments warn with both places; the base does not' '
	setup &&
	"$KBUILD" merge base.config one.config two.config >out 2>err &&
	cat >expect <<-\EOT &&
	two.config:1: warning: CONFIG_D redefined '\''m'\'' -> '\''y'\'' (was set at one.config:3)
	two.config:4: warning: CONFIG_B redefined '\''y'\'' -> '\''m'\'' (was set at one.config:2)
	EOT
	test_cmp expect err
'

test_expect_success '-y: y is never demoted to m' '
	setup &&
	"$KBUILD" merge -y -o merged.config base.config one.config two.config 2>err &&
	test_grep "^CONFIG_B=y$" merged.config &&
	test_grep "^CONFIG_D=y$" merged.config &&
	test_grep "two.config:4: note: CONFIG_B=m ignored: builtin wins over module (was set to '\''y'\'' at one.config:2)" err
'

test_expect_success '-q silences redefinition warnings' '
	setup &&
	"$KBUILD" merge -q base.config one.config two.config >out 2>err &&
	test ! -s err
'

test_expect_success 'the same value twice is not a redefinition' '
	printf "CONFIG_X=y\n" >a.config &&
	printf "CONFIG_X=y\n" >b.config &&
	printf "CONFIG_X=n\n" >c.config &&
	printf "# CONFIG_X is not set\n" >d.config &&
	"$KBUILD" merge a.config b.config >out 2>err &&
	test ! -s err &&
	"$KBUILD" merge a.config c.config d.config >out 2>err &&
	test ! -s err
'

test_expect_success 'output file written atomically and left alone when unchanged' '
	setup &&
	"$KBUILD" merge -q -o m.config base.config one.config &&
	touch -d "2001-01-01 00:00" m.config &&
	"$KBUILD" merge -q -o m.config base.config one.config &&
	test "$(stat -c %Y m.config)" = "$(date -d "2001-01-01 00:00" +%s)" &&
	ls -a >list &&
	! grep tmp list
'

test_expect_success 'bad input: error, exit 2, no output file' '
	setup &&
	printf "CONFIG_OK=y\nbroken\n" >bad.config &&
	test_must_fail --exit 2 "$KBUILD" merge -o m.config base.config bad.config 2>err &&
	echo "bad.config:2: error: not an assignment or comment: '\''broken'\''" >expect &&
	test_cmp expect err &&
	test ! -e m.config
'

test_expect_success 'gzip-compressed base (like /proc/config.gz)' '
	setup &&
	gzip -c base.config >base.config.gz &&
	"$KBUILD" merge base.config.gz one.config >out 2>err &&
	test_grep "^CONFIG_A=y$" out &&
	test_grep "^CONFIG_B=y$" out
'

test_done
