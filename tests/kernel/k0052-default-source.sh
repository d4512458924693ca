#!/bin/bash
# k0052-default-source: `kbuild --patch ll --config audio` with no tree, as in a fresh clone: the
# distribution's newest kernel source (Debian's newest linux-source-X.Y; with --patch ll the newest
# whose PREEMPT_RT is mainline or whose series the archive serves), configured from the running
# kernel's configuration; stopped before the (hours-long) distribution-sized build. Where PREEMPT_RT
# is mainline (6.12 and later) nothing is applied and the cached tree is used as it is; before
# that the series is applied to a copy beside the cached tree.
. "$(dirname "$0")/lib.sh"

meta() {
	python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# mainline TREE: PREEMPT_RT is part of TREE's own Kconfig (6.12 and later)
mainline() { grep -q "^config PREEMPT_RT$" "$1/kernel/Kconfig.preempt"; }

test_expect_success 'no --tree: the Debian kernel source, the ll profile, the running config as base' '
	"$KBUILD" --patch ll --config audio --stop-after config >out 2>err &&
	src=$("$SRCDIR/scripts/kernel-source" --need-rt 2>/dev/null | sed -n "s/^tree=//p") &&
	test -n "$src" && test -d "$src" &&
	meta_origin="^Debian linux-source-[0-9.]* [^ ]* (sha256 [0-9a-f]*)" &&
	if mainline "$src"; then
		B=$PWD/build/$(basename "$src") &&
		test_grep "^kbuild: nothing to apply: PREEMPT_RT is part of mainline since 6.12" out &&
		test ! -e "$src+ll" &&
		test "$(meta "$B/metadata.json" "m[\"source\"][\"tree\"]")" = "$src" &&
		meta "$B/metadata.json" "m[\"source\"][\"origin\"]" >origin &&
		test_grep "$meta_origin\$" origin
	else
		B=$PWD/build/$(basename "$src")+ll &&
		test "$(meta "$B/metadata.json" "m[\"source\"][\"tree\"]")" = "$src+ll" &&
		meta "$B/metadata.json" "m[\"source\"][\"origin\"]" >origin &&
		test_grep "$meta_origin, copied to $src+ll for --patch ll\$" origin &&
		test "$(meta "$B/metadata.json" "len(m[\"series\"][\"patches\"])")" -gt 0
	fi &&
	test_grep "^CONFIG_PREEMPT_RT=y$" "$B/.config" &&
	test_grep "^CONFIG_SND_DUMMY=m$" "$B/.config" &&
	test "$(meta "$B/metadata.json" "m[\"config\"][\"base\"]")" = running &&
	test "$(meta "$B/metadata.json" "m[\"status\"]")" = ok &&
	# the cached tree itself stays as the archive shipped it
	test ! -e "$src/.kbuild-patches" &&
	echo "$B" >"$TRASH_ROOT/builddir"
'

test_expect_success 'the same command again: nothing new applied, .config untouched' '
	"$KBUILD" --patch ll --config audio --stop-after config >out1 2>err1 &&
	B=$PWD/build/$(basename "$(cat "$TRASH_ROOT/builddir")") &&
	stat -c %y "$B/.config" >before &&
	"$KBUILD" --patch ll --config audio --stop-after config >out 2>err &&
	if mainline "$(meta "$B/metadata.json" "m[\"source\"][\"tree\"]")"; then
		test_grep "^kbuild: nothing to apply: " out
	else
		test_grep "already applied to .*+ll$" out
	fi &&
	test_grep "^  CONFIG  $B/.config unchanged" err &&
	stat -c %y "$B/.config" >after && test_cmp before after
'

test_done
