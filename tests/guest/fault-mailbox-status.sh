# Fault mailbox-status (docs/driver-development.md): the firmware answers the VF's
# CREATE_PARTITION (opcode 0x30001) with status 0x2 instead of handling it. The driver logs
# "command opcode 0x30001 failed, status 0x2" and "partition init failed: -22"; the VF probe
# fails with -EINVAL (-22). After rmmod/modprobe (the fault struck once) the VF binds and works.
# aie4-test: attach=pf,vf0 group=driver fault=mailbox-status:fn=vf0:op=CREATE_PARTITION:status=2:count=1
# aie4-trace vf0: op=AIE_TILE_INFO status=SUCCESS
# aie4-trace vf0: op=CREATE_PARTITION status=0x2 fault=status
# aie4-trace vf0: op=CREATE_PARTITION status=SUCCESS
pf=/sys/bus/pci/drivers/amdxdna/0000:00:01.0 vf=/sys/bus/pci/drivers/amdxdna/0000:00:02.0
modprobe amdxdna || { echo "FAIL: modprobe"; exit 1; }
[ -e $pf ] || { echo "FAIL: PF not bound"; exit 1; }
[ ! -e $vf ] || { echo "FAIL: VF bound although CREATE_PARTITION failed"; exit 1; }
dmesg | grep -q 'amdxdna 0000:00:02.0: .*command opcode 0x30001 failed, status 0x2' || { echo "FAIL: no status line"; dmesg | grep amdxdna; exit 1; }
dmesg | grep -q 'amdxdna 0000:00:02.0: .*partition init failed: -22' || { echo "FAIL: no partition init line"; dmesg | grep amdxdna; exit 1; }
dmesg | grep -q 'amdxdna 0000:00:02.0: .*Hardware init failed, ret -22' || { echo "FAIL: probe error is not -EINVAL"; dmesg | grep amdxdna; exit 1; }
rmmod amdxdna && modprobe amdxdna || { echo "FAIL: reload"; exit 1; }
[ -e $vf ] || { echo "FAIL: VF not bound after reload"; exit 1; }
aie4-umq-test --count 5 || { echo "FAIL: commands after reload"; exit 1; }
echo PASS
