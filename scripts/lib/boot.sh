# ./aie4 build and ./aie4 boot: the meson build, the guest images, one guest boot with the
# AIE4 functions attached. Sourced by ./aie4 after common.sh and setup.sh.

# with_build_lock DIR COMMAND...: COMMAND with DIR's build lock held. Concurrent ./aie4 runs
# (SR-IOV host tests boot several guests at once) share one build dir.
with_build_lock() {
    local dir=$1 lock rc=0; shift
    mkdir -p "$dir"
    exec {lock}>"$dir/.aie4-build.lock"
    flock -w 3600 "$lock" || aie4_die "another build holds $dir/.aie4-build.lock"
    "$@" || rc=$?
    exec {lock}>&-
    return $rc
}

# meson_setup_if_needed DIR [MESON_OPTION...]: configures DIR if it is not yet (its targets are
# then known: meson-info/intro-targets.json).
meson_setup_if_needed() { with_build_lock "$1" meson_setup_locked "$@"; }
meson_setup_locked() {
    local dir=$1; shift
    [ ! -f "$dir/build.ninja" ] || return 0
    local log=$AIE4_CACHE/logs/meson-setup-$(basename "$dir").log
    mkdir -p "$(dirname "$log")"
    meson setup "$dir" "$AIE4_ROOT" "$@" >"$log" 2>&1 ||
        { cat "$log" >&2; aie4_die "meson setup of $dir failed (log: $log)"; }
}

# meson_build DIR [meson options...]: configure once, then ninja (a no-op when up to date).
meson_build() {
    local t; t=$(aie4_now)
    with_build_lock "$1" meson_build_locked "$1" "$t" "${@:2}"
}
meson_build_locked() {
    local dir=$1 t=$2; shift 2
    meson_setup_locked "$dir" "$@"
    # AIE4_NINJA_TARGETS: build only these (./aie4 fuzz builds one target), else everything.
    local targets=(); read -r -a targets <<<"${AIE4_NINJA_TARGETS:-}"
    if ninja -C "$dir" -n "${targets[@]}" 2>/dev/null | grep -q 'no work to do'; then
        aie4_step "build $(basename "$dir"): up to date"
        return 0
    fi
    ninja -C "$dir" -j"$(nproc)" "${targets[@]}" >"$dir/.ninja.log" 2>&1 ||
        { tail -40 "$dir/.ninja.log" >&2; aie4_die "build in $dir failed (full log: $dir/.ninja.log)"; }
    aie4_step "build $(basename "$dir"): done ($(aie4_elapsed "$t") s)"
}

# meson_build_for DIR GUEST(0|1) [TEST...]: the part of the plain build a run needs
# (scripts/lib/build_targets.py): with GUEST=1 the emulator, its tools and the guest programs;
# each TEST's executable. ./aie4 build still builds everything.
meson_build_for() {
    local dir=$1 targets; shift
    meson_setup_if_needed "$dir"
    targets=$(python3 "$AIE4_ROOT/scripts/lib/build_targets.py" "$dir" "$@") || aie4_die "cannot list the targets of $dir"
    [ -n "$targets" ] || aie4_die "build_targets.py chose nothing to build in $dir"
    AIE4_NINJA_TARGETS=$targets meson_build "$dir"
}

# The one sanitizer build (CI's, ./aie4 test --asan, ./aie4 fuzz): clang with ASan+UBSan, every
# library and program instrumented for libFuzzer (-Dfuzzing=true: -fsanitize=fuzzer-no-link), the
# libFuzzer targets of tests/fuzz linked with -fsanitize=fuzzer. No guest programs (static) or
# benchmarks. sanitizer_build [NINJA_TARGET...]: only those targets (default: everything).
sanitizer_build() {
    local dir=$AIE4_BUILD_ASAN
    # A build dir configured before this was a g++ ASan build: meson cannot change its compiler.
    if [ -f "$dir/build.ninja" ] && ! python3 -c 'import json, sys
sys.exit(not any(o["name"] == "fuzzing" and o["value"] is True for o in json.load(open(sys.argv[1]))))' \
            "$dir/meson-info/intro-buildoptions.json" 2>/dev/null; then
        aie4_step "build $(basename "$dir"): configured without -Dfuzzing=true (an older g++ ASan build), starting afresh"
        rm -rf --one-file-system "$dir"
    fi
    command -v clang++ >/dev/null || aie4_die "clang++ is missing (./aie4 setup installs clang)"
    CC=clang CXX=clang++ AIE4_NINJA_TARGETS="$*" meson_build "$dir" -Dfuzzing=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dabort_on_internal_error=true -Dguest_programs=false -Dbench=false
}

