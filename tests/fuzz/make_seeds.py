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
# BD words follow the AIE4 field tables of hw/aie/register_map.hpp (kShimBdFields, kMemBdFields,
# kCoreBdFields): name -> (word, lsb, width) for the fields the seeds set.
SHIM, MEM, CORE = 0, 1, 2      # logical rows (column 0): tile byte = col << 4 | row
TOKEN = 1 << 31                # task-queue ENABLE_TOKEN_ISSUE (regs::queue::kToken)
BD_FIELDS = {
    SHIM: (9, {"address_high": (0, 0, 25), "base_address": (1, 0, 32), "length": (2, 0, 32),
               "d0_wrap": (4, 19, 12), "d1_step": (5, 0, 22), "use_next": (5, 26, 1), "next_bd": (5, 27, 4),
               "d2_step": (6, 0, 22), "iter_step": (7, 0, 22), "iter_wrap": (7, 22, 6), "d3_step": (8, 10, 22),
               "unknown": (3, 0, 24)}),
    MEM: (11, {"base_address": (0, 0, 23), "local_tile": (0, 23, 1), "length": (1, 0, 25),
               "acq_value": (1, 25, 7), "acq_enable": (2, 0, 1), "rel_id": (2, 1, 10), "rel_value": (2, 11, 7),
               "acq_id": (2, 20, 10), "d1_step": (3, 0, 23), "d2_step": (4, 0, 23), "d3_step": (5, 0, 23),
               "iter_step": (6, 0, 23), "d0_wrap": (9, 6, 12), "d1_wrap": (9, 18, 12), "iter_wrap": (10, 0, 8),
               "d2_wrap": (10, 14, 12), "use_next": (10, 26, 1), "next_bd": (10, 27, 4), "unknown": (7, 0, 32)}),
    CORE: (6, {"length": (0, 0, 17), "base_address": (0, 17, 15), "d1_step": (2, 0, 17), "d2_step": (3, 0, 17),
               "d0_wrap": (3, 17, 9), "iter_step": (4, 0, 17), "d1_wrap": (4, 17, 9), "iter_wrap": (4, 26, 6),
               "acq_id": (5, 3, 4), "acq_value": (5, 7, 7), "acq_enable": (5, 14, 1), "rel_id": (5, 15, 4),
               "rel_value": (5, 19, 7), "use_next": (5, 26, 1), "next_bd": (5, 27, 4), "unknown": (1, 0, 32)}),
}
MEM_LOCAL = 1 << 23            # memory-tile word address of this tile's own memory
MEM_LOCK0 = 448                # memory-tile BD lock ids 448..511 (App A 448..479)
MEM_MM2S_GROUP = 4             # memory tile block A: MM2S k owns BD group 4 + k (16 slots each)


def rec(op, tile, index, value):
    return struct.pack("<BBHI", op, tile, index & 0xFFFF, value & 0xFFFFFFFF)


def bd_encode(kind, **fields):
    nwords, layout = BD_FIELDS[kind]
    w = [0] * nwords
    for name, v in fields.items():
        word, lsb, width = layout[name]
        if name in ("acq_value", "rel_value"):
            v &= 0x7F      # 7-bit signed
        assert 0 <= v < (1 << width), (name, v)
        w[word] |= v << lsb
    return w


def bd(tile, block, slot, words):
    """Writes BD slot `slot` of DMA block `block` (memory tile: group * 16 + id)."""
    return b"".join(rec(0, tile, block << 15 | slot << 4 | n, v) for n, v in enumerate(words))


def push(tile, ch, direction, start_bd, repeat=0, token=True):
    """Task-queue word on tile-wide channel `ch` (direction 1 = MM2S); repeat = repeats - 1."""
    return rec(1, tile, ch << 1 | direction, (TOKEN if token else 0) | repeat << 16 | start_bd)


def run(cycles=100000):
    return rec(13, 0, 0, cycles)


SS_ENABLE = 1 << 31            # stream-switch master/slave enable (hw/aie/register_map.hpp regs::ss)
SHIM_NORTH0, MEM_SOUTH0 = 2, 10   # master/slave numbers (hw/aie/stream_switch.hpp port groups)


def route(tile, master, slave):
    """Stream-switch master `master` of the tile fed by its slave `slave`; DMA ports come first
    (slave k = MM2S k, master j = S2MM j)."""
    return rec(5, tile, master, SS_ENABLE | slave) + rec(6, tile, slave, SS_ENABLE)


def loop(tile, mm2s, s2mm, s2mm_block, s2mm_slot, s2mm_id, sink_words):
    """Routes MM2S `mm2s` to S2MM `s2mm` of the same tile and gives the S2MM a BD and a task,
    so what the MM2S reads lands somewhere (an MM2S without a route is a dead end)."""
    return route(tile, s2mm, mm2s) + bd(tile, s2mm_block, s2mm_slot, sink_words) + push(tile, s2mm, 0, s2mm_id)


