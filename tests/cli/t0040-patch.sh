#!/bin/bash
# t0040-patch: series parsing, the whole-series check, transactions, ledger, unpatch and status
# on a small hand-made tree (the real PREEMPT_RT series is tests/kernel/k0020)
. "$(dirname "$0")/../test-lib.sh"

# a tiny tree and a quilt series: a modification, a new file, a -p0 patch, a compressed one
make_tree() {
	mkdir -p tree/kernel tree/scripts &&
	printf "line 1\nline 2\nline 3\nline 4\nline 5\nline 6\nline 7\nline 8\n" >tree/kernel/sched.c &&
	printf "#!/bin/sh\necho hi\n" >tree/scripts/run.sh && chmod 755 tree/scripts/run.sh &&
	printf "keep\n" >tree/README &&
	mkdir -p series &&
	cat >series/0001-sched.patch <<-\EOT &&
	Subject: sched: change line 2
	---
	--- a/kernel/sched.c
	+++ b/kernel/sched.c
	@@ -1,3 +1,3 @@
	 line 1
	-line 2
	+line 2 (rt)
	 line 3
	EOT
	cat >series/0002-new-file.patch <<-\EOT &&
	diff --git a/localversion-rt b/localversion-rt
	new file mode 100644
	--- /dev/null
	+++ b/localversion-rt
	@@ -0,0 +1 @@
	+-rt1
	EOT
	cat >series/0003-p0.patch <<-\EOT &&
	--- scripts/run.sh
	+++ scripts/run.sh
	@@ -1,2 +1,2 @@
	 #!/bin/sh
	-echo hi
	+echo hello
	EOT
	cat >series/0004-zipped.patch <<-\EOT &&
	--- a/kernel/sched.c
	+++ b/kernel/sched.c
	@@ -6,3 +6,3 @@
	 line 6
	-line 7
	+line 7 (rt)
	 line 8
	EOT
	xz series/0004-zipped.patch &&
	cat >series/series <<-\EOT
	# the series, quilt style
	0001-sched.patch
	0002-new-file.patch   # a trailing comment

	0003-p0.patch -p0
	0004-zipped.patch.xz
	EOT
}

snapshot() {
	(cd "$1" && find . -path ./.kbuild-patches -prune -o -printf "%m %p\n" | sort &&
		find . -path ./.kbuild-patches -prune -o -type f -print0 | sort -z | xargs -0 sha256sum)
}

test_expect_success 'apply: every patch, one summary line, exit 0' '
	make_tree &&
	"$KBUILD" patch --tree tree --patch series >out 2>err &&
	echo "kbuild: applied series to tree: 4 patches, 3 files" >expect &&
	test_cmp expect out &&
	grep "^  PATCH" err >actual &&
	printf "  PATCH   %s\n" 0001-sched.patch 0002-new-file.patch 0003-p0.patch 0004-zipped.patch.xz >expect &&
	test_cmp expect actual &&
	test_grep "^line 2 (rt)$" tree/kernel/sched.c &&
	test_grep "^line 7 (rt)$" tree/kernel/sched.c &&
	test_grep "^-rt1$" tree/localversion-rt &&
	test_grep "^echo hello$" tree/scripts/run.sh &&
	test "$(stat -c %a tree/scripts/run.sh)" = 755
'

test_expect_success 'apply again: a no-op that says already applied' '
	make_tree &&
	"$KBUILD" patch --tree tree --patch series >/dev/null 2>&1 &&
	snapshot tree >before &&
	"$KBUILD" patch --tree tree --patch series >out 2>err &&
	echo "kbuild: series: already applied to tree" >expect &&
	test_cmp expect out &&
	snapshot tree >after && test_cmp before after
'