cmd_build() {
    case "${1:-}" in
        -h|--help)
            cat <<'EOF'
usage: ./aie4 build [--asan]
Builds the emulator (build/emu/aie4emu, aie4ctl), the firmware tool, the statically linked
guest programs, the unit tests and benchmarks into build/ (meson + ninja).
  --asan   build into build-asan/ with clang, ASan+UBSan and libFuzzer coverage on every library
           (what CI runs the unit and fuzz tests under; ./aie4 fuzz runs its targets)
EOF
            return 0;;
        --asan) setup_host_if_needed
                sanitizer_build
                return 0;;
        "") ;;
        *) aie4_die "unknown option '$1' (see ./aie4 build --help)";;
    esac
    setup_host_if_needed
    meson_build "$AIE4_BUILD"
}

# Guest images: rebuilt when their inputs changed (each builder keeps an input stamp).
# Serialised per image dir (concurrent boots share it).
build_images() {
    local rootfs=${1:-initramfs} lock
    mkdir -p "$AIE4_IMAGE_DIR"
    exec {lock}>"$AIE4_IMAGE_DIR/.aie4-image.lock"
    flock -w 600 "$lock" || aie4_die "another image build holds $AIE4_IMAGE_DIR/.aie4-image.lock"
    bash "$AIE4_ROOT/guest-driver/image/build-initramfs.sh" || aie4_die "building the initramfs failed"
    if [ "$rootfs" = xrt ]; then
        bash "$AIE4_ROOT/guest-driver/xrt-examples/build.sh" || aie4_die "building the XRT examples failed"
        bash "$AIE4_ROOT/guest-driver/image/build-rootfs.sh" || aie4_die "building the xrt root image failed"
    fi
    exec {lock}>&-
}