def array_seeds():
    host = 0x80000000   # shim BD address of host byte 0 (CostParams::shim_host_address_offset)
    mm2s0 = MEM_MM2S_GROUP * 16
    shim_sink = loop(SHIM, 0, 0, 0, 15, 15, bd_encode(SHIM, base_address=host + 0x4000, length=256))
    mem_sink = loop(MEM, 0, 0, 0, 15, 15, bd_encode(MEM, base_address=0x10000, local_tile=1, length=256))
    core_sink = loop(CORE, 0, 0, 0, 15, 15, bd_encode(CORE, base_address=0x2000, length=256))
    seeds = {
        "shim-bd-mm2s": shim_sink + bd(SHIM, 0, 0, bd_encode(SHIM, base_address=host, length=64))
        + push(SHIM, 0, 1, 0) + run(),
        "shim-bd-s2mm": shim_sink + bd(SHIM, 0, 1, bd_encode(SHIM, base_address=host + 256, length=64))
        + push(SHIM, 0, 1, 1) + run(),
        "shim-bd-outside-host": loop(SHIM, 1, 1, 0, 14, 14, bd_encode(SHIM, base_address=host + 0x4000, length=64))
        + bd(SHIM, 0, 2, bd_encode(SHIM, base_address=host + 0x100000, length=64)) + push(SHIM, 1, 1, 2) + run(),
        "shim-bd-below-offset": shim_sink + bd(SHIM, 0, 3, bd_encode(SHIM, base_address=0x1000, length=8))
        + push(SHIM, 0, 1, 3) + run(),
        "shim-bd-dims-iter": shim_sink + bd(SHIM, 0, 4, bd_encode(SHIM, base_address=host, length=32, d0_wrap=4,
                                                                 d1_step=8, iter_wrap=1, iter_step=64))
        + push(SHIM, 0, 1, 4, repeat=1) + run(),
        "mem-bd-block-a": mem_sink + bd(MEM, 0, mm2s0, bd_encode(MEM, base_address=0, local_tile=1, length=32))
        + push(MEM, 0, 1, 0) + run(),
        "mem-bd-block-b": loop(MEM, 5, 4, 1, 0, 0, bd_encode(MEM, base_address=0x20000, local_tile=1, length=64))
        + bd(MEM, 1, mm2s0 + 3, bd_encode(MEM, base_address=0x100, local_tile=1, length=32)) + push(MEM, 5, 1, 3) + run(),
        "mem-bd-s2mm": route(MEM, 2, 1) + bd(MEM, 0, 2 * 16 + 1, bd_encode(MEM, base_address=0x400, local_tile=1, length=16))
        + push(MEM, 2, 0, 1) + bd(MEM, 0, (MEM_MM2S_GROUP + 1) * 16, bd_encode(MEM, local_tile=1, length=16))
        + push(MEM, 1, 1, 0) + run(),
        "mem-bd-4d": mem_sink + bd(MEM, 0, mm2s0 + 5, bd_encode(MEM, local_tile=1, length=64, d0_wrap=4, d1_wrap=2,
                                                               d1_step=4, d2_wrap=2, d2_step=8, d3_step=16,
                                                               iter_wrap=1, iter_step=64))
        + push(MEM, 0, 1, 5, repeat=1) + run(),
        "mem-bd-neighbour": mem_sink + bd(MEM, 0, mm2s0, bd_encode(MEM, base_address=0x10, length=8))
        + push(MEM, 0, 1, 0) + run(),
        "mem-bd-locks": mem_sink + rec(3, MEM, 1, 1)
        + bd(MEM, 0, mm2s0 + 2, bd_encode(MEM, local_tile=1, length=8, acq_enable=1, acq_id=MEM_LOCK0 + 1, acq_value=-1,
                                          rel_id=MEM_LOCK0 + 2, rel_value=1))
        + push(MEM, 0, 1, 2) + run(),
        "mem-bd-lock-outside": mem_sink + bd(MEM, 0, mm2s0, bd_encode(MEM, local_tile=1, length=8, acq_enable=1,
                                                                     acq_id=3, acq_value=1))
        + push(MEM, 0, 1, 0) + run(),
        "mem-bd-chain": mem_sink + bd(MEM, 0, mm2s0, bd_encode(MEM, local_tile=1, length=8, use_next=1, next_bd=1))
        + bd(MEM, 0, mm2s0 + 1, bd_encode(MEM, base_address=64, local_tile=1, length=8)) + push(MEM, 0, 1, 0) + run(),
        "core-bd": core_sink + bd(CORE, 0, 0, bd_encode(CORE, length=16)) + push(CORE, 0, 1, 0) + run(),
        "core-bd-chain": core_sink + bd(CORE, 0, 0, bd_encode(CORE, length=8, use_next=1, next_bd=1))
        + bd(CORE, 0, 1, bd_encode(CORE, base_address=64, length=8)) + push(CORE, 0, 1, 0) + run(),
        "core-bd-iterations": core_sink + bd(CORE, 0, 2, bd_encode(CORE, length=8, iter_wrap=3, iter_step=8))
        + push(CORE, 0, 1, 2, repeat=3) + run(),
        "core-bd-dims": core_sink + bd(CORE, 0, 3, bd_encode(CORE, length=32, d0_wrap=4, d1_wrap=4, d1_step=8,
                                                             d2_step=2))
        + push(CORE, 0, 1, 3) + run(),
        "bd-locks": core_sink + rec(3, CORE, 0, 1)
        + bd(CORE, 0, 0, bd_encode(CORE, length=8, acq_enable=1, acq_id=0, acq_value=-1, rel_id=1, rel_value=1))
        + push(CORE, 0, 1, 0) + run(),
        "bd-lock-wait": core_sink + bd(CORE, 0, 0, bd_encode(CORE, length=8, acq_enable=1, acq_id=4, acq_value=1))
        + push(CORE, 0, 1, 0) + rec(12, 0, 0, 500) + rec(3, CORE, 4, 1) + run(),
        "bd-refused-field": bd(CORE, 0, 7, bd_encode(CORE, length=8, unknown=1)) + push(CORE, 0, 1, 7)
        + bd(SHIM, 0, 5, bd_encode(SHIM, base_address=host, length=8, unknown=1)) + push(SHIM, 0, 1, 5)
        + bd(MEM, 0, mm2s0 + 6, bd_encode(MEM, local_tile=1, length=8, unknown=1)) + push(MEM, 0, 1, 6) + run(),
        "bd-out-of-range": push(CORE, 0, 1, 40) + push(MEM, 0, 1, 20) + push(SHIM, 0, 1, 17) + run(),
        "queue-unknown-bits": rec(1, CORE, 1, TOKEN | 1 << 26) + run(),
        "queue-overflow": core_sink + bd(CORE, 0, 0, bd_encode(CORE, length=8))
        + b"".join(push(CORE, 0, 1, 0) for _ in range(6)) + run(),
        "channel-reset": core_sink + bd(CORE, 0, 0, bd_encode(CORE, length=4096)) + push(CORE, 0, 1, 0)
        + rec(12, 0, 0, 100) + rec(2, CORE, 1, 2) + run(),
        "locks": rec(3, CORE, 3, 5) + rec(4, CORE, 0x100 | 3, 0x7F) + rec(4, CORE, 3, 1) + rec(3, MEM, 40, 63)
        + rec(4, MEM, 40, 1) + rec(4, SHIM, 0x100 | 2, 1),
        "stream-shim-to-mem": rec(5, SHIM, SHIM_NORTH0, SS_ENABLE | 0) + rec(6, SHIM, 0, SS_ENABLE)
        + rec(5, MEM, 0, SS_ENABLE | MEM_SOUTH0) + rec(6, MEM, MEM_SOUTH0, SS_ENABLE)
        + bd(SHIM, 0, 0, bd_encode(SHIM, base_address=host, length=16)) + push(SHIM, 0, 1, 0)
        + bd(MEM, 0, 0, bd_encode(MEM, local_tile=1, length=16)) + push(MEM, 0, 0, 0) + run(),
        "stream-unrouted": bd(CORE, 0, 0, bd_encode(CORE, length=16)) + push(CORE, 0, 1, 0) + run(),
        "stream-packet-mode": rec(5, CORE, 2, 0xC0000000) + run(),
        "core-start": rec(9, CORE, 0, 0x12345678) + rec(7, CORE, 3, 1) + run(),
        "core-reset": rec(7, CORE, 3, 1) + rec(7, CORE, 3, 2) + run(),
        "data-memory": rec(8, CORE, 10, 0xAABBCCDD) + rec(8, MEM, 10, 0x11223344) + rec(11, CORE, 10 << 2, 0),
        "status-reads": rec(11, SHIM, 1, 1) + rec(11, MEM, 3, 1) + rec(11, CORE, 0, 1),
        "raw-register": rec(10, CORE, 0xA300, 0x1) + rec(10, SHIM, 0x1234, 0xF0000000) + rec(10, CORE, 0xAC00, 0x5),
        "wait-tcts": shim_sink + bd(SHIM, 0, 0, bd_encode(SHIM, base_address=host, length=16)) + push(SHIM, 0, 1, 0)
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
