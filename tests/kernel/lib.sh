# lib.sh - for tests on real kernel trees: fetch (or reuse) the cached Debian trees, then test-lib.sh
. "$(dirname "$0")/../test-lib.sh"
if ! kt_env=$("$SRCDIR/scripts/fetch-test-kernels" 2>"$TRASH_ROOT/fetch.log"); then
	cat "$TRASH_ROOT/fetch.log" >&2
	echo "Bail out! cannot fetch the real kernel trees (scripts/fetch-test-kernels failed)"
	exit 1
fi
eval "$kt_env"

# a ready build directory per tree: kconfig's host tools are compiled once per test file
# and copied, so each test still gets a scratch directory of its own
objdir_for() {
	local tree=$1 dir=$2 tmpl
	tmpl=$TRASH_ROOT/tmpl-$(basename "$tree")
	if [ ! -d "$tmpl" ]; then
		# the build directory and the one kbuild makes its --base targets in
		make -s -C "$tree" O="$tmpl" ARCH=x86_64 KCONFIG_CONFIG="$tmpl/.tmp.config" olddefconfig >/dev/null 2>&1 &&
		make -s -C "$tree" O="$tmpl/.kbuild/base" ARCH=x86_64 KCONFIG_CONFIG="$tmpl/.tmp.config" olddefconfig >/dev/null 2>&1 ||
			return 1
		rm -f "$tmpl/.tmp.config" "$tmpl/.tmp.config.old"
	fi
	cp -a "$tmpl" "$dir"
}

# kt_guest_kernel [voluntary|no-elf|signed|signed-plain]: print the build directory of Debian's 6.12 tree built for a
# QEMU guest (tinyconfig + the audio profile + qemu-guest: bzImage, snd-dummy.ko, snd-aloop.ko, and the osnoise and
# timerlat tracers of the profile; scripts/ci-compare-kernels builds the same two, the default and "voluntary", into
# the same directories in k0080, with the same arguments); "voluntary": the same with voluntary preemption instead
# of PREEMPT_RT; "no-elf": the same without ELF binaries, a kernel that panics at boot because no /init can run;
# "signed": the same signing its modules, xz-compressed, under forced lockdown, where the guest refuses unsigned ones;
# "signed-plain": signed with SHA-512 and not compressed, as the running kernel's configuration of this machine kind
# has it. The last three name the profile's fragments but the tracers one by one: they need no tracers, and
# signed-plain is k0150's kernel without them. It lives in a cache shared by test runs, so
# later runs reuse it: kbuild's rerun is a no-op of a few seconds unless the tree, the fragments or
# kbuild's config stage changed, and then it rebuilds what they touch. Progress goes to stderr; a
# lock keeps concurrent test runs from building it at the same time.
kt_guest_kernel() {
	local name=guest-6.12 extra=() audio=(--config audio)
	# the audio profile's fragments but its tracers, named one by one
	local notracers=(--config preempt --config modules --config ide-scsi --config audio.config)
	case ${1-} in
	voluntary) name=guest-6.12-voluntary extra=(--config voluntary) ;;
	no-elf) name=guest-6.12-no-elf audio=("${notracers[@]}") extra=(--config "$SRCDIR/tests/fixtures/boot/no-elf.config") ;;
	signed) name=guest-6.12-signed audio=("${notracers[@]}") extra=(--config "$SRCDIR/tests/fixtures/boot/signed.config") ;;
	signed-plain) name=guest-6.12-signed-plain audio=("${notracers[@]}")
		extra=(--config "$SRCDIR/tests/fixtures/boot/signed-plain.config") ;;
	esac
	local dir=${KBUILD_TEST_BUILDS:-${XDG_CACHE_HOME:-$HOME/.cache}/kbuild/test-builds}/$name
	mkdir -p "$dir" || return 1
	(
		flock 9 || exit 1
		"$KBUILD" --tree "$KT_612" -O "$dir" --base tinyconfig "${audio[@]}" --config qemu-guest \
			${extra[@]+"${extra[@]}"} -j2 >&2
	) 9>"$dir.lock" || {
		echo "kt_guest_kernel: kbuild failed in $dir (log: $dir/build.log)" >&2
		return 1
	}
	echo "$dir"
}
