#!/bin/bash
# k0030-doctor: the doctor reads the real requirements tables of 6.1 and 6.12 (rows, minimums,
# line numbers as grep finds them in the files), sizes real configurations and finds what the
# trees' own packaging scripts call. Runs doctor_run through tests/test-doctor's driver mode
# until `kbuild doctor` is wired (tests/cli/t0050-doctor.sh tests the command itself).
. "$(dirname "$0")/lib.sh"
. "$FIXTURES/doctor/path-without.sh"

# the driver: the unit test binary when it is newer than its sources, else a private build
DOCTOR=${KB_OUT:-$SRCDIR/out}/tests/test-doctor
if ! [ -x "$DOCTOR" ] || ! [ "$DOCTOR" -nt "$SRCDIR/src/kbuild/doctor.c" ] ||
   ! [ "$DOCTOR" -nt "$SRCDIR/tests/unit/test-doctor.c" ]; then
	DOCTOR=$TRASH_ROOT/out/tests/test-doctor
	if ! make -s -C "$SRCDIR" O="$TRASH_ROOT/out" "$DOCTOR" >"$TRASH_ROOT/make.log" 2>&1; then
		cat "$TRASH_ROOT/make.log" >&2
		echo "Bail out! cannot build tests/test-doctor"
		exit 1
	fi
fi
export KBUILD_OS_RELEASE=$FIXTURES/doctor/os-release/debian
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo "; fi

RST=Documentation/process/changes.rst

# table_rows FILE: the rows between the table's second and third ==== rules, as the file has them
table_rows() {
	awk '/^=+ +=+ +=+/ { n++; next } n == 2 && NF { c++ } END { print c }' "$1"
}

# row_line FILE PROGRAM: the line number of PROGRAM's row
row_line() {
	grep -n "^$2  " "$1" | cut -d: -f1
}

for T in "$KT_612" "$KT_61"; do
	v=$(basename "$T")
	test_expect_success "$v: every row of the table, with its line" '
		"$DOCTOR" load "$T" >rows &&
		test "$(wc -l <rows)" = "$(table_rows "$T/$RST")" &&
		l=$(row_line "$T/$RST" "GNU C") &&
		grep -Fx "$l|GNU C|5.1|gcc --version" rows &&
		l=$(row_line "$T/$RST" "binutils") &&
		min=$(sed -n "${l}s/^binutils  *\([^ ]*\) .*/\1/p" "$T/$RST") &&
		grep -Fx "$l|binutils|$min|ld -v" rows &&
		l=$(row_line "$T/$RST" "util-linux") &&
		grep -x "$l|util-linux|2\.10o|[a-z]* --version" rows &&
		l=$(grep -n "^Sphinx\\\\ \[#f1\]_ " "$T/$RST" | cut -d: -f1) &&
		min=$(sed -n "${l}s/^Sphinx\\\\ \[#f1\]_  *\([^ ]*\) .*/\1/p" "$T/$RST") &&
		grep -Fx "$l|Sphinx|$min|sphinx-build --version" rows &&
		l=$(row_line "$T/$RST" "grub") &&
		grep -Fx "$l|grub|0.93|grub --version || grub-install --version" rows &&
		l=$(row_line "$T/$RST" "openssl & libcrypto") &&
		grep -Fx "$l|openssl & libcrypto|1.0.0|openssl version" rows
	'
done

test_expect_success '6.12 and 6.1 differ where their tables do: the minimal make, GNU tar' '
	"$DOCTOR" load "$KT_612" >rows612 && "$DOCTOR" load "$KT_61" >rows61 &&
	test_grep "|GNU make|4.0|make --version$" rows612 &&
	test_grep "|GNU make|3.82|make --version$" rows61 &&
	l=$(row_line "$KT_612/$RST" "GNU tar") &&
	grep -Fx "$l|GNU tar|1.28|tar --version" rows612 &&
	! grep "GNU tar" rows61 &&
	"$DOCTOR" run --tree "$KT_612" --package tar -j 2 >out612 &&
	grep -x "  ok       GNU tar            [0-9.]* *(needs 1.28 for --package tar, $RST:$l)" out612 &&
	"$DOCTOR" run --tree "$KT_61" --package tar -j 2 >out61 &&
	grep -x "  ok       GNU tar            [0-9.]* *(needs any version for --package tar, not in $RST)" out61
'

