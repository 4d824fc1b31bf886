# What both guest variants carry besides the kernel modules: the firmware files the amdxdna PF
# requests, and the statically linked guest programs. Sourced by build-initramfs.sh and
# build-rootfs.sh after scripts/lib/common.sh.

# Identities the emulator can present; the PF requests amdnpu/<device>_<revision>/{npu,cert}.dev.sbin
# (amdxdna aie4_pci.c aie4_request_firmware, file names from npu3_regs.c npufw_path/certfw_path).
AIE4_FIRMWARE_DIRS=(17f2_10 1b0b_10)
AIE4_MKFW=${AIE4EMU_MKFW:-$AIE4_BUILD/firmware-stub/aie4-mkfw}

# payload_firmware DEST: writes DEST/amdnpu/<dir>/{npu.dev.sbin,cert.dev.sbin} for every identity.
payload_firmware() {
    local dest=$1 dir
    rm -rf "$dest/amdnpu"
    for dir in "${AIE4_FIRMWARE_DIRS[@]}"; do
        mkdir -p "$dest/amdnpu/$dir"
        if [ -x "$AIE4_MKFW" ]; then
            "$AIE4_MKFW" --kind npu --out "$dest/amdnpu/$dir/npu.dev.sbin" >/dev/null &&
                "$AIE4_MKFW" --kind cert --out "$dest/amdnpu/$dir/cert.dev.sbin" >/dev/null ||
                aie4_die "$AIE4_MKFW failed"
        else
            # PLACEHOLDER until the firmware stub's aie4-mkfw is built: non-empty files (the driver
            # rejects empty ones), which the emulated PSP may refuse to validate.
            printf 'AIE4EMU PLACEHOLDER npu firmware (aie4-mkfw was not built)\n' >"$dest/amdnpu/$dir/npu.dev.sbin"
            printf 'AIE4EMU PLACEHOLDER cert firmware (aie4-mkfw was not built)\n' >"$dest/amdnpu/$dir/cert.dev.sbin"
        fi
    done
    [ -x "$AIE4_MKFW" ] || aie4_warn "no $AIE4_MKFW: the guest gets PLACEHOLDER firmware files"
}

# payload_programs DEST: copies every statically linked aie4-* executable of the build into DEST.
# Prints how many were copied. Dynamic ones (sanitizer builds) cannot run in the busybox guest.
payload_programs() {
    local dest=$1 f n=0
    mkdir -p "$dest"
    for f in "$AIE4_BUILD"/guest-driver/aie4-*; do
        [ -f "$f" ] && [ -x "$f" ] || continue
        if LC_ALL=C readelf -l "$f" 2>/dev/null | grep -q 'Requesting program interpreter'; then
            aie4_warn "$(basename "$f") is dynamically linked: not copied into the guest"
            continue
        fi
        cp "$f" "$dest/"
        n=$((n + 1))
    done
    echo "$n"
}

# Hash of the files a guest image is made from (decides whether to rebuild).
payload_inputs_hash() {
    {
        echo "tree=$AIE4_TREE_KEY"
        cat "$AIE4_TREE_VERSIONS" 2>/dev/null
        sha256sum "$@" 2>/dev/null
        ls -l "$AIE4_BUILD"/guest-driver/aie4-* "$AIE4_MKFW" 2>/dev/null | awk '{print $5, $6, $7, $8, $9}'
        for f in "$AIE4_BUILD"/guest-driver/aie4-* "$AIE4_MKFW"; do [ -f "$f" ] && sha256sum "$f"; done
    } | sha256sum | cut -d' ' -f1
}
