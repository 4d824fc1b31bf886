#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into tests/fuzz/corpus/TARGET/seed-*.

Each target's seeds cover every message type, opcode and BD kind the target reaches, in the
input encoding its source file documents (fuzz_vfio_user.cpp, fuzz_mailbox.cpp, fuzz_cert.cpp,
fuzz_array.cpp). Control-code seeds are the fixtures Debian's aiebu-asm made (tests/fixtures),
cut to their used page lengths, with their argument relocations pointing into the cert target's
guest memory. Run again after changing an encoding: ./tests/fuzz/make_seeds.py
The corpus directories also hold what fuzzing found (minimised); this script only (re)writes
files named seed-*.
"""
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(bytes(data))


# ---- vfio_user: records [u8 control][u16 len][len bytes written to the socket] ------------------
# control bit 0 eventfd, bit 1 16 KiB memfd, bit 2 function DMA at the record's first 8 bytes,
# bit 3 MSI-X fire (emu/vfio_user/protocol.hpp for the commands and structs).
def vfio_msg(command, payload=b"", msg_id=1, flags=0):
    return struct.pack("<HHIII", msg_id, command, 16 + len(payload), flags, 0) + payload


def vfio_rec(control, msg):
    return struct.pack("<BH", control, len(msg)) + msg


def vfio_user_seeds():
    VERSION, DMA_MAP, DMA_UNMAP, GET_INFO, REGION_INFO, REGION_IO_FDS, IRQ_INFO, SET_IRQS = range(1, 9)
    REGION_READ, REGION_WRITE, DMA_READ, DMA_WRITE, RESET, DIRTY, WRITE_MULTI, FEATURE, MIG_R, MIG_W = range(9, 19)
    dma_map = vfio_rec(2, vfio_msg(DMA_MAP, struct.pack("<IIQQQ", 32, 3, 0, 0x10000, 0x4000)))
    seeds = {
        "version-again": vfio_rec(0, vfio_msg(VERSION, struct.pack("<HH", 0, 0) + b'{"capabilities":{}}\0')),
        "dma-map-unmap": dma_map + vfio_rec(0, vfio_msg(DMA_UNMAP, struct.pack("<IIQQ", 24, 0, 0x10000, 0x4000), 2)),
        "dma-unmap-all": dma_map + vfio_rec(0, vfio_msg(DMA_UNMAP, struct.pack("<IIQQ", 24, 2, 0, 0), 2)),
        "dma-function-access": dma_map + vfio_rec(4 | 0x30, struct.pack("<Q", 0x10100) + b"\0" * 8),
        "device-info": vfio_rec(0, vfio_msg(GET_INFO, struct.pack("<IIII", 16, 0, 0, 0))),
        "region-io-fds": vfio_rec(0, vfio_msg(REGION_IO_FDS, struct.pack("<IIII", 16, 0, 0, 0))),
        "region-read-config": vfio_rec(0, vfio_msg(REGION_READ, struct.pack("<QII", 0, 7, 4))),
        "region-write-config": vfio_rec(0, vfio_msg(REGION_WRITE, struct.pack("<QII", 4, 7, 2) + b"\x06\x00")),
        "region-read-bar0": vfio_rec(0, vfio_msg(REGION_READ, struct.pack("<QII", 0, 0, 4))),
        "region-write-bar2": vfio_rec(0, vfio_msg(REGION_WRITE, struct.pack("<QII", 0, 2, 4) + b"\1\0\0\0")),
        "region-write-multi": vfio_rec(0, vfio_msg(WRITE_MULTI, struct.pack("<Q", 1) + struct.pack("<QII", 0, 0, 4) + b"\0" * 12)),
        "irq-set-msix-eventfd": vfio_rec(1, vfio_msg(SET_IRQS, struct.pack("<IIIII", 20, 0x4 | 0x20, 2, 0, 1)))
        + vfio_rec(8, b"\x00"),
        "irq-set-msix-mask": vfio_rec(0, vfio_msg(SET_IRQS, struct.pack("<IIIII", 20, 0x1 | 0x8, 2, 0, 1)))
        + vfio_rec(8, b"\x00")
        + vfio_rec(0, vfio_msg(SET_IRQS, struct.pack("<IIIII", 20, 0x1 | 0x10, 2, 0, 1), 2)),
        "irq-set-bool": vfio_rec(0, vfio_msg(SET_IRQS, struct.pack("<IIIII", 21, 0x2 | 0x20, 2, 0, 1) + b"\1")),
        "device-reset": dma_map + vfio_rec(0, vfio_msg(RESET)),
        "dirty-pages": vfio_rec(0, vfio_msg(DIRTY, struct.pack("<II", 8, 0))),
        "device-feature": vfio_rec(0, vfio_msg(FEATURE, struct.pack("<II", 8, 0))),
        "mig-data": vfio_rec(0, vfio_msg(MIG_R, struct.pack("<II", 8, 0))) + vfio_rec(0, vfio_msg(MIG_W, struct.pack("<II", 8, 0), 2)),
        "server-only-commands": vfio_rec(0, vfio_msg(DMA_READ, struct.pack("<QQ", 0, 4)))
        + vfio_rec(0, vfio_msg(DMA_WRITE, struct.pack("<QQ", 0, 4) + b"\0" * 4, 2)),
        "reply-flag": vfio_rec(0, vfio_msg(GET_INFO, struct.pack("<IIII", 16, 0, 0, 0), 3, 1)),
        "no-reply-flag": vfio_rec(0, vfio_msg(GET_INFO, struct.pack("<IIII", 16, 0, 0, 0), 3, 0x10)),
        "unknown-command": vfio_rec(0, vfio_msg(99)),
        "bad-size": vfio_rec(0, struct.pack("<HHIII", 1, GET_INFO, 8, 0, 0)),
    }
    for i in range(9):
        seeds["region-info-%d" % i] = vfio_rec(0, vfio_msg(REGION_INFO, struct.pack("<IIIIQQ", 32, 0, i, 0, 0, 0)))
    for i in range(5):
        seeds["irq-info-%d" % i] = vfio_rec(0, vfio_msg(IRQ_INFO, struct.pack("<IIII", 16, 0, i, 0)))
    for name, data in seeds.items():
        write("vfio_user", name, data)


# ---- mailbox: records [u8 sel][u8 len][body] (fuzz_mailbox.cpp) ----------------------------------
SUSPEND, ATTACH, CREATE_VFS, DESTROY_VFS, CREATE_PART, DESTROY_PART, CREATE_CTX, DESTROY_CTX, TILE_INFO = range(9)
VF1_QUEUE = 0x200000


def mb(sel, body):
    return bytes([sel, len(body)]) + bytes(body)


def mailbox_seeds():
    part = mb(CREATE_PART, struct.pack("<II", 0, 3))
    ctx = mb(CREATE_CTX | 0x10, struct.pack("<IIIIII", 0, 12, 0, 0x300000, 0x80000000 | 0xFFFFF, 0))
    seeds = {
        "tile-info": mb(TILE_INFO, struct.pack("<I", 0)),
        "partition-create-destroy": part + mb(DESTROY_PART | 0x10, struct.pack("<I", 0)),
        "context-create-destroy": part + ctx + mb(DESTROY_CTX | 0x10, struct.pack("<II", 0, 0))
        + mb(DESTROY_PART | 0x10, struct.pack("<I", 0)),
        "context-doorbell": part + ctx + mb(12, struct.pack("<I", 1)),
        "context-flr": part + ctx + mb(11, b""),
        "partition-bad-columns": mb(CREATE_PART, struct.pack("<II", 2, 5)),
        "context-bad-partition": mb(CREATE_CTX, struct.pack("<IIIIII", 77, 12, 0, 0x300000, 0x80000000, 0)),
        "short-body": mb(CREATE_CTX | 0x10, struct.pack("<II", 0, 12)),
        "long-body": mb(TILE_INFO, b"\0" * 200),
        "raw-opcode": mb(9, struct.pack("<I", 0xDEADBEEF) + b"\0" * 8),
        "raw-ring": mb(10, bytes([0, 0x20, 0]) + struct.pack("<IIII", 16, 0x10, 0x1000000, 0x30006)),
        "responses-left": b"".join(mb(TILE_INFO | 0x20, struct.pack("<I", 0)) for _ in range(8)),
        "vf-sends-pf-opcode": mb(SUSPEND, struct.pack("<I", 0)),
        "pf-suspend": mb(SUSPEND | 0x40, struct.pack("<I", 0)),
        "pf-attach-work-buffer": mb(ATTACH | 0x40, struct.pack("<QII", 0x400000, 0, 4 << 20)),
        "pf-create-vfs": mb(CREATE_VFS | 0x40, struct.pack("<I", 2)),
        "pf-destroy-vfs": mb(DESTROY_VFS | 0x40, struct.pack("<I", 0)),
        "pf-sends-vf-opcode": mb(TILE_INFO | 0x40, struct.pack("<I", 0)),
        "deferred": mb(13, b""),
    }
    for name, data in seeds.items():
        write("mailbox", name, data)


# ---- cert: header, 24-byte packet records, control-code pages (fuzz_cert.cpp) --------------------
CERT_BASE = 0x40000000
CERT_ARGS = CERT_BASE + 0x40000   # argument buffers, 0x10000 apart, inside the 1 MiB memory
PAGE = 8192


def read_fixture(rel):
    with open(os.path.join(ROOT, "tests", "fixtures", rel), "rb") as f:
        return f.read()


def patch57(image, off, address):
    w0, w1 = struct.unpack_from("<II", image, off)
    base = ((w0 & 0x1FFFFFF) << 32 | w1) + address + 0x80000000
    struct.pack_into("<II", image, off, (w0 & ~0x1FFFFFF & 0xFFFFFFFF) | ((base >> 32) & 0x1FFFFFF), base & 0xFFFFFFFF)


def program_pages(name):
    """The fixture's uC 0 pages, relocated, each cut to its used length."""
    image = bytearray(read_fixture(name + ".uc0.bin"))
    for line in read_fixture(name + ".rela.txt").decode().splitlines():
        if not line or line.startswith("#"):
            continue
        _uc, _page, _r_off, image_off, _type, symbol = line.split()
        patch57(image, int(image_off, 16), CERT_ARGS + int(symbol) * 0x10000)
    pages = []
    for k in range(len(image) // PAGE):
        used = struct.unpack_from("<H", image, k * PAGE + 8)[0]
        pages.append(bytes(image[k * PAGE:k * PAGE + min(used, PAGE)]))
    return pages


def cert_header(q=0, packets=1, cap_log2=0, per_run=0, version=0):
    return struct.pack("<BBBBI", q, packets, cap_log2, per_run, version)


def cert_packet(type_=0, opcode=1, chain=0, distribute=0, indirect=0, fix=3, count=24, payload=b""):
    return struct.pack("<BBBBBBH", type_, opcode, chain, distribute, indirect, fix, count) + payload.ljust(16, b"\0")[:16]


def cert_pages(pages):
    return b"".join(struct.pack("<H", len(p)) + p for p in pages)


def cert_seeds():
    fixtures = ["cert/all_ops", "cert/jobs", "cert/deadlock", "cert/outside", "cert/remote_a", "cert/remote_b",
                "ctrlcode/copy", "ctrlcode/empty", "ctrlcode/gemm", "ctrlcode/twopage"]
    progs = {f.split("/")[1]: program_pages(f) for f in fixtures}
    seeds = {}
    for name, pages in progs.items():
        seeds["exec-" + name] = cert_header() + cert_packet() + cert_pages(pages)
    empty = cert_pages(progs["empty"])
    seeds.update({
        "kernel-layout": cert_header(q=1) + cert_packet() + empty,
        "mirror-off": cert_header(q=2) + cert_packet() + empty,
        "fail-context-on-error": cert_header(q=4, packets=2) + cert_packet() + cert_packet(opcode=9) + empty,
        "three-per-run": cert_header(packets=3, per_run=3) + cert_packet() * 3 + empty,
        "test-exit-invalid": cert_header(packets=4) + cert_packet(opcode=2) + cert_packet(opcode=3)
        + cert_packet(opcode=9) + cert_packet(type_=1) + empty,
        "bad-count": cert_header() + cert_packet(count=5) + empty,
        "chain-abort": cert_header(packets=2) + cert_packet(chain=1) + cert_packet() + cert_pages(progs["outside"]),
        "completion-outside": cert_header() + cert_packet(fix=1, payload=struct.pack("<Q", 0x1234)) + empty,
        "code-outside": cert_header() + cert_packet(fix=2, payload=struct.pack("<IIII", 0, 0x10, 0, 0)) + empty,
        "indirect-two-ucs": cert_header() + cert_packet(distribute=1, indirect=1, fix=7, count=16)
        + cert_pages(progs["remote_a"] + [b""] + progs["remote_b"]),
        "bad-version": cert_header(q=8, cap_log2=5, version=7) + cert_packet() + empty,
        "capacity-too-big": cert_header(q=8, cap_log2=19, version=1) + cert_packet() + empty,
        "ahead-of-capacity": cert_header(q=8, packets=9, cap_log2=2, version=1) + cert_packet() * 9 + empty,
        "bad-page-marker": cert_header() + cert_packet() + cert_pages([b"\x00\x00" + progs["empty"][0][2:]]),
    })
    for name, data in seeds.items():
        write("cert", name, data)


# ---- array: records [u8 op][u8 tile][u16 index][u32 value] (fuzz_array.cpp) ----------------------
SHIM, MEM, CORE = 0, 1, 2      # logical rows (column 0): tile byte = col << 4 | row
VALID, USE_NEXT, TOKEN, ACQ_EN = 1 << 31, 1 << 28, 1 << 31, 1 << 31


def rec(op, tile, index, value):
    return struct.pack("<BBHI", op, tile, index & 0xFFFF, value & 0xFFFFFFFF)


def bd(tile, block, n, words):
    return b"".join(rec(0, tile, block << 15 | n << 4 | w, v) for w, v in enumerate(words))


def bd_words(addr_high=0, addr_low=0, length=16, dims=(), iter_wrap=0, next_bd=None, lock=0, mem_tile=False):
    d = list(dims) + [0] * (3 - len(dims))
    w = [addr_high, addr_low, length, d[0], d[1], d[2], (iter_wrap & 0x3F) << 20,
         VALID | ((next_bd << 20 | USE_NEXT) if next_bd is not None else 0), lock]
    return w + ([0, 0] if mem_tile else [])


def push(tile, ch, direction, start_bd, repeat=0, token=True):
    return rec(1, tile, ch << 1 | direction, (TOKEN if token else 0) | repeat << 16 | start_bd)


def run(cycles=100000):
    return rec(13, 0, 0, cycles)


def array_seeds():
    host = 0x80000000   # shim BD address of host byte 0 (CostParams::shim_host_address_offset)
    seeds = {
        "shim-bd-mm2s": bd(SHIM, 0, 0, bd_words(addr_low=host, length=64)) + push(SHIM, 0, 1, 0) + run(),
        "shim-bd-s2mm": bd(SHIM, 0, 1, bd_words(addr_low=host + 256, length=64)) + push(SHIM, 0, 0, 1) + run(),
        "shim-bd-outside-host": bd(SHIM, 0, 2, bd_words(addr_low=host + 0x100000, length=64)) + push(SHIM, 1, 1, 2) + run(),
        "mem-bd-block-a": bd(MEM, 0, 0, bd_words(length=32, mem_tile=True)) + push(MEM, 0, 1, 0) + run(),
        "mem-bd-block-b": bd(MEM, 1, 3, bd_words(length=32, mem_tile=True)) + push(MEM, 6, 1, 3) + run(),
        "mem-bd-4d": bd(MEM, 0, 5, bd_words(length=64, dims=(4 << 20, 2 << 20 | 3, 2 << 20 | 7), mem_tile=True))
        + push(MEM, 0, 0, 5) + run(),
        "core-bd": bd(CORE, 0, 0, bd_words(length=16)) + push(CORE, 0, 1, 0) + run(),
        "core-bd-chain": bd(CORE, 0, 0, bd_words(length=8, next_bd=1)) + bd(CORE, 0, 1, bd_words(addr_low=64, length=8))
        + push(CORE, 0, 0, 0) + run(),
        "core-bd-iterations": bd(CORE, 0, 2, bd_words(length=8, iter_wrap=3)) + push(CORE, 0, 1, 2, repeat=3) + run(),
        "bd-locks": rec(3, CORE, 0, 1) + bd(CORE, 0, 0, bd_words(length=8, lock=ACQ_EN | (0x7F << 24) | 1 << 8 | 0))
        + push(CORE, 0, 1, 0) + run(),
        "bd-invalid": rec(0, CORE, 0 << 4 | 7, 0) + push(CORE, 0, 1, 0) + run(),
        "bd-out-of-range": push(CORE, 0, 1, 200) + run(),
        "queue-overflow": b"".join(push(CORE, 0, 1, 0) for _ in range(6)) + run(),
        "channel-reset": bd(CORE, 0, 0, bd_words(length=4096)) + push(CORE, 0, 1, 0) + rec(12, 0, 0, 100)
        + rec(2, CORE, 1, 2) + run(),
        "locks": rec(3, CORE, 3, 5) + rec(4, CORE, 0x100 | 3, 0x7F) + rec(4, CORE, 3, 1) + rec(3, MEM, 40, 63)
        + rec(4, MEM, 40, 1) + rec(4, SHIM, 0x100 | 2, 1),
        "stream-route": rec(5, CORE, 0, 0x80000000 | 1) + rec(6, CORE, 1, 0x80000000)
        + bd(CORE, 0, 0, bd_words(length=16)) + bd(CORE, 0, 1, bd_words(addr_low=1024, length=16))
        + push(CORE, 0, 1, 0) + push(CORE, 0, 0, 1) + run(),
        "stream-packet-mode": rec(5, CORE, 2, 0xC0000000) + run(),
        "core-start": rec(9, CORE, 0, 0x12345678) + rec(7, CORE, 3, 1) + run(),
        "core-reset": rec(7, CORE, 3, 1) + rec(7, CORE, 3, 2) + run(),
        "data-memory": rec(8, CORE, 10, 0xAABBCCDD) + rec(8, MEM, 10, 0x11223344) + rec(11, CORE, 10 << 2, 0),
        "status-reads": rec(11, SHIM, 1, 1) + rec(11, MEM, 3, 1) + rec(11, CORE, 0, 1),
        "raw-register": rec(10, CORE, 0xA300, 0x1) + rec(10, SHIM, 0x1234, 0xF0000000),
        "wait-tcts": bd(SHIM, 0, 0, bd_words(addr_low=host, length=16)) + push(SHIM, 0, 1, 0)
        + rec(14, SHIM, 1, 1) + rec(15, SHIM, 1, 1000),
        "run-for": rec(12, 0, 0, 5000),
    }
    for name, data in seeds.items():
        write("array", name, data)


def main():
    vfio_user_seeds()
    mailbox_seeds()
    cert_seeds()
    array_seeds()
    for t in sorted(os.listdir(CORPUS)):
        n = len([f for f in os.listdir(os.path.join(CORPUS, t)) if f.startswith("seed-")])
        print(f"{t}: {n} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