test_expect_success '6.12 tinyconfig: ready, each line from the table, options counted from the .config' '
	objdir_for "$KT_612" b &&
	make -s -C "$KT_612" O="$PWD/b" ARCH=x86_64 tinyconfig >/dev/null 2>&1 &&
	"$DOCTOR" run --tree "$KT_612" -O b -j 2 >out 2>err &&
	test_cmp /dev/null err &&
	echo "requirements of linux $KT_612_VERSION: $RST ($(table_rows "$KT_612/$RST") rows)" >expect &&
	head -n1 out >actual && test_cmp expect actual &&
	test_grep "^configuration: b/.config ($(grep -c "=[ym]$" b/.config) options set)$" out &&
	for p in "GNU C:5.1" "GNU make:4.0" "bash:4.2" "flex:2.5.35" "bison:2.0"; do
		name=${p%:*} min=${p#*:} l=$(row_line "$KT_612/$RST" "$name") &&
		grep -x "  ok       $name  *[0-9.]* *(needs $min, $RST:$l)" out || exit 1
	done &&
	if grep -q "^CONFIG_MODULES=y" b/.config; then
		test_grep "^  ok       kmod .*(needs 13 for CONFIG_MODULES=y, $RST:" out
	else
		! grep "kmod" out
	fi &&
	if grep -q "^CONFIG_OBJTOOL=y" b/.config; then
		test_grep "^  ok       libelf headers     found    (needs <gelf.h> for CONFIG_OBJTOOL=y)$" out
	fi &&
	! grep "pahole\|Sphinx\|e2fsprogs" out &&
	test_grep "^ready to build: " out
'

test_expect_success '6.12 without flex: exit 3, the table'\''s minimum and line, the apt-get command' '
	path_without bin flex &&
	test_must_fail --exit 3 env PATH="$PWD/bin" "$DOCTOR" run --tree "$KT_612" -j 2 >out 2>err &&
	l=$(row_line "$KT_612/$RST" flex) &&
	cat >expect <<-EOF &&
	  missing  flex               -        (needs 2.5.35, $RST:$l)
	not ready to build: flex missing
	to install what is missing: ${SUDO}apt-get install -y flex
	EOF
	grep -v "^  ok \|^requirements \|^configuration: " out >actual &&
	test_cmp expect actual &&
	echo "test-doctor: error: the build needs what is missing or too old: flex missing" >expect &&
	test_cmp expect err
'

test_expect_success 'a Debian 6.1 configuration: thousands of options, module signing, sized with its debug info' '
	objdir_for "$KT_61" b &&
	cp "$KT_DEBIAN61/debian/config/config" b/.config &&
	make -s -C "$KT_61" O="$PWD/b" ARCH=x86_64 olddefconfig >/dev/null 2>&1 &&
	n=$(grep -c "=[ym]$" b/.config) && test "$n" -gt 3000 &&
	"$DOCTOR" run --tree "$KT_61" -O b -j 2 >out &&
	test_grep "^configuration: b/.config ($n options set)$" out &&
	l=$(row_line "$KT_61/$RST" "openssl & libcrypto") &&
	grep -x "  ok       openssl  *[0-9.a-z]* *(needs 1.0.0 for CONFIG_MODULE_SIG=y, $RST:$l)" out &&
	test_grep "^  ok       openssl headers    found    (needs <openssl/opensslv.h> for CONFIG_MODULE_SIG=y)$" out &&
	if grep -q "^CONFIG_DEBUG_INFO=y" b/.config; then dbg=" with DEBUG_INFO"; else dbg=; fi &&
	test_grep "^  [a-z]* *disk space .*(needs ~[0-9.]* GB for $n options$dbg, in b)$" out &&
	if grep -q "^CONFIG_DEBUG_INFO_BTF=y" b/.config; then
		l=$(row_line "$KT_61/$RST" pahole) &&
		grep -x "  [a-z]* *pahole .*(needs 1.16 for CONFIG_DEBUG_INFO_BTF=y, $RST:$l)" out
	fi
'

test_expect_success '6.12 --package deb: what scripts/package calls; debhelper missing' '
	path_without bin dh_testdir dh_listpackages dh_builddeb &&
	test_must_fail --exit 3 env PATH="$PWD/bin" "$DOCTOR" run --tree "$KT_612" --package deb -j 2 >out 2>err &&
	test_grep "^  missing  debhelper          -        (for --package deb: scripts/package/debian/rules)$" out &&
	test_grep "^  ok       dpkg-buildpackage  found    (for --package deb: scripts/Makefile.package)$" out &&
	test_grep "^  ok       dpkg-architecture  found    (for --package deb: scripts/package/mkdebian)$" out &&
	! grep "fakeroot" out &&
	test_grep "^to install what is missing: ${SUDO}apt-get install -y debhelper$" out
'

test_expect_success '6.1 --package deb: its Makefile.package runs dpkg-buildpackage under fakeroot' '
	path_without bin fakeroot &&
	test_must_fail --exit 3 env PATH="$PWD/bin" "$DOCTOR" run --tree "$KT_61" --package deb -j 2 >out 2>err &&
	grep -n "fakeroot" "$KT_61/scripts/Makefile.package" &&
	test_grep "^  missing  fakeroot           -        (for --package deb: scripts/Makefile.package)$" out &&
	test_grep "^  ok       dpkg-deb           found    (for --package deb: scripts/package/builddeb)$" out &&
	! grep "debhelper" out &&
	test_grep "^to install what is missing: ${SUDO}apt-get install -y fakeroot$" out
'

test_expect_success '6.12 --package rpm: rpmbuild, from rpm on Debian and rpm-build on Fedora' '
	path_without bin rpmbuild &&
	test_must_fail --exit 3 env PATH="$PWD/bin" KBUILD_OS_RELEASE="$FIXTURES/doctor/os-release/fedora" \
		"$DOCTOR" run --tree "$KT_612" --package rpm -j 2 -q >out 2>err &&
	cat >expect <<-EOF &&
	  missing  rpmbuild           -        (for --package rpm: scripts/Makefile.package)
	not ready to build: rpmbuild missing
	to install what is missing: ${SUDO}dnf install -y rpm-build
	EOF
	test_cmp expect out
'

test_done
