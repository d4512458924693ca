#!/bin/bash
# k0070-boot-test: kbuild boot-test on the cached 6.12 guest kernel (tinyconfig + audio + qemu-guest):
# the default run brings the timer and ALSA results of latency-bench on snd-dummy back from the guest
# with the checks, --accel auto falls back to TCG on this machine and says why, the status of the guest
# command is the exit status, and a kernel that panics (by its command line, or built without ELF
# support) or a command that hangs fails fast with exit 3 and the last lines of the console
. "$(dirname "$0")/lib.sh"

JGET=$SRCDIR/tests/tools/jget
LB=${LATENCY_BENCH:-$SRCDIR/out/latency-bench}
if [ ! -x "$LB" ]; then
	echo "Bail out! no latency-bench binary at $LB (build it, or set LATENCY_BENCH)"
	exit 1
fi
# the first run builds it (minutes); later runs reuse it
if ! G=$(kt_guest_kernel); then
	echo "Bail out! cannot build the guest kernel (kt_guest_kernel failed)"
	exit 1
fi
# and a kernel built to panic at boot: the same without ELF support, so that no /init can run
if ! GP=$(kt_guest_kernel no-elf); then
	echo "Bail out! cannot build the no-elf guest kernel (kt_guest_kernel no-elf failed)"
	exit 1
fi
REL=$(cat "$G/include/config/kernel.release")
# one default run, shared by the first tests; its results go to a directory of our own, not into
# the cached build
R=$TRASH_ROOT/results
# quotes in the expected messages, kept out of the single-quoted test bodies
Q="'"
# what --accel auto says on this machine: /dev/kvm opens but a KVM guest prints nothing
if (exec 3<>/dev/kvm) 2>/dev/null; then
	KVM_WHY="no console output within 3 s"
elif [ -e /dev/kvm ]; then
	KVM_WHY="/dev/kvm: permission denied"
else
	KVM_WHY="no /dev/kvm"
fi

test_expect_success 'the default run: exit 0, timer and ALSA results, checks, console and output logs come back' '
	start=$(date +%s) &&
	"$KBUILD" boot-test -O "$G" --latency-bench "$LB" --results "$R" >out 2>err || { cat err; exit 1; } &&
	end=$(date +%s) && cat err && echo "took $((end - start)) s" &&
	cp out "$TRASH_ROOT/default.out" && cp err "$TRASH_ROOT/default.err" &&
	(cd "$R" && ls -A) >files &&
	printf "%s\n" .kbuild-boot-test alsa.json boot-test.json checks.txt console.log output.log timer.json >expect &&
	test_cmp expect files &&
	test_grep "^kbuild: boot-test of $REL under TCG: command exited 0 after [0-9.]* s; results in $R: alsa.json boot-test.json checks.txt console.log output.log timer.json$" out &&
	test "$(tail -n 1 out | cut -c1-8)" = "kbuild: " &&
	test_grep "^  CPIO    initramfs: busybox, latency-bench and [0-9]* libraries, modules snd-dummy snd-aloop ([0-9.]* MB)$" err &&
	test_grep "^  GUEST   /init at [0-9.]* s of guest time, [0-9.]* s after QEMU started$" err &&
	test_grep "^  GUEST   $REL, PREEMPT_RT, /sys/kernel/realtime absent, sound cards: Intel Dummy Loopback$" err &&
	test_grep "^  GUEST   command exited 0$" err
'

test_expect_success 'auto on this machine: KVM is tried, then TCG takes over and the reason is given' '
	test_grep "^  BOOT    $REL under TCG (KVM: $KVM_WHY)$" "$TRASH_ROOT/default.err" &&
	if [ "$KVM_WHY" = "no console output within 3 s" ]; then
		test_grep "^  BOOT    $REL under KVM (TCG if it does not come up)$" "$TRASH_ROOT/default.err"
	fi &&
	test "$("$JGET" "$R/boot-test.json" "r[\"accel\"]")" = TCG &&
	test "$("$JGET" "$R/boot-test.json" "r[\"kvm_fallback\"]")" = "$KVM_WHY"
'