boot_usage() {
    cat <<'EOF'
usage: ./aie4 boot [options] [-- QEMU_ARGS...]
Boots one guest (Debian kernel 7.3.4 under QEMU 11.1) with AIE4 functions of a fresh aie4emu
attached, and streams its console. With --script, runs FILE as root in the guest after boot,
powers off and exits with FILE's exit status.

  --script FILE       run FILE with /bin/sh in the guest; exit with its status
  --vfs N             VFs the emulator enables (default: enough for --attach, at least 1)
  --attach LIST       functions to attach: pf,vf0,vf1,... (default pf,vf0)
  --identity ID       17f2 (default: PF 1022:17f2, VF 1022:17f3) or 1b0b (1022:1b0b/1b0c)
  --rootfs KIND       initramfs (default: busybox, guest programs) or xrt (Debian trixie root
                      with XRT 2.25 and the guest programs, on a virtio disk)
  --timeout S         kill the guest after S seconds (default 600; exit 124)
  --boot-timeout S    kill the guest when its init has not started (no AIE4-READY line)
                      S seconds after QEMU started (exit 124; default: only --timeout)
  --kernel-args STR   words added to the end of the guest kernel's command line
                      (e.g. "amdxdna.dyndbg=+p")
  --log CATS          aie4emu log categories (mailbox,psp,smu,cert,dma,... or all)
  --emu-arg ARG       extra aie4emu option (repeatable), e.g. --emu-arg --trap-all
  --save DIR          after the guest stops, save aie4emu's per-function traces
                      (DIR/<fn>.trace.json), CERT's command list (DIR/commands.json),
                      status (DIR/status.json), the console (DIR/console.log), the
                      guest's kernel log (DIR/dmesg.txt), aie4emu's log (DIR/aie4emu.log)
                      and the array's timeline of the guest's jobs (DIR/array.trace.json,
                      trace-event JSON for the Perfetto UI or speedscope; not with
                      --socket-dir: that emulator is not ours); layout: docs/user-guide.md,
                      "Saved results"
  --memory SIZE       guest RAM (default 2G)
  --driver PATH.ko    the guest loads this amdxdna.ko instead of the packaged one (every other
                      module is the packaged one); refused before booting unless its vermagic
                      is the guest kernel's (build it with ./aie4 driver build)
  --driver-args STR   amdxdna module parameters, e.g. "tdr_timeout_ms=500 force_cmdlist=1"
                      (an 'options amdxdna STR' line in the guest's /etc/modprobe.d)
  --fault LIST        arm faults in aie4emu before the guest boots: KIND[:key=value...],
                      comma-separated (aie4emu --help lists the kinds; docs/driver-development.md)
  --gdb               start QEMU's gdbstub (paused until gdb continues it) and print the gdb
                      command line: guest kernel symbols from Debian's -dbg package (downloaded
                      on first use), the module's symbols with 'aie4-modsyms' output
  --socket-dir DIR    attach functions of the aie4emu already running with this socket dir
                      (several guests can share one NPU, e.g. vf0 in one, vf1 in another);
                      it is neither started nor stopped here, and --vfs/--identity/--log/
                      --emu-arg do not apply
  --shell             interactive shell on the console instead of a script
  --run PROG [ARGS]   copy PROG (and every --put FILE) into the guest's /root/run, load
                      amdxdna, run PROG ARGS there and exit with its status (all words up
                      to a -- are ARGS); e.g. --rootfs xrt --put k.elf --run ./app k.elf
  --put FILE          a file PROG needs (repeatable; placed next to PROG)
  --keep              keep the run folder (aie4emu's socket dir sock/, aie4emu.log,
                      console.log) after the guest stopped; also AIE4EMU_KEEP=1.
                      Its path is printed when aie4emu starts, so that aie4ctl
                      --socket-dir RUN/sock can talk to the device during the run.
  -- QEMU_ARGS        passed to QEMU as they are

Exit status: the script's (0..255) with --script; 124 on timeout; 125 when the guest did not
boot or the script did not finish (no result line); 2 for bad options. On 124 and 125 the
last lines of the guest's kernel log follow the console (with --script the kernel log goes
live to the second serial port, so it is there even when the guest hung before its init).
The guest's kernel command line reserves 512 MiB at 1 GiB for amdxdna carveouts
(memmap=512M$0x40000000); the guest's carveout hook gives each bound function its slice
(240 MiB per VF, 16 MiB per PF; docs/xrt.md). Inside the guest: amdxdna is NOT loaded (modprobe amdxdna);
the guest programs are in PATH (aie4-query, aie4-umq-test, aie4-ctrlcode); the result
line "AIE4-RESULT rc=N" is printed by the guest init.
EOF
}

# boot_run_script PROG ARGS...: packs PROG and the --put files into SCRIPT.tar and prints the
# path of a guest script that unpacks them into /root/run and runs PROG ARGS (./aie4 boot --run).
boot_run_script() {
    local prog=$1 f s a; shift
    for f in "$prog" "${put[@]}"; do
        [ -f "$f" ] || { echo "aie4 boot: --run/--put: no such file '$f'" >&2; return 1; }
    done
    s=$(mktemp "${TMPDIR:-/tmp}/aie4-run.XXXXXX")
    tar -cf "$s.tar" --transform 's|.*/||' "$prog" "${put[@]}" 2>/dev/null || return 1
    {
        echo 'mkdir -p /root/run && cd /root/run || exit 125'
        echo 'tar -xf /sys/firmware/qemu_fw_cfg/by_name/opt/aie4/files/raw || exit 125'
        echo 'modprobe amdxdna || exit 125'
        printf "'./%s'" "$(basename "$prog")"
        for a in "$@"; do printf " '%s'" "$(printf %s "$a" | sed "s/'/'\\\\''/g")"; done
        echo
        echo 'rc=$?; echo "aie4-run: exit status $rc"; exit $rc'
    } >"$s"
    echo "$s"
}

