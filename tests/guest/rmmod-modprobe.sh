# Unloading the driver sends SUSPEND and PSP RELEASE_TMR on the PF and DESTROY_PARTITION on
# the VF (docs/spec/driver-interface.md §9.5); loading it again boots the firmware again and works.
# aie4-test: attach=pf,vf0 group=driver
# aie4-trace pf: op=ATTACH_WORK_BUFFER status=SUCCESS
# aie4-trace pf: op=SUSPEND status=SUCCESS
# aie4-trace pf: ^E psp cmd 3
# aie4-trace pf: ^E firmware down
# aie4-trace pf: ^E smu cmd 4
# aie4-trace pf: ^E psp cmd 2
# aie4-trace pf: op=ATTACH_WORK_BUFFER status=SUCCESS
# aie4-trace vf0: op=CREATE_PARTITION status=SUCCESS
# aie4-trace vf0: op=DESTROY_PARTITION status=SUCCESS
# aie4-trace vf0: op=AIE_TILE_INFO status=SUCCESS
# aie4-trace vf0: op=CREATE_PARTITION status=SUCCESS
set -e
modprobe amdxdna
aie4-query --expect cols=3 >/dev/null
rmmod amdxdna
[ ! -e /sys/bus/pci/drivers/amdxdna ] || { echo "FAIL: driver still there"; exit 1; }
modprobe amdxdna
[ "$(ls -d /sys/bus/pci/drivers/amdxdna/0000:* | wc -l)" = 2 ] || { echo "FAIL: not both bound again"; exit 1; }
aie4-query --expect cols=3,rows=6,core_rows=4 >/dev/null
echo PASS