test_expect_success 'the timer and ALSA results: the built release, their planes, snd-dummy, PREEMPT_RT' '
	for p in timer alsa; do
		test "$("$JGET" "$R/$p.json" "r[\"schema\"]")" = latency-bench/1 &&
		test "$("$JGET" "$R/$p.json" "r[\"plane\"]")" = $p &&
		test "$("$JGET" "$R/$p.json" "r[\"system\"][\"kernel_release\"]")" = "$REL" &&
		test "$("$JGET" "$R/$p.json" "r[\"system\"][\"preemption_model\"]")" = PREEMPT_RT &&
		test "$("$JGET" "$R/$p.json" "r[\"samples\"] > 0")" = true || exit 1
	done &&
	test "$("$JGET" "$R/timer.json" "r[\"params\"][\"cpus\"]")" = "[0]" &&
	test "$("$JGET" "$R/alsa.json" "r[\"audio\"][\"card\"]")" = "card 1: Dummy, Dummy PCM" &&
	test "$("$JGET" "$R/alsa.json" "r[\"audio\"][\"granted\"][\"period_frames\"]")" = 256 &&
	test_grep "^latency-bench: timer plane on 1 CPU, 3.0 s, " "$R/output.log" &&
	test_grep "^latency-bench: alsa plane, 3.0 s, " "$R/output.log" &&
	# the command output is on stdout too, before the summary
	head -n 1 "$R/output.log" >expect && head -n 1 "$TRASH_ROOT/default.out" >actual && test_cmp expect actual
'

test_expect_success 'checks.txt: release and build of the booted kernel, no /sys/kernel/realtime, PREEMPT_RT, modules, cards' '
	v=$(sed -n "s/^Linux version $REL (kbuild@kbuild) (.*) \(#[0-9]* SMP PREEMPT_RT .*\)$/\1/p" "$R/console.log") &&
	test -n "$v" &&
	sed "s/HDA Intel at 0x[0-9a-f]* irq [0-9]*$/HDA Intel at ADDR irq IRQ/" "$R/checks.txt" >checks &&
	printf "%s\n" "uname -r: $REL" "uname -v: $v" "/sys/kernel/realtime: absent" "preemption model: PREEMPT_RT" \
		"modules: snd_aloop snd_dummy" "/proc/asound/cards:" \
		" 0 [Intel          ]: HDA-Intel - HDA Intel" \
		"                      HDA Intel at ADDR irq IRQ" \
		" 1 [Dummy          ]: Dummy - Dummy" \
		"                      Dummy 1" \
		" 2 [Loopback       ]: Loopback - Loopback" \
		"                      Loopback 1" >expect &&
	test_cmp expect checks
'

test_expect_success 'console.log: the kernel and init lines, no CR; boot-test.json tells the run' '
	test_grep "^Linux version $REL " "$R/console.log" &&
	test_grep "^kbuild-boot: init at [0-9.]* s$" "$R/console.log" &&
	test_grep "^kbuild-boot: exit status 0 at [0-9.]* s$" "$R/console.log" &&
	! grep "$(printf "\r")" "$R/console.log" &&
	test "$("$JGET" "$R/boot-test.json" "r[\"schema\"]")" = kbuild-boot-test/1 &&
	test "$("$JGET" "$R/boot-test.json" "r[\"kernel_release\"]")" = "$REL" &&
	test "$("$JGET" "$R/boot-test.json" "r[\"exit_status\"]")" = 0 &&
	test "$("$JGET" "$R/boot-test.json" "r[\"modules\"]")" = "snd-dummy snd-aloop" &&
	test "$("$JGET" "$R/boot-test.json" "0 < r[\"qemu_start_to_init_s\"] < r[\"qemu_s\"] <= r[\"total_s\"]")" = true
'

test_expect_success 'a command of its own: its status is the exit status, its files and output come back, old results go' '
	rc=0 && "$KBUILD" boot-test -O "$G" --accel tcg --latency-bench "$LB" --results "$R" -- sh -c \
		"echo hello from \$(uname -r) >/out/greeting; mkdir /out/sub && echo x >/out/sub/file; dmesg | grep kbuild-boot: >/out/kmsg; echo to stdout; exit 5" >out 2>err || rc=$? &&
	cat err && test "$rc" -eq 5 &&
	echo "hello from $REL" >expect && test_cmp expect "$R/greeting" &&
	echo x >expect && test_cmp expect "$R/sub/file" &&
	# init wrote its lines for the host as kernel records: whole on the console, in dmesg
	sed "s/ at [0-9.]* s$/ at T s/" "$R/kmsg" >kmsg &&
	printf "%s\n" "kbuild-boot: init at T s" "kbuild-boot: running the command" >expect && test_cmp expect kmsg &&
	printf "%s\n" "to stdout" >expect && test_cmp expect "$R/output.log" &&
	test "$(head -n 1 out)" = "to stdout" &&
	test_grep "^kbuild: boot-test of $REL under TCG: command exited 5 after [0-9.]* s; results in $R: boot-test.json checks.txt console.log greeting kmsg output.log sub$" out &&
	test_grep "^  BOOT    $REL under TCG$" err &&
	test_grep "^  GUEST   command exited 5$" err &&
	test_grep "^  | kbuild-boot: exit status 5 at [0-9.]* s$" err &&
	test ! -e "$R/timer.json" && test ! -e "$R/alsa.json"
