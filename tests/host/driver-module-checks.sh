# ./aie4 boot --driver refuses, before booting, a module the guest kernel would not load, and
# aie4ctl arms, lists and clears faults on a running emulator (docs/driver-development.md).
# Modules: the packaged amdxdna with its vermagic changed to another kernel's (same length),
# and a module with another name. No developer tree needed.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
start_emu driver-module-checks 1
packaged=$(ls "$AIE4_TREE_MODULES"/kernel/drivers/accel/amdxdna/amdxdna.ko* | head -n1)
case $packaged in
    *.xz) aie4_tree_run /usr/bin/xz -dc "$packaged" >"$out/amdxdna.ko" ;;
    *.zst) aie4_tree_run /usr/bin/zstd -qdc "$packaged" >"$out/amdxdna.ko" ;;
    *) cp "$packaged" "$out/amdxdna.ko" ;;
esac
LC_ALL=C sed 's/vermagic=7\.3\.4+deb13-amd64/vermagic=7.3.9+deb13-amd64/' "$out/amdxdna.ko" >"$out/other-kernel.ko"
cmp -s "$out/amdxdna.ko" "$out/other-kernel.ko" && { echo "FAIL: could not make a module for another kernel"; exit 1; }
set +e
"$root/aie4" boot --driver "$out/other-kernel.ko" --script /dev/null --timeout 30 >"$out/refused.log" 2>&1
rc=$?
set -e
cat "$out/refused.log"
[ "$rc" = 2 ] || { echo "FAIL: exit $rc for another kernel's module, expected 2"; exit 1; }
grep -q "was built for another kernel" "$out/refused.log" || { echo "FAIL: no clear refusal"; exit 1; }
grep -q "'7.3.9+deb13-amd64 SMP" "$out/refused.log" || { echo "FAIL: the module's vermagic is not named"; exit 1; }
grep -q 'guest: booting' "$out/refused.log" && { echo "FAIL: it booted"; exit 1; }
other=$(find "$AIE4_TREE_MODULES/kernel/drivers/gpu/drm" -name 'drm_shmem_helper.ko*' | head -n1)
case $other in *.xz) aie4_tree_run /usr/bin/xz -dc "$other" >"$out/other.ko" ;; *) cp "$other" "$out/other.ko" ;; esac
set +e
"$root/aie4" boot --driver "$out/other.ko" --script /dev/null --timeout 30 >"$out/name.log" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "not amdxdna" "$out/name.log" || { echo "FAIL: another driver was not refused (exit $rc)"; cat "$out/name.log"; exit 1; }

# Faults over the control socket: armed, listed, refused when malformed, cleared.
ctl=("$build/emu/aie4ctl" --socket-dir "$sock")
"${ctl[@]}" fault kind=mailbox-status fn=vf0 op=CREATE_PARTITION status=2 count=1 | grep -q '"ok":true' || { echo "FAIL: arm"; exit 1; }
"${ctl[@]}" fault kind=dma-fault fn=vf0 | grep -q '"columns":"0..2"' || { echo "FAIL: dma-fault columns"; exit 1; }
"${ctl[@]}" fault kind=msix-lost fn=vf0 count=3 >/dev/null || { echo "FAIL: msix-lost"; exit 1; }
list=$("${ctl[@]}" faults)
echo "$list"
echo "$list" | grep -q '"kind":"mailbox-status"' && echo "$list" | grep -q '"left":3' || { echo "FAIL: faults list"; exit 1; }
"${ctl[@]}" fault kind=melt-down >/dev/null && { echo "FAIL: an unknown kind was accepted"; exit 1; }
"${ctl[@]}" fault kind=mailbox-status status=0 >/dev/null && { echo "FAIL: status 0 accepted"; exit 1; }
"${ctl[@]}" fault kind=dma-fault fn=pf >/dev/null && { echo "FAIL: a PF dma-fault accepted"; exit 1; }
"${ctl[@]}" fault kind=psp-validate fn=vf0 >/dev/null && { echo "FAIL: an unknown key accepted"; exit 1; }
"${ctl[@]}" fault-clear >/dev/null
[ "$("${ctl[@]}" faults)" = '{"firmware":[],"msix_lost":[],"dma_fault":[],"ok":true}' ] || { echo "FAIL: not cleared"; "${ctl[@]}" faults; exit 1; }
echo PASS
