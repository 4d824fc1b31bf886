# Debian's unmodified amdxdna binds the PF (device_type 2, RyzenAI-npu3-pf) and the VF
# (device_type 1, RyzenAI-npu3-vf, an accel node) with no amdxdna error or warning; the
# device saw the probe sequences of docs/spec/driver-interface.md §9.1 and §9.2 in order.
# aie4-test: attach=pf,vf0 group=driver
# aie4-trace pf: ^E smu cmd 4
# aie4-trace pf: ^E smu cmd 3
# aie4-trace pf: ^E psp cmd 1
# aie4-trace pf: ^E psp cmd 4
# aie4-trace pf: ^E psp cmd 2 arg0 0x1
# aie4-trace pf: ^E firmware up
# aie4-trace pf: op=ATTACH_WORK_BUFFER status=SUCCESS
# aie4-trace vf0: op=AIE_TILE_INFO status=SUCCESS
# aie4-trace vf0: op=CREATE_PARTITION status=SUCCESS
modprobe amdxdna || { echo "FAIL: modprobe"; exit 1; }
rc=0
for d in /sys/bus/pci/devices/*; do
    case $(cat $d/device) in
        0x17f2) want_type=2 want_vbnv=RyzenAI-npu3-pf ;;
        0x17f3) want_type=1 want_vbnv=RyzenAI-npu3-vf ;;
        *) continue ;;
    esac
    drv=$(basename "$(readlink $d/driver 2>/dev/null)")
    echo "${d##*/}: driver=$drv device_type=$(cat $d/device_type 2>/dev/null) vbnv=$(cat $d/vbnv 2>/dev/null)"
    [ "$drv" = amdxdna ] || { echo "FAIL: ${d##*/} not bound"; rc=1; }
    [ "$(cat $d/device_type 2>/dev/null)" = $want_type ] || { echo "FAIL: device_type"; rc=1; }
    [ "$(cat $d/vbnv 2>/dev/null)" = $want_vbnv ] || { echo "FAIL: vbnv"; rc=1; }
done
ls /dev/accel/accel* || { echo "FAIL: no accel node"; rc=1; }
if dmesg | grep amdxdna | grep -i -E 'error|warn|fail'; then echo "FAIL: amdxdna complained"; rc=1; fi
exit $rc
