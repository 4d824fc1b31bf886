# Fault msix-lost (docs/driver-development.md): the VF's next 20 completion MSI-X messages are
# lost; CERT still writes the completion word and read_index. The driver only re-checks
# read_index when the interrupt wakes WAIT_CMD: a wait that began before the completion returns
# -ETIME after the caller's timeout although the command is done (word 4, read_index past it);
# one that began after it returns 0 at once. Nothing is logged. Once interrupts arrive again
# the same driver instance works (no reload needed).
# aie4-test: attach=pf,vf0 group=driver fault=msix-lost:fn=vf0:count=20
# aie4-trace vf0: msix [0-9]+ lost \(injected fault\)
modprobe amdxdna || { echo "FAIL: modprobe"; exit 1; }
dmesg -c >/dev/null
timeouts=0 i=0
while [ $i -lt 10 ]; do
    i=$((i + 1))
    if ! aie4-umq-test --count 1 --timeout-ms 500 >/tmp/out 2>&1; then
        grep -q 'WAIT_CMD(seq 0) failed: Timer expired' /tmp/out || { echo "FAIL: not an ETIME"; cat /tmp/out; exit 1; }
        grep -q 'read_index 1 write_index 1 word 0x00000004' /tmp/out || { echo "FAIL: the command was not done"; cat /tmp/out; exit 1; }
        timeouts=$((timeouts + 1))
    fi
done
echo "waits that timed out on a completed command: $timeouts of 10"
[ $timeouts -gt 0 ] || { echo "FAIL: no wait was left hanging by the lost interrupts"; exit 1; }
[ -z "$(dmesg | grep amdxdna | grep -vE "Use carveout mem|SVA bind device failed|PASID not available")" ] || { echo "FAIL: the driver logged something"; dmesg; exit 1; }
aie4-umq-test --count 20 --timeout-ms 2000 >/dev/null 2>&1   # uses up the rest of the 20 lost messages
aie4-umq-test --count 20 || { echo "FAIL: commands once interrupts arrive"; exit 1; }
echo PASS
