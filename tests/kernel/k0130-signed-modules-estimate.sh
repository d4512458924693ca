#!/bin/bash
# k0130-signed-modules-estimate: boot-test of a kernel that signs its modules (xz-compressed, or
# not compressed with SHA-512) and forces lockdown loads them in the guest, because the initramfs gets them as modules_install made
# them, and an unsigned one is refused there with a warning that says why; before the build starts,
# the main command says how long it will take and how much disk it needs, and what the debug
# information of the running kernel's configuration costs; the no-debug-info fragment turns it off
. "$(dirname "$0")/lib.sh"

LB=${LATENCY_BENCH:-$SRCDIR/out/latency-bench}
if [ ! -x "$LB" ]; then
	echo "Bail out! no latency-bench binary at $LB (build it, or set LATENCY_BENCH)"
	exit 1
fi
# the first run builds it (minutes); later runs reuse it
if ! GS=$(kt_guest_kernel signed); then
	echo "Bail out! cannot build the signed guest kernel (kt_guest_kernel signed failed)"
	exit 1
fi
REL=$(cat "$GS/include/config/kernel.release")
STAGED=$GS/.kbuild/modules/lib/modules/$REL
Q="'"
SIG_MAGIC="~Module signature appended~"

test_expect_success 'the guest kernel signs its modules at modules_install, compresses them, forces lockdown' '
	for s in MODULE_SIG MODULE_SIG_ALL MODULE_COMPRESS_XZ SECURITY_LOCKDOWN_LSM LOCK_DOWN_KERNEL_FORCE_INTEGRITY; do
		test_grep "^CONFIG_$s=y$" "$GS/.config" || exit 1
	done &&
	# the build tree has them unsigned; the staged copy signed and xz-compressed
	test "$(tail -c 28 "$GS/sound/drivers/snd-dummy.ko" | head -c 27)" != "$SIG_MAGIC" &&
	xz -dc "$STAGED/kernel/sound/drivers/snd-dummy.ko.xz" | tail -c 28 | head -c 27 >magic &&
	printf "%s" "$SIG_MAGIC" >expect && test_cmp expect magic
'

test_expect_success 'the default run: the signed modules load under lockdown, the ALSA plane on hw:Dummy works, exit 0' '
	"$KBUILD" boot-test -O "$GS" --accel tcg --latency-bench "$LB" --results res >out 2>err || { cat err; exit 1; } &&
	cat err &&
	test_grep "^  CPIO    initramfs: busybox, latency-bench and [0-9]* libraries, modules snd-dummy snd-aloop ([0-9.]* MB)$" err &&
	test_grep "^  GUEST   command exited 0$" err &&
	! grep "could not load" err &&
	test_grep "^modules: snd_aloop snd_dummy$" res/checks.txt &&
	test_grep "^ 1 \[Dummy  *\]: Dummy - Dummy$" res/checks.txt &&
	test -s res/alsa.json && test -s res/timer.json
	# (busybox modprobe tries finit_module on the .ko.xz first, which the kernel refuses as unsigned
	# with a Lockdown line on the console, then loads the decompressed, signed image: the line is noise)
'

test_expect_success 'in the guest: lockdown is integrity, the kernel untainted, the modules are the signed .ko.xz files' '
	"$KBUILD" boot-test -O "$GS" --accel tcg --latency-bench "$LB" --results res -- sh -c \
		"mount -t securityfs none /sys/kernel/security; cat /sys/kernel/security/lockdown >/out/lockdown;
		 cat /proc/sys/kernel/tainted >/out/tainted; cut -d\" \" -f1 /proc/modules | sort >/out/loaded;
		 cd /lib/modules/\$(uname -r) && find kernel -name \"*.ko*\" | sort >/out/files" >out 2>err || { cat err; exit 1; } &&
	echo "none [integrity] confidentiality" >expect && test_cmp expect res/lockdown &&
	echo 0 >expect && test_cmp expect res/tainted &&
	printf "%s\n" snd_aloop snd_dummy >expect && test_cmp expect res/loaded &&
	printf "%s\n" kernel/sound/drivers/snd-aloop.ko.xz kernel/sound/drivers/snd-dummy.ko.xz >expect &&
	test_cmp expect res/files
'