test_expect_success '--status: the series, its patches, and a tree that matches' '
	make_tree &&
	"$KBUILD" patch --tree tree --patch series >/dev/null 2>&1 &&
	"$KBUILD" patch --tree tree --status >out &&
	cat >expect <<-\EOT &&
	tree: series
	applied: 4 patches
	  0001-sched.patch
	  0002-new-file.patch
	  0003-p0.patch
	  0004-zipped.patch.xz
	tree: matches the ledger (3 files)
	EOT
	test_cmp expect out
'

test_expect_success '--status names files edited since, and exits 1' '
	make_tree &&
	"$KBUILD" patch --tree tree --patch series >/dev/null 2>&1 &&
	echo "local hack" >>tree/kernel/sched.c &&
	test_must_fail --exit 1 "$KBUILD" patch --tree tree --status >out &&
	test_grep "^changed since the series was applied:$" out &&
	test_grep "^  kernel/sched.c$" out &&
	rm tree/localversion-rt &&
	test_must_fail --exit 1 "$KBUILD" patch --tree tree --status >out &&
	test_grep "^  localversion-rt (deleted)$" out &&
	test_grep "^tree: 2 of 3 patched files differ from the ledger$" out
'

test_expect_success '--unpatch: byte-identical to before, modes too, no leftovers' '
	make_tree &&
	snapshot tree >before &&
	"$KBUILD" patch --tree tree --patch series >/dev/null 2>&1 &&
	"$KBUILD" patch --tree tree --unpatch >out 2>err &&
	echo "kbuild: removed series from tree: 3 files restored" >expect &&
	test_cmp expect out &&
	snapshot tree >after && test_cmp before after &&
	test ! -e tree/.kbuild-patches &&
	! find tree -name "*.orig" -o -name "*.rej" -o -name "*kbuild-tmp*" | grep .
'

test_expect_success '--unpatch refuses to discard edits made since; --force does it' '
	make_tree &&
	snapshot tree >before &&
	"$KBUILD" patch --tree tree --patch series >/dev/null 2>&1 &&
	echo "my edit" >>tree/kernel/sched.c &&
	test_must_fail --exit 1 "$KBUILD" patch --tree tree --unpatch 2>err &&
	cat >expect <<-\EOT &&
	kbuild: error: files in '\''tree'\'' changed since the series was applied; --unpatch would discard those edits:
	    kernel/sched.c
	    (save them, or run '\''kbuild patch --tree tree --unpatch --force'\'')
	EOT
	test_cmp expect err &&
	test_grep "^my edit$" tree/kernel/sched.c &&
	"$KBUILD" patch --tree tree --unpatch --force >/dev/null &&
	snapshot tree >after && test_cmp before after
'

test_expect_success '--dry-run on a tree that carries the series without a ledger writes nothing' '
	make_tree &&
	"$KBUILD" patch --tree tree --patch series >/dev/null 2>&1 &&
	rm -rf tree/.kbuild-patches &&
	"$KBUILD" patch --tree tree --patch series --dry-run >out 2>/dev/null &&
	test_grep "is already applied to tree (found by reverse-checking; no ledger); --dry-run: nothing changed$" out &&
	test ! -e tree/.kbuild-patches
'

test_expect_success '--status after an interrupted --unpatch says so, exit 1' '
	make_tree &&
	"$KBUILD" patch --tree tree --patch series >/dev/null 2>&1 &&
	test_must_fail env KBUILD_CRASH_AT=rollback:1 "$KBUILD" patch --tree tree --unpatch >/dev/null 2>&1;
	test_must_fail --exit 1 "$KBUILD" patch --tree tree --status >out &&
	echo "tree: an interrupted --unpatch left the tree half restored; the next run finishes it" >expect &&
	test_cmp expect out
'

test_expect_success '--dry-run checks the whole series and changes nothing' '
	make_tree &&
	snapshot tree >before &&
	"$KBUILD" patch --tree tree --patch series --dry-run >out 2>/dev/null &&
	echo "kbuild: series applies cleanly to tree (4 patches, 3 files); --dry-run: nothing changed" >expect &&
	test_cmp expect out &&
	snapshot tree >after && test_cmp before after && test ! -e tree/.kbuild-patches
