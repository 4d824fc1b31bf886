#!/usr/bin/env bash
# Killing QEMU (SIGKILL, with the driver bound and a queue in use) leaves aie4emu running; a new
# QEMU attaches to the same sockets, sees the PF and VF again, binds the driver and runs work.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
start_emu qemu-killed-reattach 1

cat >"$out/first.sh" <<'G'
modprobe amdxdna || exit 1
echo "BUSY: driver bound, queue running"
aie4-umq-test --workload gemm --count 1000000 --depth 8 >/dev/null 2>&1
G
cat >"$out/second.sh" <<'G'
grep -q 0x17f2 /sys/bus/pci/devices/*/device && grep -q 0x17f3 /sys/bus/pci/devices/*/device || exit 1
modprobe amdxdna || exit 1
[ "$(ls -d /sys/bus/pci/drivers/amdxdna/0000:* | wc -l)" = 2 ] || exit 1
aie4-umq-test --workload copy --count 20 || exit 1
G
"$root/aie4" boot --socket-dir "$sock" --attach pf,vf0 --script "$out/first.sh" --timeout 300 >"$out/first.log" 2>&1 &
boot=$!
for _ in $(seq 600); do grep -q '^BUSY' "$out/first.log" 2>/dev/null && break; sleep 0.1; done
grep -q '^BUSY' "$out/first.log" || { echo "FAIL: first guest never got busy"; tail "$out/first.log"; exit 1; }
sleep 1
qemu=$(pgrep -f "vfio-user-pci.*$sock/pf.sock" | head -n1)
[ -n "$qemu" ] || { echo "FAIL: no QEMU found"; exit 1; }
kill -9 "$qemu"
wait $boot || true
kill -0 $emu || { echo "FAIL: aie4emu died with QEMU"; tail "$out/aie4emu.log"; exit 1; }
# The emulator notices the vanished client when it next services the socket: give it 5 s.
for _ in $(seq 50); do
    "$build/emu/aie4ctl" --socket-dir "$sock" status | grep -q '"connected":true' || break
    sleep 0.1
done
"$build/emu/aie4ctl" --socket-dir "$sock" status | grep -q '"connected":true' && { echo "FAIL: a client still connected"; exit 1; }
echo "QEMU killed; aie4emu still answers"
"$root/aie4" boot --socket-dir "$sock" --attach pf,vf0 --script "$out/second.sh" --timeout 300 >"$out/second.log" 2>&1 ||
    { echo "FAIL: the second QEMU"; tail -20 "$out/second.log"; exit 1; }
echo PASS
