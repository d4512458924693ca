#!/bin/bash
# k0060-alsa-guest: the cached 6.12 guest kernel (tinyconfig + audio + qemu-guest) boots in QEMU
# with latency-bench inside: snd-dummy and snd-aloop load, /proc/asound lists the cards, the timer
# plane's result comes back to the host; the ALSA plane on snd-dummy and snd-aloop (periods at the
# configured rate, the loopback round trip, bad devices, a card unbound mid-run); a failing or
# hanging guest command fails guest-run
. "$(dirname "$0")/lib.sh"

GR=$SRCDIR/tests/tools/guest-run
JGET=$SRCDIR/tests/tools/jget
export LATENCY_BENCH=${LATENCY_BENCH:-$SRCDIR/latency-bench}
if [ ! -x "$LATENCY_BENCH" ]; then
	echo "Bail out! no latency-bench binary at $LATENCY_BENCH (build it, or set LATENCY_BENCH)"
	exit 1
fi
# the first run builds it (minutes); later runs reuse it
if ! G=$(kt_guest_kernel); then
	echo "Bail out! cannot build the guest kernel (kt_guest_kernel failed)"
	exit 1
fi
REL=$(cat "$G/include/config/kernel.release")
MOD=/lib/modules/$REL/kernel/sound/drivers
# one boot for the assertions on cards, modules and the timer plane
GUEST=$TRASH_ROOT/guest

test_expect_success 'the cached guest kernel: a rerun compiles nothing, image, modules and guest symbols are there' '
	kt_guest_kernel >dir 2>err &&
	echo "$G" >expect && test_cmp expect dir &&
	test_grep "^kbuild: built $REL in .*: $G/arch/x86/boot/bzImage, 2 modules (0 objects compiled)$" err &&
	test -s "$G/arch/x86/boot/bzImage" &&
	test -f "$G/sound/drivers/snd-dummy.ko" && test -f "$G/sound/drivers/snd-aloop.ko" &&
	for s in PREEMPT_RT FUTEX POSIX_TIMERS MULTIUSER PROC_SYSCTL CPU_IDLE SND_PROC_FS SHMEM TMPFS SYSVIPC UNIX; do
		test_grep "^CONFIG_$s=y$" "$G/.config" || exit 1
	done
'

test_expect_success 'in the guest: snd-dummy and snd-aloop load, /proc/asound/cards lists HDA Intel, Dummy and Loopback' '
	# the HDA card registers once its codec probe (a work item) is done: wait up to 5 s
	rc=0 && "$GR" "$G" "$GUEST" -- "for i in \$(seq 50); do test -e /dev/snd/controlC0 && break; sleep 0.1; done &&
		insmod $MOD/snd-dummy.ko && insmod $MOD/snd-aloop.ko &&
		cat /proc/asound/cards >/out/cards && cut -d\" \" -f1 /proc/modules | sort >/out/modules &&
		ls /dev/snd >/out/dev-snd && uname -r >/out/release &&
		latency-bench --plane timer -D 1 --cpus 0 --json /out/timer.json -q &&
		mkdir /out/sub && cp $MOD/snd-aloop.ko /out/sub/" >out 2>err || rc=$? &&
	cat err && { tail -n 20 "$GUEST/output.log" || true; } &&
	test "$rc" -eq 0 &&
	test_grep "^guest-run: $REL booted, command exited 0, [0-9.]*s$" err &&
	echo "$REL" >expect && test_cmp expect "$GUEST/release" &&
	# intel-hda with the hda-duplex codec is built in and probes at boot: card 0
	sed "s/HDA Intel at 0x[0-9a-f]* irq [0-9]*$/HDA Intel at ADDR irq IRQ/" "$GUEST/cards" >cards &&
	printf "%s\n" \
		" 0 [Intel          ]: HDA-Intel - HDA Intel" \
		"                      HDA Intel at ADDR irq IRQ" \
		" 1 [Dummy          ]: Dummy - Dummy" \
		"                      Dummy 1" \
		" 2 [Loopback       ]: Loopback - Loopback" \
		"                      Loopback 1" >expect &&
	test_cmp expect cards &&
	printf "%s\n" snd_aloop snd_dummy >expect && test_cmp expect "$GUEST/modules" &&
	# playback and capture of the codec, the dummy, and both loopback devices
	printf "%s\n" controlC0 controlC1 controlC2 pcmC0D0c pcmC0D0p pcmC1D0c pcmC1D0p \
		pcmC2D0c pcmC2D0p pcmC2D1c pcmC2D1p seq timer >expect &&
	test_cmp expect "$GUEST/dev-snd"
'