'

test_expect_success 'a patch that fails in the middle: nothing changes, the report names patch, line, file, hunk, reject' '
	make_tree &&
	cat >series/0003-p0.patch <<-\EOT &&
	--- scripts/run.sh
	+++ scripts/run.sh
	@@ -1,2 +1,2 @@
	 #!/bin/sh
	-echo goodbye
	+echo hello
	EOT
	snapshot tree >before &&
	test_must_fail --exit 1 "$KBUILD" patch --tree tree --patch series >out 2>err &&
	echo "kbuild: series does not apply to tree: patch 3 of 4 fails; the tree is unchanged" >expect &&
	test_cmp expect out &&
	test_grep "^series/series:5: error: 0003-p0.patch does not apply$" err &&
	test_grep "^    patching file scripts/run.sh$" err &&
	test_grep "^    Hunk #1 FAILED at 1.$" err &&
	test_grep "^    reject:$" err &&
	test_grep "^    | -echo goodbye$" err &&
	snapshot tree >after && test_cmp before after && test ! -e tree/.kbuild-patches
'

test_expect_success 'a tree that carries the series without a ledger is recognised, never patched twice' '
	make_tree &&
	"$KBUILD" patch --tree tree --patch series >/dev/null 2>&1 &&
	rm -rf tree/.kbuild-patches &&
	snapshot tree >before &&
	"$KBUILD" patch --tree tree --patch series >out 2>err &&
	test_grep "is already applied to tree (found by reverse-checking" out &&
	snapshot tree >after && test_cmp before after &&
	"$KBUILD" patch --tree tree --unpatch >/dev/null &&
	test_grep "^line 2$" tree/kernel/sched.c && test ! -e tree/localversion-rt
'

test_expect_success 'paths outside the tree are refused before anything is applied' '
	make_tree &&
	printf -- "--- a/../evil\n+++ b/../evil\n@@ -0,0 +1 @@\n+owned\n" >series/0005-evil.patch &&
	echo 0005-evil.patch >>series/series &&
	snapshot tree >before &&
	test_must_fail --exit 1 "$KBUILD" patch --tree tree --patch series >out 2>err &&
	test_grep "^series/series:7: error: 0005-evil.patch writes outside the tree: '\''../evil'\'': '\''..'\'' component$" err &&
	test_grep "^kbuild: refused series: it would write outside tree; the tree is unchanged$" out &&
	test ! -e evil && snapshot tree >after && test_cmp before after
'

test_expect_success 'absolute paths and paths through a symlink are refused' '
	make_tree &&
	mkdir outside && ln -s ../outside tree/link &&
	printf -- "--- /etc/evil\n+++ /etc/evil\n@@ -0,0 +1 @@\n+owned\n" >abs.patch &&
	printf -- "--- a/link/file\n+++ b/link/file\n@@ -0,0 +1 @@\n+owned\n" >sym.patch &&
	test_must_fail --exit 1 "$KBUILD" patch --tree tree --patch abs.patch 2>err &&
	test_grep "writes outside the tree: '\''/etc/evil'\'': absolute path$" err &&
	test_must_fail --exit 1 "$KBUILD" patch --tree tree --patch sym.patch 2>err &&
	test_grep "writes outside the tree: '\''link/file'\'': goes through a symlink at link$" err &&
	test ! -e outside/file
'

test_expect_success 'fuzz and offset are reported; --strict refuses them and changes nothing' '
	make_tree &&
	printf "line 0a\nline 0b\n" | cat - tree/kernel/sched.c >t && mv t tree/kernel/sched.c &&
	snapshot tree >before &&
	test_must_fail --exit 1 "$KBUILD" patch --tree tree --patch series --strict >out 2>err &&
	test_grep "^kbuild: --strict: 2 patches apply only with fuzz or offset; the tree is unchanged$" out &&
	snapshot tree >after && test_cmp before after &&
	"$KBUILD" patch --tree tree --patch series >out 2>err &&
	test_grep "^series/series:2: note: 0001-sched.patch: Hunk #1 succeeded at 3 (offset 2 lines).$" err
