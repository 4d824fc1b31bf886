// Fuzz target "cert": a user-mode queue walk plus control-code pages through CERT and the tile
// array (firmware-stub/cert, hw/aie), below the mailbox and PCI layers. The array is built once;
// each input gets a fresh CERT, a fresh hardware context of VF0 (function 1) and a zeroed guest
// memory, then rings the doorbell, runs every deferred CERT turn, and destroys the context (which
// resets the partition's columns, so the next input finds the array as new).
//
// Input (little-endian):
//   header, 8 bytes (missing bytes read as 0):
//     [0] queue: bit 0 kernel layout (else XRT 2.25 v1.0); bit 1 umq_mirror off;
//         bit 2 fail_context_on_packet_error; bit 3 keep the version/capacity/data fields
//         from [2..7] instead of the well-formed ones
//     [1] packets the queue announces (write_index - read_index)
//     [2] capacity log2 (used with bit 3; else 32 slots)
//     [3] CERT share (packets started per turn) - 1 (0..3)
//     [4..7] raw u32: version word (major | minor << 16) with bit 3, else unused
//   then [1] packet records of 24 bytes: the 64-byte slot is built from
//     [0] type  [1] opcode  [2] chain flag  [3] distribute  [4] indirect  [5] fix-ups
//     [6..7] count  [8..23] the first 16 bytes of the payload (exec_buf or indirect entries)
//     fix-ups: bit 0 exec_buf code address := the control code (payload bytes 4..7 add a
//     page-aligned offset from byte [8+4] & 7); bit 1 completion_signal := the command's own
//     word (else payload garbage decides it: mostly outside memory); bit 2 indirect entries
//     point at host_indirect_data blocks whose exec_buf runs the code of uC (entry index),
//     page (entry index) — for multi-uC commands
//   then control-code pages: [u16 used length][bytes], page k at code + k * 8 KiB (at most 8).
// Checked: nothing crashes or leaks (sanitizers), CERT retires or fails the queue, and after the
// context is destroyed CERT writes nothing more to guest memory and raises no interrupt.
#include "firmware-stub/cert/cert.hpp"
#include "firmware-stub/cert/control_code.hpp"
#include "firmware-stub/cert/queue_facts.hpp"
#include "hw/aie/array.hpp"
#include "hw/npu3/firmware_port.hpp"
#include "hw/pcie/function.hpp"
#include "hw/pcie/log.hpp"
#include "hw/sim/log.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace aie4emu;
namespace umq = aie4emu::fw::cert::umq;

// Guest memory of function 1: [kBase, kBase + kSize).
constexpr uint64_t kBase = 0x40000000;
constexpr size_t kSize = 1u << 20;
constexpr uint64_t kQueue = kBase;                 // header + slots (32 slots: 0x880 bytes)
constexpr uint64_t kCmds = kBase + 0x8000;         // completion words, 0x100 apart
constexpr uint64_t kIndirect = kBase + 0xA000;     // host_indirect_data blocks, 0x100 apart
constexpr uint64_t kCode = kBase + 0x10000;        // control-code pages
constexpr unsigned kMaxPages = 8;
constexpr unsigned kColumns = 1;                   // the partition: one column (a reset per input; 3 would cost 3x)
constexpr unsigned kPacketBytes = 24;

[[noreturn]] void broken(const char* what)
{
    std::fprintf(stderr, "fuzz-cert: INVARIANT BROKEN: %s\n", what);
    std::abort();
}

class Memory final : public pcie::DmaSpace {
public:
    bool read(uint64_t a, void* d, size_t n) override
    {
        if (!inside(a, n))
            return false;
        std::memcpy(d, bytes.data() + (a - kBase), n);
        return true;
    }
    bool write(uint64_t a, const void* s, size_t n) override
    {
        ++writes;
        if (!inside(a, n))
            return false;
        copy_in(a, s, n);
        return true;
    }
    void put(uint64_t a, const void* s, size_t n)
    {
        if (inside(a, n))
            copy_in(a, s, n);
    }
    // Back to all zeros, touching only what was written since the last clear (1 MiB per input
    // was a fifth of the target's time).
    void clear()
    {
        if (written_lo < written_hi)
            std::memset(bytes.data() + written_lo, 0, written_hi - written_lo);
        written_lo = kSize;
        written_hi = 0;
    }
    template <typename T>
    void set(uint64_t a, T v) { put(a, &v, sizeof v); }
    static bool inside(uint64_t a, size_t n) { return a >= kBase && n <= kSize && a - kBase <= kSize - n; }

