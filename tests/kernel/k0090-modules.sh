#!/bin/bash
# k0090-modules: kbuild modules on the cached 6.12 guest kernel (tinyconfig + audio + qemu-guest:
# snd-dummy and snd-aloop loadable, the rest of ALSA built in). resolve and list agree with kmod's
# own modprobe (--show-depends, -c) run on the same staged modules and configuration; config writes a
# modprobe.d file checked against the build's modinfo; bad configuration lines, unknown requests and a
# build without modules fail with their exit codes; spy runs in the QEMU guest, logs a sound card
# autoload (snd-card-1 through a modprobe.d alias) and a failed filesystem request, and restores
# /proc/sys/kernel/modprobe, also after SIGTERM and after a kill -9 (the next spy repairs it)
. "$(dirname "$0")/lib.sh"

FIX=$SRCDIR/tests/fixtures/modules
LB=${LATENCY_BENCH:-$SRCDIR/out/latency-bench}
if ! G=$(kt_guest_kernel); then
	echo "Bail out! cannot build the guest kernel (kt_guest_kernel failed)"
	exit 1
fi
REL=$(cat "$G/include/config/kernel.release")
STAGE=$G/.kbuild/modules
Q="'"
# modprobe from kmod, the peer: it reads the same staged tree (-d ROOT -S RELEASE) and configuration (-C)
MODPROBE=$(command -v modprobe || echo /sbin/modprobe)

test_expect_success 'resolve: the modprobe.d alias, options, soft dependency, blacklist and built-in modules, each exact' '
	rc=0 && "$KBUILD" modules resolve -O "$G" --modprobe-conf "$FIX/audio.conf" snd-card-1 snd-aloop my-loopback \
		char-major-116-0 fs-iso9660 scsi:t-0x05 >out 2>err || rc=$? &&
	cat err out && test "$rc" = 1 &&
	cat >expect <<-EOF &&
	snd-card-1: snd_dummy, by the alias snd-dummy in $FIX/audio.conf:2; load order:
	    insmod kernel/sound/drivers/snd-dummy.ko index=1 pcm_devs=2
	snd-aloop: snd_aloop, by its module name; load order:
	    insmod kernel/sound/drivers/snd-dummy.ko index=1 pcm_devs=2
	    insmod kernel/sound/drivers/snd-aloop.ko
	my-loopback: snd_aloop, by the alias snd-aloop in $FIX/audio.conf:6: blacklisted in modprobe.d, not loaded for an alias
	char-major-116-0: snd, by an alias of a built-in module: built in, nothing to load
	fs-iso9660: isofs, by an alias of a built-in module: built in, nothing to load
	scsi:t-0x05: sr_mod, by an alias of a built-in module: built in, nothing to load
	EOF
	test_cmp expect out
'

test_expect_success 'resolve agrees with kmod modprobe --show-depends on the same modules and configuration' '
	for req in snd-card-1 snd-aloop snd-dummy char-major-116-0 fs-iso9660 scsi:t-0x05; do
		"$KBUILD" modules resolve -O "$G" --modprobe-conf "$FIX/audio.conf" $req >ours 2>/dev/null &&
		"$MODPROBE" --show-depends -d "$STAGE" -S "$REL" -C "$FIX/audio.conf" $req >theirs 2>&1 &&
		sed -n "s|^    insmod |insmod $STAGE/lib/modules/$REL/|p" ours >a &&
		sed -n "s/ *$//; /^insmod /p" theirs >b &&
		test_cmp b a &&
		if grep -q "^builtin " theirs; then
			test_grep ": built in, nothing to load$" ours && test_grep "^$req: $(sed -n "s/^builtin //p" theirs), " ours
		fi || exit 1
	done
'

