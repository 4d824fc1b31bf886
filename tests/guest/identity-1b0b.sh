# The selectable identity: PF 1022:1b0b / VF 1022:1b0c rev 0x10, bound by the same driver
# with firmware from amdnpu/1b0b_10/.
# aie4-test: attach=pf,vf0 identity=1b0b group=driver
# aie4-trace pf: ^E firmware up
# aie4-trace vf0: op=CREATE_PARTITION status=SUCCESS
grep -q 0x1b0b /sys/bus/pci/devices/*/device || { echo "FAIL: no 1b0b"; exit 1; }
grep -q 0x1b0c /sys/bus/pci/devices/*/device || { echo "FAIL: no 1b0c"; exit 1; }
modprobe amdxdna || exit 1
n=$(ls -d /sys/bus/pci/drivers/amdxdna/0000:* | wc -l)
echo "bound functions: $n"
[ "$n" = 2 ] || { dmesg | grep amdxdna; exit 1; }
dmesg | grep amdxdna | grep 'amdnpu/1b0b_10' && { echo "FAIL: firmware request failed"; exit 1; }
aie4-query --expect cols=3,rows=6 >/dev/null || exit 1
echo PASS
