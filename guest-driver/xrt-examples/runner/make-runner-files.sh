#!/usr/bin/env bash
# Writes, from DEST/copy.elf:
#   DEST/xrt-runner/    recipe.json, profile.json, copy.elf, the copy kernel's input
#                       (copy.in.bin, 32 x 32 little-endian 32-bit words) and its golden output
#                       (copy.golden.bin, the transpose, computed here independently of the emulator)
#   DEST/xrt_smi_npu3.a the archive `xrt-smi validate -r sanity` reads on npu3 (docs/xrt.md): a UNIX
#                       ar archive whose members carry the names XRT 2.25's npu3 sanity test asks
#                       for; the recipe and profile run the same copy kernel against the golden file.
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

# The validate archive: same recipe and profile, artifact names as the sanity test wants them.
rename = {"copy.elf": "control_sanity_npu3.elf", "copy.in.bin": "ifm_sanity_npu3.bin",
          "copy.golden.bin": "ofm_sanity_npu3.bin"}
def renamed(text):
    for old, new in rename.items():
        text = text.replace(old, new)
    return text.encode()
members = [
    ("recipe_sanity_npu3.json", renamed(open(f"{here}/recipe.json").read())),
    ("profile_sanity_npu3.json", renamed(open(f"{here}/profile.json").read())),
    ("control_sanity_npu3.elf", open(f"{dest}/copy.elf", "rb").read()),
    ("ifm_sanity_npu3.bin", inp),
    ("ofm_sanity_npu3.bin", golden),
    # Asked for by the test, used by AMD's model only: the copy kernel has no weights and no
    # control packets, so these stay empty-ish and unreferenced by the recipe.
    ("wts_sanity_npu3.bin", bytes(16)),
    ("ctrl_pkt0_sanity_npu3.bin", bytes(16)),
]
# GNU ar: "!<arch>\n", a "//" table of long names, then 60-byte headers "/<offset>".
table = b"".join(name.encode() + b"/\n" for name, _ in members)
def header(name, size):
    return (name.ljust(16) + "0".ljust(12) + "0".ljust(6) + "0".ljust(6) + "644".ljust(8) +
            str(size).ljust(10) + "`\n").encode()
out = bytearray(b"!<arch>\n")
def add(name, data):
    out.extend(header(name, len(data))); out.extend(data)
    if len(data) % 2: out.extend(b"\n")
add("//", table)
offset = 0
for name, data in members:
    add(f"/{offset}", data)
    offset += len(name) + 2
open(f"{dest}/xrt_smi_npu3.a", "wb").write(bytes(out))
PY
