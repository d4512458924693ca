#!/bin/bash
# k0001-config-612: the config stage on Debian's 6.12 tree, where PREEMPT_RT is in mainline
. "$(dirname "$0")/lib.sh"

T=$KT_612
OLD_IDE="BLK_DEV_IDE BLK_DEV_IDESCSI IDE KERNELD KMOD"

test_expect_success '--config audio on tinyconfig: every option sticks, exit 0' '
	objdir_for "$T" b &&
	"$KBUILD" config --tree "$T" -O b --base tinyconfig --config audio --json r.json >out 2>err &&
	test_grep "^CONFIG_PREEMPT_RT=y$" b/.config &&
	test_grep "^CONFIG_HZ_1000=y$" b/.config &&
	test_grep "^CONFIG_NO_HZ_IDLE=y$" b/.config &&
	test_grep "^CONFIG_SND_HDA_INTEL=y$" b/.config &&
	test_grep "^CONFIG_SND_DUMMY=m$" b/.config &&
	test_grep "^CONFIG_SND_ALOOP=m$" b/.config &&
	test_grep "^CONFIG_CPU_FREQ_DEFAULT_GOV_PERFORMANCE=y$" b/.config &&
	"$SRCDIR/tests/kernel/status.py" r.json >st &&
	! grep -v " ok " st | grep -v " historical " &&
	grep " historical " st | cut -d" " -f1 | tr "\n" " " >old && echo >>old &&
	echo "$OLD_IDE " >expect && test_cmp expect old &&
	n=$(wc -l <st) &&
	echo "kbuild: $n requested: $((n - 5)) ok, 0 unmet, 0 invalid, 0 unknown, 5 historical" >expect &&
	test_cmp expect out &&
	# the old names: one line naming the options of today, no warning
	echo "  HISTORY old names in the shipped fragments, today: KMOD, KERNELD -> MODULES; IDE, BLK_DEV_IDE -> ATA; BLK_DEV_IDESCSI -> BLK_DEV_SR, CHR_DEV_SG (HOWTO.md, \"Old names\")" >expect &&
	grep "^  HISTORY" err >actual && test_cmp expect actual &&
	! grep -E "warning|hint:" err
'

test_expect_success 'the old IDE SCSI names of the shipped fragment: one HISTORY line; in a copy of its own: warnings naming the line' '
	objdir_for "$T" b &&
	"$KBUILD" config --tree "$T" -O b --base tinyconfig --config ide-scsi 2>err &&
	test_grep "^  HISTORY old names in the shipped fragments, today: IDE, BLK_DEV_IDE -> ATA; BLK_DEV_IDESCSI -> BLK_DEV_SR, CHR_DEV_SG (HOWTO.md, \"Old names\")$" err &&
	! grep -E "warning|hint:" err &&
	cp "$SRCDIR/kconfig-fragments/ide-scsi.config" mine.config &&
	"$KBUILD" config --tree "$T" -O b --base tinyconfig --config ./mine.config >out 2>err2 &&
	test_grep "^./mine.config:8: warning: BLK_DEV_IDESCSI: unknown symbol: not defined anywhere in this tree$" err2 &&
	test_grep "^    hint: IDE SCSI emulation was removed in 2.6.29" err2 &&
	test_grep "requested: .* 3 unknown$" out &&
	! grep HISTORY err2 &&
	test_grep "^CONFIG_BLK_DEV_SR=y$" b/.config &&
	test_grep "^CONFIG_ATA_PIIX=y$" b/.config &&
	test_grep "^CONFIG_JOLIET=y$" b/.config
'

test_expect_success 'choice groups: PREEMPT_RT over the base PREEMPT_VOLUNTARY is a choice change' '
	objdir_for "$T" b &&
	"$KBUILD" config --tree "$T" -O b --base "$KT_DEBIAN61/debian/config/config" --config preempt --json r.json >out 2>err &&
	test_grep "^  CHOICE  \"Preemption Model\": PREEMPT_VOLUNTARY -> PREEMPT_RT (kconfig-fragments/preempt.config:10)$" err &&
	test_grep "^CONFIG_PREEMPT_RT=y$" b/.config &&
	! grep "PREEMPT_VOLUNTARY" st 2>/dev/null &&
	python3 -c "
