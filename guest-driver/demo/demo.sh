#!/bin/sh
# The guest half of ./aie4 demo: what the guest sees of the AIE4, the unmodified amdxdna
# binding it, and workloads through a user-mode queue on the VF, checked byte for byte.
# Lines starting with "DEMO " are collected by the host into the summary.
fail=0
say() { echo "DEMO $*"; }

echo "=== PCI functions (vendor:device rev class) ==="
for d in /sys/bus/pci/devices/*; do
    v=$(cat $d/vendor); [ "$v" = 0x1022 ] || continue
    echo "  ${d##*/}  ${v#0x}:$(cat $d/device | sed 's/0x//') rev $(cat $d/revision | sed 's/0x//') class $(cat $d/class)"
    say "pci ${d##*/} ${v#0x}:$(cat $d/device | sed 's/0x//') rev $(cat $d/revision | sed 's/0x//')"
done

echo "=== modprobe amdxdna (Debian's module, unmodified) ==="
modprobe amdxdna || { echo "modprobe failed"; fail=1; }
for d in /sys/bus/pci/drivers/amdxdna/0000:*; do
    [ -e "$d" ] || continue
    echo "  ${d##*/}: device_type $(cat $d/device_type) vbnv $(cat $d/vbnv)"
    say "bound ${d##*/} $(cat $d/vbnv)"
done
ls /dev/accel/ 2>/dev/null | sed 's/^/  \/dev\/accel\//'
# (not the loader's taint note for an unsigned module from ./aie4 demo --driver)
errors=$(dmesg | grep amdxdna | grep -v 'module verification failed: signature' | grep -c -E 'ERROR|WARN|fail')
echo "  amdxdna errors or warnings in dmesg after probe: $errors"
say "probe-errors $errors"
[ "$errors" = 0 ] || { dmesg | grep amdxdna; fail=1; }

echo "=== AIE metadata of the VF (DRM_AMDXDNA_QUERY_AIE_METADATA) ==="
aie4-query | grep -E '^(bdf|cols|rows|core_rows|mem_rows|shim_rows|version_major|version_minor)=' | sed 's/^/  /'

for wl in copy gemm empty; do
    case $wl in
        copy) what="32x32 word matrix host -> shim DMA -> memory tile (transpose) -> shim DMA -> host"; n=50;;
        gemm) what="C = A x B, 64x64x64 int8 -> int32, native GEMM kernel on a compute tile"; n=20;;
        empty) what="empty command, queue depth 32, 2 contexts (throughput)"; n=1000;;
    esac
    echo "=== workload $wl: $what ==="
    if [ $wl = empty ]; then
        aie4-umq-test --workload empty --count $n --depth 32 --contexts 2 >/tmp/$wl.out 2>&1
    else
        aie4-umq-test --workload $wl --count $n >/tmp/$wl.out 2>&1
    fi
    rc=$?
    sed 's/^/  /' /tmp/$wl.out | grep -v -E 'SVA|PASID'
    say "workload $wl rc=$rc $(grep -E '^(completed|commands_per_s|latency_us_min)' /tmp/$wl.out | tr '\n' ' ')"
    [ $rc = 0 ] || fail=1
done
exit $fail