'

test_expect_success 'symlinks the guest sends back never make the host read its own files' '
	echo host-secret >"$PWD/secret" &&
	rc=0 && "$KBUILD" boot-test -O "$G" --accel tcg --latency-bench "$LB" --results sl -- sh -c \
		"ln -s $PWD/secret /out/leak; echo kept >/out/kept; rm -f /run/boot-test/output.log; ln -s $PWD/secret /run/boot-test/output.log" >out 2>err || rc=$? &&
	cat err && test "$rc" -eq 0 &&
	echo kept >expect && test_cmp expect sl/kept &&
	test ! -e sl/leak && test_cmp /dev/null sl/output.log && ! grep host-secret out &&
	rc=0 && "$KBUILD" boot-test -O "$G" --accel tcg --latency-bench "$LB" --results sl2 -- sh -c \
		"cd /; rm -rf /out; ln -s $PWD /out" >out 2>err || rc=$? &&
	cat err && test "$rc" -eq 3 &&
	test_grep "^kbuild: error: the results the guest sent are not plain files and directories (a symlink where out, run/boot-test or its status should be): none taken$" err &&
	test ! -e sl2/secret
'

test_expect_success 'the words after -- reach the guest command one by one; --with a script and a static program run there; quiet' '
	printf "#!/bin/sh\necho \"script: \$# words: \$*\" >/out/script\n" >s.sh && chmod +x s.sh &&
	cp "$(command -v busybox)" busybox-copy &&
	"$KBUILD" boot-test -O "$G" --accel tcg --latency-bench "$LB" --results "$R" --with ./s.sh --with ./busybox-copy --append quiet -- \
		sh -c "printf \"%s\\n\" \"\$@\" >/out/args; s.sh \"\$1\" two; busybox-copy echo static >/out/static" \
		x "a b" "c;d" "\$e" "it${Q}s" "$(printf "l1\nl2")" "" >out 2>err || { cat err; exit 1; } &&
	printf "%s\n" "a b" "c;d" "\$e" "it${Q}s" l1 l2 "" >expect && test_cmp expect "$R/args" &&
	echo "script: 2 words: a b two" >expect && test_cmp expect "$R/script" &&
	echo static >expect && test_cmp expect "$R/static" &&
	# quiet hides notices on the console: init wrote its lines there itself, and the host saw them
	! grep "^Linux version" "$R/console.log" &&
	test_grep "^kbuild-boot: init at [0-9.]* s$" "$R/console.log" &&
	test_grep "^  GUEST   /init at [0-9.]* s of guest time" err &&
	test "$("$JGET" "$R/boot-test.json" "r[\"command\"]")" = "sh -c ${Q}printf \"%s\\n\" \"\$@\" >/out/args; s.sh \"\$1\" two; busybox-copy echo static >/out/static${Q} x ${Q}a b${Q} ${Q}c;d${Q} ${Q}\$e${Q} ${Q}it${Q}\\${Q}${Q}s${Q} ${Q}l1
l2${Q} ${Q}${Q}"
'

test_expect_success 'a kernel that panics at boot fails within 30 s: exit 3, the panic named, the console tail shown' '
	start=$(date +%s) && rc=0 &&
	"$KBUILD" boot-test -O "$G" --accel tcg --latency-bench "$LB" --results res --append rdinit=/nonexistent >out 2>err || rc=$? &&
	end=$(date +%s) && cat err && echo "took $((end - start)) s" &&
	test "$rc" -eq 3 && test $((end - start)) -lt 30 &&
	test_grep "^kbuild: error: the kernel panicked [0-9.]* s after QEMU started: Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)$" err &&
	test_grep "^last console lines ($PWD/res/console.log):$" err &&
	test_grep "^  | Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)$" err &&
	test "$(grep -c "^  | " err)" -eq 20 &&
	test_grep "^Kernel panic - not syncing: VFS: Unable to mount root fs" res/console.log &&
	test_cmp /dev/null out &&
	(cd res && ls -A) >files && printf "%s\n" .kbuild-boot-test console.log >expect && test_cmp expect files
