#!/bin/sh
# Regenerate the control-code fixtures in tests/fixtures/ctrlcode/ from the hand-written
# sources in guest-driver/ctrlcode/*.asm with the REAL Debian aiebu-asm 2.25 (-t aie4).
#
#   build-fixtures.sh           regenerate (then review and commit the diff)
#   build-fixtures.sh --check   regenerate into a temporary directory and compare
#
# For each NAME.asm it writes NAME.elf (assembler output), NAME.ucU.bin (uC U's control
# code: 8 KiB pages back to back, as the device fetches it) and NAME.rela.txt (argument
# relocations: uc, page, r_offset, offset in NAME.ucU.bin, type, symbol).
#
# aiebu-asm runs from the setup's Debian trixie tree through that tree's dynamic loader:
#   TREE=${AIE4EMU_TREE:-${AIE4EMU_CACHE:-$HOME/.cache/aie4emu}/tree}
# falling back to /root/scratch/feas/trixie. The extractor (aie4-ctrlcode) is taken from
# $AIE4_CTRLCODE, or compiled from guest-driver/ on the fly with $CXX (default g++).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out_dir="$repo/tests/fixtures/ctrlcode"
check=0
[ "${1:-}" = "--check" ] && check=1

tree="${AIE4EMU_TREE:-${AIE4EMU_CACHE:-$HOME/.cache/aie4emu}/tree}"
[ -x "$tree/usr/bin/aiebu-asm" ] || tree=/root/scratch/feas/trixie
if [ ! -x "$tree/usr/bin/aiebu-asm" ]; then
    echo "build-fixtures: no aiebu-asm in \$AIE4EMU_TREE, the setup cache tree or /root/scratch/feas/trixie" >&2
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

dest="$out_dir"
if [ $check -eq 1 ]; then
    dest="$work/out"
fi
mkdir -p "$dest"

for src in "$here"/*.asm; do
    name=$(basename "$src" .asm)
    aiebu_asm -t aie4 -c "$src" -o "$dest/$name.elf" >"$work/$name.log" 2>&1 || {
        cat "$work/$name.log" >&2
        echo "build-fixtures: aiebu-asm failed on $src" >&2
        exit 1
    }
    rm -f "$dest/$name".uc*.bin
    "$extractor" extract "$dest/$name.elf" "$dest/$name"
    echo "build-fixtures: $name: $(ls "$dest/$name".uc*.bin | wc -l) uC image(s)"
done

if [ $check -eq 1 ]; then
    status=0
    for f in "$dest"/*; do
        base=$(basename "$f")
        if ! cmp -s "$f" "$out_dir/$base"; then
            echo "build-fixtures: $base differs from the committed fixture" >&2
            status=1
        fi
    done
    [ $status -eq 0 ] && echo "build-fixtures: committed fixtures are up to date"
    exit $status
fi
