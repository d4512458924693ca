#!/bin/bash
# k0110-default-path: the main command as a user runs it first, in a terminal: no --tree, --kernel
# or --base. The source is the archive's newest kernel (the newest linux-source-X.Y apt would
# install, security updates included), the base the running kernel's configuration; through the
# config stage. The release carries no LOCALVERSION of the base's kernel, a base from a newer or a
# much smaller kernel gets its note, and the shipped fragments' old names give one HISTORY line
# and no warning.
. "$(dirname "$0")/lib.sh"

meta() {
	python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
candidate() { apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | grep -v '^(none)$'; }

# the archive's newest kernel source, asked of apt here, not of kbuild
newest_pkg=
for p in $(apt-cache pkgnames linux-source- | grep -E '^linux-source-[0-9]+\.[0-9]+$' | sort -rV); do
	if [ -n "$(candidate "$p")" ]; then newest_pkg=$p; break; fi
done
newest_ver=$(candidate "$newest_pkg")
# the running kernel's configuration, as kbuild finds it
base=/boot/config-$(uname -r)
[ -r "$base" ] || base=/proc/config.gz
basecat() { case $base in *.gz) zcat "$base" ;; *) cat "$base" ;; esac; }

if [ -z "$newest_pkg" ] || [ ! -r "$base" ]; then
	test_skip 'the default path' "no linux-source-X.Y in apt's lists or no configuration of the running kernel"
	test_done
fi
say "newest source: $newest_pkg $newest_ver; base: $base"

test_expect_success 'kbuild --patch ll --config audio --stop-after config in a terminal: the newest source, exit 0' '
	timeout 900 script -qec "\"$KBUILD\" --patch ll --config audio --stop-after config >out 2>err" /dev/null &&
	B=$(ls -d "$PWD"/build/*/ | head -n 1) && B=${B%/} &&
	test "$(ls build | wc -l)" = 1 &&
	meta "$B/metadata.json" "m[\"source\"][\"origin\"]" >origin &&
	sha=$(apt-cache show "$newest_pkg=$newest_ver" | awk "\$1 == \"SHA256:\" { print \$2; exit }") &&
	echo "Debian $newest_pkg $newest_ver (sha256 $sha)" >expect &&
	test_cmp expect origin &&
	up=${newest_ver#*:} && up=${up%%-*} &&
	test "$(meta "$B/metadata.json" "m[\"source\"][\"version\"]")" = "$up" &&
	test "$(meta "$B/metadata.json" "m[\"config\"][\"base\"]")" = running &&
	test_grep "^  BASE    $base ([0-9]* assignments)$" err &&
	test_grep "^  SOURCE  Debian $newest_pkg $newest_ver (sha256 $sha)$" err &&
	test_grep "^CONFIG_PREEMPT_RT=y$" "$B/.config" &&
	cp -a "$B" "$TRASH_ROOT/b" && cp err "$TRASH_ROOT/err" && cp out "$TRASH_ROOT/out"
'

test_expect_success 'the release carries no LOCALVERSION of the base'\''s kernel: VERSION-ll' '
	B=$TRASH_ROOT/b && tree=$(meta "$B/metadata.json" "m[\"source\"][\"tree\"]") &&
	test_grep "^CONFIG_LOCALVERSION=\"\"$" "$B/.config" &&
	lv=$(basecat | sed -n "s/^CONFIG_LOCALVERSION=\"\\(.*\\)\"$/\\1/p") &&
	if [ -n "$lv" ]; then
		line=$(basecat | grep -n "^CONFIG_LOCALVERSION=" | cut -d: -f1) &&
		echo "$base:$line: note: CONFIG_LOCALVERSION=\"$lv\" names the base'\''s kernel: not carried into this one (a fragment line CONFIG_LOCALVERSION=\"...\" sets one)" >expect &&
		grep "CONFIG_LOCALVERSION=" "$TRASH_ROOT/err" >actual && test_cmp expect actual
	else
		say "the running kernel has no LOCALVERSION of its own" && ! grep "CONFIG_LOCALVERSION=" "$TRASH_ROOT/err"
	fi &&
	# the config stage leaves include/config/ to the build (its syncconfig), as make itself would
	make -s -C "$tree" O="$B" LOCALVERSION=-ll syncconfig </dev/null &&
	release=$(make -s -C "$tree" O="$B" LOCALVERSION=-ll kernelrelease) &&
	test "$release" = "$(meta "$B/metadata.json" "m[\"source\"][\"version\"]")-ll"
'

test_expect_success 'a base from a newer or much smaller kernel: the note saying what it means' '
	B=$TRASH_ROOT/b && err=$TRASH_ROOT/err &&
	bv=$(basecat | sed -n "1,5s/^# Linux\/[^ ]* \\([0-9][0-9.]*\\)[^ ]* Kernel Configuration$/\\1/p") &&
	tv=$(meta "$B/metadata.json" "m[\"source\"][\"version\"]") &&
	newer=$(printf "%s\n%s\n" "$tv" "$bv" | sort -V | tail -n 1) &&
	if [ -n "$bv" ] && [ "$newer" = "$bv" ] && [ "$bv" != "$tv" ]; then
		test_grep "^$base: note: the base is the configuration of Linux $bv, newer than this tree ($tv): " "$err"
	else
		! grep "newer than this tree" "$err"
	fi &&
	n=$(basecat | grep -cE "^CONFIG_[A-Za-z0-9_]+=[ym]$") &&
	if [ "$n" -lt 3000 ]; then
		test_grep "^$base: note: the base enables $n options where a distribution'\''s configuration enables over 5000 " "$err"
	else
		! grep "options where a distribution" "$err"
	fi
'

test_expect_success 'the old names of the shipped fragments: one HISTORY line, no warning; the summary counts them' '
	echo "  HISTORY old names in the shipped fragments, today: KMOD, KERNELD -> MODULES; IDE, BLK_DEV_IDE -> ATA; BLK_DEV_IDESCSI -> BLK_DEV_SR, CHR_DEV_SG (HOWTO.md, \"Old names\")" >expect &&
	grep "HISTORY" "$TRASH_ROOT/err" >actual && test_cmp expect actual &&
	! grep -E ": warning: |hint:" "$TRASH_ROOT/err" &&
	test_grep "^kbuild: [0-9]* requested: [0-9]* ok, 0 unmet, 0 invalid, 0 unknown, 5 historical$" "$TRASH_ROOT/out"
'

test_expect_success 'the prerequisites of that configuration are all there after scripts/install-deps' '
	B=$TRASH_ROOT/b && tree=$(meta "$B/metadata.json" "m[\"source\"][\"tree\"]") &&
	rc=0 && "$KBUILD" doctor --tree "$tree" -O "$B" >out 2>err || rc=$? &&
	cat out err && test "$rc" = 0 &&
	! grep -Ei "missing|too old" out err
'

test_done
