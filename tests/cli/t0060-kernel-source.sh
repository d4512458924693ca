#!/bin/bash
# t0060-kernel-source: scripts/kernel-source on small hand-made trees and tarballs: the three output
# lines, the cache keyed by sha256, checksums beside a tarball, bad SPECs, no apt (the real Debian
# downloads are tests/kernel/k0040)
. "$(dirname "$0")/../test-lib.sh"

KS=$SRCDIR/scripts/kernel-source
export KBUILD_CACHE=cache

# make_tree DIR: a tiny tree that passes for a 6.12.3 kernel
make_tree() {
	mkdir -p "$1" &&
	printf "VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 3\nEXTRAVERSION =\nNAME = Baby Opossum Posse\n" >"$1/Makefile" &&
	echo "mainmenu \"Linux\"" >"$1/Kconfig" &&
	mkdir -p "$1/kernel" && echo "int x;" >"$1/kernel/sched.c"
}

# make_tarball: linux-6.12.3.tar.xz with its one top directory, and $sha, its sha256
make_tarball() {
	make_tree src/linux-6.12.3 &&
	tar -C src -cJf linux-6.12.3.tar.xz linux-6.12.3 &&
	sha=$(sha256sum linux-6.12.3.tar.xz | cut -d" " -f1)
}

# expect_tarball [ORIGIN-SUFFIX]: the three lines for linux-6.12.3.tar.xz in ./cache
expect_tarball() {
	cat >expect <<-EOT
	tree=$PWD/cache/trees/tarball-$sha/linux-6.12.3
	version=6.12.3
	origin=tarball $PWD/linux-6.12.3.tar.xz (sha256 $sha${1:-})
	EOT
}

# nothing_cached: the cache holds no tree and no scratch directory
nothing_cached() {
	! ls -A cache/trees 2>/dev/null | grep -v "^\.lock$"
}

test_expect_success 'DIR: the tree as is, its Makefile version, exit 0' '
	make_tree k &&
	"$KS" k >out 2>err &&
	printf "tree=%s\nversion=6.12.3\norigin=directory %s\n" "$PWD/k" "$PWD/k" >expect &&
	test_cmp expect out &&
	test_must_fail test -s err &&
	"$KS" "$PWD/k/" >out &&
	test_cmp expect out &&
	test ! -e cache
'

test_expect_success 'DIR: a Makefile without SUBLEVEL is X.Y.0' '
	make_tree k &&
	printf "VERSION = 6\nPATCHLEVEL = 12\n" >k/Makefile &&
	"$KS" k >out &&
	test_grep "^version=6.12.0$" out
'

test_expect_success 'DIR that is not a kernel tree: exit 2, the reason' '
	mkdir empty &&
	test_must_fail --exit 2 "$KS" empty >out 2>err &&
	echo "kernel-source: error: '\''empty'\'' is not a kernel tree: no Makefile" >expect &&
	test_cmp expect err && test_must_fail test -s out &&
	make_tree k && rm k/Kconfig &&
	test_must_fail --exit 2 "$KS" k 2>err &&
	echo "kernel-source: error: '\''k'\'' is not a kernel tree: no Kconfig" >expect &&
	test_cmp expect err &&
	make_tree m && echo "all:" >m/Makefile &&
	test_must_fail --exit 2 "$KS" m 2>err &&
	echo "kernel-source: error: '\''m'\'' is not a kernel tree: its Makefile sets no VERSION and PATCHLEVEL" >expect &&
	test_cmp expect err
'

test_expect_success 'FILE: unpacked into the cache keyed by its sha256' '
	make_tarball &&
	"$KS" linux-6.12.3.tar.xz >out 2>err &&
	expect_tarball && test_cmp expect out &&
	echo "  UNPACK  linux-6.12.3.tar.xz -> trees/tarball-$sha" >expect &&
	test_cmp expect err &&
	test_cmp src/linux-6.12.3/kernel/sched.c cache/trees/tarball-$sha/linux-6.12.3/kernel/sched.c &&
	! ls -A cache/trees | grep "^\.tmp"
'

