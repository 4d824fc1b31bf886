#!/usr/bin/env bash
# SR-IOV multi-tenancy on one NPU: one aie4emu with two VFs; VF0 in one VM and VF1 in another,
# at the same time, no PF attached anywhere (the host-side control plane enabled the VFs).
# Both VMs bind their VF and run checked workloads concurrently; then VM B's guest kills a
# process with work in flight while VM A still runs; VM A's results stay correct. Finally a
# new VM attaches VF0 again after the first one has gone (vfio-user client reconnect).
# Run by ./aie4 test on the host; needs a built tree (./aie4 build) and ./aie4 setup.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
start_emu sriov-two-vms 2

cat >"$out/vm-a.sh" <<'G'
modprobe amdxdna || exit 1
[ "$(ls /sys/bus/pci/devices/*/device | xargs cat | grep -c 0x17f3)" = 1 ] || { echo "FAIL: expected exactly one VF"; exit 1; }
grep -q 0x17f2 /sys/bus/pci/devices/*/device && { echo "FAIL: the PF is visible"; exit 1; }
aie4-umq-test --workload copy --count 300 --depth 8 || exit 1
aie4-umq-test --workload gemm --count 100 --depth 8 || exit 1
G
cat >"$out/vm-b.sh" <<'G'
modprobe amdxdna || exit 1
aie4-umq-test --workload gemm --count 100000 --depth 32 >/tmp/bg.log 2>&1 & bg=$!
sleep 1; kill -9 $bg; wait $bg 2>/dev/null
aie4-umq-test --workload copy --count 100 || exit 1
G
cat >"$out/vm-c.sh" <<'G'
modprobe amdxdna || exit 1
aie4-umq-test --workload copy --count 20 || exit 1
G
"$root/aie4" boot --socket-dir "$sock" --attach vf0 --script "$out/vm-a.sh" --timeout 300 >"$out/vm-a.log" 2>&1 & a=$!
"$root/aie4" boot --socket-dir "$sock" --attach vf1 --script "$out/vm-b.sh" --timeout 300 >"$out/vm-b.log" 2>&1 & b=$!
ra=0; rb=0
wait $a || ra=$?
wait $b || rb=$?
echo "VM A (vf0): exit $ra; VM B (vf1): exit $rb"
[ $ra = 0 ] || { echo "FAIL: VM A"; tail -20 "$out/vm-a.log"; exit 1; }
[ $rb = 0 ] || { echo "FAIL: VM B"; tail -20 "$out/vm-b.log"; exit 1; }
# Both guests' commands ran on the emulator at once: CERT saw both functions.
"$build/emu/aie4ctl" --socket-dir "$sock" commands last=100000 >"$out/commands.json"
python3 - "$out/commands.json" <<'PY'
import json, sys
cs = json.load(open(sys.argv[1]))["commands"]
fns = {c["fn"] for c in cs if not c["error"]}
print("functions with completed commands:", sorted(fns))
sys.exit(0 if fns == {"vf0", "vf1"} else 1)
PY
"$root/aie4" boot --socket-dir "$sock" --attach vf0 --script "$out/vm-c.sh" --timeout 300 >"$out/vm-c.log" 2>&1 ||
    { echo "FAIL: reattaching vf0 to a new VM"; tail -20 "$out/vm-c.log"; exit 1; }
"$build/emu/aie4ctl" --socket-dir "$sock" status | grep -q '"ok":true' || { echo "FAIL: aie4emu not answering"; exit 1; }
echo PASS
