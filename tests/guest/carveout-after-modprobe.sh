# A guest program started the moment `modprobe amdxdna` returns must not race the image's
# carveout hook (which runs asynchronously on the bind uevent): it asks the hook first, so
# every function ends up with the hook's own slice, the slices of the PF and the VF do not
# overlap, and the driver never reports a second carveout write ("already been set up").
# aie4-test: attach=pf,vf0 group=driver
modprobe amdxdna || { echo "FAIL: modprobe"; exit 1; }
aie4-umq-test --count 4 || { echo "FAIL: aie4-umq-test right after modprobe"; exit 1; }
rc=0
slices=
for d in /sys/bus/pci/drivers/amdxdna/0000:*; do
    bdf=${d##*/}
    now=$(cat /sys/kernel/debug/accel/$bdf/carveout)
    hook=$(cat /run/aie4-carveout/$bdf 2>/dev/null)
    echo "$bdf: carveout $now (hook's slice: ${hook:-none})"
    [ "$now" = "$hook" ] || { echo "FAIL: $bdf's carveout is not the hook's slice"; rc=1; }
    slices="$slices $now"
done
# Disjoint: sorted by address, each slice ends before the next begins.
prev_end=0
for s in $(for s in $slices; do printf '%d %s\n' "${s#*@}" "$s"; done | sort -n | cut -d' ' -f2); do
    start=$(( ${s#*@} )) end=$(( ${s#*@} + ${s%@*} ))
    [ $start -ge $prev_end ] || { echo "FAIL: slice $s overlaps the one before it"; rc=1; }
    prev_end=$end
done
if dmesg | grep amdxdna | grep "already been set up"; then echo "FAIL: a second carveout write"; rc=1; fi
[ $rc = 0 ] && echo PASS
exit $rc
