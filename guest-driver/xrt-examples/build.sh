#!/usr/bin/env bash
# Builds the XRT example applications and their kernels into OUT (default build/xrt-examples):
#   OUT/bin/xrt-copy, xrt-gemm, xrt-three-columns, xrt-bad-address  (C++, XRT public API,
#       compiled by the developer tree's g++ 14 against Debian's libxrt-dev: trixie's XRT needs
#       trixie's libstdc++)
#   OUT/share/{copy,gemm,three_columns,bad_address}.elf  (Debian's aiebu-asm -t aie4_config)
#   OUT/share/xrt-runner/  (recipe, profile, input and golden file for xrt-runner, copy.elf)
# Rebuilds only when an input changed. Needs root (chroot into the developer tree, built on
# demand by setup_devtree). Sourced functions from scripts/lib/{common,setup}.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
. "$AIE4_ROOT/scripts/lib/setup.sh"

SRC=$AIE4_ROOT/guest-driver/xrt-examples
CTRL=$AIE4_ROOT/guest-driver/ctrlcode
OUT=${1:-$AIE4_BUILD/xrt-examples}
PROGRAMS=(copy gemm three_columns bad_address)

hash=$( { echo "devtree=$(aie4_devtree_key)"; sha256sum "$SRC"/*.* "$SRC"/runner/* "$AIE4_ROOT"/cli/number.hpp "$CTRL"/copy.asm "$CTRL"/gemm.asm; } | sha256sum | cut -d' ' -f1)
if [ -s "$OUT/.inputs" ] && [ "$(cat "$OUT/.inputs")" = "$hash" ]; then
    aie4_step "xrt examples: up to date"
    exit 0
fi
t=$(aie4_now)
setup_devtree
aie4_require_root "building the XRT examples (chroot into the developer tree)"

# Work inside the developer tree (chroot), in a private folder removed afterwards.
work_rel=tmp/aie4-xrt-examples.$$
work=$AIE4_DEVTREE/$work_rel
rm -rf "$work"; mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
cp "$SRC"/*.cpp "$SRC"/*.hpp "$CTRL"/copy.asm "$CTRL"/gemm.asm "$work/"
# The project's one number rule for command-line numbers (cli/number.hpp), header-only.
mkdir -p "$work/cli" && cp "$AIE4_ROOT/cli/number.hpp" "$work/cli/"

# The three-column kernel: copy.asm once per column, so it always follows copy.asm's layout.
# uC c (.attach_to_group c) runs the copy on its own column: every tile address gets c << 25
# (partition-relative, hw/aie/register_map.hpp), TILE_0_0 becomes TILE_c_0, its labels get a
# _cC suffix, and its shim BDs' address word 1 holds c * 4096 before the host adds the buffer
# address (APPLY_OFFSET_57, docs/spec/queue-and-cert.md §8.3), so uC c moves block c.
python3 - "$CTRL/copy.asm" "$work/three_columns.asm" <<'PY' ||
import re, sys
src = open(sys.argv[1]).read()
body = src[src.index("START_JOB"):]
labels = re.findall(r"^([A-Za-z_][A-Za-z0-9_]*):", body, re.M)
out = [".target aie4", ".partition 3column"]
for c in range(3):
    b = body
    for name in labels:
        b = re.sub(r"\b%s\b" % name, "%s_c%d" % (name, c), b)
    b = re.sub(r"\b(WRITE_32|MASK_POLL_32|UC_DMA_BD 0,) 0x([0-9A-Fa-f]{8})",
               lambda m: "%s 0x%08X" % (m.group(1), int(m.group(2), 16) | c << 25), b)
    b = b.replace("TILE_0_0", "TILE_%d_0" % c)
    for bd in ("shim_bd_in_c%d" % c, "shim_bd_out_c%d" % c):
        b, n = re.subn(r"(^%s:\n *\.long 0x[0-9A-Fa-f]{8}\n *\.long )0x00000000" % bd,
                       lambda m: m.group(1) + "0x%08X" % (c * 4096), b, flags=re.M)
        if n != 1:
            sys.exit("copy.asm: no '%s' BD with an address word to offset" % bd[:-3])
    out += ["", ".attach_to_group %d" % c, b.rstrip("\n")]
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
    aie4_die "deriving three_columns.asm from copy.asm failed"

# The failing kernel: copy.asm whose output BD address word 0 (address bits 56:32, before the
# host adds the buffer's address) is 0x100, i.e. 1 TiB past the output buffer.
awk 'BEGIN { n = -1 }
     /^shim_bd_out:/ { n = 0; print; next }
     n == 0 && /^ *\.long 0x00000000/ { sub(/0x00000000/, "0x00000100"); n = 1 }
     { print }
     END { if (n != 1) exit 1 }' "$CTRL/copy.asm" >"$work/bad_address.asm" ||
    aie4_die "copy.asm has no 'shim_bd_out:' BD to derive bad_address.asm from"

# config.json for -t aie4_config: kernel DPU, instance dpu, its buffer arguments 8 bytes apart.
config() { # NAME NARGS
    local args= i
    for ((i = 0; i < $2; i++)); do
        args+="${args:+,}{\"name\":\"arg$i\",\"type\":\"char *\",\"offset\":\"$(printf '0x%x' $((i * 8)))\"}"
    done
    printf '{"xrt-kernels":[{"name":"DPU","arguments":[%s],"instance":[{"id":"dpu","ctrl_code_file":"./%s.asm"}]}]}\n' \
        "$args" "$1" >"$work/$1.json"
}
config copy 2; config gemm 3; config three_columns 2; config bad_address 2

cat >"$work/build-inside.sh" <<'INSIDE'
set -e
cd "$1"
for k in copy gemm three_columns bad_address; do
    aiebu-asm -t aie4_config -j "$k.json" -o "$k.elf" >"$k.asm.log" 2>&1 || { cat "$k.asm.log"; exit 1; }
done
for p in copy gemm three_columns bad_address; do
    g++ -std=c++20 -O2 -Wall -Wextra -I . -o "xrt-$(echo "$p" | tr _ -)" "$p.cpp" -lxrt_coreutil -pthread
done
INSIDE
chroot "$AIE4_DEVTREE" /bin/sh "/$work_rel/build-inside.sh" "/$work_rel" ||
    aie4_die "building the XRT examples in the developer tree failed"

rm -rf "$OUT.new"; mkdir -p "$OUT.new/bin" "$OUT.new/share"
for p in "${PROGRAMS[@]}"; do
    cp "$work/xrt-${p//_/-}" "$OUT.new/bin/"
    cp "$work/$p.elf" "$OUT.new/share/"
done
bash "$SRC/runner/make-runner-files.sh" "$OUT.new/share" || aie4_die "xrt-runner files failed"
echo "$hash" >"$OUT.new/.inputs"
rm -rf "$OUT"; mv "$OUT.new" "$OUT"
aie4_step "xrt examples: ${#PROGRAMS[@]} programs and kernels built ($(aie4_elapsed "$t") s)"
