# Fault mailbox-timeout (docs/driver-development.md): the firmware takes the VF's first
# mailbox request (AIE_TILE_INFO) off the ring and never answers. The driver waits RX_TIMEOUT
# (5 s), logs "Wait for completion timeout", and the VF probe fails with -ETIME (-62); the PF
# still binds. After rmmod/modprobe (the fault struck once) the VF binds and works.
# aie4-test: attach=pf,vf0 group=driver fault=mailbox-timeout:fn=vf0:count=1
# aie4-trace vf0: op=AIE_TILE_INFO fault=no-answer
# aie4-trace vf0: op=AIE_TILE_INFO status=SUCCESS
# aie4-trace vf0: op=CREATE_PARTITION status=SUCCESS
pf=/sys/bus/pci/drivers/amdxdna/0000:00:01.0 vf=/sys/bus/pci/drivers/amdxdna/0000:00:02.0
modprobe amdxdna || { echo "FAIL: modprobe"; exit 1; }
[ -e $pf ] || { echo "FAIL: PF not bound"; exit 1; }
[ ! -e $vf ] || { echo "FAIL: VF bound although its mailbox never answered"; exit 1; }
dmesg | grep -q 'amdxdna 0000:00:02.0: .*Wait for completion timeout' || { echo "FAIL: no RX timeout line"; dmesg | grep amdxdna; exit 1; }
dmesg | grep -q 'amdxdna 0000:00:02.0: .*Hardware init failed, ret -62' || { echo "FAIL: probe error is not -ETIME"; dmesg | grep amdxdna; exit 1; }
rmmod amdxdna && modprobe amdxdna || { echo "FAIL: reload"; exit 1; }
[ -e $vf ] || { echo "FAIL: VF not bound after reload"; dmesg | tail -20; exit 1; }
aie4-umq-test --count 5 || { echo "FAIL: commands after reload"; exit 1; }
echo PASS
