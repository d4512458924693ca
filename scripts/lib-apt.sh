# lib-apt.sh - shell helpers shared by scripts/fetch-test-kernels and scripts/debian-source
# (sourced by them, not run).
#
# Source packages need deb-src entries, which the machine usually lacks: apt runs on a
# private configuration in $APTDIR whose sources are the machine's own
# /etc/apt/sources.list.d/*.sources stanzas (same URIs, suites and keys) with
# "Types: deb-src". The system's apt configuration and lists are never touched.
#
# The caller sets:
#   prog     its name, used in messages
#   TMP      a scratch directory (before run_logged or apt_private_config is used)
#   APTDIR   the private apt directory (before any apt_* function but apt_init)
#   SYSAPTDIR  a directory for apt's caches of the system's lists (before sysapt)
# and holds a lock that serialises every use of $APTDIR.
# shellcheck shell=bash disable=SC2154

die() { echo "$prog: error: $*" >&2; exit 1; }
die_env() { echo "$prog: error: $*" >&2; exit 3; }
die_usage() { echo "$prog: error: $*" >&2; echo "Try '$prog -h'." >&2; exit 2; }
msg() { printf '  %-7s %s\n' "$1" "$2" >&2; }

# need_tool TOOL PACKAGE
need_tool() { command -v "$1" >/dev/null 2>&1 || die_env "'$1' not found (package $2)"; }

# run CMD... with its output in a log; show the log's tail on failure
run_logged() {
	local log=$TMP/log
	if "$@" >"$log" 2>&1; then
		return 0
	fi
	tail -n 20 "$log" | sed 's/^/    /' >&2
	return 1
}

# apt_init: check for apt and set APT_SANDBOX (apt's downloads run as root when we are
# root: the _apt user may not be able to write into the caller's cache)
apt_init() {
	need_tool apt-get apt
	need_tool apt-cache apt
	APT_SANDBOX=
	if [ "$(id -u)" = 0 ]; then
		APT_SANDBOX="-o APT::Sandbox::User=root"
	fi
}

# apt_private_config: (re)create $APTDIR from the machine's deb822 sources; a changed
# set of sources starts over with empty lists
apt_private_config() {
	local f
	rm -rf "$TMP/sources.list.d"
	mkdir -p "$TMP/sources.list.d"
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# each stanza is copied as is, except that its Types become deb-src
		awk '/^[Tt]ypes:/ { if ($0 ~ /[ \t]deb(-src)?([ \t]|$)/) { print "Types: deb-src"; next } }
		     { print }' "$f" >"$TMP/sources.list.d/${f##*/}"
	done
	grep -qs '^Types: deb-src' "$TMP"/sources.list.d/*.sources ||
		die_env "no deb822 source in /etc/apt/sources.list.d/*.sources to derive deb-src entries from"
	if ! diff -r "$TMP/sources.list.d" "$APTDIR/sources.list.d" >/dev/null 2>&1; then
		rm -rf "$APTDIR"
		mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
		mv "$TMP/sources.list.d" "$APTDIR/sources.list.d"
	fi
	rm -rf "$TMP/sources.list.d"
}

# papt apt-get|apt-cache ARGS...: apt on the private deb-src configuration
papt() {
	local cmd=$1
	shift
	"$cmd" -o Dir::Etc::SourceList=/dev/null \
		-o Dir::Etc::SourceParts="$APTDIR/sources.list.d" \
		-o Dir::State::Lists="$APTDIR/lists" \
		-o Dir::Cache="$APTDIR/cache" \
		$APT_SANDBOX "$@"
}

# sysapt apt-get|apt-cache ARGS...: apt on the system's own sources and lists, with its
# binary caches in $SYSAPTDIR (which the caller creates; empty: the system's settings):
# where the system's are switched off (Dir::Cache::pkgcache "", as in Docker images) every
# apt-cache call would parse all the lists again, 0.7 s instead of 20 ms; apt renames
# them into place
sysapt() {
	local cmd=$1
	shift
	if [ -z "$SYSAPTDIR" ]; then
		"$cmd" $APT_SANDBOX "$@"
		return
	fi
	"$cmd" -o Dir::Cache::pkgcache="$SYSAPTDIR/pkgcache.bin" \
		-o Dir::Cache::srcpkgcache="$SYSAPTDIR/srcpkgcache.bin" \
		$APT_SANDBOX "$@"
}

# apt_candidate NAME: the version of binary package NAME apt would install, or nothing
apt_candidate() {
	sysapt apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | grep -v '^(none)$' || true
}

# apt_private_update: fetch the deb-src lists
apt_private_update() {
	msg UPDATE "deb-src lists ($APTDIR)"
	run_logged papt apt-get -q --error-on=any update ||
		die_env "apt-get update of the deb-src lists failed (network?)"
	touch "$APTDIR/updated.stamp"
}

# apt_lists_updated: the deb-src lists have been fetched at least once
apt_lists_updated() { [ -f "$APTDIR/updated.stamp" ]; }

# apt_lists_fresh MINUTES: the deb-src lists were fetched less than MINUTES ago
apt_lists_fresh() { [ -n "$(find "$APTDIR/updated.stamp" -mmin "-$1" 2>/dev/null)" ]; }

# apt_versions papt|sysapt NAME Sources|Packages: the versions of NAME of that kind as
# "VERSION SUITE" lines, in apt's order, newest first (apt-cache madison also maps
# binary package names to their source; those entries are left out)
apt_versions() {
	"$1" apt-cache madison "$2" 2>/dev/null |
		awk -F'|' -v name="$2" -v kind="$3" '$3 ~ (" " kind " *$") {
			n = $1; gsub(/[ \t]/, "", n); if (n != name) next
			gsub(/[ \t]/, "", $2); split($3, a, " "); sub("/.*", "", a[2]); print $2, a[2] }'
}

# apt_source_versions NAME: the versions of source package NAME, as apt_versions
apt_source_versions() { apt_versions papt "$1" Sources; }

# apt_source_of NAME: the source package(s) apt-cache madison maps NAME to, one a line
apt_source_of() {
	papt apt-cache madison "$1" 2>/dev/null |
		awk -F'|' '$3 ~ / Sources *$/ { gsub(/[ \t]/, "", $1); print $1 }' | sort -u
}

# apt_suites: the suites of the private sources, one a line
apt_suites() {
	sed -n 's/^[Ss]uites:[ \t]*//p' "$APTDIR"/sources.list.d/*.sources 2>/dev/null |
		tr -s ' \t' '\n' | sed '/^$/d' | awk '!seen[$0]++'
}