test_expect_success 'a module the guest refuses is named, with the reason the kernel gave; the command still runs' '
	# a copy of the build whose staged snd-aloop is the unsigned one from the build tree
	cp -a "$GS" copy &&
	xz -c copy/sound/drivers/snd-aloop.ko >copy/.kbuild/modules/lib/modules/$REL/kernel/sound/drivers/snd-aloop.ko.xz &&
	"$KBUILD" boot-test -O "$PWD/copy" --accel tcg --latency-bench "$LB" --results res -- true >out 2>err || { cat err; exit 1; } &&
	cat err &&
	echo "kbuild: warning: the guest could not load module ${Q}snd-aloop${Q}: Lockdown: modprobe: unsigned module loading is restricted; see man kernel_lockdown.7" >expect &&
	grep "could not load" err >actual && test_cmp expect actual &&
	test_grep "^modules: snd_dummy$" res/checks.txt
'

test_expect_success 'signed with SHA-512 and not compressed (as this machine kind has it): the plain signed .ko files load under lockdown' '
	GP=$(kt_guest_kernel signed-plain) &&
	for s in MODULE_SIG MODULE_SIG_ALL MODULE_SIG_SHA512 LOCK_DOWN_KERNEL_FORCE_INTEGRITY; do
		test_grep "^CONFIG_$s=y$" "$GP/.config" || exit 1
	done &&
	test_grep "^# CONFIG_MODULE_COMPRESS is not set$" "$GP/.config" &&
	rel=$(cat "$GP/include/config/kernel.release") &&
	tail -c 28 "$GP/.kbuild/modules/lib/modules/$rel/kernel/sound/drivers/snd-dummy.ko" | head -c 27 >magic &&
	printf "%s" "$SIG_MAGIC" >expect && test_cmp expect magic &&
	"$KBUILD" boot-test -O "$GP" --accel tcg --latency-bench "$LB" --results res -- sh -c \
		"mount -t securityfs none /sys/kernel/security; cat /sys/kernel/security/lockdown >/out/lockdown;
		 cat /proc/sys/kernel/tainted >/out/tainted; cut -d\" \" -f1 /proc/modules | sort >/out/loaded;
		 cd /lib/modules/\$(uname -r) && find kernel -name \"*.ko*\" | sort >/out/files" >out 2>err || { cat err; exit 1; } &&
	cat err &&
	! grep "could not load" err &&
	echo "none [integrity] confidentiality" >expect && test_cmp expect res/lockdown &&
	echo 0 >expect && test_cmp expect res/tainted &&
	printf "%s\n" snd_aloop snd_dummy >expect && test_cmp expect res/loaded &&
	printf "%s\n" kernel/sound/drivers/snd-aloop.ko kernel/sound/drivers/snd-dummy.ko >expect &&
	test_cmp expect res/files
'

# the main command on the running kernel's configuration (debug information, BTF where pahole
# is) with the audio profile, until make starts (then SIGTERM: 130, or 143 when it lands before
# kbuild's handler; a background job of this shell ignores SIGINT until then) or the
# prerequisites stop it (3); the estimate comes before either
estimate_run() {
	rm -rf b && mkdir b &&
	{ "$KBUILD" --tree "$KT_612" -O b --base running --config audio -j2 "$@" >out 2>err & } &&
	pid=$! &&
	for i in $(seq 3000); do
		grep -q "^  MAKE    " err && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done &&
	{ kill -TERM $pid 2>/dev/null; rc=0 && wait $pid || rc=$?; } &&
	cat err && echo "exit $rc" &&
	{ test "$rc" -eq 130 || test "$rc" -eq 143 || test "$rc" -eq 3; }
}

# "12m20s", "1h02m", "42s" in seconds
seconds() {
	echo "$1" | sed "s/h/*3600+/; s/m/*60+/; s/s//; s/+$//" | bc
}