    std::vector<uint8_t> bytes = std::vector<uint8_t>(kSize, 0);
    uint64_t writes = 0;

private:
    void copy_in(uint64_t a, const void* s, size_t n)
    {
        std::memcpy(bytes.data() + (a - kBase), s, n);
        written_lo = std::min<size_t>(written_lo, a - kBase);
        written_hi = std::max<size_t>(written_hi, a - kBase + n);
    }
    size_t written_lo = kSize, written_hi = 0;
};

class Services final : public npu3::DeviceServices {
public:
    unsigned enabled_vfs() const override { return 1; }
    unsigned total_vfs() const override { return 1; }
    std::span<uint8_t> sram(npu3::FunctionIndex) override { return sram_; }
    uint32_t mbox_reg(npu3::FunctionIndex, uint32_t) const override { return 0; }
    void set_mbox_reg(npu3::FunctionIndex, uint32_t, uint32_t) override {}
    pcie::DmaSpace& dma(npu3::FunctionIndex fn) override { return fn == 1 ? vf0 : other; }
    void raise_msix(npu3::FunctionIndex, unsigned) override { ++interrupts; }
    unsigned msix_vectors(npu3::FunctionIndex) const override { return 8; }
    aie::Array& array() override { return arr; }
    void defer(std::function<void()> work) override { deferred.push_back(std::move(work)); }
    void trace(npu3::FunctionIndex, const std::string&) override {}

    // Runs deferred work until none is left; CERT schedules one turn per packet (bounded).
    void drain()
    {
        for (unsigned n = 0; !deferred.empty(); ++n) {
            if (n > 100000)
                broken("CERT keeps deferring work after 100000 turns");
            auto w = std::move(deferred.front());
            deferred.pop_front();
            w();
        }
    }

    aie::Array arr;
    Memory vf0, other;   // `other`: any other function's memory, never written by this context
    std::vector<uint8_t> sram_ = std::vector<uint8_t>(4096, 0);
    std::deque<std::function<void()>> deferred;
    uint64_t interrupts = 0;
};

std::unique_ptr<Services> g_dev;
uint64_t g_inputs = 0, g_packets = 0, g_completed = 0, g_errors = 0, g_queue_failures = 0;
uint32_t g_next_context = 1;

uint8_t byte_at(const uint8_t* d, size_t size, size_t i) { return i < size ? d[i] : 0; }

