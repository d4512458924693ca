#!/bin/bash
# k0140-confcache: a new build directory of the same tree and compiler gets the tree's built
# fixdep and conf from kbuild's cache (make does not rebuild them) and the same .config; a
# corrupt entry, an entry under another key and another compiler's build are not used
. "$(dirname "$0")/lib.sh"

T=$KT_61
D=$KT_DEBIAN61/debian/config
export KBUILD_CACHE=$TRASH_ROOT/cache
REAL_GCC=$(command -v gcc)

# Debian's amd64 + rt configuration set on the vanilla 6.1 tree, into build directory $1
kb_config() {
	"$KBUILD" config --tree "$T" -O "$1" --arch x86_64 --base "$D/config" --config "$D/kernelarch-x86/config" \
		--config "$D/amd64/config" --config "$D/featureset-rt/config" --allow-unmet >/dev/null
}
mtime() { stat -c %y "$1"; }
# the cache's entries, one a line
entries() { ls "$KBUILD_CACHE/conf"; }
# a gcc that is another build of the same version: --version says one line more (the key reads all
# of it; Kconfig's CC_VERSION_TEXT only the first line, so .config does not change)
mkdir -p "$TRASH_ROOT/othergcc"
cat >"$TRASH_ROOT/othergcc/gcc" <<EOF
#!/bin/sh
if [ "\$1" = --version ]; then "$REAL_GCC" --version; echo "k0140: another build"; exit 0; fi
exec "$REAL_GCC" "\$@"
EOF
chmod +x "$TRASH_ROOT/othergcc/gcc"

test_expect_success 'cold, empty cache: conf built in the build directory, then kept in the cache' '
	kb_config "$TRASH_ROOT/b1" 2>err &&
	! grep "CACHED" err &&
	test "$(entries | wc -l)" = 1 &&
	test -x "$TRASH_ROOT/b1/scripts/kconfig/conf" &&
	test ! -e "$TRASH_ROOT/b1/include/config/auto.conf"
'

test_expect_success 'a second new build directory: conf from the cache, not rebuilt, the same .config' '
	kb_config "$TRASH_ROOT/b2" 2>err &&
	test_grep "^  CACHED  scripts/basic/fixdep scripts/kconfig/conf ($(entries | cut -c1-12))$" err &&
	for f in scripts/basic/fixdep scripts/kconfig/conf scripts/kconfig/conf.o scripts/kconfig/parser.tab.c; do
		test "$(mtime "$TRASH_ROOT/b2/$f")" = "$(mtime "$TRASH_ROOT/b1/$f")" || return 1
	done &&
	cmp "$TRASH_ROOT/b1/.config" "$TRASH_ROOT/b2/.config" &&
	test "$(entries | wc -l)" = 1
'

test_expect_success "the tree's make finds the seeded conf up to date (no HOSTCC), an empty directory builds it" '
	cp "$TRASH_ROOT/b1/.config" in.config &&
	make -C "$T" O="$TRASH_ROOT/b2" ARCH=x86_64 KCONFIG_CONFIG="$PWD/in.config" olddefconfig >seeded 2>&1 &&
	! grep HOSTCC seeded &&
	cmp in.config "$TRASH_ROOT/b1/.config" &&
	mkdir empty &&
	make -C "$T" O="$PWD/empty" ARCH=x86_64 KCONFIG_CONFIG="$PWD/in.config" olddefconfig >built 2>&1 &&
	test_grep "HOSTCC  scripts/kconfig/conf.o" built &&
	test_grep "HOSTCC  scripts/basic/fixdep" built
'

test_expect_success 'a corrupt entry is reported and not used: conf rebuilt, the entry replaced' '
	e=$KBUILD_CACHE/conf/$(entries) &&
	cp "$e" good &&
	printf x | dd of="$e" bs=1 seek=$(( $(stat -c %s "$e") - 100 )) conv=notrunc 2>/dev/null &&
	! cmp -s good "$e" &&
	kb_config "$TRASH_ROOT/b3" 2>err &&
	test_grep "^$e: note: cached kconfig build not used: scripts/kconfig/.*: sha256 mismatch$" err &&
	! grep "CACHED" err &&
	test "$(mtime "$TRASH_ROOT/b3/scripts/kconfig/conf")" != "$(mtime "$TRASH_ROOT/b1/scripts/kconfig/conf")" &&
	cmp "$TRASH_ROOT/b1/.config" "$TRASH_ROOT/b3/.config" &&
	kb_config "$TRASH_ROOT/b4" 2>err &&
	test_grep "^  CACHED  " err &&
	test "$(mtime "$TRASH_ROOT/b4/scripts/kconfig/conf")" = "$(mtime "$TRASH_ROOT/b3/scripts/kconfig/conf")"
'

test_expect_success 'another compiler build: another key, conf built again, the same .config' '
	first=$(entries) &&
	PATH="$TRASH_ROOT/othergcc:$PATH" kb_config "$TRASH_ROOT/c1" 2>err &&
	! grep "CACHED" err &&
	test "$(entries | wc -l)" = 2 &&
	test "$(mtime "$TRASH_ROOT/c1/scripts/kconfig/conf")" != "$(mtime "$TRASH_ROOT/b3/scripts/kconfig/conf")" &&
	cmp "$TRASH_ROOT/b1/.config" "$TRASH_ROOT/c1/.config" &&
	entries | grep -v -x "$first" >"$TRASH_ROOT/second"
'

test_expect_success "an entry under another compiler's key is not used (key mismatch), and is replaced" '
	first=$(entries | grep -v -x -f "$TRASH_ROOT/second") &&
	cp "$KBUILD_CACHE/conf/$first" "$KBUILD_CACHE/conf/$(cat "$TRASH_ROOT/second")" &&
	PATH="$TRASH_ROOT/othergcc:$PATH" kb_config "$TRASH_ROOT/c2" 2>err &&
	test_grep "^$KBUILD_CACHE/conf/$(cat "$TRASH_ROOT/second"): note: cached kconfig build not used: line 2: it is not the entry of this tree and compiler (key mismatch)$" err &&
	! grep "CACHED" err &&
	test "$(mtime "$TRASH_ROOT/c2/scripts/kconfig/conf")" != "$(mtime "$TRASH_ROOT/b3/scripts/kconfig/conf")" &&
	head -n 2 "$KBUILD_CACHE/conf/$(cat "$TRASH_ROOT/second")" | tail -n 1 >key &&
	echo "key $(cat "$TRASH_ROOT/second")" >expect &&
	test_cmp expect key
'

test_done
