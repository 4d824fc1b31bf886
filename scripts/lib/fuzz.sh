# ./aie4 fuzz: the libFuzzer targets of tests/fuzz, built in the sanitizer build (clang, ASan+UBSan,
# every library instrumented with -fsanitize=fuzzer-no-link; sanitizer_build in boot.sh) and run
# on the seed corpus kept in the repository (tests/fuzz/corpus/TARGET). Sourced by ./aie4.

# name|what it fuzzes (tests/fuzz/fuzz_NAME.cpp documents its input encoding)
AIE4_FUZZ_TARGETS=(
    "vfio_user|vfio-user messages from a client socket (emu/vfio_user)"
    "mailbox|management mailbox messages of a VF and the PF on a booted device (firmware-stub, hw/npu3)"
    "cert|a user-mode queue walk plus control-code pages through CERT and the tile array"
    "array|BD, channel, lock, stream-switch, core and memory writes into the tile array (hw/aie)"
)

# Per-target libFuzzer defaults (a caller's own -- args come later and win).
#  mailbox: -max_len=1024, about 20 to 60 messages. Without it libFuzzer lets inputs grow to
#  nearly 3 KB, each a hundred or so round trips, and the rate fell to about 860/s; at 1024 the
#  same 1,900 edges are reached at about 1,300/s (docs/reliability.md).
#  vfio_user: -max_len=1024 too. Its inputs grew to 4 KB (a few dozen messages, each a send, an
#  event-loop turn and a drain), and long runs fell to 370-530/s; at 1024 about 1,650/s with
#  1,888 edges in 60 s against 1,891-1,895 (docs/reliability.md, 6 December).
fuzz_target_args() {
    case $1 in
        mailbox|vfio_user) echo "-max_len=1024" ;;
    esac
}

fuzz_target_names() { local t; for t in "${AIE4_FUZZ_TARGETS[@]}"; do echo "${t%%|*}"; done; }

# ASAN_OPTIONS of a libFuzzer run: the caller's (CI's) or leak checking, plus a 16 MB quarantine
# unless the caller chose one. ASan's default 256 MB quarantine hands every allocation fresh
# pages, so each input page-faults and fills new memory: half of the cert target's time. 16 MB
# is still far more than one input frees, so a use after free inside an input is still caught.
fuzz_asan_options() {
    local o=${ASAN_OPTIONS:-detect_leaks=1}
    case $o in *quarantine_size_mb=*) ;; *) o="$o:quarantine_size_mb=16";; esac
    echo "$o"
}

# fuzz_run TARGET SECONDS [extra libFuzzer args...]: runs one target; prints its summary line
# ("fuzz TARGET: N inputs in S s (R/s), cov E, ft F, corpus C, crashes K") and returns non-zero
# when it found a crash. New inputs go to the build's work corpus; the repository corpus is read.
fuzz_run() {
    local name=$1 secs=$2; shift 2
    local exe=$AIE4_BUILD_ASAN/tests/fuzz/libfuzzer-$name
    local work=$AIE4_BUILD_ASAN/fuzz/$name seeds=$AIE4_ROOT/tests/fuzz/corpus/$name
    [ -x "$exe" ] || aie4_die "$exe is missing (the sanitizer build makes it)"
    [ -d "$seeds" ] || aie4_die "no seed corpus $seeds"
    mkdir -p "$work/corpus" "$work/artifacts"
    local log=$work/last-run.log rc t
    t=$(aie4_now)
    set +e
    ASAN_OPTIONS=$(fuzz_asan_options) \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        "$exe" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2560 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/" $(fuzz_target_args "$name") "$@" "$work/corpus" "$seeds" >"$log" 2>&1
    rc=$?
    set -e
    local execs rate cov ft corp crashes
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n1 | cut -d' ' -f2)
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -n1 | cut -d' ' -f2)
    corp=$(grep -oE 'corp: [0-9]+' "$log" | tail -n1 | cut -d' ' -f2)
    crashes=$(find "$work/artifacts" -type f | wc -l)
    aie4_step "fuzz $name: ${execs:-0} inputs in $(aie4_elapsed "$t") s (${rate:-0}/s), cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}, crash files $crashes (log $log)"
    # libFuzzer exits with 72 when a signal stops it (-interrupted_exitcode): what it ran is kept
    # and found nothing, so that is not a failure (a later --merge or run goes on from it).
    if [ "$rc" = 72 ] && [ "$crashes" = 0 ] && grep -q 'libFuzzer: run interrupted' "$log"; then
        aie4_step "fuzz $name: stopped by a signal before its $secs s were up; no crash"
        return 0
    fi
    if [ "$rc" -ne 0 ]; then
        grep -E 'ERROR|INVARIANT|runtime error|SUMMARY|Test unit written' "$log" | head -20 >&2
        return 1
    fi
    return 0
}

