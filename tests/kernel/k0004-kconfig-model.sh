#!/bin/bash
# k0004-kconfig-model: kbuild's parse of the real x86 Kconfig trees agrees with the kernel's own
# kconfig: no construct goes unrecognised, and every value kconfig writes into defconfig and
# allmodconfig is allowed by the dependencies and selects kbuild parsed
. "$(dirname "$0")/lib.sh"

for t in "$KT_612" "$KT_61" "$KT_61RT"; do
	name=$(basename "$t")
	test_expect_success "$name: whole x86 Kconfig parses with no unrecognised statement" '
		"$KBUILD" kconfig --tree "'"$t"'" >out &&
		test_grep "^oddities:    0 " out &&
		symbols=$(sed -n "s/^symbols: *//p" out) &&
		test "$symbols" -gt 15000
	'
	for target in defconfig allmodconfig; do
		test_expect_success "$name: the kernel's $target satisfies every dependency kbuild parsed" '
			objdir_for "'"$t"'" b &&
			make -s -C "'"$t"'" O="$PWD/b" KCONFIG_CONFIG="$PWD/'"$target"'.config" '"$target"' >/dev/null 2>&1 &&
			"$KBUILD" kconfig --tree "'"$t"'" --check '"$target"'.config >out &&
			test_grep "^checked:     '"$target"'.config: 0 values not covered by dependencies or selects$" out
		'
	done
done

test_expect_success 'the lint catches a value kconfig would never write' '
	objdir_for "$KT_612" b &&
	make -s -C "$KT_612" O="$PWD/b" KCONFIG_CONFIG="$PWD/t.config" tinyconfig >/dev/null 2>&1 &&
	echo "CONFIG_SND_HRTIMER=y" >>t.config &&
	test_must_fail --exit 1 "$KBUILD" kconfig --tree "$KT_612" --check t.config >out &&
	test_grep "^SND_HRTIMER=y but depends on SOUND \[=n\] && SND \[=n\] && HIGH_RES_TIMERS \[=n\] => n, selected => n$" out
'

test_done
