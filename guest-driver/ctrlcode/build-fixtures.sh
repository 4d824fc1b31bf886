#!/bin/bash
# Regenerate the control-code fixtures with the REAL Debian aiebu-asm 2.25 (-t aie4):
#   guest-driver/ctrlcode/*.asm -> tests/fixtures/ctrlcode/   (what the guest programs submit)
#   tests/fixtures/cert/*.asm   -> tests/fixtures/cert/       (CERT executor test cases)
# and the GEMM data of tests/fixtures/ctrlcode/ (gemm.in0.bin, gemm.in1.bin, gemm.expected.bin).
#
#   build-fixtures.sh           regenerate (then review and commit the diff)
#   build-fixtures.sh --check   regenerate into a temporary directory and compare
#
# For each NAME.asm it writes NAME.elf (assembler output), NAME.ucU.bin (uC U's control
# code: 8 KiB pages back to back, as the device fetches it) and NAME.rela.txt (argument
# relocations: uc, page, r_offset, offset in NAME.ucU.bin, type, symbol).
#
# aiebu-asm runs from the setup's Debian trixie tree through that tree's dynamic loader. The
# tree is $AIE4_TREE of scripts/lib/common.sh (honours $AIE4EMU_TREE / $AIE4EMU_CACHE) when that
# file exists and the tree has aiebu-asm; else /root/scratch/feas/trixie. Exit 77 if none has it.
# The extractor (aie4-ctrlcode) is taken from $AIE4_CTRLCODE, or compiled from guest-driver/ on
# the fly with $CXX (default g++).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
check=0
[ "${1:-}" = "--check" ] && check=1

tree=""
if [ -f "$repo/scripts/lib/common.sh" ]; then
    # shellcheck source=/dev/null
    tree=$(AIE4_ROOT="$repo" bash -c '. "$1" >/dev/null 2>&1; printf %s "${AIE4_TREE:-}"' _ "$repo/scripts/lib/common.sh" || true)
fi
[ -n "$tree" ] && [ -x "$tree/usr/bin/aiebu-asm" ] || tree=/root/scratch/feas/trixie
if [ ! -x "$tree/usr/bin/aiebu-asm" ]; then
    echo "build-fixtures: no aiebu-asm in \$AIE4_TREE (scripts/lib/common.sh) or /root/scratch/feas/trixie" >&2
    exit 77