test_expect_success 'FILE again: answered from the cache, the tree untouched' '
	make_tarball &&
	"$KS" linux-6.12.3.tar.xz >/dev/null 2>&1 &&
	tree=cache/trees/tarball-$sha/linux-6.12.3 &&
	touch -d "2001-02-03 04:05:06" "$tree" &&
	stat -c "%i %Y" "$tree" >before &&
	"$KS" linux-6.12.3.tar.xz >out 2>err &&
	expect_tarball && test_cmp expect out &&
	test_must_fail test -s err &&
	stat -c "%i %Y" "$tree" >after && test_cmp before after &&
	mkdir elsewhere && mv linux-6.12.3.tar.xz elsewhere/ &&
	"$KS" elsewhere/linux-6.12.3.tar.xz >out 2>err &&
	test_grep "^origin=tarball $PWD/elsewhere/linux-6.12.3.tar.xz (sha256 $sha)$" out &&
	test_grep "^tree=$PWD/cache/trees/tarball-$sha/linux-6.12.3$" out &&
	test_must_fail test -s err
'

test_expect_success 'FILE with a kernel.org sha256sums.asc beside it that lists it: checked' '
	make_tarball &&
	cat >sha256sums.asc <<-EOT &&
	-----BEGIN PGP SIGNED MESSAGE-----
	Hash: SHA256

	0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  linux-6.12.2.tar.xz
	$sha  linux-6.12.3.tar.xz
	-----BEGIN PGP SIGNATURE-----

	iQIzBAEBCAAdFiEE
	-----END PGP SIGNATURE-----
	EOT
	"$KS" linux-6.12.3.tar.xz >out &&
	expect_tarball ", matches sha256sums.asc" && test_cmp expect out
'

test_expect_success 'FILE with SHA256SUMS (binary mode) and FILE.sha256 (a lone hash): both checked' '
	make_tarball &&
	echo "$sha *linux-6.12.3.tar.xz" >SHA256SUMS &&
	echo "$sha" >linux-6.12.3.tar.xz.sha256 &&
	"$KS" linux-6.12.3.tar.xz >out &&
	expect_tarball ", matches SHA256SUMS, matches linux-6.12.3.tar.xz.sha256" && test_cmp expect out
'

test_expect_success 'FILE whose sums file does not list it: a note, not checked' '
	make_tarball &&
	echo "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  linux-6.12.2.tar.xz" >SHA256SUMS &&
	"$KS" linux-6.12.3.tar.xz >out 2>err &&
	expect_tarball && test_cmp expect out &&
	test_grep "^kernel-source: note: SHA256SUMS beside it does not list linux-6.12.3.tar.xz: not checked against it$" err
'

test_expect_success 'FILE whose checksum does not match: exit 1, nothing in the cache' '
	make_tarball &&
	bad=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef &&
	echo "$bad  linux-6.12.3.tar.xz" >sha256sums.asc &&
	test_must_fail --exit 1 "$KS" linux-6.12.3.tar.xz >out 2>err &&
	echo "kernel-source: error: checksum mismatch for '\''linux-6.12.3.tar.xz'\'': sha256 $sha, sha256sums.asc says $bad" >expect &&
	test_cmp expect err && test_must_fail test -s out &&
	nothing_cached &&
	rm sha256sums.asc && echo "$bad" >linux-6.12.3.tar.xz.sha256 &&
	test_must_fail --exit 1 "$KS" linux-6.12.3.tar.xz 2>err &&
	test_grep "linux-6.12.3.tar.xz.sha256 says $bad$" err &&
	nothing_cached
'

test_expect_success 'FILE compressed otherwise, or plain tar, or without a top directory' '
	make_tree src/linux-6.12.3 &&
	for c in -z -j --zstd --no-auto-compress; do
		tar -C src -c $c -f t$c.tar linux-6.12.3 &&
		"$KS" t$c.tar >out && test_grep "^version=6.12.3$" out || exit 1
	done &&
	tar -C src/linux-6.12.3 -czf flat.tgz . &&
	"$KS" flat.tgz >out &&
	s=$(sha256sum flat.tgz | cut -d" " -f1) &&
	test_grep "^tree=$PWD/cache/trees/tarball-$s/flat$" out &&
	test -f cache/trees/tarball-$s/flat/Kconfig
'

test_expect_success 'FILE that is no tarball, or a tarball without a kernel tree: exit 2, nothing cached' '
	echo "not a tarball" >garbage.tar.xz &&
	test_must_fail --exit 2 "$KS" garbage.tar.xz >out 2>err &&
	echo "kernel-source: error: '\''garbage.tar.xz'\'' is not a kernel tarball: not a tar archive (plain, or compressed with xz, gzip, bzip2 or zstd)" >expect &&
	test_cmp expect err && test_must_fail test -s out &&
	mkdir -p src/notes && echo hi >src/notes/README &&
	tar -C src -cJf notes.tar.xz notes &&
	test_must_fail --exit 2 "$KS" notes.tar.xz 2>err &&
	test_grep "^kernel-source: error: '\''notes.tar.xz'\'' is not a kernel tarball: notes is not a kernel tree: no Makefile$" err &&
	make_tarball && head -c -100 linux-6.12.3.tar.xz >cut.tar.xz &&
	test_must_fail --exit 2 "$KS" cut.tar.xz 2>err &&
	test_grep "^kernel-source: error: '\''cut.tar.xz'\'' is not a kernel tarball: tar cannot unpack it$" err &&
	nothing_cached
