#!/usr/bin/env bash
# Per-run latency of an XRT 2.25 run from the guest next to the raw uAPI figure for the same
# control code (guest-driver/ctrlcode/copy.asm): one XRT guest (TCG) with the VF runs
#   aie4-umq-test --workload copy   (the driver's ioctls directly: submit, WAIT_CMD)
#   xrt-copy                        (xrt::run start + wait, guest-driver/xrt-examples)
# alternately, RUNS commands each, and prints both medians and XRT's overhead.
# Target (docs/performance.md): XRT adds at most 50 % to the raw median.
#   bench/xrt-latency.sh [RUNS]     (default 300)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-300}
[[ $runs =~ ^[0-9]+$ ]] && [ "$runs" -ge 10 ] || { echo "usage: bench/xrt-latency.sh [RUNS >= 10]" >&2; exit 2; }
script=$(mktemp); log=$(mktemp)
trap 'rm -f "$script" "$log"' EXIT
cat >"$script" <<G
modprobe amdxdna || exit 1
for round in 1 2; do
    aie4-umq-test --workload copy --count $runs || exit 1
    xrt-copy --runs $runs || exit 1
done
G
"$root/aie4" boot --rootfs xrt --attach vf0 --script "$script" >"$log" 2>&1 || { tail -30 "$log"; exit 1; }
python3 - "$log" <<'PY'
import re, statistics, sys
text = open(sys.argv[1]).read()
raw = [float(x) for x in re.findall(r"latency_us_median=([0-9.]+)", text)]
xrt = [float(x) for x in re.findall(r"xrt-copy: \d+ runs verified.*median ([0-9.]+) us", text)]
if not raw or not xrt:
    sys.exit("no figures in the guest's output")
r, x = min(raw), min(xrt)
print(f"copy kernel, per run, median (best of {len(raw)} rounds): raw uAPI {r:.1f} us, XRT {x:.1f} us, "
      f"XRT adds {100 * (x - r) / r:.0f} % (target <= 50 %)")
print("all rounds: raw", raw, "xrt", xrt)
PY
