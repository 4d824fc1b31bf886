#!/bin/sh
# aie4-carveout-hook: gives every amdxdna function the guest binds its carveout, so that XRT
# and the guest programs can open the accel node with no manual step. The guest has no IOMMU,
# so the driver's open() needs a carveout configured through debugfs (docs/xrt.md "Carveout").
#
#   aie4-carveout-hook            one kernel uevent, from `busybox uevent aie4-carveout-hook`
#                                 (environment ACTION, SUBSYSTEM, DRIVER, PCI_SLOT_NAME)
#   aie4-carveout-hook coldplug   every amdxdna function bound already
#
# The reserved region comes from the kernel command line's memmap=SIZE$ADDR. Each function gets
# its own slice, first fit in bind order, remembered per PCI address in /run/aie4-carveout/ so a
# rebind (rmmod/modprobe, insmod of a developer's module) gets the same slice again:
#   VF (1022:17f3, 1022:1b0c): aie4.carveout_vf=SIZE on the command line, default 240M
#   PF (1022:17f2, 1022:1b0b): 16M (the PF runs no contexts; its open() still needs a carveout)
# Messages go to the kernel log as "aie4-carveout: ...".
state=/run/aie4-carveout
mkdir -p /run
debugfs=/sys/kernel/debug

log() { echo "aie4-carveout: $*" >/dev/kmsg 2>/dev/null || echo "aie4-carveout: $*" >&2; }

bytes() { # 256M / 0x10000000 / 1G -> bytes (empty when not a size)
    case $1 in
        *[Kk]) echo $(( ${1%?} * 1024 )) ;;
        *[Mm]) echo $(( ${1%?} * 1024 * 1024 )) ;;
        *[Gg]) echo $(( ${1%?} * 1024 * 1024 * 1024 )) ;;
        0x*|[0-9]*) echo $(( $1 )) ;;
    esac
}

configure() { # BDF
    bdf=$1
    file=$debugfs/accel/$bdf/carveout
    grep -q " $debugfs debugfs" /proc/mounts || mount -t debugfs debugfs "$debugfs" 2>/dev/null
    [ -e "$file" ] || { log "$bdf: no $file (debugfs not mounted, or not an accel function)"; return 1; }
    case $(cat "$file" 2>/dev/null) in 0x0@0x0|"") ;; *) return 0 ;; esac   # configured already
    # One allocator at a time (the uevent and the modprobe rule may run together).
    i=0
    while ! mkdir "$state.lock" 2>/dev/null; do
        i=$((i + 1)); [ $i -lt 500 ] || { log "$bdf: $state.lock held for 5 s; taking it"; break; }
        sleep 0.01
    done
    allocate "$bdf" "$file"; rc=$?
    rmdir "$state.lock" 2>/dev/null
    return $rc
}

allocate() { # BDF FILE
    bdf=$1 file=$2
    case $(cat "$file" 2>/dev/null) in 0x0@0x0|"") ;; *) return 0 ;; esac
    region= vf_size=$((240 * 1024 * 1024))
    for arg in $(cat /proc/cmdline); do
        case $arg in
            memmap=*\$*) region=${arg#memmap=} ;;
            aie4.carveout_vf=*) vf_size=$(bytes "${arg#aie4.carveout_vf=}") ;;
        esac
    done
    [ -n "$region" ] || { log "$bdf: no memmap=SIZE\$ADDR on the kernel command line: no carveout, open() will fail"; return 1; }
    base=$(bytes "${region#*\$}") total=$(bytes "${region%%\$*}")
    mkdir -p "$state"
    if [ -s "$state/$bdf" ]; then
        slice=$(cat "$state/$bdf")
    else
        case $(cat "/sys/bus/pci/devices/$bdf/device" 2>/dev/null) in
            0x17f3|0x1b0c) size=$vf_size ;;
            *) size=$((16 * 1024 * 1024)) ;;
        esac
        next=$base
        for f in "$state"/*; do
            [ -s "$f" ] || continue
            s=$(cat "$f"); end=$(( ${s#*@} + ${s%@*} ))
            [ "$end" -gt "$next" ] && next=$end
        done
        if [ $((next + size)) -gt $((base + total)) ]; then
            log "$bdf: the reserved region memmap=$region has no $((size >> 20)) MiB left for this function"
            return 1
        fi
        slice=$(printf '0x%x@0x%x' "$size" "$next")
        echo "$slice" >"$state/$bdf"
    fi
    if echo "$slice" >"$file" 2>/dev/null; then
        log "$bdf: carveout $slice"
    else
        # EBUSY: configured meanwhile by someone else (a guest program), which is fine.
        case $(cat "$file" 2>/dev/null) in 0x0@0x0|"") log "$bdf: writing $slice to $file failed"; return 1 ;; esac
    fi
}

if [ "${1:-}" = coldplug ]; then
    for dev in /sys/bus/pci/drivers/amdxdna/0000:*; do
        [ -e "$dev" ] && configure "$(basename "$dev")"
    done
    exit 0
fi
[ "${ACTION:-}" = bind ] && [ "${SUBSYSTEM:-}" = pci ] && [ "${DRIVER:-}" = amdxdna ] &&
    [ -n "${PCI_SLOT_NAME:-}" ] && configure "$PCI_SLOT_NAME"
exit 0