fi
aiebu_asm() {
    "$tree/lib64/ld-linux-x86-64.so.2" --library-path "$tree/usr/lib/x86_64-linux-gnu" \
        "$tree/usr/bin/aiebu-asm" "$@"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

extractor="${AIE4_CTRLCODE:-}"
if [ -z "$extractor" ]; then
    python3 "$repo/guest-driver/tools/embed_files.py" "$work/embedded_none.cpp"
    ${CXX:-g++} -std=c++20 -O1 -I "$repo" -o "$work/aie4-ctrlcode" \
        "$repo/guest-driver/programs/aie4_ctrlcode.cpp" "$repo/guest-driver/lib/ctrlcode_elf.cpp" \
        "$repo/guest-driver/lib/cli.cpp" "$work/embedded_none.cpp"
    extractor="$work/aie4-ctrlcode"
fi

# gemm-long.asm and gemm-xlong.asm, derived from gemm.asm so they cannot drift: the GEMM
# pipeline 256 and 1,024 times in one command (long jobs for the multi-tenant tests,
# docs/performance.md). Every DMA task push gets repeat count 255 (task-queue bits 23:16,
# hw/aie/register_map.hpp), i.e. 256 passes per task; gemm-xlong pushes each task 4 times
# (the AIE4 task queue holds 16, hw/aie/params.hpp) and waits for 4 tokens of the C channel.
# The kernel descriptor gets the iteration count to match; C is the same as gemm's.
# derive_gemm_repeated OUT_DIR NAME TASKS
derive_gemm_repeated() {
    python3 - "$here/gemm.asm" "$1/$2.asm" "$2" "$3" <<'PY'
import re, sys
src, out, name, tasks = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
text = open(src).read()
head = f"; {name.upper()}: derived from gemm.asm by build-fixtures.sh ({256 * tasks} passes in one command).\n"
# Task pushes: "WRITE_32 ADDR, VALUE ; <channel>: BDn" lines, each pushed `tasks` times.
def push(m):
    line = m.group(1) + "%08X" % (int(m.group(2), 16) | 0x00FF0000) + m.group(3)
    return "\n  ".join([line] * tasks)
text, pushes = re.subn(r"(WRITE_32 0x[0-9A-Fa-f]{8}, 0x)([0-9A-Fa-f]{8})(\s+;[^\n]*: BD\d)", push, text)
text, descs = re.subn(r"(program:\n  \.long 0xA1E4C0DE\n  \.long 0x00000004\n  \.long )0x00000001",
                      lambda m: m.group(1) + "0x%08X" % (256 * tasks), text)
text, waits = re.subn(r"WAIT_TCTS TILE_0_0, SHIM_S2MM_0, 1\b", f"WAIT_TCTS TILE_0_0, SHIM_S2MM_0, {tasks}", text)
if pushes != 12 or descs != 1 or waits != 1:
    sys.exit(f"build-fixtures: gemm.asm changed shape ({pushes} task pushes, {descs} kernel descriptors, {waits} waits)")
open(out, "w").write(head + text)
PY
}

# assemble SRC_DIR OUT_DIR [EXTRA_ASM...]
assemble() {
    local src_dir=$1 dest=$2 src name
    shift 2
    mkdir -p "$dest"
    for src in "$src_dir"/*.asm "$@"; do
        name=$(basename "$src" .asm)
        aiebu_asm -t aie4 -c "$src" -o "$dest/$name.elf" -f disabledump >"$work/$name.log" 2>&1 || {
            cat "$work/$name.log" >&2
            echo "build-fixtures: aiebu-asm failed on $src" >&2
            exit 1
        }
        rm -f "$dest/$name".uc*.bin
        "$extractor" extract "$dest/$name.elf" "$dest/$name"
        echo "build-fixtures: $name: $(ls "$dest/$name".uc*.bin | wc -l) uC image(s)"
    done
}

# GEMM data for gemm.asm (64 x 64 x 64, int8 x int8 -> int32, row-major, little-endian).
# A[i][k] = ((i * 7 + k * 3) % 23) - 11, B[k][j] = ((k * 5 + j * 11) % 19) - 9.
gemm_data() {
    python3 - "$1" <<'PY'
import struct, sys
out = sys.argv[1]
n = 64
A = [[((i * 7 + k * 3) % 23) - 11 for k in range(n)] for i in range(n)]
B = [[((k * 5 + j * 11) % 19) - 9 for j in range(n)] for k in range(n)]
C = [[sum(A[i][k] * B[k][j] for k in range(n)) for j in range(n)] for i in range(n)]
with open(out + "/gemm.in0.bin", "wb") as f:
    f.write(struct.pack("<%db" % (n * n), *[v for row in A for v in row]))
with open(out + "/gemm.in1.bin", "wb") as f:
    f.write(struct.pack("<%db" % (n * n), *[v for row in B for v in row]))
with open(out + "/gemm.expected.bin", "wb") as f:
    f.write(struct.pack("<%di" % (n * n), *[v for row in C for v in row]))
PY
    echo "build-fixtures: gemm data (A, B, expected C)"
}

# build SRC_DIR COMMITTED_DIR [gemm]
build() {
    local src_dir=$1 committed=$2 dest=$2 extra=()
    [ $check -eq 1 ] && dest="$work/out/$(basename "$committed")"
    if [ "${3:-}" = gemm ]; then
        mkdir -p "$work/derived"
        derive_gemm_repeated "$work/derived" gemm-long 1
        derive_gemm_repeated "$work/derived" gemm-xlong 4
        extra=("$work/derived/gemm-long.asm" "$work/derived/gemm-xlong.asm")
    fi
    assemble "$src_dir" "$dest" "${extra[@]}"
    [ "${3:-}" = gemm ] && gemm_data "$dest"
    if [ $check -eq 1 ]; then
        local f base
        for f in "$dest"/*; do
            base=$(basename "$f")
            if ! cmp -s "$f" "$committed/$base"; then
                echo "build-fixtures: $(basename "$committed")/$base differs from the committed fixture" >&2
                status=1
            fi
        done
    fi
}

status=0
build "$here" "$repo/tests/fixtures/ctrlcode" gemm
build "$repo/tests/fixtures/cert" "$repo/tests/fixtures/cert"
if [ $check -eq 1 ]; then
    [ $status -eq 0 ] && echo "build-fixtures: committed fixtures are up to date"
    exit $status
fi
