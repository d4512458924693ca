#!/bin/bash
# t0062-kernel-source-404: scripts/kernel-source without SPEC picks the newest linux-source-X.Y apt
# would install (not the one the linux-source metapackage depends on), and when the archive lists
# a version but does not serve its file (404), says so and takes the next older one. apt is a
# stand-in here that answers like Debian's (the real archive is tests/kernel/k0040 and k0110).
. "$(dirname "$0")/../test-lib.sh"

KS=$SRCDIR/scripts/kernel-source

# the stand-in apt: linux-source (depends on 6.1), linux-source-6.1 and linux-source-6.12; the
# newest 6.12 revision is listed but answers 404; an older one is a real .deb of a tiny tree
make_archive() {
	mkdir -p bin deb/usr/src tree/linux-source-6.12 &&
	printf "VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 117\n" >tree/linux-source-6.12/Makefile &&
	echo "mainmenu \"Linux\"" >tree/linux-source-6.12/Kconfig &&
	tar -cJf deb/usr/src/linux-source-6.12.tar.xz -C tree linux-source-6.12 &&
	mkdir deb/DEBIAN &&
	printf "Package: linux-source-6.12\nVersion: 6.12.117-1~deb12u1\nArchitecture: all\nMaintainer: x <x@x>\nDescription: x\n" >deb/DEBIAN/control &&
	dpkg-deb -Zxz --build deb linux-source-6.12_6.12.117-1~deb12u1_all.deb >/dev/null &&
	sha=$(sha256sum <linux-source-6.12_6.12.117-1~deb12u1_all.deb | cut -d" " -f1) &&
	cat >bin/apt-cache <<-EOT &&
	#!/bin/bash
	while [ "\$1" = -o ]; do shift 2; done
	case \$1 in
	pkgnames) printf "linux-source-6.1\nlinux-source-6.12\n" ;;
	policy) case \$2 in
		linux-source-6.12) v=6.12.118-1~deb12u1 ;;
		*) v=6.1.187-1 ;;
		esac
		printf "%s:\n  Installed: (none)\n  Candidate: %s\n" "\$2" "\$v" ;;
	madison) case \$2 in
		linux-source-6.12) for v in 6.12.118-1~deb12u1 6.12.117-1~deb12u1; do
			echo " \$2 | \$v | http://archive bookworm-security/main amd64 Packages"; done ;;
		*) echo " \$2 | 6.1.187-1 | http://archive bookworm/main amd64 Packages" ;;
		esac ;;
	show) printf "Package: %s\nVersion: %s\nSHA256: $sha\nSize: 2000\n\n" "\${2%%=*}" "\${2#*=}" ;;
	*) exit 100 ;;
	esac
	EOT
	cat >bin/apt-get <<-EOT &&
	#!/bin/bash
	while [ "\$1" = -o ] || [ "\$1" = -q ]; do [ "\$1" = -q ] && shift || shift 2; done
	case \$1 in
	update) echo "update" >>"$PWD/updates" ;;
	download) case \$2 in
		linux-source-6.12=6.12.117-1~deb12u1) cp "$PWD/linux-source-6.12_6.12.117-1~deb12u1_all.deb" . 2>/dev/null ;;
		*) false ;;
		esac || {
			echo "E: Failed to fetch http://archive/pool/\$2.deb  404  Not Found [IP: 1.2.3.4 80]"; exit 100
		} ;;
	*) exit 100 ;;
	esac
	EOT
	chmod +x bin/apt-cache bin/apt-get
}

test_expect_success 'no SPEC: the newest linux-source-X.Y; a version listed but not served is skipped, the next taken' '
	make_archive &&
	PATH="$PWD/bin:$PATH" "$KS" --cache cache >out 2>err &&
	printf "tree=%s\nversion=6.12.117\norigin=Debian linux-source-6.12 6.12.117-1~deb12u1 (sha256 %s)\n" \
		"$PWD/cache/trees/linux-source-6.12_6.12.117-1~deb12u1/linux-source-6.12" "$sha" >expect &&
	test_cmp expect out &&
	test_grep "^kernel-source: skipping linux-source-6.12 6.12.118-1~deb12u1: the archive lists it but does not serve it (404 Not Found)$" err &&
	test_grep "^kernel-source: using linux-source-6.12 6.12.117-1~deb12u1, the newest the archive serves$" err &&
	if [ "$(id -u)" = 0 ]; then
		# as root the lists are updated once first, in case they were stale
		echo update >expect && test_cmp expect updates
	fi &&
	test ! -e cache/trees/linux-source-6.12_6.12.118-1~deb12u1 &&
	! ls -A cache/trees | grep "^\.tmp"
'

test_expect_success 'again: the older version answers from the cache after the 404' '
	make_archive &&
	PATH="$PWD/bin:$PATH" "$KS" --cache cache >/dev/null 2>&1 &&
	PATH="$PWD/bin:$PATH" "$KS" --cache cache >out 2>err &&
	test_grep "^version=6.12.117$" out &&
	test_grep "^kernel-source: skipping linux-source-6.12 6.12.118-1~deb12u1: " err &&
	! grep "FETCH   linux-source-6.12 6.12.117" err
'

test_expect_success 'nothing served at all: exit 3 naming the versions' '
	make_archive &&
	rm linux-source-6.12_6.12.117-1~deb12u1_all.deb &&
	test_must_fail --exit 3 env PATH="$PWD/bin:$PATH" "$KS" --cache cache >out 2>err &&
	test_grep "^kernel-source: skipping linux-source-6.12 6.12.117-1~deb12u1: the archive lists it but does not serve it (404 Not Found)$" err &&
	test_grep "^kernel-source: error: the archive lists linux-source-6.12 6.12.118-1~deb12u1, 6.12.117-1~deb12u1 but serves none of them (404 Not Found; stale package lists: apt-get update as root)$" err &&
	test ! -s out && ! ls -A cache/trees | grep -v "^\.lock$"
'

test_done
