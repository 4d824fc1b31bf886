# ./aie4 xrt: build a user's XRT application and assemble its kernels with the project's
# developer tree (Debian trixie: g++ 14, libxrt-dev, aiebu-asm 2.25), so that the result runs in
# the XRT guest (./aie4 boot --rootfs xrt --run ...). docs/xrt.md. Sourced by ./aie4.

xrt_usage() {
    cat <<'EOF2'
usage: ./aie4 xrt build SOURCE.cpp... -o PROGRAM [-- G++_OPTIONS...]
       ./aie4 xrt asm -j config.json -o KERNEL.elf
  build   compiles SOURCE.cpp (and the headers next to it) with the developer tree's g++ 14
          against Debian's libxrt-dev (-std=c++17 -O2, -lxrt_coreutil); the program runs in the
          guest of ./aie4 boot --rootfs xrt (trixie's XRT needs trixie's libstdc++)
  asm     runs Debian's aiebu-asm -t aie4_config in the current directory (config.json names
          the control-code source, e.g. "ctrl_code_file": "./kernel.asm")
Needs root for build (chroot into the developer tree, made on first use: about a minute).
EOF2
}

cmd_xrt() {
    local sub=${1:-}
    [ $# -gt 0 ] && shift
    case $sub in
        build) xrt_build "$@";;
        asm) xrt_asm "$@";;
        ""|-h|--help) xrt_usage;;
        *) aie4_die "unknown xrt command '$sub' (see ./aie4 xrt --help)";;
    esac
}

xrt_asm() {
    setup_devtree
    "$AIE4_DEVTREE/lib64/ld-linux-x86-64.so.2" --library-path "$AIE4_DEVTREE/usr/lib/x86_64-linux-gnu" \
        "$AIE4_DEVTREE/usr/bin/aiebu-asm" -t aie4_config "$@"
}

xrt_build() {
    local sources=() out= extra=()
    while [ $# -gt 0 ]; do
        case $1 in
            -o) out=${2:?-o needs a file}; shift 2;;
            --) shift; extra=("$@"); break;;
            -h|--help) xrt_usage; return 0;;
            -*) aie4_die "xrt build: unknown option '$1' (g++ options go after --)";;
            *) [ -f "$1" ] || aie4_die "xrt build: no such file '$1'"; sources+=("$1"); shift;;
        esac
    done
    [ ${#sources[@]} -gt 0 ] && [ -n "$out" ] || aie4_die "usage: ./aie4 xrt build SOURCE.cpp... -o PROGRAM"
    setup_devtree
    aie4_require_root "./aie4 xrt build (chroot into the developer tree)"
    local rel=tmp/aie4-xrt-build.$$ work f dir names=()
    work=$AIE4_DEVTREE/$rel
    rm -rf "$work"; mkdir -p "$work"
    for f in "${sources[@]}"; do
        dir=$(dirname "$f")
        cp "$f" "$work/"
        names+=("$(basename "$f")")
        find "$dir" -maxdepth 1 -type f \( -name '*.h' -o -name '*.hpp' \) -exec cp {} "$work/" \;
    done
    local rc=0
    chroot "$AIE4_DEVTREE" /bin/sh -c 'cd "$1" && shift && exec g++ -std=c++17 -O2 -Wall "$@" -lxrt_coreutil -pthread' \
        _ "/$rel" -o program "${names[@]}" "${extra[@]}" || rc=$?
    if [ $rc = 0 ]; then
        cp "$work/program" "$out"
        aie4_step "xrt build: $out (g++ 14, Debian libxrt-dev $(sed -n 's/^libxrt-dev //p' "$AIE4_DEVTREE_CACHE/versions.txt"))"
    fi
    rm -rf "$work"
    [ $rc = 0 ] || aie4_die "xrt build: g++ failed"
}