test_expect_success 'an unknown request: exit 1, said so, with the hint for a bare char-major' '
	test_must_fail --exit 1 "$KBUILD" modules resolve -O "$G" --modprobe-conf "$FIX/audio.conf" fs-nosuchfs char-major-116 >out 2>err &&
	test_cmp /dev/null err &&
	printf "%s\n" \
		"fs-nosuchfs: nothing answers this request (no modprobe.d alias, module, modules.alias entry or built-in module of that name)" \
		"char-major-116: nothing answers this request (no modprobe.d alias, module, modules.alias entry or built-in module of that name); the kernel asks for char-major-116-MINOR first, which aliases such as char-major-116-* answer" >expect &&
	test_cmp expect out &&
	rc=0 && "$MODPROBE" --show-depends -d "$STAGE" -S "$REL" -C "$FIX/audio.conf" fs-nosuchfs >/dev/null 2>&1 || rc=$? &&
	test "$rc" = 1
'

test_expect_success 'list is modprobe -c of the build, byte for byte' '
	"$KBUILD" modules list -O "$G" --modprobe-conf "$FIX/audio.conf" >ours &&
	"$MODPROBE" -c -d "$STAGE" -S "$REL" -C "$FIX/audio.conf" >theirs &&
	test_cmp theirs ours &&
	test_grep "^alias snd_card_1 snd_dummy$" ours &&
	test_grep "^softdep snd_aloop pre: snd-dummy$" ours &&
	test_grep "^# End of configuration files. Dumping indexes now:$" ours
'

test_expect_success 'the staged modules: the build.s own modules_install and depmod, redone only when a module changed' '
	test -f "$STAGE/lib/modules/$REL/kernel/sound/drivers/snd-dummy.ko" &&
	test -f "$STAGE/lib/modules/$REL/modules.dep.bin" &&
	"$KBUILD" modules resolve -O "$G" --modprobe-conf "$FIX/audio.conf" snd-dummy >out 2>err &&
	test_cmp /dev/null err &&
	touch "$G/sound/drivers/snd-dummy.ko" &&
	"$KBUILD" modules resolve -O "$G" --modprobe-conf "$FIX/audio.conf" snd-dummy >out2 2>err &&
	printf "%s\n" "  INSTALL $STAGE/lib/modules/$REL" "  DEPMOD  $REL" >expect &&
	test_cmp expect err && test_cmp out out2
'

test_expect_success 'malformed modprobe.d lines: exit 2, each named with file:line, nothing staged or resolved' '
	test_must_fail --exit 2 "$KBUILD" modules resolve -O "$G" --modprobe-conf "$FIX/bad.conf" snd-dummy >out 2>err &&
	test_cmp /dev/null out &&
	printf "%s\n" \
		"$FIX/bad.conf:2: error: ${Q}alias${Q} needs a name and a module: alias NAME MODULE" \
		"$FIX/bad.conf:4: error: unknown command ${Q}frobnicate${Q} (modprobe.d knows alias, options, install, remove, blacklist, softdep)" \
		"$FIX/bad.conf:5: error: softdep snd-aloop: ${Q}snd-dummy${Q} before any ${Q}pre:${Q} or ${Q}post:${Q}" \
		"$FIX/bad.conf:8: error: ${Q}blacklist${Q} needs one module: blacklist MODULE" \
		"$FIX/bad.conf:9: error: ${Q}install${Q} needs a module and a command: install MODULE COMMAND..." \
		"$FIX/bad.conf:11: error: ${Q}softdep${Q} needs a module and its dependencies: softdep MODULE pre: MODULE... post: MODULE..." >expect &&
	test_cmp expect err &&
	test_must_fail --exit 2 "$KBUILD" modules list -O "$G" --modprobe-conf nosuch.conf 2>err &&
	echo "kbuild: error: modprobe.d configuration ${Q}nosuch.conf${Q}: No such file or directory" >expect &&
	test_cmp expect err
'

