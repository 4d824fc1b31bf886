# ./aie4 test: unit tests (Catch2, one executable per layer, counted per test case), fuzz smoke
# runs, and guest tests (tests/guest/*.sh, each one boot, counted as one test). The last line
# of the output is "N passed, N failed". Sourced by ./aie4 after boot.sh.

PASSED=0
FAILED=0
FAILED_NAMES=()

count() { # count PASSED_DELTA FAILED_DELTA NAME
    PASSED=$((PASSED + $1))
    FAILED=$((FAILED + $2))
    [ "$2" -eq 0 ] || FAILED_NAMES+=("$3")
}

# One Catch2 executable: its test-case counts.
run_catch2() {
    local exe=$1 name out summary p f rc
    name=$(basename "$exe")
    set +e
    out=$("$exe" --reporter console --colour-mode none 2>&1)
    rc=$?
    set -e
    summary=$(printf '%s\n' "$out" | grep -E '^(All tests passed|test cases:)' | tail -n1)
    if [[ $summary =~ All\ tests\ passed.*in\ ([0-9]+)\ test\ case ]]; then
        p=${BASH_REMATCH[1]}; f=0
    elif [[ $summary =~ test\ cases:\ *([0-9]+)\ \|\ *([0-9]+)\ passed\ \|\ *([0-9]+)\ failed ]]; then
        p=${BASH_REMATCH[2]}; f=${BASH_REMATCH[3]}
    elif [[ $summary =~ test\ cases:\ *([0-9]+)\ \|\ *([0-9]+)\ failed ]]; then
        p=0; f=${BASH_REMATCH[2]}
    else
        p=0; f=1
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    [ "$f" -eq 0 ] || printf '%s\n' "$out" | tail -60
    aie4_step "unit $name: $p passed, $f failed"
    count "$p" "$f" "$name"
}

# One fuzz driver's smoke run (pseudo-random inputs, fixed seed): one test.
run_fuzz_smoke() {
    local exe=$1 n=$2 name out rc t
    name=$(basename "$exe")
    t=$(aie4_now)
    set +e
    out=$("$exe" --random "$n" 1 2>&1)
    rc=$?
    set -e
    if [ "$rc" -eq 0 ]; then
        aie4_step "fuzz $name: $n inputs, passed ($(aie4_elapsed "$t") s)"
        count 1 0 "$name"
    else
        printf '%s\n' "$out" | tail -30
        aie4_step "fuzz $name: FAILED (exit $rc)"
        count 0 1 "$name"
    fi
}

# Metadata of a guest test: lines "# aie4-test: key=value ..." (see tests/guest/README.md).
guest_test_meta() { sed -n 's/^# aie4-test: *//p' "$1" | tr '\n' ' '; }
guest_test_traces() { sed -n 's/^# aie4-trace \([a-z0-9]*\): *\(.*\)$/\1\t\2/p' "$1"; }

# check_trace_order FILE.json REGEX...: the regexes match trace lines in this order.
check_trace_order() {
    python3 - "$@" <<'PY'
import json, re, sys
path, patterns = sys.argv[1], sys.argv[2:]
try:
    lines = json.load(open(path))["lines"]
except Exception as e:
    print(f"  trace {path}: unreadable ({e})"); sys.exit(1)
i = 0
for p in patterns:
    rx = re.compile(p)
    while i < len(lines) and not rx.search(lines[i]):
        i += 1
    if i == len(lines):
        print(f"  trace {path}: no line matching /{p}/ after the previous match")
        sys.exit(1)
    i += 1
PY
}

run_guest_test() {
    local file=$1 name meta attach=pf,vf0 vfs= identity= rootfs=initramfs expect=0 emu_args=() kv
    name=$(basename "$file" .sh)
    meta=$(guest_test_meta "$file")
    for kv in $meta; do
        case $kv in
            attach=*) attach=${kv#attach=} ;;
            vfs=*) vfs=${kv#vfs=} ;;
            identity=*) identity=${kv#identity=} ;;
            rootfs=*) rootfs=${kv#rootfs=} ;;
            expect=*) expect=${kv#expect=} ;;
            emu-arg=*) emu_args+=(--emu-arg "${kv#emu-arg=}") ;;
            *) aie4_warn "$name: unknown metadata '$kv'" ;;
        esac
    done
    local out=$AIE4_BUILD/guest-tests/$name args=(--script "$file" --attach "$attach" --rootfs "$rootfs" --timeout 300)
    [ -n "$vfs" ] && args+=(--vfs "$vfs")
    [ -n "$identity" ] && args+=(--identity "$identity")
    rm -rf "$out"; mkdir -p "$out"
    local t rc ok=1 fn rx
    t=$(aie4_now)
    set +e
    (cmd_boot "${args[@]}" "${emu_args[@]}" --save "$out") >"$out/boot.log" 2>&1
    rc=$?
    set -e
    if [ "$rc" != "$expect" ]; then
        ok=0
        echo "  $name: exit status $rc, expected $expect; last console lines:"
        grep -v '^\s*$' "$out/boot.log" | tail -25 | sed 's/^/    /'
    fi
    # Ordered trace assertions, per function.
    local fns; fns=$(guest_test_traces "$file" | cut -f1 | sort -u)
    for fn in $fns; do
        local pats=()
        while IFS=$'\t' read -r f rx; do [ "$f" = "$fn" ] && pats+=("$rx"); done < <(guest_test_traces "$file")
        check_trace_order "$out/$fn.trace.json" "${pats[@]}" || ok=0
    done
    if ! grep -q '"ok":true' "$out/status.json" 2>/dev/null; then
        ok=0
        echo "  $name: aie4emu did not answer its control socket after the guest stopped"
    fi
    if [ $ok = 1 ]; then
        aie4_step "guest $name: passed ($(aie4_elapsed "$t") s)"
        count 1 0 "$name"
    else
        aie4_step "guest $name: FAILED ($(aie4_elapsed "$t") s; logs in $out)"
        count 0 1 "$name"
    fi
}

