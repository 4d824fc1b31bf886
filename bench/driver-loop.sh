#!/usr/bin/env bash
# The driver developer's loop, timed (docs/driver-development.md, docs/performance.md):
#   1. fetch: download and unpack the guest kernel's amdxdna source (one-time; timed apart)
#   2. first loop: a one-line change (a log line at the top of amdxdna_probe) in the freshly
#      fetched tree -> first build -> booted guest -> the line in dmesg for the PF and the VF
#   3. incremental loop: the same line changed again -> rebuild -> boot -> checked again
# A benchmark, not a test: it prints the figures and the targets (first loop < 60 s,
# incremental loop < 30 s, fetch excluded). Usage: bench/driver-loop.sh [WORKDIR]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/aie4-driver-loop.XXXXXX")}
mkdir -p "$work"
src=$work/amdxdna
rm -rf "$src"
now() { date +%s.%N; }
dt() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", b-a}'; }

# The guest images and the emulator are built before timing (not part of the driver loop).
"$root/aie4" build >/dev/null
bash "$root/guest-driver/image/build-initramfs.sh" >/dev/null

probe_check() {
    cat >"$work/check.sh" <<EOT
modprobe amdxdna || exit 1
n=\$(dmesg | grep -c 'aie4 loop mark $1')
ls /sys/bus/pci/drivers/amdxdna/ | grep -c '^0000:' >/tmp/bound
echo "loop mark $1 seen \$n times, \$(cat /tmp/bound) functions bound"
[ "\$n" = 2 ] && [ "\$(cat /tmp/bound)" = 2 ]
EOT
}
mark() { # insert or replace the log line at the top of amdxdna_probe
    local f=$src/drivers/accel/amdxdna/amdxdna_pci_drv.c
    if grep -q 'aie4 loop mark' "$f"; then
        sed -i "s/aie4 loop mark [0-9]*/aie4 loop mark $1/" "$f"
    else
        sed -i "/^static int amdxdna_probe(/,/^{/{/^{/a\\
\\tdev_info(\\&pdev->dev, \"aie4 loop mark $1\\\\n\");
}" "$f"
    fi
}
loop() { # loop N: build, boot, check; prints the build and boot times and the build's CPU seconds
    local t0 t1 t2 ko cpu
    t0=$(now)
    # CPU seconds (user + sys) of the build and its children: what a build costs on an idle machine.
    cpu=$( { TIMEFORMAT='%U %S'; time "$root/aie4" driver build --src "$src" >"$work/ko-$1" 2>"$work/build-$1.log"; } 2>&1 |
           awk '{printf "%.1f", $1 + $2}')
    ko=$(tail -n1 "$work/ko-$1")
    t1=$(now)
    probe_check "$1"
    "$root/aie4" boot --driver "$ko" --script "$work/check.sh" >"$work/boot-$1.log" 2>&1 ||
        { tail -20 "$work/boot-$1.log"; echo "loop $1: FAILED"; exit 1; }
    t2=$(now)
    grep 'loop mark' "$work/boot-$1.log" | tail -n1 >&2
    echo "$(dt "$t0" "$t1") $(dt "$t1" "$t2") $(dt "$t0" "$t2") $cpu"
}

t0=$(now)
"$root/aie4" driver fetch "$src" 2>"$work/fetch.log"
t1=$(now)
fetch_s=$(dt "$t0" "$t1")

mark 1
read -r b1 g1 l1 c1 < <(loop 1)
mark 2
read -r b2 g2 l2 c2 < <(loop 2)

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "fetch (download + unpack, one-time):          ${fetch_s} s  ($(sed -nE 's/^\[aie4\] (.*(downloaded|unpacked)).*\(([0-9.]+ s)\)$/\2 \3/p' "$work/fetch.log" | tr '\n' ' '))"
echo "first loop (build + boot + result):           ${l1} s  (build ${b1} s wall / ${c1} s CPU, boot ${g1} s)  target < 60 s"
echo "incremental loop (rebuild + boot + result):   ${l2} s  (build ${b2} s wall / ${c2} s CPU, boot ${g2} s)  target < 30 s"
echo "logs in $work"