test_expect_success 'options checked against the build.s modinfo: unknown parameter, built-in driver, unknown module are warnings' '
	"$KBUILD" modules resolve -O "$G" --modprobe-conf "$FIX/warn.conf" snd-dummy >out 2>err &&
	test_grep "^$FIX/warn.conf:1: warning: options snd-dummy: snd-dummy has no parameter ${Q}nosuch${Q} in this build (it has: hrtimer fake_buffer mixer_volume_level_max mixer_volume_level_min pcm_substreams pcm_devs model enable id index)$" err &&
	test_grep "^$FIX/warn.conf:2: warning: options snd-hda-intel: snd-hda-intel is built into this kernel, where modprobe.d does not reach it: give its options on the kernel command line (snd-hda-intel.PARAM=VALUE)$" err &&
	test_grep "^$FIX/warn.conf:3: warning: options snd-nope: this build has no module snd-nope$" err &&
	test "$(wc -l <err)" = 3
'

test_expect_success 'config: the audio modprobe.d file for this build, every setting explained, clean against its modinfo' '
	"$KBUILD" modules config -O "$G" >conf 2>err &&
	test_cmp /dev/null err &&
	test_grep "^# modprobe.d settings for low-latency audio on $REL, written by kbuild modules config --profile audio.$" conf &&
	test "$(grep -v "^#" conf | grep -v "^$")" = "$(printf "options snd-aloop index=-2\noptions snd-dummy index=-2")" &&
	test_grep "^# snd-usb-audio index=0: built in, so on the kernel command line (see the end)$" conf &&
	test_grep "^# snd-hda-intel index=1: built in, so on the kernel command line (see the end)$" conf &&
	test_grep "^# (snd-hda-intel has no power_save parameter in this build: without CONFIG_PM it never powers down)$" conf &&
	test_grep "^#   snd_usb_audio.index=0 snd_hda_intel.index=1 snd_usb_audio.lowlatency=1$" conf &&
	# what it wrote reads back clean, and kmod reads it as written
	"$KBUILD" modules resolve -O "$G" --modprobe-conf conf snd-dummy >out 2>err &&
	test_cmp /dev/null err &&
	test_grep "^    insmod kernel/sound/drivers/snd-dummy.ko index=-2$" out &&
	"$MODPROBE" --show-depends -d "$STAGE" -S "$REL" -C conf snd-dummy >theirs &&
	test_grep "snd-dummy.ko index=-2 *$" theirs
'

test_expect_success 'config -o FILE: written whole, a summary with the kernel command line; --profile other is refused' '
	"$KBUILD" modules config -O "$G" -o out.conf >out 2>err &&
	test_cmp /dev/null err &&
	"$KBUILD" modules config -O "$G" >expect && test_cmp expect out.conf &&
	printf "%s\n" "kbuild: wrote out.conf: 2 card drivers in order; for the built-in drivers boot with:" \
		"  snd_usb_audio.index=0 snd_hda_intel.index=1 snd_usb_audio.lowlatency=1" >expect &&
	test_cmp expect out &&
	test_must_fail --exit 2 "$KBUILD" modules config -O "$G" --profile studio -o other.conf 2>err &&
	echo "kbuild: error: --profile ${Q}studio${Q}: the one profile is audio" >expect && test_cmp expect err &&
	! test -e other.conf
'

test_expect_success 'a build without loadable modules: exit 3, said why' '
	mkdir -p nomod/include/config nomod/.kbuild &&
	ln -s "$KT_612" nomod/source &&
	cp "$G/include/config/kernel.release" nomod/include/config/ &&
	cp "$G/.kbuild/make-vars" nomod/.kbuild/ &&
	cp "$G/include/config/kernel.release" nomod/.kbuild/built &&
	grep -v "^CONFIG_MODULES=" "$G/.config" >nomod/.config &&
	test_must_fail --exit 3 "$KBUILD" modules list -O nomod 2>err &&
	echo "kbuild: error: ${Q}$PWD/nomod${Q} was built without loadable modules (CONFIG_MODULES is not set): every driver is built in, nothing is loaded on request (add the modules fragment)" >expect &&
	test_cmp expect err && ! test -e nomod/.kbuild/modules
'

