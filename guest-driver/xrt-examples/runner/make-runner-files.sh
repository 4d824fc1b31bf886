#!/usr/bin/env bash
# Writes, from DEST/copy.elf:
#   DEST/xrt-runner/    recipe.json, profile.json, copy.elf, the copy kernel's input
#                       (copy.in.bin, 32 x 32 little-endian 32-bit words) and its golden output
#                       (copy.golden.bin, the transpose, computed here independently of the emulator)
set -euo pipefail
dest=${1:?usage: make-runner-files.sh DEST}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dest/xrt-runner"
cp "$here/recipe.json" "$here/profile.json" "$dest/copy.elf" "$dest/xrt-runner/"
python3 - "$dest" "$here" <<'PY'
import struct, sys
dest, here = sys.argv[1], sys.argv[2]
n = 32
a = [(i * 2654435761 + 12345) & 0xFFFFFFFF for i in range(n * n)]
gold = [a[j * n + i] for i in range(n) for j in range(n)]
inp = struct.pack(f"<{n*n}I", *a)
golden = struct.pack(f"<{n*n}I", *gold)
open(f"{dest}/xrt-runner/copy.in.bin", "wb").write(inp)
open(f"{dest}/xrt-runner/copy.golden.bin", "wb").write(golden)

PY
