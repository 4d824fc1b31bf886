# What the guest sees of each function's config space through QEMU's vfio-user-pci: BAR sizes
# (PF: BAR0 64 KiB, BAR2 1 MiB, BAR4 and BAR5 4 KiB; VF: BAR0 and BAR2), MSI-X table sizes (PF
# 8, VF 16), and whether the PF's SR-IOV extended capability is visible. The device has one;
# QEMU's vfio code hides it from guests, so the expected answer is "hidden" (docs/architecture.md).
# aie4-test: attach=pf,vf0
rc=0
cfg_byte() { od -An -tu1 -j "$2" -N1 "$1/config" | tr -d ' '; }
cfg_word() { od -An -tu2 -j "$2" -N2 "$1/config" | tr -d ' '; }
cfg_dword() { od -An -tu4 -j "$2" -N4 "$1/config" | tr -d ' '; }
bar_size() { # resource line N (0-based BAR index): end - start + 1
    line=$(sed -n "$(($2 + 1))p" "$1/resource")
    set -- $line
    [ "$1" = 0x0000000000000000 ] && { echo 0; return; }
    echo $(( $2 - $1 + 1 ))
}
msix_count() {
    cap=$(cfg_byte "$1" 52)
    while [ "$cap" != 0 ]; do
        [ "$(cfg_byte "$1" "$cap")" = 17 ] && { echo $(( ($(cfg_word "$1" $((cap + 2))) & 2047) + 1 )); return; }
        cap=$(cfg_byte "$1" $((cap + 1)))
    done
    echo 0
}
has_ext_cap() { # $2 = extended capability id
    off=256
    while [ "$off" != 0 ]; do
        hdr=$(cfg_dword "$1" "$off")
        [ -z "$hdr" ] || [ "$hdr" = 0 ] && return 1
        [ $((hdr & 65535)) = "$2" ] && return 0
        off=$(( (hdr >> 20) & 4092 ))
    done
    return 1
}
check() { # what got want
    if [ "$2" = "$3" ]; then echo "  ok   $1 = $2"; else echo "  FAIL $1 = $2, expected $3"; rc=1; fi
}
for d in /sys/bus/pci/devices/*; do
    case $(cat $d/device) in
        0x17f2)
            echo "PF ${d##*/}"
            check "BAR0 size" "$(bar_size $d 0)" 65536
            check "BAR2 size" "$(bar_size $d 2)" 1048576
            check "BAR4 size" "$(bar_size $d 4)" 4096
            check "BAR5 size" "$(bar_size $d 5)" 4096
            check "MSI-X vectors" "$(msix_count $d)" 8
            [ "$(stat -c %s $d/config)" -ge 4096 ] || echo "  note: only $(stat -c %s $d/config) bytes of config space visible"
            if has_ext_cap $d 16; then
                echo "  SR-IOV capability: visible to the guest"
                check "SR-IOV capability" visible hidden
            else
                echo "  SR-IOV capability: hidden by QEMU (as documented)"
            fi
            ;;
        0x17f3)
            echo "VF ${d##*/}"
            check "BAR0 size" "$(bar_size $d 0)" 65536
            check "BAR2 size" "$(bar_size $d 2)" 1048576
            check "BAR4 size" "$(bar_size $d 4)" 0
            check "MSI-X vectors" "$(msix_count $d)" 16
            ;;
    esac
done
exit $rc