'

test_expect_success 'two runs at once unpack the tarball once; both answer the same' '
	make_tarball &&
	{ "$KS" linux-6.12.3.tar.xz >out1 2>err1 & } &&
	pid=$! &&
	"$KS" linux-6.12.3.tar.xz >out2 2>err2 &&
	wait $pid &&
	expect_tarball && test_cmp expect out1 && test_cmp expect out2 &&
	cat err1 err2 | grep -c "UNPACK" >count && echo 1 >one && test_cmp one count &&
	! ls -A cache/trees | grep "^\.tmp"
'

test_expect_success '--cache DIR overrides KBUILD_CACHE; --need-rt has no effect on FILE or DIR' '
	make_tarball &&
	"$KS" --need-rt --cache other linux-6.12.3.tar.xz >out &&
	test_grep "^tree=$PWD/other/trees/tarball-$sha/linux-6.12.3$" out &&
	test ! -e cache &&
	make_tree k && "$KS" --need-rt k >out &&
	test_grep "^tree=$PWD/k$" out
'

test_expect_success 'usage errors and SPECs that name nothing: exit 2' '
	test_must_fail --exit 2 "$KS" --bogus 2>err &&
	printf "%s\n" "kernel-source: error: unknown option '\''--bogus'\''" "Try '\''kernel-source -h'\''." >expect &&
	test_cmp expect err &&
	test_must_fail --exit 2 "$KS" 6.1 6.12 2>err &&
	test_grep "^kernel-source: error: more than one SPEC ('\''6.1'\'', '\''6.12'\'')$" err &&
	test_must_fail --exit 2 "$KS" --cache 2>err &&
	test_grep "^kernel-source: error: option '\''--cache'\'' needs a value$" err &&
	test_must_fail --exit 2 "$KS" 6.1.176-1 2>err &&
	echo "kernel-source: error: '\''6.1.176-1'\'' is not a kernel version: give X.Y or X.Y.Z (6.1.176)" >expect &&
	test_cmp expect err &&
	test_must_fail --exit 2 "$KS" nosuch 2>err &&
	echo "kernel-source: error: '\''nosuch'\'': no such file or directory, and not a kernel version (X.Y or X.Y.Z)" >expect &&
	test_cmp expect err &&
	"$KS" -h >out && test_grep "^Usage: kernel-source " out
'

test_expect_success 'a Debian SPEC without apt-get: exit 3, the kernel.org way' '
	mkdir bin && ln -s /usr/bin/* bin/ && rm -f bin/apt-get bin/apt-cache &&
	test_must_fail --exit 3 env PATH="$PWD/bin" "$KS" 6.1.176 >out 2>err &&
	cat >expect <<-\EOT &&
	kernel-source: error: no apt-get: Debian'\''s kernel source packages cannot be fetched here
	kernel-source: get the kernel from kernel.org instead: download
	    https://cdn.kernel.org/pub/linux/kernel/v6.x/linux-6.1.176.tar.xz
	    https://cdn.kernel.org/pub/linux/kernel/v6.x/sha256sums.asc
	  into one directory, check the signature (gpg --verify sha256sums.asc) and the
	  tarball'\''s sha256 against it, then pass the tarball with --kernel FILE
	EOT
	test_cmp expect err && test_must_fail test -s out &&
	test_must_fail --exit 3 env PATH="$PWD/bin" "$KS" 2>err &&
	test_grep "^    https://cdn.kernel.org/pub/linux/kernel/vX.x/linux-X.Y.Z.tar.xz (a longterm kernel listed on https://www.kernel.org)$" err &&
	test_must_fail --exit 3 env PATH="$PWD/bin" "$KS" --need-rt 6.12 2>err &&
	test_grep "^    https://cdn.kernel.org/pub/linux/kernel/v6.x/linux-6.12.Z.tar.xz (the newest 6.12.Z listed there)$" err &&
	test ! -e cache
'

test_done
