#!/bin/bash
# k0003-config-61rt: vanilla 6.1 with Debian's real PREEMPT_RT series applied: PREEMPT_RT sticks
. "$(dirname "$0")/lib.sh"

T=$KT_61RT

test_expect_success '--config audio on 6.1 + RT series: PREEMPT_RT=y, exit 0' '
	objdir_for "$T" b &&
	"$KBUILD" config --tree "$T" -O b --base tinyconfig --config audio --json r.json >out 2>err &&
	test_grep "^CONFIG_PREEMPT_RT=y$" b/.config &&
	test_grep "^CONFIG_SND_ALOOP=m$" b/.config &&
	! grep "falling back" err &&
	"$SRCDIR/tests/kernel/status.py" r.json >st &&
	test_grep "^PREEMPT_RT ok y kconfig-fragments/preempt.config:10$" st &&
	! grep -v -e " ok " -e " historical " st
'

test_expect_success 'explain ARCH_SUPPORTS_RT: selected by X86 now' '
	objdir_for "$T" b &&
	"$KBUILD" config --tree "$T" -O b --base tinyconfig --config preempt 2>/dev/null &&
	"$KBUILD" explain --tree "$T" -O b CONFIG_ARCH_SUPPORTS_RT >out &&
	test_grep "^CONFIG_ARCH_SUPPORTS_RT=y$" out &&
	test_grep "^  selected by: .*X86 \[=y\]" out
'

test_done
