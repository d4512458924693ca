#!/bin/bash
# k0010-merge-vs-merge_config: kbuild merge writes the same assignments as the tree's own
# merge_config.sh -m, on hand-written fragments and on Debian's real 6.1 config set
. "$(dirname "$0")/lib.sh"

# merge_config.sh writes =n literally; kconfig reads it as "is not set"
normalize() {
	sed 's/^CONFIG_\([A-Za-z0-9_]*\)=n$/# CONFIG_\1 is not set/' "$1" |
		grep -E '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set$)' | sort
}

test_expect_success 'small fragments: same result as merge_config.sh -m' '
	printf "CONFIG_A=y\nCONFIG_B=m\n# CONFIG_C is not set\nCONFIG_S=\"base\"\n" >base.config &&
	printf "CONFIG_B=y\nCONFIG_D=m\nCONFIG_S=\"one\"\n" >one.config &&
	printf "CONFIG_D=y\nCONFIG_A=n\nCONFIG_C=y\nCONFIG_B=m\n" >two.config &&
	mkdir mc &&
	sh "$KT_61/scripts/kconfig/merge_config.sh" -m -O mc base.config one.config two.config >/dev/null 2>&1 &&
	normalize mc/.config >expect &&
	"$KBUILD" merge -q -o ours.config base.config one.config two.config &&
	normalize ours.config >actual &&
	test_cmp expect actual
'

test_expect_success "Debian's 6.1 config set (thousands of assignments): same result" '
	d=$KT_DEBIAN61/debian/config &&
	mkdir mc &&
	sh "$KT_61/scripts/kconfig/merge_config.sh" -m -O mc "$d/config" "$d/kernelarch-x86/config" \
		"$d/amd64/config" "$d/featureset-rt/config" >/dev/null 2>&1 &&
	normalize mc/.config >expect &&
	"$KBUILD" merge -q -o ours.config "$d/config" "$d/kernelarch-x86/config" "$d/amd64/config" \
		"$d/featureset-rt/config" &&
	normalize ours.config >actual &&
	test $(wc -l <actual) -gt 5000 &&
	test_cmp expect actual
'

test_done
