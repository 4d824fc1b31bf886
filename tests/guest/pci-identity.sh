# The guest sees the default identity: PF 1022:17f2 and VF 1022:17f3, revision 0x10, class
# 0x118000 (signal processing controller), and no driver bound before modprobe.
# aie4-test: attach=pf,vf0
set -e
pf=$(grep -l 0x17f2 /sys/bus/pci/devices/*/device | head -n1); pf=${pf%/device}
vf=$(grep -l 0x17f3 /sys/bus/pci/devices/*/device | head -n1); vf=${vf%/device}
[ -n "$pf" ] && [ -n "$vf" ] || { echo "FAIL: PF or VF missing"; cat /sys/bus/pci/devices/*/device; exit 1; }
for d in $pf $vf; do
    echo "${d##*/}: $(cat $d/vendor):$(cat $d/device) rev $(cat $d/revision) class $(cat $d/class)"
    [ "$(cat $d/vendor)" = 0x1022 ] || { echo "FAIL: vendor"; exit 1; }
    [ "$(cat $d/revision)" = 0x10 ] || { echo "FAIL: revision"; exit 1; }
    [ "$(cat $d/class)" = 0x118000 ] || { echo "FAIL: class"; exit 1; }
    [ ! -e $d/driver ] || { echo "FAIL: bound before modprobe"; exit 1; }
done
# The VF has no PSP/SMU BARs: BAR4 and BAR5 are empty on the VF and present on the PF.
[ "$(sed -n 5p $pf/resource | cut -d' ' -f1)" != 0x0000000000000000 ] || { echo "FAIL: PF BAR4 missing"; exit 1; }
[ "$(sed -n 5p $vf/resource | cut -d' ' -f1)" = 0x0000000000000000 ] || { echo "FAIL: VF has a BAR4"; exit 1; }
echo PASS
