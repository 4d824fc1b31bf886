# ./aie4 ctrlcode run FILE.asm|FILE.elf|DIR...   (docs/ctrlcode-corpus.md)
# Assembles .asm files with Debian's aiebu-asm (the guest tree's, through its own loader),
# then runs every ELF through CERT's executor and the array (build/emu/aie4-ctrlcode-run) and
# prints its report per program. A directory is searched for operator directories holding
# Work_AIE4/uc0.asm (AMD's compile_time layout: uc0/uc2/uc4 are one program, one file per
# column's uC, assembled together through a wrapper of .include lines), then for other
# *.asm and *.elf files.
# --drop-preempt-jobs: before assembling, jobs whose only operation is PREEMPT are removed
# (ctrlcode_drop_preempt_jobs) and each program that lost one says so in its report.

ctrlcode_usage() {
    cat <<'USAGE'
usage: ./aie4 ctrlcode run [--columns N] [--max-cycles N] [--host-mib N] [--drop-preempt-jobs]
                           FILE.asm|FILE.elf|DIR...
  Assembles with Debian's aiebu-asm -t aie4, runs each program through CERT and the tile
  array with host buffers for its arguments, and reports per program: operations executed,
  BD and register writes by where they landed, DMA bytes against BD lengths, where it stopped.
  Ends with "summary: N programs, N assembled, N completed, N stopped, N not assembled".
  --drop-preempt-jobs  remove every job whose only operation is PREEMPT from .asm sources
                       before assembling (a preemption checkpoint this emulator never takes;
                       aiebu-asm refuses PREEMPT without a LOAD_PDI in the same ELF) and say
                       so per program
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
    local runner_args=() inputs=() drop_preempt=0
    while [ $# -gt 0 ]; do
        case "$1" in
            --drop-preempt-jobs) drop_preempt=1; shift;;
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

    local n=0 failed_asm=0 dropped_programs=0 name src elf link note elfs=()
    local notes=$work/notes.txt
    : >"$notes"
    while IFS=$'\t' read -r name src; do
        n=$((n + 1))
        elf=$work/$n.elf
        note=
        case "$src" in
            *.elf) cp "$src" "$elf";;
            *.asm)
               local asm=$src
               if [ $drop_preempt -eq 1 ]; then
                   asm=$work/$n.src.asm
                   note=$(ctrlcode_drop_preempt_jobs "$src" "$asm")
               fi
               ctrlcode_assemble "$asm" "$elf" "$work/$n.log" "$(dirname "$src")" || {
                     failed_asm=$((failed_asm + 1)); ctrlcode_not_assembled "$name" "$note" "$work/$n.log"
                     [ -z "$note" ] || dropped_programs=$((dropped_programs + 1)); continue; };;
            *) # operator directory: uc0 (+ uc2, uc4) as one program
               local wrap=$work/$n.asm uc first=1 inc part
               : >"$wrap"
               for uc in 0 2 4 6 8 10; do
                   [ -f "$src/uc$uc.asm" ] || continue
                   [ $first -eq 1 ] || printf '.eop\n' >>"$wrap"
                   inc=$(readlink -f "$src/uc$uc.asm")
                   if [ $drop_preempt -eq 1 ]; then
                       inc=$work/$n.uc$uc.asm
                       part=$(ctrlcode_drop_preempt_jobs "$src/uc$uc.asm" "$inc")
                       [ -z "$part" ] || note="${note:+$note; }uc$uc.asm: $part"
                   fi
                   printf '.include %s\n' "$inc" >>"$wrap"
                   first=0
               done
               ctrlcode_assemble "$wrap" "$elf" "$work/$n.log" || {
                     failed_asm=$((failed_asm + 1)); ctrlcode_not_assembled "$name" "$note" "$work/$n.log"
                     [ -z "$note" ] || dropped_programs=$((dropped_programs + 1)); continue; };;
        esac
        [ -z "$note" ] || dropped_programs=$((dropped_programs + 1))
        link=$work/$(printf '%s' "$name" | tr '/' '_')
        ln -s "$elf" "$link" 2>/dev/null || link=$elf
        elfs+=("$link")
        [ -z "$note" ] || printf '%s\t%s\n' "${link#"$work"/}" "$note" >>"$notes"
    done <"$list"

    local status=0 out=$work/run.txt
    if [ ${#elfs[@]} -gt 0 ]; then
        "$runner" "${runner_args[@]}" "${elfs[@]}" >"$out" || status=$?
        # The runner's report, with the note of each program that lost PREEMPT-only jobs
        # printed under its "program" line.
        sed -e "s|$work/||" "$out" | grep -v '^summary:' | awk -F'\t' -v notes="$notes" '
            BEGIN { while ((getline l < notes) > 0) { split(l, f, "\t"); note[f[1]] = f[2] } }
            { print }
            /^program / { p = substr($0, 9); if (p in note) print "  preempt     " note[p] }'
    fi
    local ran completed
    ran=${#elfs[@]}
    completed=$(grep -c '^  result      completed' "$out" 2>/dev/null || true)
    local dropped=
    [ $drop_preempt -eq 0 ] || dropped="; PREEMPT-only jobs removed from $dropped_programs"
    echo "summary: $n programs, $ran assembled, ${completed:-0} completed, $((ran - ${completed:-0})) stopped, $failed_asm not assembled$dropped"
    [ $failed_asm -eq 0 ] && [ $status -eq 0 ]
}

# ctrlcode_assemble SRC.asm OUT.elf LOG [DIR]: assembles in DIR (default SRC's directory), so
# that a filtered copy of a source still finds the files it .includes beside the original.
ctrlcode_assemble() {
    local src dir=${4:-$(dirname "$1")}
    src=$(readlink -f "$1")
    (cd "$dir" && aie4_tree_run /usr/bin/aiebu-asm -t aie4 -c "$src" -o "$2" -f disabledump) \
        >"$3" 2>&1 && [ -s "$2" ]
}

# ctrlcode_not_assembled NAME NOTE LOG: the report of a program aiebu-asm refused.
ctrlcode_not_assembled() {
    echo "program $1"
    [ -z "$2" ] || echo "  preempt     $2"
    echo "  result      not assembled: $(ctrlcode_first_error "$3")"
}

# ctrlcode_drop_preempt_jobs IN.asm OUT.asm: copies IN to OUT without the jobs (START_JOB ..
# END_JOB) whose every operation is PREEMPT, and prints what it removed ("removed 1 PREEMPT-only
# job: START_JOB 1"), nothing if it removed none. Comments (';') and blank lines are not
# operations; a job with anything else in it stays whole.
ctrlcode_drop_preempt_jobs() {
    awk -v out="$2" '
        function flush_job(   i) {
            if (ops > 0 && ops == preempts) { dropped++; ids = ids (ids == "" ? "" : ", ") start }
            else for (i = 1; i <= held; i++) print buf[i] > out
            held = 0; injob = 0
        }
        {
            line = $0; sub(/;.*/, "", line); gsub(/^[ \t]+|[ \t\r]+$/, "", line)
            word = toupper(line); sub(/[ \t].*/, "", word)
            if (word == "START_JOB") {
                if (injob) flush_job()
                injob = 1; ops = 0; preempts = 0; held = 0; start = line
            }
            if (!injob) { print $0 > out; next }
            buf[++held] = $0
            if (word == "END_JOB") { flush_job(); next }
            if (word != "START_JOB" && line != "") { ops++; if (word == "PREEMPT") preempts++ }
        }
        END {
            if (injob) for (i = 1; i <= held; i++) print buf[i] > out
            close(out)
            if (dropped > 0) printf "removed %d PREEMPT-only job%s: %s\n", dropped, dropped == 1 ? "" : "s", ids
        }' "$1"
}

ctrlcode_first_error() {
    grep -m1 -i 'error' "$1" | tr -d '\r' | cut -c1-200 || head -c 200 "$1"
}
