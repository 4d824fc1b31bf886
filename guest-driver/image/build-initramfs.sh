#!/usr/bin/env bash
# Builds the guest initramfs: busybox (from the trixie tree), the amdxdna module closure plus
# qemu_fw_cfg, virtio_blk and ext4 (uncompressed and depmod'ed), the firmware files of both
# identities, the aie4-* guest programs in /usr/bin, and guest-driver/init/init.sh as /init.
# Rebuilds only when an input changed (--force: always). Output: $AIE4EMU_IMAGE_DIR/initramfs.img
# (default build/guest-image/). Needs a complete ./aie4 setup; no root, no chroot.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
. "$AIE4_ROOT/guest-driver/image/payload.sh"

# Modules loaded in the guest; their dependency closure (softdeps included) comes along.
MODULES=(amdxdna qemu_fw_cfg virtio_blk ext4)
INIT=$AIE4_ROOT/guest-driver/init/init.sh
HOOK=$AIE4_ROOT/guest-driver/init/carveout-hook.sh
OUT=$AIE4_IMAGE_DIR/initramfs.img
STAMP=$OUT.inputs

force=
case "${1:-}" in
    --force) force=1 ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    "") ;;
    *) aie4_die "unknown option '$1'" ;;
esac
aie4_tree_ready || aie4_die "the trixie tree is not ready: run ./aie4 setup"
mkdir -p "$AIE4_IMAGE_DIR"

hash=$(payload_inputs_hash "$INIT" "$HOOK" "$0" "$AIE4_ROOT/guest-driver/image/payload.sh")
if [ -z "$force" ] && [ -s "$OUT" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$hash" ]; then
    aie4_step "initramfs: up to date"
    exit 0
fi

t=$(aie4_now)
stage=$AIE4_IMAGE_DIR/initramfs.stage
rm -rf "$stage"
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,run,root,newroot,etc,usr/bin,lib/modules/"$AIE4_KVER",lib/firmware}
cp "$AIE4_TREE/usr/bin/busybox" "$stage/bin/busybox"
# busybox --list names busybox itself: a link to itself would replace the binary.
for applet in $("$stage/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$stage/bin/$applet"
done
ln -s bin "$stage/sbin"
echo aie4-guest >"$stage/etc/hostname"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
printf 'root:x:0:\n' >"$stage/etc/group"

# Module closure, resolved by the tree's kmod (modprobe --show-depends) on the tree's modules.
mods_prefix=$AIE4_TREE/lib/modules/$AIE4_KVER/
closure=$AIE4_IMAGE_DIR/initramfs.modules
: >"$closure"
for m in "${MODULES[@]}"; do
    aie4_tree_run --argv0 modprobe /usr/bin/kmod -d "$AIE4_TREE" -C "$AIE4_TREE/etc/modprobe.d" \
        -S "$AIE4_KVER" --show-depends "$m" >>"$closure" || aie4_die "modprobe --show-depends $m failed in the tree"
done
count=0
while read -r path; do
    rel=${path#"$mods_prefix"}
    [ "$rel" != "$path" ] || aie4_die "module outside the tree's module dir: $path"
    mkdir -p "$stage/lib/modules/$AIE4_KVER/$(dirname "$rel")"
    case $rel in
        *.xz) aie4_tree_run /usr/bin/xz -dc "$path" >"$stage/lib/modules/$AIE4_KVER/${rel%.xz}" ;;
        *.zst) aie4_tree_run /usr/bin/zstd -qdc "$path" >"$stage/lib/modules/$AIE4_KVER/${rel%.zst}" ;;
        *) cp "$path" "$stage/lib/modules/$AIE4_KVER/$rel" ;;
    esac
    count=$((count + 1))
done < <(awk '$1 == "insmod" && !seen[$2]++ { print $2 }' "$closure")
[ "$count" -gt 0 ] || aie4_die "no modules resolved for ${MODULES[*]}"
cp "$AIE4_TREE_MODULES"/modules.{order,builtin,builtin.modinfo} "$stage/lib/modules/$AIE4_KVER/"
aie4_tree_run --argv0 depmod /usr/bin/kmod -b "$stage" "$AIE4_KVER" ||
    aie4_die "depmod of the initramfs modules failed"

payload_firmware "$stage/lib/firmware"
programs=$(payload_programs "$stage/usr/bin")
install -m 755 "$INIT" "$stage/init"
install -D -m 755 "$HOOK" "$stage/usr/local/sbin/aie4-carveout-hook"

# newc cpio of the stage, sorted for reproducibility, by the tree's busybox.
(cd "$stage" && find . | LC_ALL=C sort | "$stage/bin/busybox" cpio -o -H newc 2>/dev/null | gzip -1) >"$OUT.tmp" ||
    aie4_die "writing the initramfs archive failed"
mv -f "$OUT.tmp" "$OUT"
echo "$hash" >"$STAMP"
aie4_step "initramfs: $count modules, $programs guest programs, firmware for ${AIE4_FIRMWARE_DIRS[*]}, $(du -h "$OUT" | cut -f1) ($(aie4_elapsed "$t") s)"
