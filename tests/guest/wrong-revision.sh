# A revision the driver does not know (0x11; npu3 binds only at 0x10, docs/spec/driver-interface.md §8): the
# driver refuses both functions quietly, and the emulator keeps running (the runner checks
# that aie4emu still answers after the guest).
# aie4-test: attach=pf,vf0 emu-arg=--revision emu-arg=0x11 group=driver
grep -q 0x11 /sys/bus/pci/devices/0000:00:01.0/revision || { echo "FAIL: revision not 0x11"; exit 1; }
modprobe amdxdna || { echo "FAIL: modprobe itself failed"; exit 1; }
ls -d /sys/bus/pci/drivers/amdxdna/0000:* 2>/dev/null && { echo "FAIL: the driver bound a wrong revision"; exit 1; }
[ ! -e /dev/accel ] || [ -z "$(ls /dev/accel)" ] || { echo "FAIL: accel node exists"; exit 1; }
echo PASS