// Slot `seq` of the queue from packet record `p`.
void write_packet(Memory& m, uint64_t slots, uint64_t seq, uint32_t capacity, const uint8_t* p)
{
    std::vector<uint8_t> s(umq::kSlotBytes, 0);
    s[umq::kSlotTypeOffset] = p[0];
    s[umq::kSlotOpcodeOffset] = p[1];
    s[umq::kSlotChainFlagOffset] = p[2];
    s[umq::kSlotDistributeOffset] = p[3];
    s[umq::kSlotIndirectOffset] = p[4];
    std::memcpy(s.data() + umq::kSlotCountOffset, p + 6, 2);
    std::memcpy(s.data() + umq::kSlotDataOffset, p + 8, 16);
    const uint8_t fix = p[5];
    const uint64_t cmd = kCmds + (seq % 32) * 0x100;
    if (fix & 1) {
        const uint64_t code = kCode + uint64_t{p[8 + 4] & 7u} * fw::cert::kPageSize;
        const uint32_t lo = static_cast<uint32_t>(code), hi = static_cast<uint32_t>(code >> 32);
        std::memcpy(s.data() + umq::kSlotDataOffset + umq::kExecCodeLowOffset, &lo, 4);
        std::memcpy(s.data() + umq::kSlotDataOffset + umq::kExecCodeHighOffset, &hi, 4);
    }
    if (fix & 2) {
        std::memcpy(s.data() + umq::kSlotCompletionOffset, &cmd, 8);
        m.set<uint32_t>(cmd, 1u | (5u << 12) | (18u << 23));   // ERT_START_DPU, state NEW
    } else {
        std::memcpy(s.data() + umq::kSlotCompletionOffset, p + 8, 8);
    }
    if (fix & 4) {
        // Entry k: host_indirect_data k, exec_buf running page k on uC k.
        for (unsigned k = 0; k < 2; ++k) {
            const uint64_t data = kIndirect + (seq % 16) * 0x200 + k * 0x100;
            std::vector<uint8_t> d(umq::kIndirectDataBytes, 0);
            d[umq::kSlotOpcodeOffset] = umq::kOpcodeExecBuf;
            const uint16_t count = umq::kExecBufBytes;
            std::memcpy(d.data() + umq::kSlotCountOffset, &count, 2);
            d[umq::kSlotDistributeOffset] = 1;
            const uint64_t code = kCode + uint64_t{k} * fw::cert::kPageSize * 2;
            const uint32_t lo = static_cast<uint32_t>(code), hi = static_cast<uint32_t>(code >> 32);
            std::memcpy(d.data() + umq::kIndirectDataHeaderBytes + umq::kExecCodeLowOffset, &lo, 4);
            std::memcpy(d.data() + umq::kIndirectDataHeaderBytes + umq::kExecCodeHighOffset, &hi, 4);
            m.put(data, d.data(), d.size());
            const uint32_t elo = static_cast<uint32_t>(data);
            const uint32_t ehi = static_cast<uint32_t>(data >> 32) | (k << umq::kIndirectUcShift);
            std::memcpy(s.data() + umq::kSlotDataOffset + 8 * k, &elo, 4);
            std::memcpy(s.data() + umq::kSlotDataOffset + 8 * k + 4, &ehi, 4);
        }
    }
    m.put(slots + (seq & (capacity - 1)) * umq::kSlotBytes, s.data(), s.size());
}

} // namespace

const char* fuzz_name() { return "cert"; }

void fuzz_init()
{
    aie4emu::pcie::set_log_sink([](std::string_view, std::string_view) {});
    aie4emu::log::set_sink([](std::string_view) {});
    g_dev = std::make_unique<Services>();
}

