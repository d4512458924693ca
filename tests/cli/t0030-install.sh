#!/bin/bash
# t0030-install: make install with PREFIX and DESTDIR gives a kbuild that finds its fragments
. "$(dirname "$0")/../test-lib.sh"

test_expect_success 'make install PREFIX=/usr DESTDIR=...: binary, fragments, man page' '
	env -u MAKEFLAGS -u MAKELEVEL make -s -C "$SRCDIR" O="$PWD/obj" PREFIX=/usr DESTDIR="$PWD/dest" install >log 2>&1 &&
	test -x dest/usr/bin/kbuild &&
	test -f dest/usr/share/kbuild/kconfig-fragments/audio.profile &&
	test -f dest/usr/share/kbuild/kconfig-fragments/preempt.config &&
	test -f dest/usr/share/man/man1/kbuild.1 &&
	(cd "$SRCDIR/kconfig-fragments" && ls) | sort >expect &&
	(cd dest/usr/share/kbuild/kconfig-fragments && ls) | sort >actual &&
	test_cmp expect actual
'

test_expect_success 'the installed kbuild finds its shipped fragments beside it' '
	env -u MAKEFLAGS -u MAKELEVEL make -s -C "$SRCDIR" O="$PWD/obj" PREFIX=/usr DESTDIR="$PWD/dest" install >log 2>&1 &&
	env -u KBUILD_DATADIR dest/usr/bin/kbuild config --list >out &&
	"$KBUILD" config --list >expect &&
	test_cmp expect out
'

test_done