# --boot-timeout: stops QEMU (its pid file RUN/qemu.pid) when CONSOLE has no AIE4-READY line
# SECONDS after the start, and leaves RUN/init-not-started for the caller.
boot_watch_init() {
    local run=$1 console=$2 seconds=$3 waited=0 pid
    while [ "$waited" -lt "$seconds" ]; do
        sleep 1; waited=$((waited + 1))
        grep -q '^AIE4-READY' "$console" 2>/dev/null && return 0
    done
    : >"$run/init-not-started"
    pid=$(cat "$run/qemu.pid" 2>/dev/null) && kill -TERM "$pid" 2>/dev/null
    return 0
}

# The end of the guest's kernel log (the second serial port's file), after a hang or a crash.
boot_kernel_log_tail() {
    [ -s "$1" ] || return 0
    echo "--- guest kernel log, last 25 lines ---" >&2
    tail -n 25 "$1" | sed 's/\r$//' >&2
}

# --gdb: a free local port, the guest kernel's debug symbols and a gdb script in the run folder.
boot_gdb_setup() {
    local run=$1 driver=$2 vmlinux port
    command -v gdb >/dev/null || aie4_warn "no gdb on this host (apt-get install gdb); the stub listens anyway"
    vmlinux=$(driver_kernel_symbols) || return 1
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    BOOT_GDB_PORT=$port
    printf '%s\n' "# Written by ./aie4 boot --gdb: the guest kernel (booted with nokaslr) and QEMU's gdbstub." \
        "set pagination off" "file $vmlinux" "target remote 127.0.0.1:$port" >"$run/gdbinit"
    aie4_step "gdb: QEMU waits for gdb; in another terminal run:"
    printf '    gdb -x %s\n' "$run/gdbinit" >&2
    aie4_step "gdb: then 'continue'; after 'modprobe amdxdna', 'aie4-modsyms' in the guest writes $run/amdxdna.gdb: 'source' it in gdb for the module's symbols"
}
# Passes the console through; when the guest prints the module's section addresses
# (aie4-modsyms), writes the add-symbol-file command for the module that runs to RUN/amdxdna.gdb.
boot_gdb_watch() {
    local run=$1 driver=$2 line ko
    ko=${driver:-$(driver_packaged_module)}
    while IFS= read -r line; do
        printf '%s\n' "$line"
        case $line in
            AIE4-MODSYMS\ *)
                local text= extra=() kv
                for kv in ${line#AIE4-MODSYMS }; do
                    case $kv in .text=*) text=${kv#.text=} ;; *=*) extra+=(-s "${kv%%=*}" "${kv#*=}") ;; esac
                done
                [ -n "$text" ] || continue
                case $ko in
                    *.xz) aie4_tree_run /usr/bin/xz -dc "$ko" >"$run/amdxdna.ko"; ko=$run/amdxdna.ko ;;
                    *.zst) aie4_tree_run /usr/bin/zstd -qdc "$ko" >"$run/amdxdna.ko"; ko=$run/amdxdna.ko ;;
                esac
                echo "add-symbol-file $ko $text ${extra[*]}" >"$run/amdxdna.gdb"
                aie4_step "gdb: module symbols ready: source $run/amdxdna.gdb" ;;
        esac
    done
}

# The INT/TERM/HUP trap of a boot: stops the emulator it started and removes the run folder
# (unless --keep), then exits with STATUS.
boot_interrupted() {
    [ -z "$BOOT_EMU_PID" ] || kill -TERM "$BOOT_EMU_PID" 2>/dev/null || true
    [ -n "$BOOT_KEEP" ] || rm -rf "$BOOT_RUN"
    exit "$1"
}