test_expect_success 'the timer plane ran in the guest and its JSON came back: the built release, PREEMPT_RT, SCHED_FIFO' '
	test "$("$JGET" "$GUEST/timer.json" "r[\"schema\"]")" = latency-bench/1 &&
	test "$("$JGET" "$GUEST/timer.json" "r[\"plane\"]")" = timer &&
	test "$("$JGET" "$GUEST/timer.json" "r[\"system\"][\"kernel_release\"]")" = "$(cat "$G/include/config/kernel.release")" &&
	test "$("$JGET" "$GUEST/timer.json" "r[\"system\"][\"preemption_model\"]")" = PREEMPT_RT &&
	test "$("$JGET" "$GUEST/timer.json" "r[\"system\"][\"realtime_kernel\"]")" = true &&
	test "$("$JGET" "$GUEST/timer.json" "r[\"system\"][\"cpus_online\"]")" = 2 &&
	test "$("$JGET" "$GUEST/timer.json" "r[\"params\"][\"cpus\"]")" = "[0]" &&
	test "$("$JGET" "$GUEST/timer.json" "r[\"params\"][\"policy\"]")" = fifo &&
	test "$("$JGET" "$GUEST/timer.json" "r[\"params\"][\"memory_locked\"]")" = true &&
	test "$("$JGET" "$GUEST/timer.json" "r[\"params\"][\"cpu_dma_latency_held\"]")" = true &&
	samples=$("$JGET" "$GUEST/timer.json" "r[\"samples\"]") &&
	echo "samples $samples" &&
	# 1 s of 1333 us periods: at most 750 wakeups (TCG may miss some)
	test "$samples" -gt 0 && test "$samples" -le 751 &&
	test "$("$JGET" "$GUEST/timer.json" "sum(c for l, u, c in r[\"histogram\"][\"buckets\"])")" -eq "$samples"
'

test_expect_success 'files come back byte for byte, subdirectories included; output.log and console.log tell the run' '
	cmp "$G/sound/drivers/snd-aloop.ko" "$GUEST/sub/snd-aloop.ko" &&
	test_grep "^+ insmod $MOD/snd-dummy.ko$" "$GUEST/output.log" &&
	test_grep "^+ latency-bench --plane timer -D 1 --cpus 0 --json /out/timer.json -q$" "$GUEST/output.log" &&
	test_grep "^Linux version $REL (kbuild@kbuild) " "$GUEST/console.log" &&
	test_grep "^guest-run: kernel $REL$" "$GUEST/console.log" &&
	test_grep "^guest-run: exit status 0$" "$GUEST/console.log" &&
	! grep "$(printf "\r")" "$GUEST/console.log"
'

# ---------------------------------------------------------------------------------------------
# (--no-causes: each run would start and stop the osnoise tracer, which patches the kernel's
# tracepoint calls while it runs, and this two-CPU TCG guest once died of that, in __schedule
# mid-patch; k0150 tests the causes on one CPU under icount)
# The ALSA plane on real drivers: snd-dummy (one substream per direction, so that a second
# opener finds it busy) and snd-aloop, in one boot; every run leaves its result, stderr and
# exit status in /out
ALSA=$TRASH_ROOT/alsa
cat >"$TRASH_ROOT/alsa.sh" <<EOS
insmod $MOD/snd-dummy.ko pcm_substreams=1
insmod $MOD/snd-aloop.ko
latency-bench devices >devices
for s in playback capture duplex; do
	latency-bench --no-causes --plane alsa --device hw:Dummy --stream \$s --period 1024 -D 3 -q --json dummy-\$s.json >dummy-\$s.txt 2>dummy-\$s.err
	echo \$? >dummy-\$s.rc
done
latency-bench --no-causes --plane alsa --device hw:Loopback,0,0 --capture-device hw:Loopback,1,0 --roundtrip --period 512 -D 3 -q --json rt-512x2.json >rt-512x2.txt 2>rt-512x2.err
echo \$? >rt-512x2.rc
latency-bench --no-causes --plane alsa --device hw:Loopback,0,0 --capture-device hw:Loopback,1,0 --roundtrip --period 256 --periods 3 -D 3 -q --json rt-256x3.json >rt-256x3.txt 2>rt-256x3.err
echo \$? >rt-256x3.rc
latency-bench --no-causes --plane alsa --device hw:Dummy --rate 96000 -D 1 -q --json rate.json 2>rate.err
echo \$? >rate.rc
latency-bench --no-causes --plane alsa --device hw:Dummy --period 8 -D 1 -q --json period.json 2>period.err
echo \$? >period.rc
latency-bench --no-causes --plane alsa --device hw:7 -D 1 -q --json nocard.json 2>nocard.err
echo \$? >nocard.rc
latency-bench --no-causes --plane alsa --device hw:Dummy --period 1024 -D 4 -q >/dev/null 2>&1 &
sleep 1
latency-bench --no-causes --plane alsa --device hw:Dummy -D 1 -q --json busy.json 2>busy.err
echo \$? >busy.rc
wait
latency-bench --no-causes --plane alsa --device hw:Dummy --period 1024 -D 30 -q --json lost.json >lost.txt 2>lost.err &
sleep 2
echo snd_dummy.0 >/sys/bus/platform/drivers/snd_dummy/unbind
wait \$!
echo \$? >lost.rc
EOS

test_expect_success 'ALSA in the guest: devices lists the dummy and loopback cards with their limits' '
	"$GR" -t 240 --script "$TRASH_ROOT/alsa.sh" "$G" "$ALSA" >out 2>err || { cat err; tail -n 30 "$ALSA/output.log"; false; } &&
	test_grep "^card 1: Dummy \[Dummy\], driver Dummy$" "$ALSA/devices" &&
	test_grep "^  hw:1,0 playback: Dummy PCM, 1 subdevice$" "$ALSA/devices" &&
	test_grep "^    playback  5500-48000 Hz, 1-2 channels, period 16-65536 frames, 1-1024 periods, buffer 16-65536 frames$" "$ALSA/devices" &&
	test_grep "^  hw:1,0 capture: Dummy PCM, 1 subdevice$" "$ALSA/devices" &&
	test_grep "^card 2: Loopback \[Loopback\], driver Loopback$" "$ALSA/devices" &&
	test_grep "^  hw:2,1 capture: Loopback PCM, 8 subdevices$" "$ALSA/devices"
'

test_expect_success 'ALSA in the guest: on snd-dummy, playback, capture and duplex periods arrive at the configured rate' '
	for s in playback capture duplex; do
		r=$ALSA/dummy-$s.json &&
		echo "$s: exit $(cat "$ALSA/dummy-$s.rc"), $("$JGET" "$r" "r[\"samples\"], r[\"missed_periods\"], r[\"audio\"][\"periods_transferred\"], r[\"audio\"][\"measured_rate_hz\"], r[\"duration_s\"], r[\"xruns\"]")" &&
		test "$(cat "$ALSA/dummy-$s.rc")" = 0 &&
		test_cmp /dev/null "$ALSA/dummy-$s.err" &&
		test "$("$JGET" "$r" "r[\"plane\"]")" = alsa &&
		test "$("$JGET" "$r" "r[\"audio\"][\"stream\"]")" = $s &&
		test "$("$JGET" "$r" "r[\"audio\"][\"card\"]")" = "card 1: Dummy, Dummy PCM" &&
		test "$("$JGET" "$r" "[r[\"audio\"][\"granted\"][k] for k in (\"rate\", \"period_frames\", \"periods\", \"buffer_frames\", \"format\")]")" = "[48000, 1024, 2, 2048, \"S16_LE\"]" &&
		# the device clock, by its own timestamps, runs at the rate asked for (0.5 %)
		test "$("$JGET" "$r" "abs(r[\"audio\"][\"measured_rate_hz\"] - 48000) < 240")" = true &&
		# and every period of the run was transferred or counted missed: 3 s is 140.6 periods
		test "$("$JGET" "$r" "abs(r[\"audio\"][\"periods_transferred\"] + r[\"missed_periods\"] - r[\"duration_s\"] * 48000 / 1024) <= 3")" = true &&
		# one sample per wakeup that found a period, or per xrun (a wakeup whose read hit the
		# xrun is one sample, not two)
		test "$("$JGET" "$r" "r[\"samples\"] > 100 and r[\"samples\"] <= r[\"audio\"][\"periods_transferred\"] + r[\"xruns\"]")" = true &&
		test "$("$JGET" "$r" "r[\"audio\"][\"jitter_samples\"] == r[\"samples\"] - 1 - r[\"xruns\"] or r[\"xruns\"] > 0")" = true || exit 1
	done
'

test_expect_success 'ALSA in the guest: the round trip on snd-aloop is the configured buffering, within one period' '
	for c in 512x2 256x3; do
		p=${c%x*} n=${c#*x} r=$ALSA/rt-$c.json &&
		echo "$c: exit $(cat "$ALSA/rt-$c.rc"), $("$JGET" "$r" "r[\"audio\"][\"roundtrip\"]")" &&
		test "$(cat "$ALSA/rt-$c.rc")" = 0 &&
		test "$("$JGET" "$r" "r[\"audio\"][\"stream\"]")" = duplex &&
		test "$("$JGET" "$r" "r[\"audio\"][\"roundtrip\"][\"buffering_frames\"]")" = $((p * n)) &&
		test "$("$JGET" "$r" "r[\"audio\"][\"roundtrip\"][\"lost\"]")" = 0 &&
		test "$("$JGET" "$r" "r[\"audio\"][\"roundtrip\"][\"received\"] >= 10 and r[\"audio\"][\"roundtrip\"][\"received\"] == r[\"audio\"][\"roundtrip\"][\"sent\"]")" = true &&
		test "$("$JGET" "$r" "all(abs(r[\"audio\"][\"roundtrip\"][\"frames\"][k] - $((p * n))) <= $p for k in (\"min\", \"median\", \"max\"))")" = true || exit 1
	done
'

test_expect_success 'ALSA in the guest: an unsupported rate or period, no such card, a busy device: exit 3, a clear message, no result' '
	for t in rate period nocard busy; do
		test "$(cat "$ALSA/$t.rc")" = 3 && ! test -e "$ALSA/$t.json" || exit 1
	done &&
	echo "latency-bench: error: hw:Dummy does not support 96000 Hz for playback (it allows 5500-48000 Hz)" >expect &&
	test_cmp expect "$ALSA/rate.err" &&
	echo "latency-bench: error: hw:Dummy cannot use 8-frame periods x 2 at 48000 Hz for playback (it allows periods of 16-16384 frames, 1-1024 per buffer)" >expect &&
	test_cmp expect "$ALSA/period.err" &&
	echo "latency-bench: error: cannot open hw:7 for playback: no such card, device or stream (No such file or directory); see latency-bench devices" >expect &&
	test_cmp expect "$ALSA/nocard.err" &&
	echo "latency-bench: error: hw:Dummy is busy: another program has its playback open (an audio server such as PipeWire, PulseAudio or JACK?); stop it or choose another device" >expect &&
	test_cmp expect "$ALSA/busy.err"
'

test_expect_success 'ALSA in the guest: a card unbound mid-run: exit 3, and the result so far is written' '
	test "$(cat "$ALSA/lost.rc")" = 3 &&
	echo "latency-bench: error: hw:Dummy went away during the run (No such device): the figures cover the time before" >expect &&
	test_cmp expect "$ALSA/lost.err" &&
	test "$("$JGET" "$ALSA/lost.json" "r[\"audio\"][\"device_lost\"]")" = true &&
	test "$("$JGET" "$ALSA/lost.json" "r[\"interrupted\"]")" = true &&
	test "$("$JGET" "$ALSA/lost.json" "r[\"audio\"][\"error\"]")" = "hw:Dummy went away during the run (No such device): the figures cover the time before" &&
	# unbound 2 s into a 30 s run of 21.3 ms periods
	test "$("$JGET" "$ALSA/lost.json" "1 < r[\"duration_s\"] < 10 and r[\"samples\"] > 30")" = true &&
	test_grep "^note: hw:Dummy went away during the run" "$ALSA/lost.txt"
'

test_expect_success 'a failing command: guest-run exits with its status and keeps the console log' '
	printf "%s\n" "echo before the failure" "ls /no/such/file" "exit 7" "echo never" >fail.sh &&
	test_must_fail --exit 7 "$GR" --script fail.sh "$G" g >out 2>err &&
	cat err &&
	test_grep "^guest-run: $REL booted, command exited 7, [0-9.]*s$" err &&
	test_grep "^  | guest-run: exit status 7$" err &&
	test_grep "^guest-run: exit status 7$" g/console.log &&
	printf "%s\n" "+ echo before the failure" "before the failure" "+ ls /no/such/file" \
		"ls: /no/such/file: No such file or directory" "+ exit 7" >expect &&
	test_cmp expect g/output.log
'

test_expect_success 'a guest that never finishes: QEMU killed at the timeout, exit 124, console log kept' '
	test_must_fail --exit 124 "$GR" -t 10 "$G" g -- "echo going to sleep; sleep 600" >out 2>err &&
	cat err &&
	test_grep "^guest-run: error: QEMU did not finish within 10s (after 1[0-4].[0-9]s); last console lines of $PWD/g/console.log:$" err &&
	test_grep "^going to sleep$" g/console.log &&
	! grep "^guest-run: exit status" g/console.log
'

test_expect_success 'harness errors exit 125 and say what is missing' '
	test_must_fail --exit 125 "$GR" "$G" >out 2>err &&
	test_grep "^guest-run: error: need BUILD_DIR and OUT_DIR (see --help)$" err &&
	test_must_fail --exit 125 "$GR" "$G" g >out 2>err &&
	test_grep "^guest-run: error: no command to run (give -- COMMAND... or --script FILE)$" err &&
	test_must_fail --exit 125 "$GR" "$PWD/nowhere" g -- true >out 2>err &&
	test_grep "^guest-run: error: no kernel image .$PWD/nowhere/arch/x86/boot/bzImage.: build it first$" err &&
	test_must_fail --exit 125 "$GR" --modules snd-nonesuch "$G" g -- true >out 2>err &&
	test_grep "^guest-run: error: no module .snd-nonesuch.ko. in .$G. (is it =m in .config?)$" err
'

test_done