test_expect_success 'the running configuration: the estimate line before make, sane figures, the debug information note' '
	test_grep "^CONFIG_DEBUG_INFO=y$" <(zcat /proc/config.gz 2>/dev/null || cat "/boot/config-$(uname -r)") || {
		echo "# this machine runs a kernel without debug information: nothing to measure" ; exit 0; } &&
	estimate_run &&
	# the order: the config stage, the estimate, the debug note, then the prerequisites or make
	at() { grep -n "$1" err | head -n 1 | cut -d: -f1; } &&
	w=$(at "^  WRITE   ") && e=$(at "^  ESTIM   ") && n=$(at "^kbuild: note: the configuration has debug") &&
	m=$(at "^  MAKE    image and modules") &&
	test "$w" -lt "$e" && test "$e" -lt "$n" && { test -z "$m" || test "$n" -lt "$m"; } &&
	line=$(grep "^  ESTIM   " err) &&
	objects=$(echo "$line" | sed -n "s/^  ESTIM   \([0-9]*\) objects to compile: about \([0-9hms]*\) at -j2, about \([0-9.]*\) GB more disk ([0-9.]* [MG]B free)$/\1/p") &&
	took=$(echo "$line" | sed -n "s/^.* about \([0-9hms]*\) at -j2, .*$/\1/p") &&
	disk=$(echo "$line" | sed -n "s/^.*, about \([0-9.]*\) GB more disk .*$/\1/p") &&
	echo "objects $objects, time $took, disk $disk GB" &&
	# a VM configuration of 3,000 options: 2,000 to 6,000 objects, 10 to 40 minutes at -j2, 2 to 30 GB
	test "$objects" -ge 2000 && test "$objects" -le 6000 &&
	s=$(seconds "$took") && test "$s" -ge 600 && test "$s" -le 2400 &&
	test "$(echo "$disk >= 2 && $disk <= 30" | bc)" = 1 &&
	note=$(grep "^kbuild: note: the configuration has debug" err) &&
	echo "$note" | grep "^kbuild: note: the configuration has debug information (DEBUG_INFO_[A-Z0-9_]*\(, DEBUG_INFO_[A-Z0-9_]*\)*): about [0-9hms]* of that time and [0-9.]* GB of that disk; --config no-debug-info turns it off\( (and with BTF the need for pahole)\)\?$" &&
	# BTF only where pahole is (Kconfig reads its version), and then the note names it
	if grep -q "^CONFIG_DEBUG_INFO_BTF=y$" b/.config; then
		echo "$note" | grep -q "DEBUG_INFO_BTF.* (and with BTF the need for pahole)$"
	else
		! echo "$note" | grep -q "BTF"
	fi &&
	dt=$(echo "$note" | sed -n "s/^.*: about \([0-9hms]*\) of that time.*$/\1/p") &&
	dd=$(echo "$note" | sed -n "s/^.* and \([0-9.]*\) GB of that disk.*$/\1/p") &&
	# the debug information is a part of each, and most of the disk
	test "$(seconds "$dt")" -gt 0 && test "$(seconds "$dt")" -lt "$s" &&
	test "$(echo "$dd > $disk / 2 && $dd < $disk" | bc)" = 1 &&
	echo "$objects $s $disk" >"$TRASH_ROOT/with-debug"
'

test_expect_success 'the no-debug-info fragment: resolves cleanly, debug information and BTF off, a smaller estimate, no note' '
	estimate_run --config no-debug-info --json r.json &&
	test_grep "^  CHOICE  \"Debug information\": DEBUG_INFO_[A-Z0-9_]* -> DEBUG_INFO_NONE (kconfig-fragments/no-debug-info.config:[0-9]*)$" err &&
	test_grep "^CONFIG_DEBUG_INFO_NONE=y$" b/.config &&
	! grep "^CONFIG_DEBUG_INFO=y$\|^CONFIG_DEBUG_INFO_BTF=y$\|^CONFIG_DEBUG_INFO_DWARF" b/.config &&
	"$SRCDIR/tests/kernel/status.py" r.json >st &&
	grep "^DEBUG_INFO" st >debug &&
	printf "%s\n" "DEBUG_INFO_BTF ok" "DEBUG_INFO_NONE ok" >expect && cut -d" " -f1,2 debug | sort >actual && test_cmp expect actual &&
	! grep "note: the configuration has debug" err &&
	# against the run with debug information, when the configuration of this machine has it
	test -s "$TRASH_ROOT/with-debug" || { echo "# no debug information to compare with"; exit 0; } &&
	read objects s disk <"$TRASH_ROOT/with-debug" &&
	line=$(grep "^  ESTIM   " err) && echo "$line" &&
	took=$(echo "$line" | sed -n "s/^.* about \([0-9hms]*\) at -j2, .*$/\1/p") &&
	disk2=$(echo "$line" | sed -n "s/^.*, about \([0-9.]*\) \([MG]\)B more disk .*$/\1 \2/p") &&
	test "$(seconds "$took")" -lt "$s" &&
	case $disk2 in *M) : ;; *G) test "$(echo "${disk2% G} < $disk / 4" | bc)" = 1 ;; *) false ;; esac
'

test_done