# Minimises the repository corpus with what runs found: seed-* files stay as they are, every other
# file is replaced by libFuzzer's merge (only inputs that add coverage), named by content hash.
fuzz_merge() {
    local name=$1
    local exe=$AIE4_BUILD_ASAN/tests/fuzz/libfuzzer-$name
    local work=$AIE4_BUILD_ASAN/fuzz/$name seeds=$AIE4_ROOT/tests/fuzz/corpus/$name
    local merged=$work/merged t
    t=$(aie4_now)
    rm -rf "$merged"; mkdir -p "$merged" "$work/corpus"
    # The seeds are the merge's starting corpus, so it adds only inputs that cover more.
    cp "$seeds"/seed-* "$merged"/
    ASAN_OPTIONS=$(fuzz_asan_options) UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        "$exe" -merge=1 -timeout=25 -rss_limit_mb=2560 $(fuzz_target_args "$name") "$merged" "$seeds" "$work/corpus" \
        >"$work/merge.log" 2>&1 || { tail -20 "$work/merge.log" >&2; aie4_die "merge of $name failed (log $work/merge.log)"; }
    # crash-* files (regression inputs) and seed-* stay; min-* are replaced by the merge's picks.
    find "$seeds" -maxdepth 1 -type f -name 'min-*' -delete
    local f
    for f in "$merged"/*; do
        case $(basename "$f") in seed-*) continue;; esac
        cp "$f" "$seeds/min-$(sha1sum "$f" | cut -c1-16)"
    done
    aie4_step "fuzz $name: corpus merged into $seeds: $(find "$seeds" -type f | wc -l) files, $(du -sk "$seeds" | cut -f1) KiB ($(aie4_elapsed "$t") s)"
}

cmd_fuzz() {
    local name= secs=60 merge=0 extra=()
    while [ $# -gt 0 ]; do
        case $1 in
            -h|--help)
                cat <<EOF
usage: ./aie4 fuzz --list | ./aie4 fuzz TARGET [--time S] [--merge] [-- LIBFUZZER_ARGS...]
Builds the sanitizer build (clang: ASan+UBSan, every library with -fsanitize=fuzzer-no-link,
the targets linked with -fsanitize=fuzzer; \$AIE4EMU_BUILD_ASAN, default build-asan/) and runs
one libFuzzer target for S seconds (default 60) on its seed corpus tests/fuzz/corpus/TARGET.
New inputs collect in build-asan/fuzz/TARGET/corpus, crashes in build-asan/fuzz/TARGET/artifacts.
  --list    name the targets
  --merge   afterwards, minimise the repository corpus with what the run found (libFuzzer -merge)
Exit status 1 when the run found a crash. A run stopped by a signal to libFuzzer (kill -INT)
keeps what it found and is not a failure.
EOF
                return 0;;
            --list)
                local t
                for t in "${AIE4_FUZZ_TARGETS[@]}"; do printf '%-10s %s\n' "${t%%|*}" "${t#*|}"; done
                return 0;;
            --time) secs=${2:?--time needs seconds}; shift;;
            --merge) merge=1;;
            --) shift; extra=("$@"); break;;
            -*) aie4_die "unknown option '$1' (see ./aie4 fuzz --help)";;
            *) [ -z "$name" ] || aie4_die "one target at a time"; name=$1;;
        esac
        shift
    done
    [ -n "$name" ] || aie4_die "which target? (./aie4 fuzz --list)"
    fuzz_target_names | grep -qx "$name" || aie4_die "unknown fuzz target '$name' (./aie4 fuzz --list)"
    setup_host_if_needed
    sanitizer_build "tests/fuzz/libfuzzer-$name"
    local rc=0
    fuzz_run "$name" "$secs" "${extra[@]}" || rc=1
    [ $merge = 1 ] && fuzz_merge "$name"
    return $rc
}