'

test_expect_success '-R in the series reverses a patch' '
	make_tree &&
	printf "line 1\nline 2 (rt)\nline 3\nline 4\nline 5\nline 6\nline 7\nline 8\n" >tree/kernel/sched.c &&
	printf "0001-sched.patch -R\n" >series/series &&
	"$KBUILD" patch --tree tree --patch series >/dev/null 2>&1 &&
	test_grep "^line 2$" tree/kernel/sched.c
'

test_expect_success 'a single compressed patch file is a series of one' '
	make_tree &&
	gzip -c series/0001-sched.patch >one.patch.gz &&
	"$KBUILD" patch --tree tree --patch one.patch.gz >out 2>/dev/null &&
	test_grep "^kbuild: applied one.patch.gz to tree: 1 patch, 1 file$" out &&
	bzip2 -c series/0001-sched.patch >two.patch.bz2 && zstd -q -c series/0001-sched.patch >three.patch.zst &&
	"$KBUILD" patch --tree tree --unpatch >/dev/null &&
	"$KBUILD" patch --tree tree --patch two.patch.bz2 >/dev/null 2>&1 && "$KBUILD" patch --tree tree --unpatch >/dev/null &&
	"$KBUILD" patch --tree tree --patch three.patch.zst >/dev/null 2>&1 &&
	test_grep "^line 2 (rt)$" tree/kernel/sched.c
'

