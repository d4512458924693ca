#!/bin/bash
# k0052-default-source: `kbuild --patch ll --config audio` with no tree, as in a fresh clone: the
# distribution's kernel source (Debian's linux-source package, the newest whose PREEMPT_RT series
# the archive serves), patched in a copy beside the cached tree, configured from the running
# kernel's configuration; stopped before the (hours-long) distribution-sized build
. "$(dirname "$0")/lib.sh"

meta() {
	python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

test_expect_success 'no --tree: the Debian kernel source, the ll series, the running config as base' '
	"$KBUILD" --patch ll --config audio --stop-after config >out 2>err &&
	src=$("$SRCDIR/scripts/kernel-source" --need-rt 2>/dev/null | sed -n "s/^tree=//p") &&
	test -n "$src" && test -d "$src" &&
	B=$PWD/build/$(basename "$src")+ll &&
	test "$(meta "$B/metadata.json" "m[\"source\"][\"tree\"]")" = "$src+ll" &&
	meta "$B/metadata.json" "m[\"source\"][\"origin\"]" >origin &&
	test_grep "^Debian linux-source-[0-9.]* [^ ]* (sha256 [0-9a-f]*), copied to $src+ll for --patch ll$" origin &&
	test_grep "^CONFIG_PREEMPT_RT=y$" "$B/.config" &&
	test_grep "^CONFIG_SND_DUMMY=m$" "$B/.config" &&
	test "$(meta "$B/metadata.json" "m[\"config\"][\"base\"]")" = running &&
	test "$(meta "$B/metadata.json" "m[\"status\"]")" = ok &&
	test "$(meta "$B/metadata.json" "len(m[\"series\"][\"patches\"])")" -gt 0 &&
	# the cached tree itself stays as the archive shipped it
	test ! -e "$src/.kbuild-patches"
'

test_expect_success 'the same command again: the series is already applied, .config untouched' '
	"$KBUILD" --patch ll --config audio --stop-after config >out1 2>err1 &&
	src=$("$SRCDIR/scripts/kernel-source" --need-rt 2>/dev/null | sed -n "s/^tree=//p") &&
	B=$PWD/build/$(basename "$src")+ll &&
	stat -c %y "$B/.config" >before &&
	"$KBUILD" --patch ll --config audio --stop-after config >out 2>err &&
	test_grep "already applied to $src+ll$" out &&
	test_grep "^  CONFIG  $B/.config unchanged" err &&
	stat -c %y "$B/.config" >after && test_cmp before after
'

test_done
