#!/usr/bin/env bash
# Builds the "xrt" guest root: an ext4 image of the whole trixie tree (XRT 2.25 userspace, kmod,
# the kernel modules) made with mke2fs -d (no loop mount), with guest-driver/init/init.sh as
# /usr/local/sbin/aie4-init, the aie4-* guest programs in /usr/local/bin and the firmware files
# in /usr/lib/firmware/amdnpu. Booted through the initramfs (aie4.root=/dev/vda -> switch_root).
# Rebuilds only when an input changed (--force: always). Output: build/guest-image/rootfs-xrt.ext4.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
. "$AIE4_ROOT/guest-driver/image/payload.sh"

INIT=$AIE4_ROOT/guest-driver/init/init.sh
HOOK=$AIE4_ROOT/guest-driver/init/carveout-hook.sh
EXAMPLES=$AIE4_BUILD/xrt-examples   # guest-driver/xrt-examples/build.sh (run first by ./aie4 boot)
OUT=$AIE4_IMAGE_DIR/rootfs-xrt.ext4
STAMP=$OUT.inputs

force=
case "${1:-}" in
    --force) force=1 ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    "") ;;
    *) aie4_die "unknown option '$1'" ;;
esac
aie4_tree_ready || aie4_die "the trixie tree is not ready: run ./aie4 setup"
command -v mke2fs >/dev/null || aie4_die "mke2fs missing (e2fsprogs; ./aie4 setup installs it)"
mkdir -p "$AIE4_IMAGE_DIR"

hash=$(payload_inputs_hash "$INIT" "$HOOK" "$0" "$AIE4_ROOT/guest-driver/image/payload.sh" "$EXAMPLES/.inputs")
if [ -z "$force" ] && [ -s "$OUT" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$hash" ]; then
    aie4_step "xrt root image: up to date"
    exit 0
fi
# Nothing may be mounted inside the tree (mke2fs -d would copy it).
grep -q " $AIE4_TREE/" /proc/mounts && aie4_die "something is mounted inside $AIE4_TREE; unmount it first"

t=$(aie4_now)
# The tree is shared by every checkout and build dir: one writer at a time.
exec 8>"$AIE4_TREE_CACHE/.tree-write.lock"
flock -w 600 8 || aie4_die "another image build holds $AIE4_TREE_CACHE/.tree-write.lock"
# Our files in the tree: places no Debian package owns, rewritten from scratch on every build.
install -D -m 755 "$INIT" "$AIE4_TREE/usr/local/sbin/aie4-init"
install -D -m 755 "$HOOK" "$AIE4_TREE/usr/local/sbin/aie4-carveout-hook"
rm -f "$AIE4_TREE"/usr/local/bin/aie4-* "$AIE4_TREE"/usr/local/bin/xrt-*
rm -rf "$AIE4_TREE/usr/local/share/aie4"
# The XRT example applications and their kernels (docs/xrt.md).
[ -s "$EXAMPLES/.inputs" ] || aie4_die "the XRT examples are not built (guest-driver/xrt-examples/build.sh)"
install -m 755 "$EXAMPLES"/bin/xrt-* "$AIE4_TREE/usr/local/bin/"
mkdir -p "$AIE4_TREE/usr/local/share/aie4"
cp -r "$EXAMPLES/share" "$AIE4_TREE/usr/local/share/aie4/xrt"
programs=$(payload_programs "$AIE4_TREE/usr/local/bin")
payload_firmware "$AIE4_TREE/usr/lib/firmware"

size_mib=$(( $(du -sxm "$AIE4_TREE" | cut -f1) * 13 / 10 + 256 ))   # tree + 30 % + 256 MiB
rm -f "$OUT.tmp"
mke2fs -q -t ext4 -L aie4root -E root_owner=0:0 -d "$AIE4_TREE" "$OUT.tmp" "${size_mib}M" ||
    aie4_die "mke2fs -d of $AIE4_TREE failed"
mv -f "$OUT.tmp" "$OUT"
echo "$hash" >"$STAMP"
aie4_step "xrt root image: ${size_mib} MiB ext4, $(du -h "$OUT" | cut -f1) allocated, $programs guest programs ($(aie4_elapsed "$t") s)"
