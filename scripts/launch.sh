# launch.sh - sourced by the launchers ./kbuild and ./latency-bench (they set $root): before the
# first build, check that what the Makefile compiles and links against is there, and when it is not,
# name the Debian packages and the one command that installs them instead of a compiler error
# shellcheck shell=sh disable=SC2154  # $root: set by the launcher that sources this

# What each program's build needs, as the Makefile links it (LIBS, LB_LIBS): pkg-config module,
# header, library (- when only compiled against: lib/sha256.c in libkb.a), Debian package.
launch_needs() {
	case $1 in
	kbuild) printf '%s\n' \
		"zlib zlib.h z zlib1g-dev" \
		"libcrypto openssl/evp.h crypto libssl-dev" \
		"libkmod libkmod.h kmod libkmod-dev" ;;
	latency-bench) printf '%s\n' \
		"zlib zlib.h z zlib1g-dev" \
		"libcrypto openssl/evp.h - libssl-dev" \
		"json-c json-c/json.h json-c libjson-c-dev" \
		"alsa alsa/asoundlib.h asound libasound2-dev" \
		"jack jack/jack.h jack libjack-jackd2-dev" \
		"libpipewire-0.3 pipewire-0.3/pipewire/version.h pipewire-0.3 libpipewire-0.3-dev" \
		"ncursesw curses.h ncursesw libncurses-dev" \
		"libtracefs tracefs.h tracefs libtracefs-dev" \
		"libtraceevent event-parse.h traceevent libtraceevent-dev" ;;
	esac
}

# Known to pkg-config (what the Makefile asks first), else the header preprocesses and the
# linker finds the library: the fallback flags the Makefile uses without pkg-config.
launch_have() { # module header lib
	if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "$1" 2>/dev/null; then
		return 0
	fi
	printf '#include <%s>\n' "$2" | $cc -E -x c - >/dev/null 2>&1 || return 1
	[ "$3" = - ] || [ "$($cc -print-file-name="lib$3.so" 2>/dev/null)" != "lib$3.so" ]
}

# Sets $missing (what, for the message) and $packages (Debian names); 0 when nothing is missing.
launch_check() { # program
	missing='' packages=''
	cc=${CC:-cc}
	if ! command -v make >/dev/null 2>&1 || ! command -v "${cc%% *}" >/dev/null 2>&1; then
		missing=" make and a C compiler '$cc'," packages=" build-essential"
	else
		# shellcheck disable=SC2046
		set -- $(launch_needs "$1")
		while [ $# -ge 4 ]; do
			if ! launch_have "$1" "$2" "$3"; then
				missing="$missing $2$([ "$3" = - ] || echo " and -l$3"),"
				packages="$packages $4"
			fi
			shift 4
		done
	fi
	[ -z "$packages" ]
}

# launch PROGRAM ARGS...: build out/PROGRAM when needed, then run it with ARGS.
launch() {
	prog=$1
	shift
	if [ ! -x "$root/out/$prog" ] && ! launch_check "$prog"; then
		# the command as typed from here: ./scripts/install-deps for ./kbuild
		case $0 in */*) deps=$(dirname -- "$0")/scripts/install-deps ;; *) deps=$root/scripts/install-deps ;; esac
		groups=build
		[ "$prog" != kbuild ] || groups="build kernel"
		sudo=
		[ "$(id -u)" -eq 0 ] || sudo="sudo "
		want_install=
		if [ "$prog" = kbuild ]; then
			for a; do
				[ "$a" != -- ] || break
				[ "$a" != --install-deps ] || want_install=1
			done
		fi
		if [ -n "$want_install" ]; then
			printf '  %-7s %s\n' INSTALL "$sudo$deps $groups" >&2
			# shellcheck disable=SC2086
			${sudo:+sudo} "$root/scripts/install-deps" $groups || exit 3
			launch_check "$prog" || {
				echo "$prog: error: still missing after installing:${missing%,}" >&2
				exit 3
			}
		else
			echo "$prog: error: building $prog needs${missing%,} (Debian packages:$packages)" >&2
			echo "$prog: to install them: $sudo$deps $groups$([ "$prog" != kbuild ] || echo ', or run again with --install-deps')" >&2
			exit 3
		fi
	fi
	# a make above us (make check) must not pass its variables (SANITIZE=, O=) down to this build
	if ! env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -j"$(nproc 2>/dev/null || echo 1)" -C "$root" O=out "out/$prog" >&2; then
		echo "$prog: error: cannot build '$root/out/$prog' (see the messages above)" >&2
		exit 3
	fi
	# metadata.json records the command as the user typed it
	KBUILD_LAUNCHER=$0 exec "$root/out/$prog" "$@"
}
