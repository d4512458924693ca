#!/bin/bash
# t0010-config-bad-input: bad trees, fragments and profiles give a clear error, a defined exit
# code, and change nothing (no build directory created, an existing .config untouched)
. "$(dirname "$0")/../test-lib.sh"

TREE=$FIXTURES/kconfig/reasons

# a build directory with a .config that must survive every failed run
prepare_objdir() {
	mkdir -p b &&
	echo "CONFIG_KEEP=y" >b/.config &&
	touch -d "2001-01-01 00:00" b/.config
}

objdir_untouched() {
	echo "CONFIG_KEEP=y" >keep.expect &&
	test_cmp keep.expect b/.config &&
	test "$(stat -c %Y b/.config)" = "$(date -d "2001-01-01 00:00" +%s)" &&
	test ! -e b/.config.old &&
	test ! -e b/.kbuild
}

test_expect_success 'missing tree: exit 3' '
	test_must_fail --exit 3 "$KBUILD" config --tree nope -O b --config audio 2>err &&
	echo "kbuild: error: kernel tree '\''nope'\'': No such file or directory" >expect &&
	test_cmp expect err &&
	test ! -e b
'

test_expect_success 'a directory that is not a kernel tree: exit 3' '
	mkdir notatree &&
	test_must_fail --exit 3 "$KBUILD" config --tree notatree -O b --config audio 2>err &&
	echo "kbuild: error: '\''notatree'\'' is not a kernel tree: no Kconfig and Makefile at its top" >expect &&
	test_cmp expect err
'

test_expect_success 'CRLF line endings: file:line error, exit 2, nothing changed' '
	prepare_objdir &&
	printf "CONFIG_SND=y\r\nCONFIG_EXPERT=y\r\n" >crlf.config &&
	test_must_fail --exit 2 "$KBUILD" config --tree "$TREE" -O b --config ./crlf.config 2>err &&
	cat >expect <<-\EOT &&
	./crlf.config:1: error: CRLF line ending (convert the file with dos2unix)
	./crlf.config:2: error: CRLF line ending (convert the file with dos2unix)
	EOT
	test_cmp expect err &&
	objdir_untouched
'

test_expect_success 'binary fragment: exit 2, nothing changed' '
	prepare_objdir &&
	printf "CONFIG_SND=y\n\000\001\002" >bin.config &&
	test_must_fail --exit 2 "$KBUILD" config --tree "$TREE" -O b --config ./bin.config 2>err &&
	echo "./bin.config:2: error: binary file: NUL byte in a configuration fragment" >expect &&
	test_cmp expect err &&
	objdir_untouched
'

test_expect_success 'lines that are not assignments, unterminated strings, trailing text: every error listed' '
	prepare_objdir &&
	cat >bad.config <<-\EOT &&
	# Help: a broken fragment
	CONFIG_LOCALVERSION="-ll
	make me a kernel
	CONFIG_SND=y # sound
	CONFIG_=y
	CONFIG_EXPERT=
	CONFIG_PREEMPT=y
	EOT
	test_must_fail --exit 2 "$KBUILD" config --tree "$TREE" -O b --config ./bad.config 2>err &&
	cat >expect <<-\EOT &&
	./bad.config:2: error: CONFIG_LOCALVERSION: unterminated string
	./bad.config:3: error: not an assignment or comment: '\''make me a kernel'\''
	./bad.config:4: error: CONFIG_SND: text after the value (comments go on a line of their own)
	./bad.config:5: error: malformed assignment '\''CONFIG_=y'\'' (expected CONFIG_NAME=value)
	./bad.config:6: error: CONFIG_EXPERT: missing value after '\''='\''
	EOT
	test_cmp expect err &&
	objdir_untouched
'

test_expect_success 'a bad fragment after good ones still changes nothing' '
	prepare_objdir &&
	echo "garbage" >late.config &&
	test_must_fail --exit 2 "$KBUILD" config --tree "$TREE" -O b --config audio --config ./late.config 2>err &&
	echo "./late.config:1: error: not an assignment or comment: '\''garbage'\''" >expect &&
	test_cmp expect err &&
	objdir_untouched
'

test_expect_success 'unknown fragment name: exit 2' '
	test_must_fail --exit 2 "$KBUILD" config --tree "$TREE" -O b --config nosuch 2>err &&
	echo "kbuild: error: --config nosuch: no fragment, profile or file named '\''nosuch'\'' (see '\''kbuild config --list'\'')" >expect &&
	test_cmp expect err &&
	test ! -e b
'

test_expect_success 'a directory given as a fragment: exit 2' '
	mkdir adir &&
	test_must_fail --exit 2 "$KBUILD" config --tree "$TREE" -O b --config ./adir 2>err &&
	echo "kbuild: error: --config ./adir: '\''./adir'\'' is a directory, not a fragment" >expect &&
	test_cmp expect err
'

test_expect_success 'the same fragment twice (profile + name): exit 2 naming both places' '
	test_must_fail --exit 2 "$KBUILD" config --tree "$TREE" -O b --config audio --config preempt 2>err &&
	echo "kbuild: error: --config preempt: fragment '\''kconfig-fragments/preempt.config'\'' included twice (first from kconfig-fragments/audio.profile:4)" >expect &&
	test_cmp expect err
'