# the guest: kbuild itself goes in with --with; snd.cards_limit=4 lets the kernel ask for snd-card-1
# (it asks only for slots below cards_limit, 1 by default); /tmp/ctl1 is card 1.s control device
SETUP="rmmod snd_aloop snd_dummy && mkdir -p /etc/modprobe.d && echo alias snd-card-1 snd-dummy >/etc/modprobe.d/sound.conf && mknod /tmp/ctl1 c 116 32"
TRIGGER="cat /tmp/ctl1 </dev/null >/dev/null 2>&1; mount -t nosuchfs none /tmp 2>/dev/null; true"
# guest LINE: the shell line LINE run in the guest
guest() {
	"$KBUILD" boot-test -O "$G" --accel tcg --append snd.cards_limit=4 --latency-bench "$LB" --with "$KBUILD" \
		--results res -- sh -c "$1"
}

test_expect_success 'spy in the guest: the card autoload and the failed request, each with time and result; the sysctl restored' '
	guest "$SETUP && kbuild modules spy -o /out/spy.txt -- sh -c \"$TRIGGER\" >/out/spy.out 2>/out/spy.err; echo \$? >/out/status; cat /proc/sys/kernel/modprobe >/out/after; ls -A /var/lib/kbuild/spy >/out/left; cat /proc/asound/cards >/out/cards" >out 2>err || { cat err; exit 1; } &&
	cat res/spy.err res/spy.out &&
	echo 0 >expect && test_cmp expect res/status &&
	echo /sbin/modprobe >expect && test_cmp expect res/after &&
	test_cmp /dev/null res/left &&
	test_grep "^  SPY     /proc/sys/kernel/modprobe -> /var/lib/kbuild/spy/modprobe-spy (was /sbin/modprobe)$" res/spy.err &&
	test "$(sed -n 1p res/spy.out | sed "s/^[0-9:.]*  +[0-9.]* s  //; s/, [0-9.]* s:/, T:/")" = "snd-card-1  exit 0, T: loaded snd_dummy" &&
	test "$(sed -n 2p res/spy.out | sed "s/^[0-9:.]*  +[0-9.]* s  //; s/, [0-9.]* s:/, T:/")" = "fs-nosuchfs  exit 1, T: failed, nothing loaded" &&
	test "$(sed -n 3p res/spy.out)" = "kbuild: 2 requests (1 failed); /proc/sys/kernel/modprobe restored to /sbin/modprobe" &&
	test "$(wc -l <res/spy.out)" = 3 &&
	head -n 2 res/spy.out >expect && test_cmp expect res/spy.txt &&
	test_grep "^ 1 \[Dummy          \]: Dummy - Dummy$" res/cards
'

test_expect_success 'spy ended by SIGTERM: the sysctl restored, exit 130; killed with -9: the next spy repairs it' '
	guest "$SETUP && (kbuild modules spy -D 60 >/out/term.out 2>&1 & p=\$!; sleep 1; kill -TERM \$p; wait \$p; echo \$? >/out/term.status); cat /proc/sys/kernel/modprobe >/out/after.term; (kbuild modules spy -D 60 >/dev/null 2>&1 & p=\$!; sleep 1; kill -KILL \$p; wait \$p); cat /proc/sys/kernel/modprobe >/out/after.kill; kbuild modules spy -D 0.5 >/out/repair.out 2>&1; echo \$? >/out/repair.status; cat /proc/sys/kernel/modprobe >/out/after.repair" >out 2>err || { cat err; exit 1; } &&
	echo 130 >expect && test_cmp expect res/term.status &&
	echo /sbin/modprobe >expect && test_cmp expect res/after.term &&
	echo /var/lib/kbuild/spy/modprobe-spy >expect && test_cmp expect res/after.kill &&
	echo 0 >expect && test_cmp expect res/repair.status &&
	test_grep "^kbuild: repaired a spy that did not end cleanly: /proc/sys/kernel/modprobe was /var/lib/kbuild/spy/modprobe-spy, restored to /sbin/modprobe$" res/repair.out &&
	test_grep "^kbuild: 0 requests (0 failed); /proc/sys/kernel/modprobe restored to /sbin/modprobe$" res/repair.out &&
	echo /sbin/modprobe >expect && test_cmp expect res/after.repair
'

test_done
