# ./aie4 driver: the pre-silicon driver loop (docs/driver-development.md).
#   fetch DIR          the guest kernel's amdxdna source as an out-of-tree module tree
#   build --src DIR    amdxdna.ko against the guest kernel's headers, in the developer tree
#   test --driver KO   the driver-facing guest tests with that module
#   symbols            the guest kernel's debug symbols (for ./aie4 boot --gdb)
# Sourced by ./aie4 after common.sh, setup.sh, boot.sh and test.sh.

# The source package of the guest kernel (same Debian source as linux-image-$AIE4_KVER).
AIE4_LINUX_SOURCE_PKG=linux-source-7.3
AIE4_KERNEL_DBG_PKG=linux-image-$AIE4_KVER-dbg
AIE4_KHEADERS=/usr/src/linux-headers-$AIE4_KVER
AIE4_DEBS=$AIE4_CACHE/debs
# The first line of the Kbuild glue `driver fetch` writes: how `driver build` recognises a fetched tree.
AIE4_DRIVER_GLUE_MARK='# amdxdna out-of-tree glue written by ./aie4 driver fetch'

# ---- Debian packages outside the trees, downloaded on demand ----------------------------------
# A private apt state (lists and archives in the cache, not the host's) for trixie and
# trixie-backports from the host's archive, so that single packages can be downloaded without
# root and without touching the host's apt configuration.
driver_apt_opts() {
    local d=$AIE4_CACHE/apt-$AIE4_TREE_SUITE
    printf '%s\n' -o "Dir::Etc::sourcelist=$d/sources.list" -o Dir::Etc::sourceparts=- \
        -o "Dir::State=$d/state" -o "Dir::State::status=$d/state/status" -o "Dir::Cache=$d/cache" \
        -o "Dir::Etc::preferencesparts=-" -o Debug::NoLocking=1 -o "APT::Sandbox::User=$(id -un)" \
        -o "APT::Default-Release=$AIE4_TREE_DEFAULT_RELEASE"
}
driver_apt_update() {
    local d=$AIE4_CACHE/apt-$AIE4_TREE_SUITE uri t
    t=$(aie4_now)
    uri=$(aie4_archive_uri)
    [ -n "$uri" ] || aie4_die "no Debian archive URI (…/debian) found in the host's apt sources"
    mkdir -p "$d/state/lists/partial" "$d/cache/archives/partial"
    : >"$d/state/status"
    {
        echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $AIE4_TREE_SUITE main"
        echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $AIE4_TREE_SUITE-backports main"
    } >"$d/sources.list"
    aie4_check_archive_reachable "$uri"
    local opts; mapfile -t opts < <(driver_apt_opts)
    apt-get "${opts[@]}" -qq update >"$AIE4_CACHE/logs/apt-$AIE4_TREE_SUITE-update.log" 2>&1 ||
        { tail -5 "$AIE4_CACHE/logs/apt-$AIE4_TREE_SUITE-update.log" >&2; aie4_die "apt-get update of $AIE4_TREE_SUITE failed (is $uri reachable?)"; }
    touch "$d/updated"
    aie4_step "package lists of $AIE4_TREE_SUITE{,-backports}: updated ($(aie4_elapsed "$t") s)"
}
# driver_download PKG: prints the path of PKG's .deb in $AIE4_DEBS (downloaded when missing; the
# lists are refreshed when older than a day or when the download fails).
driver_download() {
    local pkg=$1 d=$AIE4_CACHE/apt-$AIE4_TREE_SUITE deb opts t
    mkdir -p "$AIE4_DEBS" "$AIE4_CACHE/logs"
    [ -e "$d/updated" ] && [ -z "$(find "$d/updated" -mmin +1440)" ] || driver_apt_update
    mapfile -t opts < <(driver_apt_opts)
    local ver; ver=$(apt-cache "${opts[@]}" policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
    if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
        driver_apt_update
        ver=$(apt-cache "${opts[@]}" policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
        [ -n "$ver" ] && [ "$ver" != "(none)" ] || aie4_die "$pkg is not in $AIE4_TREE_SUITE{,-backports} of $(aie4_archive_uri)"
    fi
    deb=$(ls "$AIE4_DEBS/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
    if [ -z "$deb" ]; then
        t=$(aie4_now)
        aie4_step "$pkg $ver: downloading ($(apt-cache "${opts[@]}" show "$pkg=$ver" 2>/dev/null | sed -n 's/^Size: //p' | head -n1 | awk '{printf "%.0f MiB", $1/1048576}'))"
        (cd "$AIE4_DEBS" && apt-get "${opts[@]}" -qq download "$pkg=$ver" >"$AIE4_CACHE/logs/download-$pkg.log" 2>&1) ||
            { tail -5 "$AIE4_CACHE/logs/download-$pkg.log" >&2; aie4_die "downloading $pkg failed"; }
        deb=$(ls "$AIE4_DEBS/${pkg}_${ver//:/%3a}_"*.deb | head -n1)
        aie4_step "$pkg $ver: downloaded ($(aie4_elapsed "$t") s)"
    fi
    echo "$deb"
}

# ---- running the developer tree's compiler ------------------------------------------------------
# driver_in_devtree SRC BUILD CMD...: runs CMD in the developer tree (chroot) with SRC at
# /mnt/src (read-only) and BUILD at /mnt/build (writable; may be SRC itself, then /mnt/src is
# writable). Root is not needed: an unprivileged user namespace maps the caller to root for
# the chroot and the mounts, which exist only in that namespace (nothing is left mounted).
driver_in_devtree() {
    local src=$1 build=$2; shift 2
    local ns=(unshare --mount)
    [ "$(id -u)" = 0 ] || ns+=(--map-root-user)
    "${ns[@]}" bash -c '
        set -e
        tree=$1 src=$2 build=$3; shift 3
        mount -t tmpfs aie4-mnt "$tree/mnt"
        mkdir "$tree/mnt/src" "$tree/mnt/build"
        mount --bind "$src" "$tree/mnt/src"
        mount --bind "$build" "$tree/mnt/build"
        mount --rbind /proc "$tree/proc"       # objtool reads /proc/self
        exec chroot "$tree" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/tmp LANG=C.UTF-8 TERM=dumb "$@"
    ' aie4-devtree "$AIE4_DEVTREE" "$src" "$build" "$@"
}

driver_check_userns() {
    [ "$(id -u)" = 0 ] && return 0
    unshare --mount --map-root-user true 2>/dev/null ||
        aie4_die "building the driver needs root or unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)"
}

# ---- fetch ------------------------------------------------------------------------------------
driver_write_glue() {
    local dir=$1
    cat >"$dir/Kbuild" <<EOF
$AIE4_DRIVER_GLUE_MARK
# Builds drivers/accel/amdxdna as amdxdna.ko outside the kernel tree:
#   ./aie4 driver build --src .                 (the guest kernel's headers, in the developer tree)
#   make KDIR=/lib/modules/\$(uname -r)/build     (any kernel with matching headers)
CONFIG_DRM_ACCEL_AMDXDNA := m
# This tree's uAPI header comes before the kernel's; its '#include "drm.h"' then needs the
# kernel's uapi/drm directory.
NOSTDINC_FLAGS += -I\$(src)/include/uapi -I\$(srctree)/include/uapi/drm
obj-m += drivers/accel/amdxdna/
EOF
    cat >"$dir/Makefile" <<'EOF'
# Out-of-tree build of amdxdna (see Kbuild). KDIR: the kernel build directory.
KDIR ?= /lib/modules/$(shell uname -r)/build
all modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules
clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
.PHONY: all modules clean
EOF
    cat >"$dir/.gitignore" <<'EOF'
*.o
*.ko
*.mod
*.mod.c
*.cmd
.*.cmd
*.a
*.symvers
modules.order
.module-common.o
.tmp_*
EOF
}

driver_fetch_usage() {
    cat <<EOF
usage: ./aie4 driver fetch DIR
Downloads Debian's $AIE4_LINUX_SOURCE_PKG (the guest kernel's source with Debian's patches) from
the host's Debian archive into $AIE4_DEBS (once), and unpacks into DIR (new or empty):
  DIR/drivers/accel/amdxdna/           the driver, as in the guest kernel
  DIR/include/uapi/drm/amdxdna_accel.h its uAPI header (used instead of the kernel's)
  DIR/Kbuild, DIR/Makefile             out-of-tree glue (ours)
DIR becomes a git repository with the pristine source as its first commit, so that
'git diff' shows your changes. Everything else the driver includes is in the guest kernel's
headers package (checked). Then: ./aie4 driver build --src DIR
EOF
}

cmd_driver_fetch() {
    local dir=
    while [ $# -gt 0 ]; do
        case $1 in
            -h|--help) driver_fetch_usage; return 0;;
            -*) aie4_die "unknown option '$1' (see ./aie4 driver fetch --help)";;
            *) [ -z "$dir" ] || aie4_die "one DIR only"; dir=$1;;
        esac
        shift
    done
    [ -n "$dir" ] || { driver_fetch_usage >&2; exit 2; }
    if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
        aie4_die "$dir exists and is not empty: fetch into a new directory"
    fi
    local t0 deb t top tarball
    t0=$(aie4_now)
    deb=$(driver_download "$AIE4_LINUX_SOURCE_PKG")
    t=$(aie4_now)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    local work; work=$(mktemp -d "$dir/.fetch.XXXXXX")
    # The .deb holds usr/src/linux-source-7.3.tar.xz; only the driver and its uAPI header are
    # taken out of it, streamed (the 1.5 GB tree is never written).
    tarball=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | grep -E '^\./usr/src/linux-source-[0-9.]+\.tar\.(xz|bz2|gz|zst)$' | head -n1)
    [ -n "$tarball" ] || aie4_die "$deb holds no linux-source tarball"
    top=$(basename "${tarball%.tar.*}")
    dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "$tarball" |
        tar -xJf - -C "$work" --wildcards "$top/drivers/accel/amdxdna/*" "$top/include/uapi/drm/amdxdna_accel.h" ||
        aie4_die "unpacking the driver from $tarball failed"
    mkdir -p "$dir/drivers/accel" "$dir/include/uapi/drm"
    mv "$work/$top/drivers/accel/amdxdna" "$dir/drivers/accel/amdxdna"
    mv "$work/$top/include/uapi/drm/amdxdna_accel.h" "$dir/include/uapi/drm/"
    rm -rf "$work"
    local ver; ver=$(dpkg-deb -f "$deb" Version)
    driver_write_glue "$dir"
    aie4_step "unpacked drivers/accel/amdxdna ($(ls "$dir/drivers/accel/amdxdna" | wc -l) files) of $AIE4_LINUX_SOURCE_PKG $ver ($(aie4_elapsed "$t") s)"
    # Everything the driver includes must be in the headers package (or in DIR); checked when
    # the developer tree is there (building it needs root once: driver build does that).
    local missing=() h
    aie4_devtree_ready || aie4_step "developer tree not built yet: the include check waits for ./aie4 driver build"
    aie4_devtree_ready && while read -r h; do
        [ -e "$AIE4_DEVTREE/usr/src/linux-headers-${AIE4_KVER%-amd64}-common/include/$h" ] ||
            [ -e "$AIE4_DEVTREE$AIE4_KHEADERS/include/$h" ] ||
            [ -e "$AIE4_DEVTREE$AIE4_KHEADERS/arch/x86/include/$h" ] ||
            [ -e "$AIE4_DEVTREE/usr/src/linux-headers-${AIE4_KVER%-amd64}-common/arch/x86/include/$h" ] ||
            [ -e "$AIE4_DEVTREE/usr/src/linux-headers-${AIE4_KVER%-amd64}-common/include/uapi/$h" ] ||
            [ -e "$dir/include/uapi/$h" ] || missing+=("$h")
    done < <(cat "$dir"/drivers/accel/amdxdna/*.[ch] | sed -n 's/^#include <\([^>]*\)>.*/\1/p' | sort -u)
    [ ${#missing[@]} -eq 0 ] || aie4_warn "headers the guest kernel's headers package lacks: ${missing[*]}"
    if command -v git >/dev/null; then
        (cd "$dir" && git init -q && git add -A &&
            git -c user.name=aie4 -c user.email=aie4@localhost commit -qm "$AIE4_LINUX_SOURCE_PKG $ver: drivers/accel/amdxdna, uAPI header, out-of-tree glue") ||
            aie4_warn "git init of $dir failed (the tree is complete anyway)"
    fi
    aie4_step "driver source in $dir ($(aie4_elapsed "$t0") s); next: ./aie4 driver build --src $dir"
}

# ---- build ------------------------------------------------------------------------------------
driver_build_usage() {
    cat <<EOF
usage: ./aie4 driver build --src DIR [-j N] [--clean]
Builds amdxdna.ko out of tree against the guest kernel's headers ($AIE4_KVER) with the
guest kernel's compiler (gcc 14), in the developer tree (set up on first use). Incremental:
only what changed is rebuilt. Compiler messages are printed as the compiler prints them.
The last line of stdout is the module's path.
  --src DIR   a tree from './aie4 driver fetch', or a git checkout of a newer amdxdna: a kernel
              tree (DIR/drivers/accel/amdxdna) or the driver directory itself; those are
              built from a glue tree in $AIE4_CACHE/driver-build/ (DIR stays untouched)
  -j N        parallel jobs (default: nproc)
  --clean     remove the build outputs first
No root needed (an unprivileged user namespace runs the chroot) where user namespaces are
allowed; else run as root.
EOF
}

# driver_build_tree DIR: prints "MODE ROOT" where ROOT is the directory kbuild builds in
# (M=) and MODE is fetched (DIR itself) or glue (a glue tree of per-file links into DIR).
driver_glue_tree() {
    local dir=$1 drv uapi= key glue
    if [ -f "$dir/drivers/accel/amdxdna/amdxdna_pci_drv.c" ]; then
        drv=drivers/accel/amdxdna
        [ -f "$dir/include/uapi/drm/amdxdna_accel.h" ] && uapi=include/uapi/drm/amdxdna_accel.h
    elif [ -f "$dir/amdxdna_pci_drv.c" ]; then
        drv=.
    else
        aie4_die "$dir is neither a tree from './aie4 driver fetch' nor an amdxdna checkout (no amdxdna_pci_drv.c in it or in drivers/accel/amdxdna)"
    fi
    key=$(printf '%s' "$dir" | sha256sum | cut -c1-12)
    glue=$AIE4_CACHE/driver-build/$key
    mkdir -p "$glue/drivers/accel/amdxdna" "$glue/include/uapi/drm"
    echo "$dir" >"$glue/source"
    driver_write_glue "$glue"
    # Links point into /mnt/src, where DIR is mounted during the build; refreshed each build
    # (files added or removed in DIR).
    find "$glue/drivers/accel/amdxdna" "$glue/include/uapi/drm" -maxdepth 1 -type l -delete
    local f
    for f in "$dir/$drv"/*.[ch] "$dir/$drv"/Makefile "$dir/$drv"/Kconfig; do
        [ -f "$f" ] && ln -s "/mnt/src/$drv/$(basename "$f")" "$glue/drivers/accel/amdxdna/$(basename "$f")"
    done
    if [ -n "$uapi" ]; then
        ln -s "/mnt/src/$uapi" "$glue/include/uapi/drm/amdxdna_accel.h"
    else
        sed -i '/^NOSTDINC_FLAGS/d' "$glue/Kbuild"   # the kernel's own uAPI header
    fi
    echo "$glue"
}

cmd_driver_build() {
    local src= jobs clean=
    jobs=$(nproc)
    while [ $# -gt 0 ]; do
        case $1 in
            -h|--help) driver_build_usage; return 0;;
            --src) src=${2:?--src needs a directory}; shift;;
            -j) jobs=${2:?-j needs a number}; shift;;
            -j[0-9]*) jobs=${1#-j};;
            --clean) clean=1;;
            *) aie4_die "unknown option '$1' (see ./aie4 driver build --help)";;
        esac
        shift
    done
    [ -n "$src" ] || { driver_build_usage >&2; exit 2; }
    [ -d "$src" ] || aie4_die "--src $src is not a directory"
    [[ $jobs =~ ^[0-9]+$ ]] || aie4_die "-j must be a number"
    src=$(cd "$src" && pwd)
    driver_check_userns
    setup_devtree >/dev/null 2>&1 || setup_devtree
    [ -d "$AIE4_DEVTREE$AIE4_KHEADERS" ] || aie4_die "the developer tree has no $AIE4_KHEADERS (delete $AIE4_DEVTREE_CACHE to rebuild it)"
    local build ko
    if [ "$(head -n1 "$src/Kbuild" 2>/dev/null)" = "$AIE4_DRIVER_GLUE_MARK" ]; then
        build=$src
    else
        build=$(driver_glue_tree "$src")
    fi
    ko=$build/drivers/accel/amdxdna/amdxdna.ko
    local t rc make=(make -C "$AIE4_KHEADERS" M=/mnt/build -j"$jobs")
    t=$(aie4_now)
    set +e
    if [ -n "$clean" ]; then driver_in_devtree "$src" "$build" "${make[@]}" clean >/dev/null; fi
    # kbuild's own progress lines go to stdout; the compiler's messages to stderr, unchanged
    # except that /mnt/src and /mnt/build are shown as the real directories.
    driver_in_devtree "$src" "$build" "${make[@]}" modules \
        2> >(sed -u -e "s#/mnt/src/#$src/#g" -e "s#/mnt/build/#$build/#g" >&2) |
        sed -u -e "s#/mnt/src/#$src/#g" -e "s#/mnt/build/#$build/#g" | grep --line-buffered -vE '^make(\[[0-9]+\])?: (Entering|Leaving) directory' >&2
    rc=${PIPESTATUS[0]}
    set -e
    [ "$rc" = 0 ] || aie4_die "build of amdxdna.ko failed (make exit $rc; compiler messages above)"
    [ -f "$ko" ] || aie4_die "the build succeeded but $ko is missing"
    aie4_step "amdxdna.ko built ($(aie4_elapsed "$t") s; vermagic $(driver_modinfo vermagic "$ko"))"
    echo "$ko"
}

# ---- module checks (boot --driver) --------------------------------------------------------------
driver_modinfo() { aie4_tree_run --argv0 modinfo /usr/bin/kmod -F "$1" "$2" 2>/dev/null; }
driver_packaged_module() { ls "$AIE4_TREE_MODULES"/kernel/drivers/accel/amdxdna/amdxdna.ko* 2>/dev/null | head -n1; }

# driver_check_module KO: refuses (exit 2) a module the guest kernel would not load: not an
# amdxdna module, another kernel's vermagic, or dependencies the guest image does not carry.
driver_check_module() {
    local ko=$1 want got name packaged deps d
    [ -f "$ko" ] || { echo "aie4: --driver $ko: no such file" >&2; return 2; }
    packaged=$(driver_packaged_module)
    [ -n "$packaged" ] || { echo "aie4: the guest tree has no packaged amdxdna module to compare with" >&2; return 2; }
    name=$(driver_modinfo name "$ko")
    [ "$name" = amdxdna ] || { echo "aie4: --driver $ko: module name is '${name:-?}', not amdxdna (not a kernel module, or another driver)" >&2; return 2; }
    want=$(driver_modinfo vermagic "$packaged")
    got=$(driver_modinfo vermagic "$ko")
    if [ "$got" != "$want" ]; then
        {
            echo "aie4: --driver $ko was built for another kernel:"
            echo "    its vermagic:         '${got}'"
            echo "    the guest kernel's:   '${want}'"
            echo "  the guest would refuse it ('disagrees about version of symbol' / 'invalid module format')."
            echo "  Build it with ./aie4 driver build --src DIR (the guest kernel's headers and compiler)."
        } >&2
        return 2
    fi
    deps=$(driver_modinfo depends "$ko")
    local have; have=$(driver_modinfo depends "$packaged")
    for d in ${deps//,/ }; do
        case ",$have," in *",$d,"*) ;; *)
            echo "aie4: --driver $ko depends on module '$d', which the packaged amdxdna does not use and the guest image does not carry" >&2
            return 2;;
        esac
    done
    return 0
}

# driver_overlay KO ARGS OUT: a cpio (newc, gzip) to append to the initramfs: /aie4-driver/
# amdxdna.ko and /aie4-driver/options, which the guest init installs (guest-driver/init/init.sh).
driver_overlay() {
    local ko=$1 args=$2 out=$3 stage
    stage=$(mktemp -d "${TMPDIR:-/tmp}/aie4-driver.XXXXXX")
    mkdir -p "$stage/aie4-driver"
    cp "$ko" "$stage/aie4-driver/amdxdna.ko"
    printf '%s\n' "$args" >"$stage/aie4-driver/options"
    (cd "$stage" && find . | LC_ALL=C sort | "$AIE4_TREE/usr/bin/busybox" cpio -o -H newc 2>/dev/null | gzip -1) >"$out" ||
        { rm -rf "$stage"; aie4_die "writing the driver overlay failed"; }
    rm -rf "$stage"
}

# ---- test -------------------------------------------------------------------------------------
cmd_driver_test() {
    local args=() driver= only=
    while [ $# -gt 0 ]; do
        case $1 in
            -h|--help)
                cat <<'EOF'
usage: ./aie4 driver test [--driver PATH.ko] [--driver-args "k=v ..."] [--only NAME]
Runs the driver-facing guest tests (tests/guest/*.sh tagged group=driver: binding, probe
order, metadata, queues, rmmod/modprobe, fault injection) with the given module instead of
the packaged one (without --driver: the packaged one). Ends with "N passed, N failed".
EOF
                return 0;;
            --driver) driver=${2:?--driver needs a .ko}; args+=(--driver "$driver"); shift;;
            --driver-args) args+=(--driver-args "${2?--driver-args needs a value}"); shift;;
            --only) args+=(--only "${2:?}"); only=1; shift;;
            *) aie4_die "unknown option '$1' (see ./aie4 driver test --help)";;
        esac
        shift
    done
    if [ -n "$driver" ]; then
        setup_if_needed
        driver_check_module "$driver" || exit 2
    fi
    # The runner's --only and --group select the union: --only alone narrows to those tests.
    if [ -n "$only" ]; then cmd_test "${args[@]}"; else cmd_test --group driver "${args[@]}"; fi
}

# ---- debug symbols ----------------------------------------------------------------------------
# driver_kernel_symbols: prints the path of the guest kernel's vmlinux with debug info, from
# Debian's -dbg package (downloaded and unpacked on first use only: it is large).
driver_kernel_symbols() {
    local out=$AIE4_CACHE/kernel-dbg/vmlinux-$AIE4_KVER deb t x f
    if [ ! -s "$out" ]; then
        deb=$(driver_download "$AIE4_KERNEL_DBG_PKG")
        t=$(aie4_now)
        mkdir -p "$(dirname "$out")"
        x=$(mktemp -d "$(dirname "$out")/.x.XXXXXX")
        # boot/vmlinux-VER may be a link to lib/modules/VER/vmlinux: take both, keep the file.
        # (The package is one xz stream: this reads all 7 GiB of it once, minutes.)
        dpkg-deb --fsys-tarfile "$deb" |
            tar -xf - -C "$x" --wildcards "./usr/lib/debug/boot/vmlinux-$AIE4_KVER" \
                "./usr/lib/debug/lib/modules/$AIE4_KVER/vmlinux" 2>/dev/null || true
        f=$(find "$x" -type f -name 'vmlinux*' -size +1M | head -n1)
        [ -n "$f" ] || { rm -rf "$x"; aie4_die "no vmlinux with debug info in $deb"; }
        mv -f "$f" "$out"
        rm -rf "$x"
        rm -f "$deb"    # 1.1 GiB; only vmlinux is used
        aie4_step "kernel debug symbols: unpacked $(du -m "$out" | cut -f1) MiB ($(aie4_elapsed "$t") s)"
    fi
    echo "$out"
}

cmd_driver() {
    local sub=${1:-}
    [ $# -gt 0 ] && shift
    case $sub in
        fetch) cmd_driver_fetch "$@";;
        build) cmd_driver_build "$@";;
        test) cmd_driver_test "$@";;
        symbols) driver_kernel_symbols;;
        ""|-h|--help)
            cat <<'EOF'
usage: ./aie4 driver SUBCOMMAND [options]    (docs/driver-development.md)
  fetch DIR              the guest kernel's amdxdna source as an out-of-tree module tree
  build --src DIR [-j N] [--clean]   build amdxdna.ko against the guest kernel (prints its path)
  test --driver KO       run the driver-facing guest tests with that module
  symbols                download the guest kernel's debug symbols (prints the vmlinux path)
Then: ./aie4 boot --driver KO [--driver-args "k=v ..."] [--fault KIND,...] [--gdb]
EOF
            ;;
        *) aie4_die "unknown driver subcommand '$sub' (see ./aie4 driver --help)";;
    esac
}