void fuzz_one(const uint8_t* data, size_t size)
{
    Services& dev = *g_dev;
    Memory& m = dev.vf0;
    m.clear();
    const uint8_t q = byte_at(data, size, 0);
    const unsigned packets = byte_at(data, size, 1);

    fw::cert::CertConfig cfg;
    cfg.umq_mirror = (q & 2) == 0;
    cfg.fail_context_on_packet_error = (q & 4) != 0;
    cfg.default_share = 1 + (byte_at(data, size, 3) & 3);   // packets a function may start per turn
    cfg.limits.max_cycles = 2'000'000;   // a hostile job times out quickly (CERT's own limit)
    cfg.partition_columns = [](const fw::HwContext&) { return fw::cert::ColumnRange{0, kColumns}; };
    auto cert = std::make_unique<fw::cert::Cert>(cfg);
    cert->bind(dev);

    // Queue header: well formed unless bit 3 hands the fields to the input.
    const auto& layout = (q & 1) ? umq::kKernelLayout : umq::kXrtV1Layout;
    uint32_t capacity = 32;
    uint32_t version = layout.major;
    if (q & 8) {
        capacity = 1u << (byte_at(data, size, 2) % 20);
        version = 0;
        for (unsigned i = 0; i < 4; ++i)
            version |= uint32_t{byte_at(data, size, 4 + i)} << (8 * i);
    }
    m.set<uint32_t>(kQueue + umq::kVersionMajorOffset, version);
    m.set<uint32_t>(kQueue + umq::kCapacityOffset, capacity);
    const uint64_t slots = kQueue + layout.size;
    m.set<uint64_t>(kQueue + layout.data_address_offset, slots);
    m.set<uint64_t>(kQueue + layout.write_index_offset, packets);

    size_t pos = 8;
    for (unsigned k = 0; k < packets && pos + kPacketBytes <= size; ++k, pos += kPacketBytes)
        write_packet(m, slots, k, capacity, data + pos);
    for (unsigned page = 0; page < kMaxPages && pos + 2 <= size; ++page) {
        const size_t len = std::min<size_t>({size_t{data[pos]} | size_t{data[pos + 1]} << 8, size - pos - 2,
                                             fw::cert::kPageSize});
        m.put(kCode + uint64_t{page} * fw::cert::kPageSize, data + pos + 2, len);
        pos += 2 + len;
    }

    fw::HwContext ctx;
    ctx.fn = 1;
    ctx.id = g_next_context++;
    ctx.partition_id = 1;
    ctx.num_tiles = 12;
    ctx.hsa_addr = kQueue;
    ctx.msix_vector = 1;
    cert->on_doorbell(ctx, 0, 0);
    dev.drain();
    cert->on_doorbell(ctx, 0, 0);   // a second ring with nothing new must be harmless
    dev.drain();
    if (auto st = cert->context_stats(1, ctx.id)) {
        g_completed += st->completed;
        g_errors += st->errors;
        g_queue_failures += st->failed ? 1 : 0;
    }
    g_packets += cert->counters().get("cert.commands");

    cert->on_context_destroyed(ctx);
    const uint64_t writes = m.writes, irqs = dev.interrupts;
    dev.drain();
    (void)dev.arr.run_until_idle(100'000);
    dev.drain();
    if (m.writes != writes || dev.interrupts != irqs)
        broken("CERT or the array touched guest memory or raised an interrupt after the context was destroyed");
    if (dev.other.writes != 0)
        broken("a write reached another function's memory");
    cert.reset();   // its destroy reset the partition's columns: the next input finds them as new
    dev.arr.clear_errors();
    ++g_inputs;
}

std::vector<uint8_t> fuzz_random_input(std::mt19937& rng)
{
    // A well-formed queue with a few packets, mostly EXEC_BUFs at pages of random ops.
    std::vector<uint8_t> in(8, 0);
    in[0] = static_cast<uint8_t>(rng() % 16 < 12 ? rng() % 2 : rng());
    const unsigned packets = 1 + rng() % 4;
    in[1] = static_cast<uint8_t>(packets);
    in[2] = static_cast<uint8_t>(rng() % 8);
    in[3] = static_cast<uint8_t>(rng() % 4);
    for (unsigned k = 0; k < packets; ++k) {
        uint8_t p[kPacketBytes]{};
        p[0] = rng() % 8 == 0 ? static_cast<uint8_t>(rng()) : 0;
        p[1] = static_cast<uint8_t>(rng() % 6 == 0 ? rng() % 5 : 1);
        p[2] = static_cast<uint8_t>(rng() % 4 == 0);
        p[4] = static_cast<uint8_t>(rng() % 6 == 0);
        p[3] = p[4];
        p[5] = static_cast<uint8_t>(rng() % 5 == 0 ? rng() : (p[4] ? 7 : 3));
        const uint16_t count = p[4] ? 16 : static_cast<uint16_t>(rng() % 8 == 0 ? rng() % 64 : umq::kExecBufBytes);
        std::memcpy(p + 6, &count, 2);
        for (unsigned i = 8; i < kPacketBytes; ++i)
            p[i] = static_cast<uint8_t>(rng() % 4 == 0 ? rng() : 0);
        in.insert(in.end(), p, p + kPacketBytes);
    }
    const unsigned pages = 1 + rng() % 3;
    for (unsigned page = 0; page < pages; ++page) {
        const uint16_t len = static_cast<uint16_t>(16 + 4 * (rng() % 48));
        in.push_back(static_cast<uint8_t>(len));
        in.push_back(static_cast<uint8_t>(len >> 8));
        std::vector<uint8_t> body(len, 0);
        // Page header: marker, index, used length, next length 0; then words of small opcodes.
        body[0] = body[1] = 0xFF;
        body[2] = static_cast<uint8_t>(page);
        body[8] = static_cast<uint8_t>(len);
        body[9] = static_cast<uint8_t>(len >> 8);
        for (size_t i = 16; i < len; ++i)
            body[i] = static_cast<uint8_t>(i % 4 == 0 ? rng() % 32 : (rng() % 3 == 0 ? rng() : 0));
        in.insert(in.end(), body.begin(), body.end());
    }
    return in;
}

std::string fuzz_summary()
{
    return std::to_string(g_inputs) + " inputs, " + std::to_string(g_packets) + " packets retired (" +
           std::to_string(g_completed) + " completed, " + std::to_string(g_errors) + " errors), " +
           std::to_string(g_queue_failures) + " queues failed; nothing written after a destroy";
}

#include "tests/fuzz/fuzz_main.hpp"
