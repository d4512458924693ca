#!/bin/bash
# k0005-base: the bases: the running kernel's configuration, a file, the tree's own targets
. "$(dirname "$0")/lib.sh"

T=$KT_612

if [ -r "/boot/config-$(uname -r)" ] || [ -r /proc/config.gz ]; then
	test_expect_success '--base running takes /boot/config-$(uname -r) or /proc/config.gz' '
		objdir_for "$T" b &&
		"$KBUILD" config --tree "$T" -O b --base running --config preempt --allow-unmet 2>err &&
		if [ -r "/boot/config-$(uname -r)" ]; then src="/boot/config-$(uname -r)"; else src=/proc/config.gz; fi &&
		test_grep "^  BASE    $src ([0-9]* assignments)$" err &&
		test_grep "^CONFIG_PREEMPT_RT=y$" b/.config
	'
else
	test_expect_success '--base running without a config of the running kernel: exit 3' '
		test_must_fail --exit 3 "$KBUILD" config --tree "$T" -O b --base running --config preempt 2>err &&
		test_grep "no configuration of the running kernel" err
	'
fi

test_expect_success '--base FILE: a saved .config (the HOWTO'\''s "copy your old config, then oldconfig")' '
	objdir_for "$T" b &&
	make -s -C "$T" O="$PWD/b" KCONFIG_CONFIG="$PWD/old.config" defconfig >/dev/null 2>&1 &&
	"$KBUILD" config --tree "$T" -O b --base old.config --config preempt 2>err &&
	test_grep "^  BASE    old.config ([0-9]* assignments)$" err &&
	test_grep "^CONFIG_PREEMPT_RT=y$" b/.config
'

test_expect_success '--base defconfig calls the tree'\''s own target' '
	objdir_for "$T" b &&
	"$KBUILD" config --tree "$T" -O b --base defconfig --config audio 2>err &&
	test_grep "^  BASE    make defconfig$" err &&
	test_grep "^CONFIG_SND_HDA_INTEL=y$" b/.config
'

if ! command -v lsmod >/dev/null 2>&1; then
	test_expect_success '--base localmodconfig without lsmod: exit 3 with the package to install' '
		test_must_fail --exit 3 "$KBUILD" config --tree "$T" -O b --base localmodconfig --config preempt 2>err &&
		echo "kbuild: error: --base localmodconfig lists the loaded modules with lsmod, which is not installed (apt-get install kmod)" >expect &&
		test_cmp expect err
	'
else
	test_skip '--base localmodconfig without lsmod' 'lsmod is installed here'
fi

test_expect_success 'a tree whose make fails: its output and exit 3' '
	mkdir tree tree/arch tree/arch/x86 &&
	echo "config X" >tree/Kconfig && echo "config Y" >tree/arch/x86/Kconfig &&
	printf "olddefconfig tinyconfig:\n\t@echo boom >&2; exit 2\n" >tree/Makefile &&
	echo "CONFIG_X=y" >f.config &&
	test_must_fail --exit 3 "$KBUILD" config --tree tree -O b --base tinyconfig --config ./f.config 2>err &&
	test_grep "^boom$" err &&
	test_grep "^kbuild: error: '\''make tinyconfig'\'' failed in '\''tree'\'' (exit 2)$" err &&
	test ! -e b/.config
'

test_done
