#!/bin/bash
# t0050-doctor: `kbuild doctor` checks the tools, headers, disk and memory a build needs against
# the tree's own requirements table, prints the one command that installs what is missing, and
# exits 0 (ready) or 3 (something missing or too old); programs are hidden from PATH, not faked,
# except an old bison and a stand-in apt-get from tests/fixtures/doctor
. "$(dirname "$0")/../test-lib.sh"
. "$FIXTURES/doctor/path-without.sh"

T612=$FIXTURES/doctor/tree-612
CFG=$FIXTURES/doctor/configs
RST=Documentation/process/changes.rst
export KBUILD_OS_RELEASE=$FIXTURES/doctor/os-release/debian
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo "; fi

test_expect_success 'ready: exit 0, the table named, each tool against its row' '
	"$KBUILD" doctor --tree "$T612" --config-file "$CFG/modules.config" -j 2 >out 2>err &&
	test_cmp /dev/null err &&
	cat >expect <<-EOF &&
	requirements of linux 6.12.117: $RST (20 rows)
	configuration: $CFG/modules.config (3 options set)
	EOF
	head -n2 out >actual && test_cmp expect actual &&
	grep -x "  ok       GNU C              [0-9.]* *(needs 5.1, $RST:17)" out &&
	grep -x "  ok       binutils           [0-9.]* *(needs 2.25, $RST:23)" out &&
	grep -x "  ok       kmod               [0-9.]* *(needs 13 for CONFIG_MODULES=y, $RST:28)" out &&
	grep -x "  ok       perl               [0-9.]* *(needs any version, not in $RST)" out &&
	grep -x "  ok       memory             [0-9.]* GB *(needs ~1.5 GB for -j2)" out &&
	! grep "pahole\|Sphinx\|libelf\|to install" out &&
	test_grep "^ready to build: [0-9]* checks passed" out
'

test_expect_success '-O BUILD: the .config there is the one sized, free space is checked there' '
	mkdir b && cp "$CFG/modules.config" b/.config &&
	"$KBUILD" doctor --tree "$T612" -O b -j 4 >out 2>err &&
	test_grep "^configuration: b/.config (3 options set)$" out &&
	test_grep "^  ok       disk space         .*(needs ~51 MB for 3 options, in b)$" out &&
	test_grep "^  ok       memory             .*(needs ~2.5 GB for -j4)$" out
'

test_expect_success 'a build directory that does not exist yet: its parent has the space' '
	"$KBUILD" doctor --tree "$T612" -O new/build -j 2 >out 2>err &&
	test_grep "^configuration: none (a defconfig-like build assumed)$" out &&
	test_grep "^  ok       disk space         .*(needs ~610 MB for 1600 options (like defconfig), in new/build)$" out &&
	test ! -e new
'

test_expect_success 'without flex: exit 3, the missing line, the apt-get command, the error' '
	path_without bin flex &&
	test_must_fail --exit 3 env PATH="$PWD/bin" "$KBUILD" doctor --tree "$T612" -j 2 >out 2>err &&
	cat >expect <<-EOF &&
	  missing  flex               -        (needs 2.5.35, $RST:24)
	not ready to build: flex missing
	to install what is missing: ${SUDO}apt-get install -y flex
	EOF
	grep -v "^  ok \|^requirements \|^configuration: " out >actual &&
	test_cmp expect actual &&
	echo "kbuild: error: the build needs what is missing or too old: flex missing" >expect &&
	test_cmp expect err
'

test_expect_success 'an old bison: exit 3, the version found and the one needed' '
	test_must_fail --exit 3 env PATH="$FIXTURES/doctor/old-bin:$PATH" "$KBUILD" doctor --tree "$T612" -j 2 >out &&
	test_grep "^  old      bison              1.875    (needs 2.0, $RST:25)$" out &&
	test_grep "^not ready to build: bison too old$" out &&
	test_grep "^to install what is missing: ${SUDO}apt-get install -y bison$" out
'

test_expect_success 'CONFIG_DEBUG_INFO_BTF=y without pahole: dwarves, with dnf on Fedora' '
	path_without bin pahole &&
	test_must_fail --exit 3 env PATH="$PWD/bin" KBUILD_OS_RELEASE="$FIXTURES/doctor/os-release/fedora" \
		"$KBUILD" doctor --tree "$T612" --config-file "$CFG/btf.config" -j 2 >out &&
	test_grep "^  missing  pahole             -        (needs 1.16 for CONFIG_DEBUG_INFO_BTF=y, $RST:26)$" out &&
	test_grep "^  ok       memory             .*(needs ~3.0 GB for -j2 with DEBUG_INFO)$" out &&
	test_grep "^to install what is missing: ${SUDO}dnf install -y dwarves$" out
'

test_expect_success 'no BTF in the config: pahole is not needed, even when it is not installed' '
	path_without bin pahole &&
	env PATH="$PWD/bin" "$KBUILD" doctor --tree "$T612" --config-file "$CFG/modules.config" -j 2 >out &&
	! grep pahole out
'

test_expect_success '-v lists what the build does not need, and why' '
	"$KBUILD" doctor --tree "$T612" --config-file "$CFG/no-modules.config" -j 2 -v >out &&
	test_grep "^  skip     kmod               -        (not needed: CONFIG_MODULES is not set, $RST:28)$" out &&
	test_grep "^  skip     pahole             -        (not needed: CONFIG_DEBUG_INFO_BTF is not set, $RST:26)$" out &&
	test_grep "^  skip     e2fsprogs          -        (needs 1.41.4, not needed to build, $RST:29)$" out &&
	test_grep "^  skip     Sphinx             -        (needs 2.4.4, not needed to build, $RST:33)$" out
