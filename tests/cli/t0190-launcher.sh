#!/bin/bash
# t0190-launcher: the launchers ./kbuild and ./latency-bench in a scratch copy of the project: a
# missing library is named with its Debian package and the one command that installs it (exit 3,
# before any compile); --install-deps runs that command; both programs share one build, so running
# them in turn compiles nothing; scripts/install-deps and make check's dependency gate
. "$(dirname "$0")/../test-lib.sh"
. "$FIXTURES/doctor/path-without.sh"

REAL_CC=$(command -v cc)
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo "; fi

# a copy of what the launchers build from, with its own out/
copy_project() {
	mkdir repo &&
	cp -r "$SRCDIR/Makefile" "$SRCDIR/kbuild" "$SRCDIR/latency-bench" "$SRCDIR/lib" "$SRCDIR/src" \
		"$SRCDIR/scripts" repo/
}

# bin/cc: the real compiler, except that libkmod's header and library are not there (until
# $PWD/installed exists); every compile (-c) is logged in cc.log. bin/pkg-config does not know libkmod.
without_libkmod() {
	mkdir -p bin &&
	cat >bin/cc <<-EOF &&
	#!/bin/sh
	case " \$* " in *" -c "*) echo "\$*" >>"$PWD/cc.log" ;; esac
	if [ ! -e "$PWD/installed" ]; then
		case " \$* " in
		*" -E "*)
			src=\$(cat)
			case \$src in *libkmod.h*) echo "<stdin>:1:10: fatal error: libkmod.h: No such file or directory" >&2; exit 1 ;; esac
			printf '%s\n' "\$src" | exec "$REAL_CC" "\$@" ;;
		*-print-file-name=libkmod.so*) echo libkmod.so; exit 0 ;;
		esac
	fi
	exec "$REAL_CC" "\$@"
	EOF
	cat >bin/pkg-config <<-EOF &&
	#!/bin/sh
	case " \$* " in *" libkmod"*) [ -e "$PWD/installed" ] || exit 1 ;; esac
	command -v /usr/bin/pkg-config >/dev/null || exit 1
	exec /usr/bin/pkg-config "\$@"
	EOF
	chmod +x bin/cc bin/pkg-config
}

test_expect_success 'libkmod missing: its header and package, the one command, exit 3, no compile' '
	copy_project && without_libkmod &&
	test_must_fail --exit 3 env PATH="$PWD/bin:$PATH" CC=cc repo/kbuild --version >out 2>err &&
	cat >expect <<-EOF &&
	kbuild: error: building kbuild needs libkmod.h and -lkmod (Debian packages: libkmod-dev)
	kbuild: to install them: ${SUDO}repo/scripts/install-deps build kernel, or run again with --install-deps
	EOF
	test_cmp expect err && test_cmp /dev/null out &&
	test ! -e cc.log && test ! -e repo/out
'

test_expect_success 'no make and no compiler: build-essential, exit 3' '
	copy_project && path_without bin make cc gcc &&
	(cd repo && test_must_fail --exit 3 env PATH="$PWD/../bin" ./latency-bench --version >../out 2>../err) &&
	cat >expect <<-EOF &&
	latency-bench: error: building latency-bench needs make and a C compiler '"'"'cc'"'"' (Debian packages: build-essential)
	latency-bench: to install them: ${SUDO}./scripts/install-deps build
	EOF
	test_cmp expect err && test ! -e repo/out
'

# scripts/install-deps stand-ins: one that installs (creates $PWD/installed), one that fails
fake_install_deps() { # exit-code creates-installed
	cat >repo/scripts/install-deps <<-EOF &&
	#!/bin/sh
	echo "install-deps \$*" >>"$PWD/install.log"
	[ $2 = 0 ] || touch "$PWD/installed"
	exit $1
	EOF
	chmod +x repo/scripts/install-deps
}

test_expect_success '--install-deps: a failing install ends the launcher with exit 3, nothing built' '
	copy_project && without_libkmod && fake_install_deps 3 0 &&
	test_must_fail --exit 3 env PATH="$PWD/bin:$PATH" CC=cc repo/kbuild --install-deps --help >out 2>err &&
	echo "install-deps build kernel" >expect && test_cmp expect install.log &&
	test ! -e cc.log && test ! -e repo/out
'

test_expect_success '--install-deps: installed but still missing is an error naming it' '
	copy_project && without_libkmod && fake_install_deps 0 0 &&
	test_must_fail --exit 3 env PATH="$PWD/bin:$PATH" CC=cc repo/kbuild --install-deps --help >out 2>err &&
	test_grep "^kbuild: error: still missing after installing: libkmod.h and -lkmod$" err &&
	test ! -e cc.log
