#!/usr/bin/env bash
# ./aie4 ctrlcode run: the project's own control code assembles with Debian's aiebu-asm and
# completes through CERT and the array with the bytes, polls and writes it should report; a
# program that deadlocks and one that refers to no known block are reported as such. A program
# of the shape of AMD's compiled operators (a trailing job holding only PREEMPT, made here from
# copy.asm) is "not assembled" with aiebu-asm's reason, and completes with --drop-preempt-jobs,
# as one file and as an operator directory (Work_AIE4/uc0.asm).
# aie4-test: group=ctrlcode
set -euo pipefail
. "$(dirname "$0")/lib.sh"
out=$results/ctrlcode-run
rm -rf "$out"; mkdir -p "$out"
set +e
AIE4EMU_BUILD=$build "$root/aie4" ctrlcode run "$root/guest-driver/ctrlcode" "$root/tests/fixtures/cert/deadlock.asm" \
    >"$out/report.txt" 2>"$out/stderr.txt"
rc=$?
set -e
cat "$out/report.txt"
fail() { echo "FAIL: $*"; exit 1; }
[ "$rc" = 1 ] || fail "exit status $rc, expected 1 (deadlock.asm stops)"
grep -q '^summary: 5 programs, 5 assembled, 4 completed, 1 stopped, 0 not assembled$' "$out/report.txt" ||
    fail "summary line"
# copy.asm: 4 KiB in and 4 KiB out, every write in a modelled block, its idle poll met.
awk '/^program copy.asm/{p=1} p&&/^  dma/{print; exit}' "$out/report.txt" |
    grep -q '8192 bytes moved; BD lengths name 8192 bytes on MM2S, 8192 on S2MM' || fail "copy DMA bytes"
awk '/^program copy.asm/{p=1} p&&/^  writes/{print; exit}' "$out/report.txt" |
    grep -q '40 BD words, 14 modelled registers, 0 stored without behaviour, 0 to unknown addresses' || fail "copy writes"
awk '/^program gemm.asm/{p=1} p&&/^  polls/{print; exit}' "$out/report.txt" | grep -q '1 met, 0 still' || fail "gemm polls"
grep -q 'stopped: deadlock, nothing left that could wake' "$out/report.txt" || fail "deadlock not reported"
awk '/^program copy.asm/{p=1} p&&/^  routes/{print; exit}' "$out/report.txt" |
    grep -q '^  routes      8 stream-switch register writes$' || fail "copy route writes"
# twopage.asm writes 2200 words where no block is known: reported by region, not hidden.
grep -q '0x02100000..0x02100fff 2048 writes, unknown address' "$out/report.txt" || fail "unknown region"

# copy.asm with a trailing job of its own holding only a PREEMPT (a checkpoint whose save and
# restore code is not part of the file, as in AMD's operator files), inserted before the first
# page end.
preempt=$out/preempt
mkdir -p "$preempt/op_copy/Work_AIE4"
awk '/^\.eop$/ && !done { print "START_JOB 1"; print "PREEMPT 0x1, @save, @restore , @hintmap_0"
                          print "END_JOB"; done = 1 }
     { print }
     END { print "hintmap_0:"; print "  .long 0x00000000" }' "$root/guest-driver/ctrlcode/copy.asm" \
    >"$preempt/copy_preempt.asm"
cp "$preempt/copy_preempt.asm" "$preempt/op_copy/Work_AIE4/uc0.asm"
set +e
AIE4EMU_BUILD=$build "$root/aie4" ctrlcode run "$preempt/copy_preempt.asm" >"$out/preempt-kept.txt" 2>&1
rc_kept=$?
AIE4EMU_BUILD=$build "$root/aie4" ctrlcode run --drop-preempt-jobs "$preempt" >"$out/preempt-dropped.txt" 2>&1
rc_dropped=$?
set -e
cat "$out/preempt-kept.txt" "$out/preempt-dropped.txt"
[ "$rc_kept" = 1 ] || fail "PREEMPT job kept: exit status $rc_kept, expected 1"
grep -q '^  result      not assembled: .*preempt opcode requires at least one load_pdi' "$out/preempt-kept.txt" ||
    fail "PREEMPT job kept: aiebu-asm's reason not reported"
grep -q '^  preempt' "$out/preempt-kept.txt" && fail "PREEMPT job kept, yet reported as removed"
[ "$rc_dropped" = 0 ] || fail "--drop-preempt-jobs: exit status $rc_dropped, expected 0"
grep -q '^summary: 2 programs, 2 assembled, 2 completed, 0 stopped, 0 not assembled; PREEMPT-only jobs removed from 2$' \
    "$out/preempt-dropped.txt" || fail "--drop-preempt-jobs: summary line"
for prog in op_copy copy_preempt.asm; do
    block=$(awk -v p="program $prog" '$0 == p {on = 1; print; next} /^program /{on = 0} on' "$out/preempt-dropped.txt")
    grep -q '^  preempt     .*removed 1 PREEMPT-only job: START_JOB 1$' <<<"$block" || fail "$prog: removal not reported"
    grep -q '^  result      completed$' <<<"$block" || fail "$prog: not completed"
    grep -q 'END_JOB 1,' <<<"$block" || fail "$prog: END_JOB count (job 0 only)"
    grep -q '8192 bytes moved' <<<"$block" || fail "$prog: DMA bytes"
done

# copy.asm without its eight stream-switch writes (as AMD's operators, whose routes come from
# the PDI): the first MM2S finds no route, and the report says the program set none.
grep -v -E 'WRITE_32 0x00(03F|1B0)' "$root/guest-driver/ctrlcode/copy.asm" >"$preempt/copy_noroute.asm"
set +e
AIE4EMU_BUILD=$build "$root/aie4" ctrlcode run "$preempt/copy_noroute.asm" >"$out/noroute.txt" 2>&1
rc_noroute=$?
set -e
cat "$out/noroute.txt"
[ "$rc_noroute" = 1 ] || fail "no routes: exit status $rc_noroute, expected 1"
grep -q '^  result      stopped: .*bad_route.*dead end.*(this program set no stream-switch route: AIE4.s routes come from the PDI' \
    "$out/noroute.txt" || fail "no routes: stop not explained"
grep -q '^  routes      0 stream-switch register writes$' "$out/noroute.txt" || fail "no routes: route writes"
echo "PASS"