'

test_expect_success '--package deb without dpkg-buildpackage: dpkg-dev; tar needed too' '
	path_without bin dpkg-buildpackage &&
	test_must_fail --exit 3 env PATH="$PWD/bin" KBUILD_OS_RELEASE="$FIXTURES/doctor/os-release/ubuntu" \
		"$KBUILD" doctor --tree "$T612" --package deb -j 2 >out &&
	test_grep "^  missing  dpkg-buildpackage  -        (for --package deb)$" out &&
	test_grep "^  ok       GNU tar            .*(needs 1.28 for --package deb, $RST:35)$" out &&
	test_grep "^to install what is missing: ${SUDO}apt-get install -y dpkg-dev$" out
'

test_expect_success '--install-deps runs the one command, checks again: exit 0' '
	path_without bin flex &&
	if [ -n "$SUDO" ]; then rm -f bin/sudo && printf "#!/bin/sh\nexec \"\$@\"\n" >bin/sudo && chmod +x bin/sudo; fi &&
	DOCTOR_INSTALL_LOG=$PWD/install.log DOCTOR_BIN=$PWD/bin DOCTOR_REAL_FLEX=$(command -v flex) \
		PATH="$FIXTURES/doctor/install-bin:$PWD/bin" "$KBUILD" doctor --tree "$T612" -j 2 --install-deps >out 2>err &&
	echo "apt-get install -y flex" >expect && test_cmp expect install.log &&
	echo "  INSTALL ${SUDO}apt-get install -y flex" >expect && test_cmp expect err &&
	sed -n "/^after installing:$/,\$p" out >after &&
	test_grep "^  ok       flex               [0-9.]* *(needs 2.5.35, $RST:24)$" after &&
	test_grep "^ready to build: " after &&
	sed "/^after installing:$/,\$d" out >before &&
	test_grep "^  missing  flex " before
'

test_expect_success '--install-deps when the package manager cannot run: exit 3' '
	path_without bin flex pacman &&
	if [ -n "$SUDO" ]; then rm -f bin/sudo && printf "#!/bin/sh\nexec \"\$@\"\n" >bin/sudo && chmod +x bin/sudo; fi &&
	test_must_fail --exit 3 env PATH="$PWD/bin" KBUILD_OS_RELEASE="$FIXTURES/doctor/os-release/arch" \
		"$KBUILD" doctor --tree "$T612" -j 2 --install-deps >out 2>err &&
	if [ -z "$SUDO" ]; then
		test_grep "^kbuild: error: cannot run '\''pacman'\'': No such file or directory$" err
	else
		test_grep "^kbuild: error: '\''sudo pacman -S --needed flex'\'' failed (exit 127)$" err
	fi &&
	test_grep "^kbuild: error: the build needs what is missing or too old: flex missing$" err
'

test_expect_success 'an unknown distribution: what to install, by name' '
	path_without bin flex &&
	test_must_fail --exit 3 env PATH="$PWD/bin" KBUILD_OS_RELEASE="$FIXTURES/doctor/os-release/gentoo" \
		"$KBUILD" doctor --tree "$T612" -j 2 >out &&
	test_grep "^to install what is missing, use the package manager of '\''gentoo'\'' for: flex$" out
'

test_expect_success 'a 2.4 tree: Documentation/Changes, its "o  Gnu C" rows' '
	"$KBUILD" doctor --tree "$FIXTURES/doctor/tree-2.4" -j 2 >out 2>err &&
	test_cmp /dev/null err &&
	test_grep "^requirements of linux 2.4.3: Documentation/Changes (10 rows)$" out &&
	test_grep "^  ok       GNU C              [0-9.]* *(needs 2.91.66, Documentation/Changes:19)$" out &&
	test_grep "^  ok       flex               [0-9.]* *(needs any version, not in Documentation/Changes)$" out
'

test_expect_success 'a tree without a table: built-in minimums and a warning, exit 0' '
	"$KBUILD" doctor --tree "$FIXTURES/doctor/tree-none" -j 2 >out 2>err &&
	echo "kbuild: warning: '\''$FIXTURES/doctor/tree-none'\'' has no $RST or Documentation/Changes: checking against built-in minimums" >expect &&
	test_cmp expect err &&
	test_grep "^requirements of linux 6.12.0: built-in minimums (the tree has no table)$" out &&
	test_grep "^  ok       GNU C              [0-9.]* *(needs 5.1, built-in minimum)$" out
'

test_expect_success 'a broken table: file:line warning, built-in minimums' '
	"$KBUILD" doctor --tree "$FIXTURES/doctor/tree-unclosed" -j 2 >out 2>err &&
	echo "$FIXTURES/doctor/tree-unclosed/$RST:3: warning: requirements table not closed by a ==== rule: checking against built-in minimums" >expect &&
	test_cmp expect err
'

test_expect_success 'missing tree: exit 3' '
	test_must_fail --exit 3 "$KBUILD" doctor --tree nope 2>err &&
	echo "kbuild: error: kernel tree '\''nope'\'': No such file or directory" >expect &&
	test_cmp expect err
'

test_expect_success 'a directory that is not a kernel tree: exit 3' '
	mkdir notatree &&
	test_must_fail --exit 3 "$KBUILD" doctor --tree notatree 2>err &&
	echo "kbuild: error: '\''notatree'\'' is not a kernel tree: no Makefile at its top" >expect &&
	test_cmp expect err
'

test_expect_success 'a --config-file that does not exist: exit 2' '
	test_must_fail --exit 2 "$KBUILD" doctor --tree "$T612" --config-file no-such.config 2>err &&
	echo "no-such.config: error: cannot read: No such file or directory" >expect &&
	test_cmp expect err
'

test_done