'

# one build for both checks (a build of each program is most of this file's time)
test_expect_success '--install-deps installs, builds, runs; then kbuild and latency-bench in turn compile nothing' '
	copy_project && without_libkmod && fake_install_deps 0 1 &&
	env PATH="$PWD/bin:$PATH" CC=cc repo/kbuild --install-deps --help >out 2>err &&
	echo "install-deps build kernel" >expect && test_cmp expect install.log &&
	test_grep "^  INSTALL ${SUDO}repo/scripts/install-deps build kernel$" err &&
	test_grep "^  LD      out/kbuild$" err &&
	test_grep "^ *--install-deps  *install missing build prerequisites first$" out &&
	test -s cc.log &&
	PATH="$PWD/bin:$PATH" repo/latency-bench --version >v2 2>build2 &&
	test_grep "^  LD      out/latency-bench$" build2 &&
	! grep "CC      src/kbuild\|CC      lib/" build2 &&
	PATH="$PWD/bin:$PATH" repo/kbuild --version >v3 2>again1 &&
	PATH="$PWD/bin:$PATH" repo/latency-bench --version >v4 2>again2 &&
	PATH="$PWD/bin:$PATH" repo/kbuild --version >v5 2>again3 &&
	test_cmp /dev/null again1 && test_cmp /dev/null again2 && test_cmp /dev/null again3 &&
	test_cmp v2 v4 && test_cmp v3 v5 && grep -x "kbuild [0-9a-z.-]*" v3 &&
	find repo/out -name "*.o" -newer repo/out/latency-bench >newer && test_cmp /dev/null newer
'

test_expect_success 'install-deps build lists every package the launchers ask for' '
	"$SRCDIR/scripts/install-deps" --print build >print &&
	(. "$SRCDIR/scripts/launch.sh" && launch_needs kbuild && launch_needs latency-bench) |
		awk "{ print \$4 }" | sort -u >asked &&
	test "$(wc -l <asked)" -eq 10 &&
	for p in $(cat asked) build-essential; do grep -q " $p\( \|$\)" print || { echo "not in build: $p"; false; }; done
'

test_expect_success 'install-deps kernel: what Debian'"'"'s configuration needs (BTF, signing, objtool, xz)' '
	"$SRCDIR/scripts/install-deps" --print kernel >print &&
	for p in dwarves openssl libssl-dev libelf-dev xz-utils bc bison flex kmod cpio rsync; do
		grep -q " $p\( \|$\)" print || { echo "not in kernel: $p"; false; }
	done
'

# dpkg-query that knows every package as installed except those in $PWD/absent; id -u says 1000
fake_dpkg() {
	mkdir -p bin &&
	cat >bin/dpkg-query <<-EOF &&
	#!/bin/sh
	for p; do :; done
	grep -qx "\$p" "$PWD/absent" 2>/dev/null && exit 1
	echo "install ok installed"
	EOF
	printf "#!/bin/sh\necho 1000\n" >bin/id &&
	chmod +x bin/dpkg-query bin/id
}

test_expect_success 'install-deps, not root: the missing packages and the sudo command, exit 3' '
	fake_dpkg && printf "libkmod-dev\ndwarves\n" >absent &&
	test_must_fail --exit 3 env PATH="$PWD/bin:$PATH" "$SRCDIR/scripts/install-deps" build kernel >out 2>err &&
	cat >expect <<-EOF &&
	install-deps: error: missing packages: libkmod-dev dwarves
	install-deps: to install them: sudo $SRCDIR/scripts/install-deps build kernel
	EOF
	test_cmp expect err &&
	env PATH="$PWD/bin:$PATH" "$SRCDIR/scripts/install-deps" --check test 2>err &&
	echo "install-deps: everything is installed" >expect && test_cmp expect err &&
	test_must_fail --exit 2 "$SRCDIR/scripts/install-deps" kernal 2>err &&
	test_grep "^install-deps: error: unknown argument '"'"'kernal'"'"'" err
'

test_expect_success 'make check on a machine without the packages stops before the first compile' '
	copy_project && fake_dpkg && echo dwarves >absent &&
	test_must_fail env PATH="$PWD/bin:$PATH" make -C repo -j2 check >out 2>err &&
	test_grep "^install-deps: to install them: sudo scripts/install-deps$" err &&
	! grep "  CC \|  LD " out err && test ! -e repo/out/obj
'

test_done