import json,sys
r=json.load(open(\"r.json\"))
c=[x for x in r[\"choices\"] if x[\"choice\"]==\"Preemption Model\"]
assert c==[{\"choice\":\"Preemption Model\",\"from\":\"PREEMPT_VOLUNTARY\",\"from_file\":\"$KT_DEBIAN61/debian/config/config\",\"from_line\":6474,\"to\":\"PREEMPT_RT\",\"to_file\":\"kconfig-fragments/preempt.config\",\"to_line\":10}], c
assert not [x for x in r[\"requested\"] if x[\"symbol\"].startswith(\"PREEMPT_VOL\")]
assert [x[\"status\"] for x in r[\"requested\"] if x[\"symbol\"]==\"PREEMPT_RT\"]==[\"ok\"]
"
'

test_expect_success 'a second identical run leaves .config and its mtime alone' '
	objdir_for "$T" b &&
	"$KBUILD" config --tree "$T" -O b --base tinyconfig --config audio 2>/dev/null &&
	touch -d "2001-01-01 00:00" b/.config &&
	cp b/.config first &&
	rm -f b/.config.old &&
	"$KBUILD" config --tree "$T" -O b --base tinyconfig --config audio 2>err &&
	test_grep "^  WRITE   .*/b/.config (unchanged)$" err &&
	test "$(stat -c %Y b/.config)" = "$(date -d "2001-01-01 00:00" +%s)" &&
	test ! -e b/.config.old &&
	test_cmp first b/.config &&
	ls -a b b/.kbuild >list &&
	! grep -e tmp -e resolved list
'

test_expect_success 'a changed fragment rewrites .config and keeps the previous one as .config.old' '
	objdir_for "$T" b &&
	"$KBUILD" config --tree "$T" -O b --base tinyconfig --config audio 2>/dev/null &&
	cp b/.config first &&
	printf "CONFIG_SND_ALOOP=y\n" >mine.config &&
	"$KBUILD" config --tree "$T" -O b --base tinyconfig --config audio --config ./mine.config 2>err &&
	test_grep "^CONFIG_SND_ALOOP=y$" b/.config &&
	test_cmp first b/.config.old &&
	test_grep "^./mine.config:1: warning: CONFIG_SND_ALOOP redefined '\''m'\'' -> '\''y'\'' (was set at kconfig-fragments/audio.config:24)$" err
'

test_expect_success 'unmet dependency, select and range on the real tree: exact reasons, exit 1' '
	objdir_for "$T" b &&
	printf "CONFIG_SND_TIMER=m\n# CONFIG_HIGH_RES_TIMERS is not set\nCONFIG_NR_CPUS=100000\n" >x.config &&
	test_must_fail --exit 1 "$KBUILD" config --tree "$T" -O b --base tinyconfig --config audio --config ./x.config --json r.json 2>err &&
	test_grep "^kconfig-fragments/audio.config:6: error: SND_HRTIMER: requested y, got n: depends on SOUND \[=y\] && SND \[=y\] && HIGH_RES_TIMERS \[=n\]$" err &&
	test_grep "^./x.config:1: error: SND_TIMER: requested m, got y: selected by .*SND_SEQUENCER \[=y\]" err &&
	test_grep "^./x.config:3: error: NR_CPUS: requested 100000, got 1: invalid value: 100000 is out of range \[1 1\] (arch/x86/Kconfig:1035: range NR_CPUS_RANGE_BEGIN NR_CPUS_RANGE_END)$" err &&
	"$SRCDIR/tests/kernel/status.py" r.json >st &&
	test_grep "^SND_HRTIMER unmet n kconfig-fragments/audio.config:6$" st &&
	test_grep "^NR_CPUS invalid 1 ./x.config:3$" st
'

test_expect_success 'a promptless value symbol names the defaults that set it' '
	objdir_for "$T" b &&
	printf "CONFIG_HZ=300\n" >hz.config &&
	test_must_fail --exit 1 "$KBUILD" config --tree "$T" -O b --base tinyconfig --config preempt --config ./hz.config 2>err &&
	test_grep "^./hz.config:1: error: HZ: requested 300, got 1000: has no prompt: its value comes from its defaults: 100 if HZ_100 \[=n\], 250 if HZ_250 \[=n\], 300 if HZ_300 \[=n\], 1000 if HZ_1000 \[=y\]$" err
'

test_expect_success 'errors come in the order of the fragments and their lines' '
	objdir_for "$T" b &&
	printf "CONFIG_NR_CPUS=100000\nCONFIG_SND_TIMER=m\n" >x.config &&
	test_must_fail --exit 1 "$KBUILD" config --tree "$T" -O b --base tinyconfig --config audio --config ./x.config 2>err &&
	grep ": error: " err | cut -d: -f1,2 >actual &&
	printf "./x.config:1\n./x.config:2\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'a choice member replaced twice is one change, with a warning for the fragment it overrode' '
	objdir_for "$T" b &&
	printf "CONFIG_HZ_300=y\n" >hz.config &&
	"$KBUILD" config --tree "$T" -O b --base tinyconfig --config preempt --config ./hz.config 2>err &&
	test_grep "^./hz.config:1: warning: choice \"Timer frequency\": CONFIG_HZ_300 replaces CONFIG_HZ_1000 (set at kconfig-fragments/preempt.config:12)$" err &&
	grep "CHOICE  \"Timer frequency\"" err >actual &&
	echo "  CHOICE  \"Timer frequency\": HZ_250 -> HZ_300 (./hz.config:1)" >expect &&
	test_cmp expect actual &&
	test_grep "^CONFIG_HZ_300=y$" b/.config
'

test_expect_success 'm requested while MODULES=n: reason names MODULES; --allow-unmet exits 0' '
	objdir_for "$T" b &&
	test_must_fail --exit 1 "$KBUILD" config --tree "$T" -O b --base tinyconfig --config audio.config 2>err &&
	test_grep "^kconfig-fragments/audio.config:23: error: SND_DUMMY: requested m, got y: m requested while MODULES \[=n\]: without module support tristate options are y or n$" err &&
	"$KBUILD" config --tree "$T" -O b --base tinyconfig --config audio.config --allow-unmet 2>err
'

test_expect_success 'explain PREEMPT_RT on the result' '
	objdir_for "$T" b &&
	"$KBUILD" config --tree "$T" -O b --base tinyconfig --config audio 2>/dev/null &&
	"$KBUILD" explain --tree "$T" -O b CONFIG_PREEMPT_RT >out &&
	cat >expect <<-\EOT &&
	CONFIG_PREEMPT_RT=y
	  type:        bool
	  defined at:  kernel/Kconfig.preempt:70
	  prompt:      "Fully Preemptible Kernel (Real-Time)"
	  visible:     y
	  in choice:   "Preemption Model" (kernel/Kconfig.preempt:14)
	  depends on:  EXPERT [=y] && ARCH_SUPPORTS_RT [=y]  => y
	  selects:     PREEMPTION [=y]  (kernel/Kconfig.preempt:73)
	  selected by: (nothing in this tree)
	  to be n:     choice "Preemption Model" needs one member set, and it is PREEMPT_RT: request another member instead
	EOT
	test_cmp expect out
'

test_expect_success 'explain an unknown symbol: exit 1 with a hint' '
	objdir_for "$T" b &&
	"$KBUILD" config --tree "$T" -O b --base tinyconfig --config preempt 2>/dev/null &&
	test_must_fail --exit 1 "$KBUILD" explain --tree "$T" -O b CONFIG_BLK_DEV_IDESCSI 2>err &&
	test_grep "^kbuild: error: CONFIG_BLK_DEV_IDESCSI: unknown symbol: not defined anywhere in this tree$" err &&
	test_grep "^    hint: IDE SCSI emulation was removed in 2.6.29" err
'

test_expect_success 'bad input on a real tree changes nothing' '
	objdir_for "$T" b &&
	"$KBUILD" config --tree "$T" -O b --base tinyconfig --config audio 2>/dev/null &&
	cp b/.config first && stat -c %Y b/.config >mtime1 &&
	printf "CONFIG_SND=y\r\n" >crlf.config &&
	test_must_fail --exit 2 "$KBUILD" config --tree "$T" -O b --base tinyconfig --config ./crlf.config 2>err &&
	test_cmp first b/.config && stat -c %Y b/.config >mtime2 && test_cmp mtime1 mtime2
'

test_done