cmd_boot() {
    local script= vfs= attach=pf,vf0 identity= rootfs=initramfs timeout=600 boot_timeout= kernel_args= log= save= memory=2G shell= shared=
    local keep=${AIE4EMU_KEEP:-}
    [ "$keep" = 0 ] && keep=
    local emu_extra=() qemu_extra=() run_argv=() put=() driver= driver_args= fault_list= gdb=
    while [ $# -gt 0 ]; do
        case $1 in
            -h|--help) boot_usage; return 0;;
            --script) script=${2:?--script needs a file}; shift 2;;
            --vfs) vfs=${2:?}; shift 2;;
            --attach) attach=${2:?}; shift 2;;
            --identity) identity=${2:?}; shift 2;;
            --rootfs) rootfs=${2:?}; shift 2;;
            --timeout) timeout=${2:?}; shift 2;;
            --boot-timeout) boot_timeout=${2:?}; shift 2;;
            --kernel-args) kernel_args=${2?--kernel-args needs a value}; shift 2;;
            --log) log=${2:?}; shift 2;;
            --emu-arg) emu_extra+=("${2:?}"); shift 2;;
            --save) save=${2:?}; shift 2;;
            --memory) memory=${2:?}; shift 2;;
            --driver) driver=${2:?--driver needs a .ko}; shift 2;;
            --driver-args) driver_args=${2?--driver-args needs a value}; shift 2;;
            --fault) fault_list=${fault_list:+$fault_list,}${2:?--fault needs KIND[,KIND...]}; shift 2;;
            --gdb) gdb=1; shift;;
            --shell) shell=1; shift;;
            --put) put+=("${2:?--put needs a file}"); shift 2;;
            --run) shift; while [ $# -gt 0 ] && [ "$1" != -- ]; do run_argv+=("$1"); shift; done;;
            --keep) keep=1; shift;;
            --socket-dir) shared=${2:?}; shift 2;;
            --) shift; qemu_extra=("$@"); break;;
            *) echo "aie4 boot: unknown option '$1' (see ./aie4 boot --help)" >&2; return 2;;
        esac
    done
    if [ ${#run_argv[@]} -gt 0 ]; then
        [ -z "$script" ] || { echo "aie4 boot: --run and --script exclude each other" >&2; return 2; }
        script=$(boot_run_script "${run_argv[@]}") || return 2
        aie4_remove_at_exit "$script" "$script.tar"
        qemu_extra+=(-fw_cfg "name=opt/aie4/files,file=$script.tar")
    fi
    [ -z "$script" ] || [ -r "$script" ] || { echo "aie4 boot: cannot read script '$script'" >&2; return 2; }
    [[ $rootfs =~ ^(initramfs|xrt)$ ]] || { echo "aie4 boot: --rootfs must be initramfs or xrt" >&2; return 2; }
    [[ $timeout =~ ^[0-9]+$ ]] || { echo "aie4 boot: --timeout must be seconds" >&2; return 2; }
    [ -z "$boot_timeout" ] || [[ $boot_timeout =~ ^[1-9][0-9]*$ ]] || { echo "aie4 boot: --boot-timeout must be seconds (> 0)" >&2; return 2; }
    [ -z "$vfs" ] || [[ $vfs =~ ^[0-9]+$ ]] || { echo "aie4 boot: --vfs must be a number" >&2; return 2; }
    [ -z "$identity" ] || [[ $identity =~ ^(17f2|1b0b)$ ]] || { echo "aie4 boot: --identity must be 17f2 or 1b0b" >&2; return 2; }
    local fns=() fn need=0
    IFS=, read -r -a fns <<<"$attach"
    for fn in "${fns[@]}"; do
        [[ $fn =~ ^(pf|vf[0-9]+)$ ]] || { echo "aie4 boot: --attach: '$fn' is not pf or vfN" >&2; return 2; }
        [[ $fn == vf* ]] && [ $((${fn#vf} + 1)) -gt $need ] && need=$((${fn#vf} + 1))
    done
    vfs=${vfs:-$(( need > 1 ? need : 1 ))}
    [ -z "$driver_args" ] || [ -n "$driver" ] || { echo "aie4 boot: --driver-args needs --driver" >&2; return 2; }
    [[ $driver_args =~ ^[A-Za-z0-9_=.,\ -]*$ ]] || { echo "aie4 boot: --driver-args takes k=v words only" >&2; return 2; }
    local f faults=()
    if [ -n "$fault_list" ]; then
        IFS=, read -r -a faults <<<"$fault_list"
        [ -z "$shared" ] || { echo "aie4 boot: --fault arms a fresh aie4emu; with --socket-dir use aie4ctl fault" >&2; return 2; }
        for f in "${faults[@]}"; do emu_extra+=(--fault "$f"); done
    fi

    setup_if_needed
    if [ -n "$driver" ]; then
        driver_check_module "$driver" || return 2
        driver=$(readlink -f "$driver")
    fi
    meson_build_for "$AIE4_BUILD" 1
    build_images "$rootfs"

    local run; run=$(mktemp -d "${TMPDIR:-/tmp}/aie4-boot.XXXXXX")
    # Interrupted (Ctrl-C, kill): the emulator must not outlive us, and the run folder goes too
    # unless --keep (a test stops its background guests this way).
    BOOT_EMU_PID= BOOT_RUN=$run BOOT_KEEP=$keep
    trap 'boot_interrupted 130' INT
    trap 'boot_interrupted 143' TERM HUP
    local emu_log=$run/aie4emu.log console=$run/console.log sock=$run/sock emu_pid=
    if [ -n "$shared" ]; then
        sock=$shared
        "$AIE4_BUILD/emu/aie4ctl" --socket-dir "$sock" status >/dev/null 2>&1 ||
            { echo "aie4 boot: no aie4emu answers in $sock" >&2; rm -rf "$run"; return 2; }
        : >"$emu_log"
    else
        local emu_args=(--socket-dir "$sock" --vfs "$vfs")
        [ -n "$identity" ] && emu_args+=(--identity "$identity")
        [ -n "$log" ] && emu_args+=(--log "$log")
        emu_args+=("${emu_extra[@]}")
        # The array's activity (every DMA channel's buffer descriptors and every core's kernels,
        # in simulated cycles) as trace-event JSON, written by the emulator when it stops.
        if [ -n "$save" ]; then
            mkdir -p "$save"
            emu_args+=(--array-trace "$(readlink -m "$save")/array.trace.json")
        fi
        mkdir -p "$sock"
        [ -x "$AIE4_BUILD/emu/aie4emu" ] || { echo "aie4 boot: $AIE4_BUILD/emu/aie4emu is not built" >&2; rm -rf "$run"; return 2; }
        "$AIE4_BUILD/emu/aie4emu" "${emu_args[@]}" >"$run/ready" 2>"$emu_log" &
        emu_pid=$!
        BOOT_EMU_PID=$emu_pid
        local why=
        aie4_wait_emu_ready "$run/ready" "$emu_pid" || case $? in
            1) why="did not start" ;;
            *) why="did not get ready in 10 s"; kill -TERM "$emu_pid" 2>/dev/null; wait "$emu_pid" 2>/dev/null ;;
        esac
        if [ -n "$why" ]; then
            trap - INT TERM HUP
            cat "$emu_log" >&2
            echo "aie4 boot: aie4emu $why (${emu_args[*]})" >&2
            rm -rf "$run"
            return 2
        fi
        aie4_step "aie4emu: pid $emu_pid, $(IFS=' '; echo "${emu_args[*]}")"
    fi

    # no_timer_check: under TCG on a loaded host the IO-APIC timer check can fail and panic the
    # guest at boot ("IO-APIC + timer doesn't work!"); the timer itself works.
    # tsc=nowatchdog: the clocksource watchdog's cross-CPU skew check (kernel/time/clocksource.c,
    # watchdog_check_skew) spins with interrupts off waiting for the other vCPU; under TCG that
    # vCPU sometimes never answers, and the spin's timeout reads a clock that only this CPU's
    # interrupts advance, so the guest hung for good early in its boot (seen about once in 60
    # TCG boots: CPU 0 at watchdog_check_skew+136, CPU 1 halted). A virtual TSC needs no watchdog.
    local append="panic=-1 no_timer_check tsc=nowatchdog memmap=512M\$0x40000000"
    if [ -n "$shell" ]; then
        # Interactive: the kernel's warnings on the terminal, the shell on the kernel console.
        append="console=ttyS0 quiet $append aie4.shell=1"
    else
        # The kernel log, every level and from the first line (earlycon), goes live to the
        # second serial port (a file: dmesg.txt), so a guest that hangs or panics, even before
        # its init, leaves the log up to that point; the init and the script talk on ttyS0
        # (aie4.stdio), which carries nothing of the kernel's.
        append="earlycon=uart8250,io,0x2f8,115200 console=ttyS1,115200 ignore_loglevel $append aie4.stdio=/dev/ttyS0"
    fi
    local initrd=$AIE4_IMAGE_DIR/initramfs.img
    if [ -n "$driver" ]; then
        # The kernel unpacks concatenated cpio archives in order: the overlay adds /aie4-driver.
        driver_overlay "$driver" "$driver_args" "$run/driver.cpio.gz"
        cat "$AIE4_IMAGE_DIR/initramfs.img" "$run/driver.cpio.gz" >"$run/initramfs.img"
        initrd=$run/initramfs.img
        aie4_step "driver: $driver (sha256 $(sha256sum "$driver" | cut -c1-12))${driver_args:+, options: $driver_args}"
    fi
    local qemu=(-machine "q35,accel=$(aie4_accel)" -cpu "$( [ "$(aie4_accel)" = kvm ] && echo host || echo max)"
                -smp 2 -m "$memory" -nographic -nodefaults -no-reboot
                -kernel "$AIE4_VMLINUX" -initrd "$initrd")
    if [ -n "$gdb" ]; then
        boot_gdb_setup "$run" "$driver" || { rm -rf "$run"; return 2; }
        qemu+=(-gdb "tcp:127.0.0.1:$BOOT_GDB_PORT" -S)
        append="$append nokaslr"      # the kernel where vmlinux's symbols say
        keep=1 BOOT_KEEP=1            # the gdb scripts live in the run folder
        [ "$timeout" = 600 ] && timeout=0   # a debugging session is not timed out by default
    fi
    if [ "$rootfs" = xrt ]; then
        append="$append aie4.root=/dev/vda"
        qemu+=(-drive "file=$AIE4_IMAGE_DIR/rootfs-xrt.ext4,format=raw,if=virtio,cache=unsafe,snapshot=on")
    fi
    [ -z "$kernel_args" ] || append="$append $kernel_args"
    qemu+=(-append "$append")
    # The guest's second serial port (ttyS1): the kernel log, live (above) or written by the
    # guest init at the end (--shell).
    qemu+=(-serial "file:$run/dmesg.txt")
    [ -n "$script" ] && qemu+=(-fw_cfg "name=opt/aie4/script,file=$(readlink -f "$script")")
    for fn in "${fns[@]}"; do qemu+=(-device "aie4,fn=$fn,socket-dir=$sock"); done
    qemu+=("${qemu_extra[@]}")

    local t0 rc watcher=
    t0=$(aie4_now)
    aie4_step "guest: booting ($rootfs, $(aie4_accel), attached: $attach)"
    if [ -n "$boot_timeout" ] && [ -z "$shell" ]; then
        qemu+=(-pidfile "$run/qemu.pid")
        boot_watch_init "$run" "$console" "$boot_timeout" &
        watcher=$!
    fi
    set +e
    if [ -n "$shell" ]; then
        "$AIE4_ROOT/emu/aie4-qemu" -serial mon:stdio "${qemu[@]}"
        rc=$?

    else
        timeout --foreground -k 5 "$timeout" "$AIE4_ROOT/emu/aie4-qemu" -serial stdio "${qemu[@]}" </dev/null 2>&1 |
            sed -u 's/\r$//' | tee "$console" | { if [ -n "$gdb" ]; then boot_gdb_watch "$run" "$driver"; else cat; fi; }
        rc=${PIPESTATUS[0]}
    fi
    set -e
    [ -z "$watcher" ] || { kill "$watcher" 2>/dev/null || true; wait "$watcher" 2>/dev/null || true; }

    # Traces and command records are read before the emulator stops.
    if [ -n "$save" ]; then
        mkdir -p "$save"
        local ctl=("$AIE4_BUILD/emu/aie4ctl" --socket-dir "$sock")
        for fn in "${fns[@]}"; do "${ctl[@]}" trace fn="$fn" >"$save/$fn.trace.json" 2>/dev/null || true; done
        "${ctl[@]}" commands last=100000 >"$save/commands.json" 2>/dev/null || true
        "${ctl[@]}" status >"$save/status.json" 2>/dev/null || true
    fi
    local emu_alive=1
    if [ -n "$emu_pid" ]; then
        kill -0 "$emu_pid" 2>/dev/null || emu_alive=0
        kill -TERM "$emu_pid" 2>/dev/null || true
        wait "$emu_pid" 2>/dev/null || true
    fi
    trap - INT TERM HUP
    [ -n "$save" ] && { cp "$console" "$save/console.log" 2>/dev/null || true; cp "$emu_log" "$save/aie4emu.log"
                        sed 's/\r$//' "$run/dmesg.txt" >"$save/dmesg.txt" 2>/dev/null || true; }
    local elapsed; elapsed=$(aie4_elapsed "$t0")

    if [ -n "$keep" ]; then
        aie4_step "run folder kept: $run (sock/, aie4emu.log, console.log)"
    fi
    if [ -n "$shell" ]; then [ -n "$keep" ] || rm -rf "$run"; return 0; fi
    if [ "$emu_alive" = 0 ]; then
        echo "aie4 boot: aie4emu died during the run; its log:" >&2
        tail -30 "$emu_log" >&2
    fi
    if [ -e "$run/init-not-started" ]; then
        boot_kernel_log_tail "$run/dmesg.txt"
        echo "aie4 boot: the guest's init did not start within $boot_timeout s (--boot-timeout; kernel log above; emulator log kept in $emu_log)" >&2
        return 124
    fi
    if [ "$rc" = 137 ] && { [ "$timeout" = 0 ] || [ "${elapsed%.*}" -lt "$timeout" ]; }; then
        boot_kernel_log_tail "$run/dmesg.txt"
        echo "aie4 boot: QEMU was killed (SIGKILL) after $elapsed s, before --timeout $timeout (console and kernel log: last lines above; run folder kept: $run)" >&2
        return 125
    fi
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        boot_kernel_log_tail "$run/dmesg.txt"
        echo "aie4 boot: timed out after $timeout s (console and kernel log: last lines above; emulator log kept in $emu_log)" >&2
        return 124
    fi
    local result
    result=$(sed -n 's/^AIE4-RESULT rc=\([0-9]*\).*/\1/p' "$console" | tail -n1)
    if [ -z "$result" ]; then
        if [ -n "$script" ]; then
            boot_kernel_log_tail "$run/dmesg.txt"
            echo "aie4 boot: the guest did not report a result (QEMU exit $rc); aie4emu log: $emu_log" >&2
            tail -20 "$emu_log" >&2
            return 125
        fi
        grep -q '^AIE4-READY' "$console" || { echo "aie4 boot: the guest did not boot (QEMU exit $rc)" >&2; return 125; }
        result=0
    fi
    aie4_step "guest: finished in $elapsed s, script exit status $result"
    [ -n "$keep" ] || rm -rf "$run"
    return "$result"
}