# A host test (tests/host/*.sh): a bash script that drives aie4emu and several guests
# itself; exit 0 passes. One test each.
run_host_test() {
    local file=$1 name t rc log
    name=$(basename "$file" .sh)
    log=$AIE4_BUILD/host-tests/$name.log
    mkdir -p "$(dirname "$log")"
    t=$(aie4_now)
    set +e
    AIE4EMU_BUILD=$AIE4_BUILD bash "$file" >"$log" 2>&1
    rc=$?
    set -e
    if [ "$rc" = 0 ]; then
        aie4_step "host $name: passed ($(aie4_elapsed "$t") s)"
        count 1 0 "$name"
    else
        tail -25 "$log" | sed 's/^/    /'
        aie4_step "host $name: FAILED ($(aie4_elapsed "$t") s; log $log)"
        count 0 1 "$name"
    fi
}

cmd_test() {
    local asan= only=
    while [ $# -gt 0 ]; do
        case $1 in
            -h|--help)
                cat <<'EOF'
usage: ./aie4 test [--asan|--no-asan] [--guest-only|--unit-only] [--only NAME]
Sets up if needed, builds, and runs every test:
  - unit tests: one Catch2 executable per layer, counted per test case
  - fuzz smoke runs: each fuzz driver on a fixed set of pseudo-random inputs, one test each
  - guest tests: tests/guest/*.sh, each booted in its own guest (./aie4 boot --script),
    one test each; ordered trace assertions checked against aie4emu's recorded traces
  - host tests: tests/host/*.sh, scripts that run several guests against one aie4emu
    (SR-IOV: VFs in different VMs at once), one test each
Ends with one line "N passed, N failed". Exit status 0 when nothing failed.
Under CI (CI=true) or with --asan, unit and fuzz tests run in the ASan+UBSan build; guest
tests always use the plain build (guest programs are linked statically).
  --only NAME   run only the guest or host test NAME
EOF
                return 0;;
            --asan) asan=1;;
            --no-asan) asan=0;;
            --guest-only) only=guest;;
            --unit-only) only=unit;;
            --only) only=guest; ONLY_TEST=${2:?}; shift;;
            *) aie4_die "unknown option '$1' (see ./aie4 test --help)";;
        esac
        shift
    done
    [ -z "$asan" ] && { [ "${CI:-}" = true ] && asan=1 || asan=0; }
    local t0; t0=$(aie4_now)
    setup_if_needed
    meson_build "$AIE4_BUILD"
    local dir=$AIE4_BUILD
    if [ "$asan" = 1 ] && [ "$only" != guest ]; then
        meson_build "$AIE4_BUILD_ASAN" -Db_sanitize=address,undefined -Db_lundef=false -Dabort_on_internal_error=true -Dguest_programs=false -Dbench=false
        dir=$AIE4_BUILD_ASAN
        export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    fi
    if [ "$only" != guest ]; then
        local exe
        for exe in "$dir"/tests/unit/*/unit-*; do
            [ -x "$exe" ] && [ -f "$exe" ] || continue
            run_catch2 "$exe"
        done
        for exe in "$dir"/tests/fuzz/fuzz-*; do
            [ -x "$exe" ] && [ -f "$exe" ] || continue
            run_fuzz_smoke "$exe" 300
        done
    fi
    if [ "$only" != unit ]; then
        build_images initramfs
        local f
        for f in "$AIE4_ROOT"/tests/guest/*.sh; do
            [ -n "${ONLY_TEST:-}" ] && [ "$(basename "$f" .sh)" != "$ONLY_TEST" ] && continue
            run_guest_test "$f"
        done
        for f in "$AIE4_ROOT"/tests/host/*.sh; do
            [ "$(basename "$f")" = lib.sh ] && continue
            [ -n "${ONLY_TEST:-}" ] && [ "$(basename "$f" .sh)" != "$ONLY_TEST" ] && continue
            run_host_test "$f"
        done
    fi
    aie4_step "tests took $(aie4_elapsed "$t0") s"
    [ ${#FAILED_NAMES[@]} -eq 0 ] || aie4_step "failed: ${FAILED_NAMES[*]}"
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}
