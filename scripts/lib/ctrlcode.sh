# ./aie4 ctrlcode run FILE.asm|FILE.elf|DIR...   (docs/ctrlcode-corpus.md)
# Assembles .asm files with Debian's aiebu-asm (the guest tree's, through its own loader),
# then runs every ELF through CERT's executor and the array (build/emu/aie4-ctrlcode-run) and
# prints its report per program. A directory is searched for operator directories holding
# Work_AIE4/uc0.asm (AMD's compile_time layout: uc0/uc2/uc4 are one program, one file per
# column's uC, assembled together through a wrapper of .include lines), then for other
# *.asm and *.elf files.

ctrlcode_usage() {
    cat <<'USAGE'
usage: ./aie4 ctrlcode run [--columns N] [--max-cycles N] [--host-mib N] FILE.asm|FILE.elf|DIR...
  Assembles with Debian's aiebu-asm -t aie4, runs each program through CERT and the tile
  array with host buffers for its arguments, and reports per program: operations executed,
  BD and register writes by where they landed, DMA bytes against BD lengths, where it stopped.
  Ends with "summary: N programs, N assembled, N completed, N stopped, N not assembled".
USAGE
}

cmd_ctrlcode() {
    local sub=${1:-}
    [ $# -gt 0 ] && shift
    case "$sub" in
        run) ctrlcode_run "$@";;
        ""|-h|--help) ctrlcode_usage;;
        *) aie4_die "unknown ctrlcode command '$sub' (./aie4 ctrlcode --help)";;
    esac
}

ctrlcode_run() {
    local runner_args=() inputs=()
    while [ $# -gt 0 ]; do
        case "$1" in
            --columns|--max-cycles|--host-mib)
                [ $# -ge 2 ] || aie4_die "$1 needs a value"
                runner_args+=("$1" "$2"); shift 2;;
            -h|--help) ctrlcode_usage; return 0;;
            -*) aie4_die "unknown option $1 (./aie4 ctrlcode --help)";;
            *) inputs+=("$1"); shift;;
        esac
    done
    [ ${#inputs[@]} -gt 0 ] || { ctrlcode_usage; return 2; }
    [ -x "$AIE4_TREE/usr/bin/aiebu-asm" ] || aie4_die "no aiebu-asm in the guest tree $AIE4_TREE (./aie4 setup)"
    local runner=$AIE4_BUILD/emu/aie4-ctrlcode-run
    [ -x "$runner" ] || cmd_build >&2
    local work
    work=$(mktemp -d)
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" RETURN

    # Collect programs: name<TAB>source (an .asm, an .elf, or an operator's Work_AIE4 dir).
    local list=$work/programs.txt
    : >"$list"
    local in d f
    for in in "${inputs[@]}"; do
        if [ -d "$in" ]; then
            while IFS= read -r d; do
                printf '%s\t%s\n' "$(basename "$(dirname "$d")")" "$d" >>"$list"
            done < <(find "$in" -type f -path '*/Work_AIE4/uc0.asm' -printf '%h\n' | sort)
            while IFS= read -r f; do
                printf '%s\t%s\n' "${f#"$in"/}" "$f" >>"$list"
            done < <(find "$in" \( -name '*.asm' -o -name '*.elf' \) -type f -not -path '*/Work_AIE4/*' | sort)
        elif [ -f "$in" ]; then
            printf '%s\t%s\n' "$in" "$in" >>"$list"
        else
            aie4_die "no such file or directory: $in"
        fi
    done

    local n=0 failed_asm=0 name src elf log elfs=()
    while IFS=$'\t' read -r name src; do
        n=$((n + 1))
        elf=$work/$n.elf
        case "$src" in
            *.elf) cp "$src" "$elf";;
            *.asm) ctrlcode_assemble "$src" "$elf" "$work/$n.log" || { failed_asm=$((failed_asm + 1));
                     echo "program $name"; echo "  result      not assembled: $(ctrlcode_first_error "$work/$n.log")"; continue; };;
            *) # operator directory: uc0 (+ uc2, uc4) as one program
               local wrap=$work/$n.asm uc first=1
               : >"$wrap"
               for uc in 0 2 4 6 8 10; do
                   [ -f "$src/uc$uc.asm" ] || continue
                   [ $first -eq 1 ] || printf '.eop\n' >>"$wrap"
                   printf '.include %s\n' "$(readlink -f "$src/uc$uc.asm")" >>"$wrap"
                   first=0
               done
               ctrlcode_assemble "$wrap" "$elf" "$work/$n.log" || { failed_asm=$((failed_asm + 1));
                     echo "program $name"; echo "  result      not assembled: $(ctrlcode_first_error "$work/$n.log")"; continue; };;
        esac
        ln -s "$elf" "$work/$(printf '%s' "$name" | tr '/' '_')" 2>/dev/null && elfs+=("$work/$(printf '%s' "$name" | tr '/' '_')") || elfs+=("$elf")
    done <"$list"

    local status=0 out=$work/run.txt
    if [ ${#elfs[@]} -gt 0 ]; then
        "$runner" "${runner_args[@]}" "${elfs[@]}" >"$out" || status=$?
        sed -e "s|$work/||" "$out" | grep -v '^summary:'
    fi
    local ran completed
    ran=${#elfs[@]}
    completed=$(grep -c '^  result      completed' "$out" 2>/dev/null || true)
    echo "summary: $n programs, $ran assembled, ${completed:-0} completed, $((ran - ${completed:-0})) stopped, $failed_asm not assembled"
    [ $failed_asm -eq 0 ] && [ $status -eq 0 ]
}

# ctrlcode_assemble SRC.asm OUT.elf LOG
ctrlcode_assemble() {
    (cd "$(dirname "$1")" && aie4_tree_run /usr/bin/aiebu-asm -t aie4 -c "$(basename "$1")" -o "$2" -f disabledump) \
        >"$3" 2>&1 && [ -s "$2" ]
}

ctrlcode_first_error() {
    grep -m1 -i 'error' "$1" | tr -d '\r' | cut -c1-200 || head -c 200 "$1"
}
