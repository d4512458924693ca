#!/bin/bash
# t0190-doctor-debian: kbuild doctor and scripts/install-deps agree on what Debian's own kernel
# configuration needs: every package doctor names for it is in `install-deps kernel`, the image
# compressor the configuration picks (KERNEL_XZ) is checked like any other tool
. "$(dirname "$0")/../test-lib.sh"
. "$FIXTURES/doctor/path-without.sh"

T612=$FIXTURES/doctor/tree-612
RST=Documentation/process/changes.rst
DEB=$FIXTURES/launcher/debian-options.config
export KBUILD_OS_RELEASE=$FIXTURES/doctor/os-release/debian
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo "; fi

test_expect_success 'CONFIG_KERNEL_XZ=y without xz: missing, xz-utils to install, exit 3' '
	path_without bin xz && echo CONFIG_KERNEL_XZ=y >xz.config &&
	test_must_fail --exit 3 env PATH="$PWD/bin" "$KBUILD" doctor --tree "$T612" --config-file xz.config -j 2 >out &&
	test_grep "^  missing  xz                 -        (needs any version for CONFIG_KERNEL_XZ=y, not in $RST)$" out &&
	test_grep "^to install what is missing: ${SUDO}apt-get install -y xz-utils$" out
'

test_expect_success 'xz, zstd and lz4 only when the configuration compresses with them' '
	echo CONFIG_KERNEL_XZ=y >xz.config &&
	"$KBUILD" doctor --tree "$T612" --config-file xz.config -j 2 -v >out &&
	test_grep "^  ok       xz                 [0-9][0-9.]* *(needs any version for CONFIG_KERNEL_XZ=y, not in $RST)$" out &&
	test_grep "^  skip     zstd               -        (not needed: CONFIG_KERNEL_ZSTD, CONFIG_MODULE_COMPRESS_ZSTD are not set)$" out &&
	test_grep "^  skip     lz4                -        (not needed: CONFIG_KERNEL_LZ4 is not set)$" out &&
	printf "CONFIG_MODULE_COMPRESS_ZSTD=y\nCONFIG_KERNEL_LZ4=y\n" >c.config &&
	"$KBUILD" doctor --tree "$T612" --config-file c.config -j 2 -v >out &&
	test_grep "^  ok       zstd               [0-9][0-9.]* *(needs any version for CONFIG_MODULE_COMPRESS_ZSTD=y, not in $RST)$" out &&
	test_grep "^  ok       lz4                [0-9][0-9.]* *(needs any version for CONFIG_KERNEL_LZ4=y, not in $RST)$" out
'

test_expect_success 'every package doctor names for Debian'"'"'s options is one install-deps kernel installs' '
	path_without bin xz pahole flex bison bc openssl depmod cpio &&
	test_must_fail --exit 3 env PATH="$PWD/bin" "$KBUILD" doctor --tree "$T612" --config-file "$DEB" -j 2 >out &&
	sed -n "s/^to install what is missing: ${SUDO}apt-get install -y //p" out | tr " " "\n" >named &&
	test "$(wc -l <named)" -ge 6 &&
	"$SRCDIR/scripts/install-deps" --print kernel >print &&
	for p in $(cat named); do grep -q " $p\( \|$\)" print || { echo "doctor names $p, install-deps kernel does not"; false; }; done
'

test_done
