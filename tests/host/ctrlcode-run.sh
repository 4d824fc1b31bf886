#!/usr/bin/env bash
# ./aie4 ctrlcode run: the project's own control code assembles with Debian's aiebu-asm and
# completes through CERT and the array with the bytes, polls and writes it should report; a
# program that deadlocks and one that refers to no known block are reported as such.
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
# twopage.asm writes 2200 words where no block is known: reported by region, not hidden.
grep -q '0x02100000..0x02100fff 2048 writes, unknown address' "$out/report.txt" || fail "unknown region"
echo "PASS"