test_expect_success 'profiles that include each other: loop error' '
	mkdir data &&
	printf "# Help: a\nb\n" >data/a.profile &&
	printf "# Help: b\na\n" >data/b.profile &&
	test_must_fail --exit 2 env KBUILD_DATADIR=$PWD/data "$KBUILD" config --tree "$TREE" -O b --config a 2>err &&
	test_grep "error: profiles include each other in a loop" err &&
	test ! -e b
'

test_expect_success 'a profile line with two names: file:line error' '
	mkdir data &&
	printf "# Help: x\nfoo bar\n" >data/x.profile &&
	test_must_fail --exit 2 env KBUILD_DATADIR=$PWD/data "$KBUILD" config --tree "$TREE" -O b --config x 2>err &&
	echo "kconfig-fragments/x.profile:2: error: one fragment or profile name per line: '\''foo bar'\''" >expect &&
	test_cmp expect err
'

test_expect_success 'names in a profile are relative to the profile, not the cwd' '
	mkdir p &&
	printf "# Help: studio\nextra.config\npreempt\n" >p/studio.profile &&
	printf "CONFIG_SND=y\n" >p/extra.config &&
	test_must_fail --exit 2 "$KBUILD" config --tree "$TREE" -O b --config p/studio.profile --config nosuch 2>err &&
	echo "kbuild: error: --config nosuch: no fragment, profile or file named '\''nosuch'\'' (see '\''kbuild config --list'\'')" >expect &&
	test_cmp expect err &&
	printf "# Help: broken\nmissing.config\n" >p/broken.profile &&
	test_must_fail --exit 2 "$KBUILD" config --tree "$TREE" -O b --config p/broken.profile 2>err &&
	echo "p/broken.profile:2: error: no fragment, profile or file named '\''missing.config'\'' (see '\''kbuild config --list'\'')" >expect &&
	test_cmp expect err
'

test_expect_success 'missing base file: exit 2, nothing changed' '
	prepare_objdir &&
	test_must_fail --exit 2 "$KBUILD" config --tree "$TREE" -O b --base ./no-such.config --config audio 2>err &&
	echo "kbuild: error: base configuration '\''./no-such.config'\'': no such file or kconfig target" >expect &&
	test_cmp expect err &&
	objdir_untouched
'

test_expect_success 'malformed base file: file:line error, exit 2' '
	prepare_objdir &&
	printf "CONFIG_A=y\nnonsense\n" >base.config &&
	test_must_fail --exit 2 "$KBUILD" config --tree "$TREE" -O b --base ./base.config --config audio 2>err &&
	echo "./base.config:2: error: not an assignment or comment: '\''nonsense'\''" >expect &&
	test_cmp expect err &&
	echo "CONFIG_KEEP=y" >keep.expect && test_cmp keep.expect b/.config
'

test_expect_success 'make missing: exit 3 before anything is written' '
	bin=$KBUILD &&
	if head -c2 "$bin" | grep -q "#!"; then "$bin" --version >/dev/null && bin=$SRCDIR/out/kbuild; fi &&
	prepare_objdir &&
	echo "CONFIG_SND=y" >ok.config &&
	test_must_fail --exit 3 env PATH=/nonexistent "$bin" config --tree "$TREE" -O b --config ./ok.config 2>err &&
	echo "kbuild: error: cannot run '\''make'\'': not installed (apt-get install make)" >expect &&
	test_cmp expect err &&
	objdir_untouched
'

test_expect_success 'explain without a .config: exit 3' '
	mkdir empty &&
	test_must_fail --exit 3 "$KBUILD" explain --tree "$TREE" -O empty CONFIG_SND 2>err &&
	test_grep "no configuration in '\''empty'\'': run '\''kbuild config'\'' first" err
'

test_expect_success 'explain without --tree: the tree the build directory links as source, the same answer' '
	mkdir lb && echo "CONFIG_SND=y" >lb/.config &&
	"$KBUILD" explain --tree "$TREE" -O lb CONFIG_SND >expect &&
	ln -s "$TREE" lb/source &&
	"$KBUILD" explain -O lb CONFIG_SND >out &&
	test_cmp expect out &&
	test_grep "^  defined at:  Kconfig:[0-9]*$" out &&
	# --tree still wins over the link
	ln -sfn /nonexistent lb/source &&
	"$KBUILD" explain --tree "$TREE" -O lb CONFIG_SND >out && test_cmp expect out
'

test_expect_success 'explain without --tree: a build directory without a source link exit 2, a dangling one exit 3' '
	mkdir nl && echo "CONFIG_SND=y" >nl/.config &&
	test_must_fail --exit 2 "$KBUILD" explain -O nl CONFIG_SND >out 2>err &&
	echo "kbuild: error: cannot tell the source tree of '\''nl'\'': it has no '\''source'\'' link (the kernel'\''s O= build makes one): give --tree SRC" >expect &&
	test_cmp expect err && test_cmp /dev/null out &&
	ln -s "$PWD/gone" nl/source &&
	test_must_fail --exit 3 "$KBUILD" explain -O nl CONFIG_SND >out 2>err &&
	echo "kbuild: error: source tree '\''$PWD/gone'\'' of '\''nl'\'' (its '\''source'\'' link): No such file or directory" >expect &&
	test_cmp expect err &&
	test_must_fail --exit 2 "$KBUILD" explain CONFIG_SND 2>err &&
	echo "kbuild: error: no build directory given (use -O BUILD), and none under ./build" >expect &&
	test_cmp expect err
'

test_done
