#!/bin/bash
# k0020-patch-61: the real PREEMPT_RT series from Debian's 6.1.176 source package on the vanilla
# 6.1.176 tree: apply, no-op, status, unpatch to byte-identical, a conflict in the middle, kill -9
# at several points, a patch escaping the tree, the ll profile, checksums, then config on the result
. "$(dirname "$0")/lib.sh"

RT=$KT_DEBIAN61/debian/patches-rt
NPATCH=$(grep -c -v -e '^#' -e '^[[:space:]]*$' "$RT/series")
TREE=$TRASH_ROOT/tree
cp -a "$KT_61" "$TREE"

same_as() { # same_as REFERENCE: contents and modes equal, ledger aside
	diff -r -q -x .kbuild-patches "$TREE" "$1" &&
	(cd "$TREE" && find . -path ./.kbuild-patches -prune -o -printf "%m %p\n" | sort) >modes.a &&
	(cd "$1" && find . -printf "%m %p\n" | sort) >modes.b &&
	test_cmp modes.b modes.a
}

test_expect_success "apply the real series ($NPATCH patches): the tree equals quilt's result" '
	"$KBUILD" patch --tree "$TREE" --patch "$RT" >out 2>err &&
	test_grep "^kbuild: applied $RT to $TREE: $NPATCH patches, [0-9]* files$" out &&
	test $(grep -c "^  PATCH   " err) -eq "$NPATCH" &&
	same_as "$KT_61RT"
'

test_expect_success 'apply again: a no-op saying already applied' '
	"$KBUILD" patch --tree "$TREE" --patch "$RT" >out 2>err &&
	echo "kbuild: $RT: already applied to $TREE" >expect &&
	test_cmp expect out
'

test_expect_success '--status lists the series and says the tree matches' '
	"$KBUILD" patch --tree "$TREE" --status >out &&
	test_grep "^applied: $NPATCH patches$" out &&
	test_grep "^  0010-x86-Allow-to-enable-RT.patch$" out &&
	test_grep "^tree: matches the ledger ([0-9]* files)$" out
'

test_expect_success 'config --config audio on the patched tree resolves PREEMPT_RT=y' '
	objdir_for "$KT_61" b &&
	rm -rf b && mkdir b &&
	"$KBUILD" config --tree "$TREE" -O b --base tinyconfig --config audio >out 2>err &&
	test_grep "^CONFIG_PREEMPT_RT=y$" b/.config
'

test_expect_success '--unpatch: every file and mode equal to the vanilla tree, no leftovers' '
	"$KBUILD" patch --tree "$TREE" --unpatch >out 2>err &&
	test_grep "^kbuild: removed $RT from $TREE: [0-9]* files restored$" out &&
	test ! -e "$TREE/.kbuild-patches" &&
	same_as "$KT_61" &&
	! find "$TREE" -name "*.orig" -o -name "*.rej" -o -name "*.kbuild-tmp" | grep .
'

test_expect_success 'a conflicting patch in the middle: the tree is unchanged and the report names it' '
	cp -r "$RT" conflict &&
	mid=$(sed -n "36p" conflict/series) &&
	awk "/^@@/ && !seen { inhunk = 1 } inhunk && /^-[^-]/ && !seen { print \"-a line that is not in the tree\"; seen = 1; next } { print }" \
		"$RT/$mid" >"conflict/$mid" &&
	! cmp -s "$RT/$mid" "conflict/$mid" &&
	test_must_fail --exit 1 "$KBUILD" patch --tree "$TREE" --patch conflict >out 2>err &&
	test_grep "^conflict/series:36: error: $mid does not apply$" err &&
	test_grep "^    Hunk #[0-9]* FAILED at [0-9]*.$" err &&
	test_grep "^    patching file arch/arm/include/asm/thread_info.h$" err &&
	! grep "saving rejects" err &&
	test_grep "^    reject:$" err &&
	test_grep "^kbuild: conflict does not apply to $TREE: patch 36 of $NPATCH fails; the tree is unchanged$" out &&
	same_as "$KT_61"
'

test_expect_success 'a patch with a ../ path: refused, nothing changed' '
	cp -r "$RT" evil &&
	printf -- "--- a/../escape\n+++ b/../escape\n@@ -0,0 +1 @@\n+owned\n" >evil/9999-escape.patch &&
	echo 9999-escape.patch >>evil/series &&
	test_must_fail --exit 1 "$KBUILD" patch --tree "$TREE" --patch evil >out 2>err &&
	test_grep "error: 9999-escape.patch writes outside the tree: '\''../escape'\'': '\''..'\'' component$" err &&
	test ! -e "$TREE/../escape" &&
	same_as "$KT_61"
'

for at in stage:40 after-state commit:60 before-ledger; do
	test_expect_success "killed at $at, then run again: the whole series applied" '
		test_must_fail env KBUILD_CRASH_AT='"$at"' "$KBUILD" patch --tree "$TREE" --patch "$RT" >/dev/null 2>&1;
		"$KBUILD" patch --tree "$TREE" --patch "$RT" >out 2>err &&
		same_as "$KT_61RT" &&
		"$KBUILD" patch --tree "$TREE" --unpatch >/dev/null 2>&1 && same_as "$KT_61"
	'
done

