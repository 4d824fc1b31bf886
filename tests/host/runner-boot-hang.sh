#!/usr/bin/env bash
# A guest whose init does not start in time is booted once more, and the result says so:
# ./aie4 run-suite on the passing fixture script with the runner's test hook
# AIE4_TEST_HANG_FIRST_BOOT=20: the first boot's kernel runs a shell that waits for input
# instead of the init (rdinit=/bin/sh) and is stopped as hung 20 s after QEMU started.
# Checks: the test passes on its second boot (exit 0, "1 passed, 0 failed"), the first
# boot's files are kept in first-boot/ with its live kernel log (the kernel's first line and not
# the init's), the progress line and the "booted twice" line name it, and the JUnit file is
# valid and carries a flakyFailure for it; the first boot's ./aie4 boot output gives the reason
# and the kernel log's last lines after the console.
# aie4-test: group=runner
set -euo pipefail
. "$(dirname "$0")/lib.sh"
out=$results
check=$root/tests/host/junit_check.py

rc=0
AIE4_TEST_HANG_FIRST_BOOT=20 "$root/aie4" run-suite "$root/tests/fixtures/run-suite" --only passes \
    --timeout 300 --junit "$out/suite.xml" --results "$out/suite" >"$out/suite.log" 2>&1 || rc=$?
cat "$out/suite.log"
[ $rc = 0 ] || { echo "FAIL: run-suite exited $rc, expected 0 (passes on its second boot)"; exit 1; }
[ "$(tail -n1 "$out/suite.log")" = "1 passed, 0 failed" ] || { echo "FAIL: last line is not '1 passed, 0 failed'"; exit 1; }
grep -q "passes: the first boot hung before the guest's init started" "$out/suite.log" ||
    { echo "FAIL: no line says the first boot hung"; exit 1; }
grep -q "passes: passed (on a second boot:" "$out/suite.log" || { echo "FAIL: the result line does not say 'on a second boot'"; exit 1; }
grep -q "booted twice .*: passes$" "$out/suite.log" || { echo "FAIL: no 'booted twice' line naming the test"; exit 1; }
first=$out/suite/passes/first-boot
grep -q "Linux version" "$first/dmesg.txt" || { echo "FAIL: first-boot/dmesg.txt has no kernel log"; exit 1; }
if grep -q AIE4-READY "$first/console.log"; then echo "FAIL: the first boot's init had started"; exit 1; fi
grep -q "the guest's init did not start within 20 s" "$first/boot.log" || { echo "FAIL: first-boot/boot.log does not give the reason"; exit 1; }
grep -q -- "--- guest kernel log, last 25 lines ---" "$first/boot.log" || { echo "FAIL: ./aie4 boot did not print the kernel log after the console"; exit 1; }
grep -q "fixture: the PF is bound" "$out/suite/passes/console.log" || { echo "FAIL: the second boot did not run the script"; exit 1; }
python3 "$check" "$out/suite.xml" --passed 1 --failed 0 || { echo "FAIL: the JUnit file"; exit 1; }
python3 - "$out/suite.xml" <<'PY' || { echo "FAIL: the JUnit contents"; exit 1; }
import sys, xml.etree.ElementTree as ET
case = next(ET.parse(sys.argv[1]).getroot().iter("testcase"))
assert case.get("name") == "passes", case.get("name")
assert case.find("failure") is None
flaky = case.find("flakyFailure")
assert flaky is not None, "no <flakyFailure>"
assert "hung before the guest's init started" in flaky.get("message"), flaky.get("message")
print("JUnit: flakyFailure present")
PY

echo PASS
