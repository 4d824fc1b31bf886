# Shared by ./aie4, emu/aie4-qemu and guest-driver/image/*: paths, progress output, the trixie
# tree (where it lives in the cache, how to run its programs without chroot). Sourced, not run.
# Callers set `set -euo pipefail` themselves.

AIE4_ROOT=${AIE4_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# Everything derived from Debian packages lives outside the repo (shared by every checkout).
AIE4_CACHE=${AIE4EMU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aie4emu}
# Meson build dir: the device process, aie4-mkfw, the guest programs; guest images go in its guest-image/.
AIE4_BUILD=${AIE4EMU_BUILD:-$AIE4_ROOT/build}
AIE4_BUILD_ASAN=${AIE4EMU_BUILD_ASAN:-$AIE4_ROOT/build-asan}
AIE4_IMAGE_DIR=${AIE4EMU_IMAGE_DIR:-$AIE4_BUILD/guest-image}

# ---- the trixie tree --------------------------------------------------------------------------
# Guest kernel version shipped by trixie-backports (linux-binary/linux-modules packages).
AIE4_KVER=7.3.4+deb13-amd64
# Packages of the tree: QEMU >= 10.1 (vfio-user-pci), the guest kernel + modules, busybox for the
# initramfs, kmod/xz for the module closure, XRT userspace for the xrt rootfs variant.
AIE4_TREE_PACKAGES=(qemu-system-x86 "linux-binary-$AIE4_KVER" "linux-modules-$AIE4_KVER" kmod busybox-static
                    xz-utils zstd libxrt2 libxrt-npu2 libxrt-utils libxrt-utils-npu)
AIE4_TREE_SUITE=trixie
AIE4_TREE_DEFAULT_RELEASE=trixie-backports
# Bump when the way the tree is built changes (hook, variant, layout), so old caches are not reused.
AIE4_TREE_FORMAT=1

aie4_tree_key() {
    printf '%s\n' "format=$AIE4_TREE_FORMAT" "suite=$AIE4_TREE_SUITE" "release=$AIE4_TREE_DEFAULT_RELEASE" \
        "${AIE4_TREE_PACKAGES[@]}" | sha256sum | cut -c1-16
}
AIE4_TREE_KEY=$(aie4_tree_key)
AIE4_TREE_CACHE=$AIE4_CACHE/tree-$AIE4_TREE_KEY     # root/ tree.tar.zst versions.txt vmlinux
AIE4_TREE=${AIE4EMU_TREE:-$AIE4_TREE_CACHE/root}
AIE4_TREE_TARBALL=$AIE4_TREE_CACHE/tree.tar.zst
AIE4_TREE_VERSIONS=$AIE4_TREE_CACHE/versions.txt
AIE4_VMLINUX=$AIE4_TREE_CACHE/vmlinux
AIE4_TREE_MODULES=$AIE4_TREE/usr/lib/modules/$AIE4_KVER

# ---- the developer tree ------------------------------------------------------------------------
# A second trixie tree with the compilers and headers that building for the guest needs: XRT host
# programs (g++ 14 + libxrt-dev; trixie's XRT needs trixie's libstdc++) and the amdxdna module
# out of tree (the guest kernel's headers and kbuild). Built on demand by setup_devtree (the
# commands that compile for the guest call it), never by a plain ./aie4 setup, so machines that
# only run guests do not pay for it. Same cache layout as the tree: devtree-<key>/{root,...}.
AIE4_DEVTREE_PACKAGES=(g++ make libc6-dev libxrt-dev libxrt2 libxrt-npu2 libxrt-utils-npu uuid-dev
                       "linux-headers-$AIE4_KVER" "linux-kbuild-${AIE4_KVER%-amd64}" libelf-dev kmod xz-utils zstd)
aie4_devtree_key() {
    printf '%s\n' "format=$AIE4_TREE_FORMAT" "suite=$AIE4_TREE_SUITE" "release=$AIE4_TREE_DEFAULT_RELEASE" \
        "${AIE4_DEVTREE_PACKAGES[@]}" | sha256sum | cut -c1-16
}
AIE4_DEVTREE_CACHE=$AIE4_CACHE/devtree-$(aie4_devtree_key)   # root/ tree.tar.zst versions.txt
AIE4_DEVTREE=${AIE4EMU_DEVTREE:-$AIE4_DEVTREE_CACHE/root}
aie4_devtree_ready() { [ -s "$AIE4_DEVTREE_CACHE/versions.txt" ] && [ -x "$AIE4_DEVTREE/usr/bin/g++" ]; }

# The tree is complete when its versions file (written last by setup) exists.
aie4_tree_ready() { [ -s "$AIE4_TREE_VERSIONS" ] && [ -x "$AIE4_TREE/usr/bin/qemu-system-x86_64" ] && [ -s "$AIE4_VMLINUX" ]; }

# Runs a program of the tree on the host through the tree's own dynamic loader: no chroot, no
# mounts, no root. aie4_tree_run [--argv0 NAME] /usr/bin/PROG ARGS...
aie4_tree_run() {
    local argv0=()
    if [ "${1:-}" = --argv0 ]; then argv0=(--argv0 "$2"); shift 2; fi
    local prog=$1; shift
    "$AIE4_TREE/lib64/ld-linux-x86-64.so.2" --library-path "$AIE4_TREE/usr/lib/x86_64-linux-gnu" \
        "${argv0[@]}" "$AIE4_TREE$prog" "$@"
}

# ---- output -----------------------------------------------------------------------------------
aie4_now() { date +%s.%N; }
aie4_elapsed() { awk -v a="$1" -v b="$(aie4_now)" 'BEGIN{printf "%.1f", b-a}'; }
# One progress line per step: "[aie4] what (1.2 s)". Goes to stderr so that stdout stays the
# guest console / the test summary.
aie4_step() { printf '[aie4] %s\n' "$*" >&2; }
aie4_warn() { printf '[aie4] warning: %s\n' "$*" >&2; }
aie4_die() { printf 'aie4: error: %s\n' "$*" >&2; exit 1; }

# aie4_remove_at_exit PATH...: PATHs are removed when this ./aie4 process exits, normally or
# through a trapped signal (a test stops a background guest with SIGTERM). Registered in the
# process that owns them: a $(...) subshell would remove them when it ends.
AIE4_REMOVE_AT_EXIT=()
aie4_remove_at_exit() {
    AIE4_REMOVE_AT_EXIT+=("$@")
    trap '[ ${#AIE4_REMOVE_AT_EXIT[@]} -eq 0 ] || rm -rf "${AIE4_REMOVE_AT_EXIT[@]}"' EXIT
}

# ---- aie4emu ----------------------------------------------------------------------------------
# aie4_wait_emu_ready READY_FILE PID: waits (up to 10 s) for the "aie4emu: ready" line that the
# emulator with PID prints on stdout (redirected to READY_FILE). Returns 0 when ready, 1 when the
# emulator exited first, 2 on timeout (the emulator is then still running).
aie4_wait_emu_ready() {
    local ready=$1 pid=$2 _
    for _ in $(seq 200); do
        grep -q '^aie4emu: ready' "$ready" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.05
    done
    grep -q '^aie4emu: ready' "$ready" 2>/dev/null && return 0
    return 2
}

# ---- QEMU -------------------------------------------------------------------------------------
# A host qemu-system-x86_64 is used when it is >= 10.1 and has vfio-user-pci; else the tree's.
aie4_host_qemu_ok() {
    local q v major minor
    q=$(command -v qemu-system-x86_64 2>/dev/null) || return 1
    v=$("$q" --version 2>/dev/null | sed -nE '1s/.*version ([0-9]+)\.([0-9]+).*/\1 \2/p')
    read -r major minor <<<"$v"
    [ -n "${major:-}" ] || return 1
    { [ "$major" -gt 10 ] || { [ "$major" -eq 10 ] && [ "$minor" -ge 1 ]; }; } || return 1
    "$q" -device help 2>/dev/null | grep -q '"vfio-user-pci"'
}

# TCG unless /dev/kvm can really run a stock kernel: kvm_pvm (this cloud VM kind) cannot.
aie4_accel() {
    if [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ]; then echo kvm; else echo tcg; fi
}