'

test_expect_success 'a kernel built to panic at boot (no ELF support): exit 3 within 30 s, the panic and why' '
	start=$(date +%s) && rc=0 &&
	"$KBUILD" boot-test -O "$GP" --accel tcg --latency-bench "$LB" --results res >out 2>err || rc=$? &&
	end=$(date +%s) && cat err && echo "took $((end - start)) s" &&
	test "$rc" -eq 3 && test $((end - start)) -lt 30 &&
	test_grep "^kbuild: error: the kernel panicked [0-9.]* s after QEMU started: Kernel panic - not syncing: No working init found.  Try passing init= option to kernel. See Linux Documentation/admin-guide/init.rst for guidance.$" err &&
	test_grep "^  | Failed to execute /init (error -8)$" err &&
	test_grep "^  | Starting init: /bin/sh exists but couldn.t execute it (error -8)$" err &&
	test "$(grep -c "^  | " err)" -eq 20 &&
	test_grep "^# CONFIG_BINFMT_ELF is not set$" "$GP/.config" &&
	test_cmp /dev/null out &&
	(cd res && ls -A) >files && printf "%s\n" .kbuild-boot-test console.log >expect && test_cmp expect files
'

test_expect_success 'a command that hangs: --timeout 20 stops QEMU, exit 3 within 30 s, the tail shows where it was' '
	start=$(date +%s) && rc=0 &&
	TMPDIR=$PWD "$KBUILD" boot-test -O "$G" --accel tcg --latency-bench "$LB" --results res --timeout 20 -- sleep 1000 >out 2>err || rc=$? &&
	end=$(date +%s) && cat err && echo "took $((end - start)) s" &&
	test "$rc" -eq 3 && test $((end - start)) -lt 30 &&
	test_grep "^kbuild: error: the guest did not finish within 20 s (the command was still running): QEMU stopped$" err &&
	test_grep "^  | kbuild-boot: running the command$" err &&
	# QEMU ran with its scratch files here: nothing of it is left running, nor the scratch directory
	! pgrep -f "$PWD/kbuild-boot" &&
	test "$(ls -d kbuild-boot.* 2>/dev/null)" = ""
'

test_expect_success 'a kernel that never starts /init (an interactive shell as init): --boot-timeout 20, exit 3 within 30 s' '
	start=$(date +%s) && rc=0 &&
	"$KBUILD" boot-test -O "$G" --accel tcg --latency-bench "$LB" --results res --boot-timeout 20 --append rdinit=/bin/sh >out 2>err || rc=$? &&
	end=$(date +%s) && cat err && echo "took $((end - start)) s" &&
	test "$rc" -eq 3 && test $((end - start)) -lt 30 &&
	test_grep "^kbuild: error: the kernel did not start /init within 20 s: QEMU stopped$" err &&
	test_grep "^  | Run /bin/sh as init process$" err &&
	# the escape the shell sends to the terminal is shown, not sent
	! grep "$(printf "\033")" err &&
	test_cmp /dev/null out
'

test_expect_success 'SIGTERM while the guest runs: QEMU stopped, exit 130, the console so far kept' '
	mkdir tmp &&
	{ TMPDIR=$PWD/tmp "$KBUILD" boot-test -O "$G" --accel tcg --latency-bench "$LB" --results res -- sleep 1000 >out 2>err & } &&
	pid=$! &&
	for i in $(seq 300); do grep -q "^  GUEST   /init at " err && break; sleep 0.1; done &&
	kill -TERM $pid && rc=0 && wait $pid || rc=$? &&
	cat err && test "$rc" -eq 130 &&
	test_grep "^kbuild: error: interrupted: QEMU stopped; the console so far is in ${Q}$PWD/res/console.log${Q}$" err &&
	test_grep "^kbuild-boot: init at " res/console.log &&
	! pgrep -f "$PWD/tmp/kbuild-boot" &&
	test "$(ls tmp)" = ""
'

test_expect_success 'a results directory boot-test did not make is left alone: exit 2' '
	mkdir mine && echo keep >mine/notes &&
	test_must_fail --exit 2 "$KBUILD" boot-test -O "$G" --latency-bench "$LB" --results mine -- true 2>err &&
	echo "kbuild: error: results directory ${Q}$PWD/mine${Q} holds files boot-test did not make: give a new or empty --results DIR" >expect &&
	test_cmp expect err &&
	echo keep >expect && test_cmp expect mine/notes && (cd mine && ls -A) >files && echo notes >expect && test_cmp expect files
'

test_done
