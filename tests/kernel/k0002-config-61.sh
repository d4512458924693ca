#!/bin/bash
# k0002-config-61: vanilla 6.1 (no PREEMPT_RT): the miss is reported with its reason and the
# `ll` hint, the preempt fragment falls back to full PREEMPT, and the exit code is 1
. "$(dirname "$0")/lib.sh"

T=$KT_61

test_expect_success '--config audio on vanilla 6.1: PREEMPT_RT unmet naming EXPERT and ARCH_SUPPORTS_RT, exit 1' '
	objdir_for "$T" b &&
	test_must_fail --exit 1 "$KBUILD" config --tree "$T" -O b --base tinyconfig --config audio --json r.json >out 2>err &&
	cat >expect <<-\EOT &&
	kconfig-fragments/preempt.config:10: error: PREEMPT_RT: requested y, got n: depends on EXPERT [=y] && ARCH_SUPPORTS_RT [=n]
	    ARCH_SUPPORTS_RT has no prompt and nothing selects it in this tree
	    hint: before 6.12 the PREEMPT_RT patch series provides it: run '\''kbuild patch --tree SRC --patch ll'\''
	EOT
	grep -A2 "^kconfig-fragments/preempt.config:10: error:" err >actual &&
	test_cmp expect actual &&
	n=$(python3 -c "import json; print(len(json.load(open(\"r.json\"))[\"requested\"]))") &&
	echo "kbuild: $n requested: $((n - 6)) ok, 1 unmet, 0 invalid, 0 unknown, 5 historical" >expect &&
	test_cmp expect out
'

test_expect_success 'the JSON report carries the verdict, reason, file and line' '
	objdir_for "$T" b &&
	test_must_fail --exit 1 "$KBUILD" config --tree "$T" -O b --base tinyconfig --config audio --json r.json 2>/dev/null &&
	python3 -c "
import json
r = json.load(open(\"r.json\"))
rt = [x for x in r[\"requested\"] if x[\"symbol\"] == \"PREEMPT_RT\"]
want = {\"symbol\": \"PREEMPT_RT\", \"requested\": \"y\", \"actual\": \"n\", \"status\": \"unmet\",
        \"reason\": \"depends on EXPERT [=y] && ARCH_SUPPORTS_RT [=n]\",
        \"detail\": \"ARCH_SUPPORTS_RT has no prompt and nothing selects it in this tree; hint: before 6.12 the PREEMPT_RT patch series provides it: run \x27kbuild patch --tree SRC --patch ll\x27\",
        \"file\": \"kconfig-fragments/preempt.config\", \"line\": 10}
assert rt == [want], rt
pm = [x for x in r[\"choices\"] if x[\"choice\"] == \"Preemption Model\"]
assert [(x[\"from\"], x[\"to\"], x.get(\"preferred\")) for x in pm] == [(\"PREEMPT_NONE\", \"PREEMPT\", \"PREEMPT_RT\")], pm
ide = [x for x in r[\"requested\"] if x[\"symbol\"] == \"BLK_DEV_IDESCSI\"][0]
assert ide[\"status\"] == \"historical\" and ide[\"actual\"] is None and ide[\"line\"] == 8, ide
assert ide[\"today\"] == \"BLK_DEV_SR, CHR_DEV_SG\", ide
"
'

test_expect_success 'the preempt fragment falls back to full PREEMPT and says so' '
	objdir_for "$T" b &&
	test_must_fail --exit 1 "$KBUILD" config --tree "$T" -O b --base tinyconfig --config preempt 2>err &&
	test_grep "^kconfig-fragments/preempt.config:10: note: CONFIG_PREEMPT_RT did not stick: falling back to CONFIG_PREEMPT (kconfig-fragments/preempt.config:9)$" err &&
	test_grep "^CONFIG_PREEMPT=y$" b/.config &&
	! grep "^CONFIG_PREEMPT_RT=" b/.config &&
	test_grep "^CONFIG_HZ_1000=y$" b/.config
'

test_expect_success '--allow-unmet: same report, exit 0' '
	objdir_for "$T" b &&
	"$KBUILD" config --tree "$T" -O b --base tinyconfig --config audio --allow-unmet 2>err &&
	test_grep "error: PREEMPT_RT: requested y, got n" err
'

test_expect_success 'the ide-scsi fragment names the old options in one HISTORY line on 6.1 too' '
	objdir_for "$T" b &&
	"$KBUILD" config --tree "$T" -O b --base tinyconfig --config ide-scsi 2>err &&
	test_grep "^  HISTORY old names in the shipped fragments, today: IDE, BLK_DEV_IDE -> ATA; BLK_DEV_IDESCSI -> BLK_DEV_SR, CHR_DEV_SG (HOWTO.md, \"Old names\")$" err &&
	! grep warning err &&
	test_grep "^CONFIG_BLK_DEV_SR=y$" b/.config
'

test_expect_success 'explain ARCH_SUPPORTS_RT: nothing selects it' '
	objdir_for "$T" b &&
	"$KBUILD" config --tree "$T" -O b --base tinyconfig --config preempt --allow-unmet 2>/dev/null &&
	"$KBUILD" explain --tree "$T" -O b ARCH_SUPPORTS_RT >out &&
	cat >expect <<-\EOT &&
	CONFIG_ARCH_SUPPORTS_RT is not set
	  type:        bool
	  defined at:  arch/Kconfig:1171
	  prompt:      (none: only defaults and selects set it)
	  selected by: (nothing in this tree)
	  to be y:     has no prompt and nothing selects it in this tree
	    hint: before 6.12 the PREEMPT_RT patch series provides it: run '\''kbuild patch --tree SRC --patch ll'\''
	EOT
	test_cmp expect out
'

test_done
