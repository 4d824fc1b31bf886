#!/usr/bin/env bash
# ./aie4 run-suite on a fixture suite with one passing script and one failing on purpose
# (tests/fixtures/run-suite/), two at a time: exit status 1, "1 passed, 1 failed" as the last
# line, a JUnit file that is valid (tests/host/junit_check.py) with the same counts, the failure
# reported with the console's last lines and the emulator's status, and each script's results
# in the documented layout. Then ./aie4 test's own report for a Catch2 suite and a fuzz smoke
# run: valid, counts equal to its summary line.
# aie4-test: group=runner
set -euo pipefail
. "$(dirname "$0")/lib.sh"
out=$results
check=$root/tests/host/junit_check.py

rc=0
"$root/aie4" run-suite "$root/tests/fixtures/run-suite" --jobs 2 --timeout 300 \
    --junit "$out/suite.xml" --results "$out/suite" >"$out/suite.log" 2>&1 || rc=$?
cat "$out/suite.log"
[ $rc = 1 ] || { echo "FAIL: run-suite exited $rc, expected 1 (one script fails)"; exit 1; }
[ "$(tail -n1 "$out/suite.log")" = "1 passed, 1 failed" ] || { echo "FAIL: last line is not '1 passed, 1 failed'"; exit 1; }
python3 "$check" "$out/suite.xml" --passed 1 --failed 1 || { echo "FAIL: the JUnit file"; exit 1; }
python3 - "$out/suite.xml" <<'PY' || { echo "FAIL: the JUnit contents"; exit 1; }
import sys, xml.etree.ElementTree as ET
cases = {c.get("name"): c for c in ET.parse(sys.argv[1]).getroot().iter("testcase")}
assert set(cases) == {"passes", "fails-on-purpose"}, cases
assert cases["passes"].find("failure") is None
f = cases["fails-on-purpose"].find("failure")
assert f is not None, "the failing script has no <failure>"
assert "exit status 3" in f.get("message"), f.get("message")
assert "FAILING-ON-PURPOSE-7f3a" in f.text, "no console tail in the failure"
assert '"ok":true' in f.text.replace(" ", ""), "no emulator status in the failure"
assert float(cases["passes"].get("time")) > 0
print("JUnit contents as expected")
PY
for f in console.log dmesg.txt pf.trace.json commands.json status.json aie4emu.log boot.log result.json; do
    [ -s "$out/suite/passes/$f" ] || { echo "FAIL: results/passes/$f missing or empty"; exit 1; }
done
grep -q amdxdna "$out/suite/passes/dmesg.txt" || { echo "FAIL: the saved dmesg has no amdxdna line"; exit 1; }
grep -q FAILING-ON-PURPOSE-7f3a "$out/suite/fails-on-purpose/console.log" || { echo "FAIL: failing script's console not kept"; exit 1; }

rc=0
"$root/aie4" test --no-asan --only unit-control --only fuzz-vfio_user --junit "$out/unit.xml" \
    --results "$out/unit" >"$out/unit.log" 2>&1 || rc=$?
tail -n3 "$out/unit.log"
[ $rc = 0 ] || { echo "FAIL: ./aie4 test --only unit-control --only fuzz-vfio_user exited $rc"; exit 1; }
read -r p _ f _ < <(tail -n1 "$out/unit.log")
[ "$p" -gt 1 ] || { echo "FAIL: unit-control counted $p test cases"; exit 1; }
python3 "$check" "$out/unit.xml" --passed "$p" --failed "$f" || { echo "FAIL: the unit JUnit file"; exit 1; }
echo PASS