for delay in 0.05 0.15 0.3; do
	test_expect_success "kill -9 after ${delay}s, then run again: the whole series applied" '
		"$KBUILD" patch --tree "$TREE" --patch "$RT" >/dev/null 2>&1 &
		pid=$! && sleep '"$delay"' && kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null;
		"$KBUILD" patch --tree "$TREE" --patch "$RT" >out 2>err &&
		"$KBUILD" patch --tree "$TREE" --status >st && test_grep "^tree: matches the ledger" st &&
		same_as "$KT_61RT" &&
		"$KBUILD" patch --tree "$TREE" --unpatch >/dev/null 2>&1 && same_as "$KT_61"
	'
done

test_expect_success 'a tree patched by quilt (no ledger) is recognised, not patched twice' '
	(cd "$TREE" && QUILT_PATCHES="$RT" quilt push -a -q >/dev/null) &&
	rm -rf "$TREE/.pc" &&
	"$KBUILD" patch --tree "$TREE" --patch "$RT" >out 2>err &&
	test_grep "is already applied to $TREE (found by reverse-checking" out &&
	same_as "$KT_61RT" &&
	"$KBUILD" patch --tree "$TREE" --unpatch >/dev/null 2>&1 && same_as "$KT_61"
'

test_expect_success '--patch ll on 6.1.176: the PREEMPT_RT series of Debian'\''s source package' '
	"$KBUILD" patch --tree "$TREE" --patch ll >out 2>err &&
	test_grep "^kbuild: applied ll: PREEMPT_RT for 6.1.176 (Debian linux, debian/patches-rt) to $TREE: $NPATCH patches, [0-9]* files$" out &&
	same_as "$KT_61RT" &&
	"$KBUILD" patch --tree "$TREE" --unpatch >/dev/null 2>&1
'

test_expect_success 'a kernel.org-style tarball from the profile, checked by sha256; a mismatch applies nothing' '
	mkdir -p tb/patches pd/ll && cp "$RT"/* tb/patches/ &&
	tar -C tb -cJf patches-6.1.176-rt64.tar.xz patches &&
	sum=$(sha256sum patches-6.1.176-rt64.tar.xz | cut -d" " -f1) &&
	echo "6.1 tarball $PWD/patches-6.1.176-rt64.tar.xz 0000000000000000000000000000000000000000000000000000000000000000" >pd/ll/sources &&
	test_must_fail --exit 1 env KBUILD_PATCHDIR=$PWD/pd KBUILD_CACHE=$PWD/cache "$KBUILD" patch --tree "$TREE" --patch ll >out 2>err &&
	test_grep "error: checksum mismatch: sha256 is $sum, the profile expects 0000000000000000000000000000000000000000000000000000000000000000; nothing applied$" err &&
	same_as "$KT_61" &&
	echo "6.1 tarball $PWD/patches-6.1.176-rt64.tar.xz $sum" >pd/ll/sources &&
	env KBUILD_PATCHDIR=$PWD/pd KBUILD_CACHE=$PWD/cache "$KBUILD" patch --tree "$TREE" --patch ll >out 2>err &&
	same_as "$KT_61RT" &&
	"$KBUILD" patch --tree "$TREE" --unpatch >/dev/null 2>&1 && same_as "$KT_61"
'

test_expect_success '--source overrides the profile'\''s source with a local copy' '
	"$KBUILD" patch --tree "$TREE" --patch ll --source "$RT" >out 2>err &&
	same_as "$KT_61RT" &&
	"$KBUILD" patch --tree "$TREE" --unpatch >/dev/null 2>&1 && same_as "$KT_61"
'

test_expect_success 'the main run: kbuild --tree T --patch ll --config audio patches, then configures PREEMPT_RT=y' '
	"$KBUILD" --tree "$TREE" --patch ll --config audio --base tinyconfig -O b --stop-after config >out 2>err &&
	test_grep "^kbuild: applied ll: PREEMPT_RT for 6.1.176 (Debian linux, debian/patches-rt) to $TREE: $NPATCH patches, [0-9]* files$" out &&
	test_grep "^kbuild: [0-9]* requested: [0-9]* ok, 0 unmet, 0 invalid, 0 unknown, 5 historical$" out &&
	test_grep "^CONFIG_PREEMPT_RT=y$" b/.config &&
	"$KBUILD" --tree "$TREE" --patch ll --config audio --base tinyconfig -O b --stop-after config >out 2>err &&
	test_grep "already applied" out &&
	test_grep "^  CONFIG  .*/b/.config unchanged: base, fragments and tree as last time$" err &&
	"$KBUILD" patch --tree "$TREE" --unpatch >/dev/null 2>&1 && same_as "$KT_61"
'

test_expect_success 'the main run stops at a series that does not apply: no .config written' '
	cp -r "$RT" conflict &&
	mid=$(sed -n "36p" conflict/series) &&
	awk "/^@@/ && !seen { inhunk = 1 } inhunk && /^-[^-]/ && !seen { print \"-a line that is not in the tree\"; seen = 1; next } { print }" \
		"$RT/$mid" >"conflict/$mid" &&
	test_must_fail --exit 1 "$KBUILD" --tree "$TREE" --patch conflict --config audio --base tinyconfig -O b --stop-after config >out 2>err &&
	test ! -e b/.config && same_as "$KT_61"
'

test_expect_success '6.12: --patch ll applies nothing and says why' '
	"$KBUILD" patch --tree "$KT_612" --patch ll >out 2>err &&
	test_grep "^kbuild: nothing to apply: PREEMPT_RT is part of mainline since 6.12: the ll profile has nothing to apply to 6.12.[0-9]* (.*patches/ll/sources:[0-9]*)$" out &&
	test ! -e "$KT_612/.kbuild-patches"
'

test_done
