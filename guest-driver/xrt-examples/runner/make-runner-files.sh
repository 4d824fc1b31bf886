#!/usr/bin/env bash
# Writes DEST/xrt-runner/: the recipe and profile above, copy.elf, and the copy kernel's input
# (copy.in.bin, 32 x 32 little-endian 32-bit words) with its golden output (copy.golden.bin, the
# transpose, computed here independently of the emulator). DEST must already hold copy.elf.
set -euo pipefail
dest=${1:?usage: make-runner-files.sh DEST}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dest/xrt-runner"
cp "$here/recipe.json" "$here/profile.json" "$dest/copy.elf" "$dest/xrt-runner/"
python3 - "$dest/xrt-runner" <<'PY'
import struct, sys
d = sys.argv[1]
n = 32
a = [(i * 2654435761 + 12345) & 0xFFFFFFFF for i in range(n * n)]
gold = [a[j * n + i] for i in range(n) for j in range(n)]
open(f"{d}/copy.in.bin", "wb").write(struct.pack(f"<{n*n}I", *a))
open(f"{d}/copy.golden.bin", "wb").write(struct.pack(f"<{n*n}I", *gold))
PY
