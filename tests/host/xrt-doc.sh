#!/usr/bin/env bash
# docs/xrt.md "Your own application, from an empty directory", run as written: the shell blocks
# between the xrt-doc-test markers, in order, from the checkout (./aie4 xrt asm, ./aie4 xrt
# build with the developer tree, ./aie4 boot --rootfs xrt --run). The program checks its own
# result; the run must print its verified line and exit 0.
# aie4-test: group=xrt
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${AIE4EMU_BUILD:-$root/build}
out=$build/host-tests/xrt-doc
rm -rf "$out"; mkdir -p "$out"
python3 - "$root/docs/xrt.md" >"$out/commands.sh" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"<!-- xrt-doc-test begin -->(.*?)<!-- xrt-doc-test end -->", text, re.S)
if not m:
    sys.exit("docs/xrt.md has no xrt-doc-test block")
blocks = re.findall(r"```sh\n(.*?)```", m.group(1), re.S)
if len(blocks) < 4:
    sys.exit(f"docs/xrt.md: {len(blocks)} shell blocks in the xrt-doc-test part, expected at least 4")
print("set -e")
print("\n".join(blocks))
PY
cd "$root"
set +e
bash "$out/commands.sh" >"$out/run.log" 2>&1
rc=$?
set -e
tail -15 "$out/run.log"
[ "$rc" = 0 ] || { echo "FAIL: the documented commands exited $rc"; exit 1; }
grep -q '^verified: out is the transpose of in (1024 words)' "$out/run.log" || { echo "FAIL: no verified line"; exit 1; }
grep -q '^aie4-run: exit status 0' "$out/run.log" || { echo "FAIL: no exit status line"; exit 1; }
echo PASS