test_expect_success 'an RT-style tarball (patches/ and its series) is unpacked and applied' '
	make_tree &&
	mkdir -p tb/patches && cp series/* tb/patches/ &&
	tar -C tb -cJf patches-6.1.1-rt1.tar.xz patches &&
	KBUILD_CACHE=$PWD/cache "$KBUILD" patch --tree tree --patch patches-6.1.1-rt1.tar.xz >out 2>/dev/null &&
	test_grep "^kbuild: applied patches-6.1.1-rt1.tar.xz to tree: 4 patches, 3 files$" out
'

test_expect_success 'a series file naming a missing patch, an unknown option, or an empty series: exit 2' '
	make_tree &&
	echo "0009-missing.patch" >>series/series &&
	test_must_fail --exit 2 "$KBUILD" patch --tree tree --patch series 2>err &&
	test_grep "^series/series:7: error: patch '\''0009-missing.patch'\'' is missing$" err &&
	printf "0001-sched.patch -p1 --fuzz\n" >series/series &&
	test_must_fail --exit 2 "$KBUILD" patch --tree tree --patch series 2>err &&
	test_grep "^series/series:1: error: unknown option '\''--fuzz'\'' for 0001-sched.patch (quilt knows -pN and -R)$" err &&
	printf "# nothing\n" >series/series &&
	test_must_fail --exit 2 "$KBUILD" patch --tree tree --patch series 2>err &&
	test_grep "^series/series: error: the series lists no patches$" err &&
	echo "just text" >notapatch &&
	test_must_fail --exit 2 "$KBUILD" patch --tree tree --patch notapatch 2>err &&
	test_grep "^notapatch: error: not a patch: no '\''--- '\''/'\''+++ '\'' file headers found$" err &&
	test ! -e tree/.kbuild-patches
'

test_expect_success 'a tree carrying another series: exit 1, pointing at --unpatch' '
	make_tree &&
	"$KBUILD" patch --tree tree --patch series >/dev/null 2>&1 &&
	test_must_fail --exit 1 "$KBUILD" patch --tree tree --patch series/0001-sched.patch 2>err &&
	test_grep "carries another series (series); run '\''kbuild patch --tree tree --unpatch'\'' first" err
'

for at in stage:2 before-state after-state commit:1 commit:2 before-orig before-ledger after-ledger; do
	test_expect_success "killed at $at: the next run leaves the series wholly applied" '
		make_tree &&
		snapshot tree >before &&
		test_must_fail env KBUILD_CRASH_AT='"$at"' "$KBUILD" patch --tree tree --patch series >/dev/null 2>&1;
		rc=$?; test $rc -ne 0 &&
		"$KBUILD" patch --tree tree --patch series >out 2>err &&
		"$KBUILD" patch --tree tree --status >status &&
		test_grep "^tree: matches the ledger (3 files)$" status &&
		test_grep "^line 2 (rt)$" tree/kernel/sched.c && test_grep "^-rt1$" tree/localversion-rt &&
		"$KBUILD" patch --tree tree --unpatch >/dev/null &&
		snapshot tree >after && test_cmp before after
	'
done

test_expect_success 'killed during --unpatch: the next --unpatch finishes it' '
	make_tree &&
	snapshot tree >before &&
	"$KBUILD" patch --tree tree --patch series >/dev/null 2>&1 &&
	test_must_fail env KBUILD_CRASH_AT=rollback:1 "$KBUILD" patch --tree tree --unpatch >/dev/null 2>&1;
	"$KBUILD" patch --tree tree --unpatch >out 2>err &&
	test_grep "an earlier --unpatch of '\''tree'\'' was interrupted: finished it" err &&
	snapshot tree >after && test_cmp before after
'

test_expect_success 'the main run without a command: --stop-after patch is the patch stage alone' '
	make_tree &&
	"$KBUILD" --tree tree -O b --patch series --stop-after patch >out 2>/dev/null &&
	echo "kbuild: applied series to tree: 4 patches, 3 files" >expect &&
	test_cmp expect out &&
	python3 -c "import json; m = json.load(open(\"b/metadata.json\")); assert m[\"series\"][\"name\"] and len(m[\"series\"][\"patches\"]) == 4, m" &&
	test_must_fail --exit 3 "$KBUILD" --tree tree -O b --patch series --config audio --stop-after config 2>err &&
	echo "kbuild: error: '"'"'$PWD/tree'"'"' is not a kernel tree: no Kconfig and Makefile at its top" >expect &&
	test_cmp expect err
'

test_expect_success 'usage errors: exit 2' '
	test_must_fail --exit 2 "$KBUILD" patch --patch series 2>err &&
	test_grep "no kernel tree given" err &&
	mkdir t &&
	test_must_fail --exit 2 "$KBUILD" patch --tree t 2>err &&
	test_grep "no series given (use --patch ll|DIR|FILE)" err &&
	test_must_fail --exit 2 "$KBUILD" patch --tree t --status --unpatch 2>err &&
	test_grep "exclude each other" err &&
	test_must_fail --exit 3 "$KBUILD" patch --tree nope --patch x 2>err &&
	test_grep "kernel tree '\''nope'\'': No such file or directory" err
'

# ---- kbuild's own state read back from the tree is untrusted input (a tarball can ship a .kbuild-patches/) ----

# everything in the tree, kbuild's state included: names, types, modes, link targets, contents
snapshot_all() {
	(cd "$1" && find . -printf "%m %y %p %l\n" | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum)
}

# the series applied (ledger lines: 7 kernel/sched.c M, 8 localversion-rt N, 9 scripts/run.sh M), a victim outside
tamper_setup() {
	make_tree && "$KBUILD" patch --tree tree --patch series >/dev/null 2>&1 &&
	echo precious >victim && mkdir outside && echo precious >outside/victim
}

refused="kbuild: error: refusing to act on kbuild's state in 'tree': it does not hold what kbuild writes; nothing was changed"

# $1: the ledger's complaint; --unpatch, --status and applying again all refuse with it, exit 2, and touch nothing
expect_refused() {
	printf "%s\n%s\n" "$1" "$refused" >expect &&
	snapshot_all tree >before &&
	test_must_fail --exit 2 "$KBUILD" patch --tree tree --unpatch >out 2>err &&
	test_cmp expect err && test_cmp /dev/null out &&
	test_must_fail --exit 2 "$KBUILD" patch --tree tree --unpatch --force >/dev/null 2>err &&
	test_cmp expect err &&
	test_must_fail --exit 2 "$KBUILD" patch --tree tree --status >out 2>err &&
	test_cmp expect err && test_cmp /dev/null out &&
	test_must_fail --exit 2 "$KBUILD" patch --tree tree --patch series >/dev/null 2>err &&
	test_cmp expect err &&
	test "$(cat victim)" = precious && test "$(cat outside/victim)" = precious &&
	snapshot_all tree >after && test_cmp before after
}

test_expect_success 'ledger naming ../victim: --unpatch, --status and apply refuse (exit 2), victim and tree untouched' '
	tamper_setup &&
	sed -i "8s#localversion-rt\$#../victim#" tree/.kbuild-patches/ledger &&
	expect_refused "tree/.kbuild-patches/ledger:8: error: path leaves the tree: '\''../victim'\'': '\''..'\'' component"
'

test_expect_success 'ledger naming an absolute path: refused, exit 2, nothing touched' '
	tamper_setup &&
	sed -i "7s#kernel/sched.c\$#$PWD/victim#" tree/.kbuild-patches/ledger &&
	expect_refused "tree/.kbuild-patches/ledger:7: error: path leaves the tree: '\''$PWD/victim'\'': absolute path"
'

test_expect_success 'ledger path through a symlinked directory pointing outside: refused, exit 2, nothing touched' '
	tamper_setup &&
	ln -s ../outside tree/evil &&
	sed -i "8s#localversion-rt\$#evil/victim#" tree/.kbuild-patches/ledger &&
	expect_refused "tree/.kbuild-patches/ledger:8: error: path leaves the tree: '\''evil/victim'\'': goes through a symlink at evil"
'

test_expect_success 'ledger with a truncated last line: refused, exit 2, nothing touched' '
	tamper_setup &&
	head -c -20 tree/.kbuild-patches/ledger >l && mv l tree/.kbuild-patches/ledger &&
	expect_refused "tree/.kbuild-patches/ledger:9: error: truncated line (no newline at its end)"
'

test_expect_success 'ledger with a bad hash, a bad mode, a missing field, a duplicate: each refused, exit 2' '
	tamper_setup &&
	cp tree/.kbuild-patches/ledger good &&
	sed -i "7s#\tbf1a6583[0-9a-f]*\t#\txyz\t#" tree/.kbuild-patches/ledger &&
	expect_refused "tree/.kbuild-patches/ledger:7: error: bad sha256 '\''xyz'\'': not 64 hex digits or '\''-'\''" &&
	sed "9s#\t755\t#\t99999\t#" good >tree/.kbuild-patches/ledger &&
	expect_refused "tree/.kbuild-patches/ledger:9: error: bad mode '\''99999'\'': not octal 0..7777 (0 for a new file)" &&
	sed "3s#\t1\t0\t#\t1\t#" good >tree/.kbuild-patches/ledger &&
	expect_refused "tree/.kbuild-patches/ledger:3: error: '\''patch'\'' line with 5 fields, expected 6" &&
	sed "9s#scripts/run.sh\$#kernel/sched.c#" good >tree/.kbuild-patches/ledger &&
	expect_refused "tree/.kbuild-patches/ledger:9: error: '\''kernel/sched.c'\'' is listed twice (first on line 7)" &&
	sed "8s#localversion-rt\$#.kbuild-patches/ledger#" good >tree/.kbuild-patches/ledger &&
	expect_refused "tree/.kbuild-patches/ledger:8: error: path leaves the tree: '\''.kbuild-patches/ledger'\'': kbuild'\''s own state directory"
'

test_expect_success 'a saved original reached through a symlink out of the tree: refused, exit 2, nothing read or touched' '
	tamper_setup &&
	mkdir outside/kernel && echo stolen >outside/kernel/sched.c &&
	rm -r tree/.kbuild-patches/orig/kernel && ln -s ../../../outside/kernel tree/.kbuild-patches/orig/kernel &&
	expect_refused "tree/.kbuild-patches/ledger:7: error: the saved original of '\''kernel/sched.c'\'' is reached through a symlink at kernel" &&
	! grep stolen tree/kernel/sched.c
'

test_expect_success 'a ledger that is a symlink (to /dev/zero): refused, exit 2, the saved originals kept' '
	tamper_setup &&
	ln -sf /dev/zero tree/.kbuild-patches/ledger &&
	expect_refused "tree/.kbuild-patches/ledger: error: the ledger is not a regular file" &&
	test -f tree/.kbuild-patches/orig/kernel/sched.c
'

test_expect_success '.kbuild-patches as a symlink out of the tree: refused, exit 2, the directory it points at untouched' '
	make_tree && mkdir outside && echo precious >outside/keep && echo precious >outside/victim && echo precious >victim && ln -s ../outside tree/.kbuild-patches &&
	expect_refused "tree/.kbuild-patches: error: a symlink, not a directory: kbuild'\''s state cannot be trusted" &&
	test "$(cat outside/keep)" = precious
'

test_expect_success 'recovery of an interrupted apply whose planned ledger names ../victim: refused, exit 2' '
	make_tree && echo precious >victim && mkdir outside && echo precious >outside/victim &&
	test_must_fail env KBUILD_CRASH_AT=after-state "$KBUILD" patch --tree tree --patch series >/dev/null 2>&1;
	test -f tree/.kbuild-patches/txn/STATE &&
	sed -i "8s#localversion-rt\$#../victim#" tree/.kbuild-patches/txn/ledger &&
	snapshot_all tree >before &&
	printf "%s\n%s\n" "tree/.kbuild-patches/txn/ledger:8: error: path leaves the tree: '\''../victim'\'': '\''..'\'' component" \
		"$refused" >expect &&
	test_must_fail --exit 2 "$KBUILD" patch --tree tree --patch series >/dev/null 2>err &&
	test_cmp expect err &&
	test_must_fail --exit 2 "$KBUILD" patch --tree tree --unpatch >/dev/null 2>err &&
	test_cmp expect err &&
	test "$(cat victim)" = precious && snapshot_all tree >after && test_cmp before after
'

# ---- every git patch form applies, or fails loudly (fixtures in tests/fixtures/patch/; GNU patch 2.7.6 -p1 noted) ----

forms_tree() {
	mkdir tree && (cd tree && printf "x\n" >"$(printf "caf\303\251.c")" && printf "a\n" >m.sh && printf "r\n" >old.c &&
		printf "d\n" >del.c && : >e0 && printf "c\n" >src.c && printf "e\n" >exists.c && printf "\0\1bin" >b.bin)
}

# $1 fixture, $2 number of files: applies, says so, --status matches, --unpatch restores byte for byte
applies_and_unpatches() {
	forms_tree && snapshot_all tree >before &&
	"$KBUILD" patch --tree tree --patch "$FIXTURES/patch/$1" >out 2>/dev/null &&
	echo "kbuild: applied $FIXTURES/patch/$1 to tree: 1 patch, $2" >expect && test_cmp expect out &&
	"$KBUILD" patch --tree tree --status >status && test_grep "^tree: matches the ledger" status &&
	"$KBUILD" patch --tree tree --unpatch >/dev/null && snapshot_all tree >after && test_cmp before after
}

test_expect_success 'git C-quoted name "b/caf\303\251.c" applies to café.c (GNU patch: the same)' '
	applies_and_unpatches git-quoted-name.patch "1 file" &&
	"$KBUILD" patch --tree tree --patch "$FIXTURES/patch/git-quoted-name.patch" >/dev/null 2>&1 &&
	test "$(cat "tree/$(printf "caf\303\251.c")")" = y && test ! -e "tree/caf303251.c"
'

test_expect_success 'git new empty file without hunks is created (GNU patch: creates it)' '
	applies_and_unpatches git-new-empty-file.patch "1 file" &&
	"$KBUILD" patch --tree tree --patch "$FIXTURES/patch/git-new-empty-file.patch" >/dev/null 2>&1 &&
	test -f tree/empty.txt && test ! -s tree/empty.txt
'

test_expect_success 'git deleted empty file without hunks is removed (GNU patch: removes it)' '
	applies_and_unpatches git-delete-empty-file.patch "1 file" &&
	"$KBUILD" patch --tree tree --patch "$FIXTURES/patch/git-delete-empty-file.patch" >/dev/null 2>&1 &&
	test ! -e tree/e0
'

test_expect_success 'git deleted file with its hunk is removed (GNU patch: removes it)' '
	applies_and_unpatches git-delete-file.patch "1 file" &&
	"$KBUILD" patch --tree tree --patch "$FIXTURES/patch/git-delete-file.patch" >/dev/null 2>&1 &&
	test ! -e tree/del.c
'

test_expect_success 'git mode change old mode/new mode is applied and undone (GNU patch: chmods it)' '
	applies_and_unpatches git-mode-change.patch "1 file" &&
	"$KBUILD" patch --tree tree --patch "$FIXTURES/patch/git-mode-change.patch" >/dev/null 2>&1 &&
	test "$(stat -c %a tree/m.sh)" = 755
'

test_expect_success 'git rename moves the file (GNU patch: renames it)' '
	applies_and_unpatches git-rename.patch "2 files" &&
	"$KBUILD" patch --tree tree --patch "$FIXTURES/patch/git-rename.patch" >/dev/null 2>&1 &&
	test ! -e tree/old.c && test "$(cat tree/new.c)" = r
'

test_expect_success 'git copy with a hunk creates the patched copy, keeps the source (GNU patch: the same)' '
	applies_and_unpatches git-copy.patch "2 files" &&
	"$KBUILD" patch --tree tree --patch "$FIXTURES/patch/git-copy.patch" >/dev/null 2>&1 &&
	test "$(cat tree/src.c)" = c && printf "c\nmore\n" >expect && test_cmp expect tree/dst.c
'

test_expect_success 'git rename onto an existing file fails, exit 1, tree unchanged (GNU patch: overwrites it, exit 0)' '
	forms_tree && snapshot_all tree >before &&
	test_must_fail --exit 1 "$KBUILD" patch --tree tree --patch "$FIXTURES/patch/git-rename-onto-existing.patch" >out 2>err &&
	test_grep "^$FIXTURES/patch/git-rename-onto-existing.patch:1: error: '\''exists.c'\'' is a new file in the patch, but it exists already (GNU patch overwrites it)$" err &&
	echo "kbuild: $FIXTURES/patch/git-rename-onto-existing.patch does not apply to tree: patch 1 of 1 fails; the tree is unchanged" >expect &&
	test_cmp expect out &&
	snapshot_all tree >after && test_cmp before after
'

# $1 fixture, $2 the error: refused as bad input (exit 2), the tree unchanged
refused_form() {
	forms_tree && snapshot_all tree >before &&
	test_must_fail --exit 2 "$KBUILD" patch --tree tree --patch "$FIXTURES/patch/$1" >out 2>err &&
	echo "$FIXTURES/patch/$1:$2" >expect && test_cmp expect err &&
	snapshot_all tree >after && test_cmp before after
}

test_expect_success 'Binary files ... differ is refused, exit 2, tree unchanged (GNU patch: prints patching file, exit 0, no change)' '
	refused_form git-binary-no-data.patch "3: error: a binary patch without its data: kbuild cannot apply it"
'

test_expect_success 'GIT binary patch is refused, exit 2, tree unchanged (GNU patch: git binary diffs are not supported, exit 1)' '
	refused_form git-binary-literal.patch "3: error: a binary patch: kbuild cannot apply it"
'

test_done
