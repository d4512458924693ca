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
