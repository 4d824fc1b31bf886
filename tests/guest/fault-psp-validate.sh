# Fault psp-validate (docs/driver-development.md): PSP VALIDATE of a good npu.dev.sbin answers
# 0xffff00f5. The driver logs "fw return error 0xffff00f5", "failed to validate fw, ret -5"
# and the PF probe fails with -EIO (-5). Binding the PF again (the fault struck once) works.
# aie4-test: attach=pf group=driver fault=psp-validate:count=1
# aie4-trace pf: psp validate fault=status 0xffff00f5
# aie4-trace pf: ^E firmware up
# aie4-trace pf: op=ATTACH_WORK_BUFFER status=SUCCESS
pf=/sys/bus/pci/drivers/amdxdna/0000:00:01.0
modprobe amdxdna || { echo "FAIL: modprobe"; exit 1; }
[ ! -e $pf ] || { echo "FAIL: PF bound although PSP validation failed"; exit 1; }
dmesg | grep -q 'amdxdna 0000:00:01.0: .*fw return error 0xffff00f5' || { echo "FAIL: no PSP error line"; dmesg | grep amdxdna; exit 1; }
dmesg | grep -q 'amdxdna 0000:00:01.0: .*failed to validate fw, ret -5' || { echo "FAIL: no validate line"; dmesg | grep amdxdna; exit 1; }
dmesg | grep -q 'amdxdna 0000:00:01.0: .*Hardware init failed, ret -5' || { echo "FAIL: probe error is not -EIO"; dmesg | grep amdxdna; exit 1; }
echo 0000:00:01.0 >/sys/bus/pci/drivers/amdxdna/bind || { echo "FAIL: rebind"; exit 1; }
[ -e $pf ] || { echo "FAIL: PF not bound after rebind"; exit 1; }
echo PASS
