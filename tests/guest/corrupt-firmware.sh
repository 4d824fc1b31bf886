# PSP VALIDATE rejects a corrupted npu.dev.sbin: the PF probe fails cleanly with the PSP's
# error, the emulator keeps running, and with the good file back the PF binds.
# aie4-test: attach=pf group=driver
f=/lib/firmware/amdnpu/17f2_10/npu.dev.sbin
cp $f /tmp/good.sbin
printf '\377\377\377\377' | dd of=$f bs=1 seek=200 conv=notrunc 2>/dev/null
modprobe amdxdna
[ -e /sys/bus/pci/drivers/amdxdna/0000:00:01.0 ] && { echo "FAIL: bound with a corrupt image"; exit 1; }
dmesg | grep -q 'failed to validate fw' || { echo "FAIL: no validation error from the driver"; dmesg | grep amdxdna; exit 1; }
cp /tmp/good.sbin $f
echo 0000:00:01.0 > /sys/bus/pci/drivers/amdxdna/bind || { echo "FAIL: rebind"; exit 1; }
[ -e /sys/bus/pci/drivers/amdxdna/0000:00:01.0 ] || { echo "FAIL: not bound with the good image"; exit 1; }
echo PASS
