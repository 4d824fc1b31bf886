// Test rig for CERT: a fake DeviceServices with a real tile array, per-function guest memory
// (a vector) that logs every DMA write and MSI-X in order, and helpers that lay out a queue,
// packets and ERT command BOs the way XRT 2.25 does (docs/spec/queue-and-cert.md §4).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/number.hpp"
#include "firmware-stub/cert/cert.hpp"
#include "firmware-stub/cert/queue_facts.hpp"
#include "hw/aie/array.hpp"
#include "hw/npu3/firmware_port.hpp"
#include "hw/npu3/npu3_regs.hpp"
#include "hw/pcie/function.hpp"

namespace certtest {

using namespace aie4emu;
namespace umq = aie4emu::fw::cert::umq;

inline std::vector<uint8_t> load_file(const std::string& rel)
{
    std::ifstream in(std::string(AIE4_SOURCE_ROOT) + "/tests/fixtures/" + rel, std::ios::binary);
    if (!in.good())
        throw std::runtime_error("missing fixture " + rel);
    return {std::istreambuf_iterator<char>(in), {}};
}

struct Event {
    enum Kind { write, msix } kind;
    unsigned fn;
    uint64_t addr;       // write: address
    size_t len;          // write: bytes
    unsigned vector;     // msix
};

class GuestMemory final : public pcie::DmaSpace {
public:
    GuestMemory(unsigned fn, uint64_t base, size_t size, std::vector<Event>& log)
        : fn_(fn), base_(base), bytes_(size, 0), log_(log)
    {
    }
    bool read(uint64_t addr, void* dst, size_t len) override
    {
        if (!inside(addr, len))
            return false;
        std::memcpy(dst, bytes_.data() + (addr - base_), len);
        return true;
    }
    bool write(uint64_t addr, const void* src, size_t len) override
    {
        if (!inside(addr, len))
            return false;
        std::memcpy(bytes_.data() + (addr - base_), src, len);
        log_.push_back(Event{Event::write, fn_, addr, len, 0});
        return true;
    }
    void put(uint64_t addr, const void* src, size_t len)
    {
        if (!inside(addr, len))
            throw std::out_of_range("GuestMemory::put");
        std::memcpy(bytes_.data() + (addr - base_), src, len);
    }
    void put(uint64_t addr, const std::vector<uint8_t>& v) { put(addr, v.data(), v.size()); }
    std::vector<uint8_t> get(uint64_t addr, size_t len) const
    {
        if (!inside(addr, len))
            throw std::out_of_range("GuestMemory::get");
        return {bytes_.begin() + static_cast<std::ptrdiff_t>(addr - base_),
                bytes_.begin() + static_cast<std::ptrdiff_t>(addr - base_ + len)};
    }
    template <typename T>
    T at(uint64_t addr) const
    {
        T v;
        const auto b = get(addr, sizeof v);
        std::memcpy(&v, b.data(), sizeof v);
        return v;
    }
    template <typename T>
    void set(uint64_t addr, T v)
    {
        put(addr, &v, sizeof v);
    }

private:
    bool inside(uint64_t addr, size_t len) const
    {
        return addr >= base_ && len <= bytes_.size() && addr - base_ <= bytes_.size() - len;
    }
    unsigned fn_;
    uint64_t base_;
    std::vector<uint8_t> bytes_;
    std::vector<Event>& log_;
};

inline constexpr uint64_t kGuestBase = 0x40000000;
inline constexpr size_t kGuestSize = 8u << 20;
inline constexpr unsigned kFunctions = 5;   // PF + 4 VFs

class Services final : public npu3::DeviceServices {
public:
    Services()
    {
        for (unsigned fn = 0; fn < kFunctions; ++fn) {
            mem.push_back(std::make_unique<GuestMemory>(fn, kGuestBase, kGuestSize, log));
            srams.emplace_back(fn == 0 ? npu3::regs::kSramBarSize : npu3::regs::kVfSramSize, uint8_t{0});
        }
    }
    unsigned enabled_vfs() const override { return kFunctions - 1; }
    unsigned total_vfs() const override { return kFunctions - 1; }
    std::span<uint8_t> sram(npu3::FunctionIndex fn) override { return srams.at(fn); }
    uint32_t mbox_reg(npu3::FunctionIndex, uint32_t) const override { return 0; }
    void set_mbox_reg(npu3::FunctionIndex, uint32_t, uint32_t) override {}
    pcie::DmaSpace& dma(npu3::FunctionIndex fn) override { return *mem.at(fn); }
    void raise_msix(npu3::FunctionIndex fn, unsigned vector) override
    {
        log.push_back(Event{Event::msix, fn, 0, 0, vector});
    }
    unsigned msix_vectors(npu3::FunctionIndex) const override { return 8; }
    aie::Array& array() override { return arr; }
    void defer(std::function<void()> work) override { deferred.push_back(std::move(work)); }
    void trace(npu3::FunctionIndex fn, const std::string& event) override
    {
        traces.push_back(std::to_string(fn) + ": " + event);
    }

    // Runs deferred work (and what it defers) until none is left.
    size_t drain()
    {
        size_t n = 0;
        while (!deferred.empty() && n < 1000000) {
            auto w = std::move(deferred.front());
            deferred.pop_front();
            w();
            ++n;
        }
        return n;
    }
    // Runs one piece of deferred work (one CERT turn); false if none was queued.
    bool run_one()
    {
        if (deferred.empty())
            return false;
        auto w = std::move(deferred.front());
        deferred.pop_front();
        w();
        return true;
    }
    size_t msix_count(unsigned fn) const
    {
        return static_cast<size_t>(std::count_if(log.begin(), log.end(), [&](const Event& e) {
            return e.kind == Event::msix && e.fn == fn;
        }));
    }

    aie::Array arr;
    std::vector<Event> log;
    std::vector<std::unique_ptr<GuestMemory>> mem;
    std::vector<std::vector<uint8_t>> srams;   // mailbox SRAM (the Firmware integration test)
    std::deque<std::function<void()>> deferred;
    std::vector<std::string> traces;
};

// XRT patch57_aie4 (docs/spec/queue-and-cert.md §8.3): BD word 0[24:0] += high, word 1 = low, + 0x80000000.
inline void patch57_aie4(std::vector<uint8_t>& image, size_t bd, uint64_t address)
{
    uint32_t w0, w1;
    std::memcpy(&w0, image.data() + bd, 4);
    std::memcpy(&w1, image.data() + bd + 4, 4);
    const uint64_t base = ((uint64_t{w0 & 0x1FFFFFF} << 32) | w1) + address + 0x80000000ull;
    w1 = static_cast<uint32_t>(base);
    w0 = (w0 & ~0x1FFFFFFu) | (static_cast<uint32_t>(base >> 32) & 0x1FFFFFF);
    std::memcpy(image.data() + bd, &w0, 4);
    std::memcpy(image.data() + bd + 4, &w1, 4);
}

// A control-code image (uC 0, pages back to back) with its argument relocations applied.
inline std::vector<uint8_t> load_program(const std::string& dir_name, const std::vector<uint64_t>& args)
{
    auto image = load_file(dir_name + ".uc0.bin");
    const auto rela_bytes = load_file(dir_name + ".rela.txt");
    std::istringstream rela(std::string(rela_bytes.begin(), rela_bytes.end()));
    std::string line;
    while (std::getline(rela, line)) {
        if (line.empty() || line[0] == '#')
            continue;
        std::istringstream f(line);
        unsigned uc = 0, page = 0, type = 0;
        std::string r_offset, image_offset, symbol;
        f >> uc >> page >> r_offset >> image_offset >> type >> symbol;
        const auto arg = aie4emu::cli::parse_number<size_t>(symbol);
        const auto offset = aie4emu::cli::parse_number<uint64_t>(image_offset);
        if (!arg || !offset)
            throw std::runtime_error("bad relocation line: " + line);
        if (*arg < args.size())
            patch57_aie4(image, *offset, args[*arg]);
    }
    return image;
}

// Per-context region of a function's memory.
struct Region {
    uint64_t queue, cmds, code, args;
    static Region of(unsigned k)
    {
        const uint64_t b = kGuestBase + uint64_t{k} * 0x100000;
        return Region{b, b + 0x4000, b + 0x10000, b + 0x40000};
    }
    uint64_t cmd(unsigned i) const { return cmds + uint64_t{i} * 0x100; }
    uint64_t arg(unsigned i) const { return args + uint64_t{i} * 0x10000; }
};

enum class Layout { xrt_v1, kernel };

inline constexpr uint32_t kErtNew = 1;
// ERT_START_DPU header word as XRT leaves it before submission: state NEW, opcode 18.
inline constexpr uint32_t kStartDpuHeader = kErtNew | (5u << 12) | (18u << 23);

struct Context {
    fw::HwContext hw;
    Region region;
    Layout layout = Layout::xrt_v1;
    uint64_t wi = 0;
};

class Rig {
public:
    explicit Rig(fw::cert::CertConfig cfg = {}) : cert(std::move(cfg)) { cert.bind(dev); }

    GuestMemory& mem(unsigned fn) { return *dev.mem.at(fn); }

    // Context `k` of function `fn` (region k of that function's memory), queue initialised as
    // XRT 2.25 (v1.0) or the kernel struct.
    Context make_context(unsigned fn, uint32_t id, unsigned k, Layout layout = Layout::xrt_v1, unsigned msix = 1)
    {
        Context c;
        c.hw.fn = fn;
        c.hw.id = id;
        c.hw.partition_id = 1;
        c.hw.num_tiles = 12;
        c.region = Region::of(k);
        c.hw.hsa_addr = c.region.queue;
        c.hw.msix_vector = msix;
        c.layout = layout;
        GuestMemory& m = mem(fn);
        std::vector<uint8_t> zero(0x2080, 0);
        m.put(c.region.queue, zero);
        const auto& l = layout == Layout::xrt_v1 ? umq::kXrtV1Layout : umq::kKernelLayout;
        m.set<uint16_t>(c.region.queue + umq::kVersionMajorOffset, l.major);
        m.set<uint32_t>(c.region.queue + umq::kCapacityOffset, 32);
        m.set<uint64_t>(c.region.queue + l.data_address_offset, c.region.queue + l.size);
        return c;
    }

    [[nodiscard]] uint64_t write_index_offset(const Context& c) const
    {
        return (c.layout == Layout::xrt_v1 ? umq::kXrtV1Layout : umq::kKernelLayout).write_index_offset;
    }
    [[nodiscard]] uint64_t slot_address(const Context& c, uint64_t seq) const
    {
        const auto& l = c.layout == Layout::xrt_v1 ? umq::kXrtV1Layout : umq::kKernelLayout;
        return c.region.queue + l.size + 64 * (seq & 31);
    }

    // Writes one packet like XRT's issue_single_exec_buf; returns its seq. `raw_opcode` replaces
    // EXEC_BUF; `data` (48 bytes) replaces the direct exec_buf payload.
    uint64_t submit(Context& c, uint64_t code, unsigned cmd_index, uint8_t chain = 0, uint8_t opcode = 1,
                    const std::vector<uint8_t>* indirect_entries = nullptr)
    {
        GuestMemory& m = mem(c.hw.fn);
        const uint64_t cmd = c.region.cmd(cmd_index);
        m.set<uint32_t>(cmd, kStartDpuHeader);
        const uint64_t slot = slot_address(c, c.wi);
        std::vector<uint8_t> s(64, 0);
        s[umq::kSlotOpcodeOffset] = opcode;
        s[umq::kSlotChainFlagOffset] = chain;
        uint16_t count = umq::kExecBufBytes;
        if (indirect_entries != nullptr) {
            count = static_cast<uint16_t>(indirect_entries->size());
            s[umq::kSlotDistributeOffset] = 1;
            s[umq::kSlotIndirectOffset] = 1;
            std::copy(indirect_entries->begin(), indirect_entries->end(), s.begin() + umq::kSlotDataOffset);
        } else {
            const uint32_t lo = static_cast<uint32_t>(code), hi = static_cast<uint32_t>(code >> 32);
            std::memcpy(s.data() + umq::kSlotDataOffset + umq::kExecCodeLowOffset, &lo, 4);
            std::memcpy(s.data() + umq::kSlotDataOffset + umq::kExecCodeHighOffset, &hi, 4);
        }
        std::memcpy(s.data() + umq::kSlotCountOffset, &count, 2);
        std::memcpy(s.data() + umq::kSlotCompletionOffset, &cmd, 8);
        m.put(slot, s);
        const uint64_t seq = c.wi++;
        m.set<uint64_t>(c.region.queue + write_index_offset(c), c.wi);
        return seq;
    }

    void ring(Context& c) { cert.on_doorbell(c.hw, 0, 0); }

    [[nodiscard]] uint32_t completion(const Context& c, unsigned cmd_index)
    {
        return mem(c.hw.fn).at<uint32_t>(c.region.cmd(cmd_index));
    }
    [[nodiscard]] uint64_t read_index(const Context& c) { return mem(c.hw.fn).at<uint64_t>(c.region.queue); }

    // The 7.3.4 kernel's view (aie4_cmd_wait): wi from +0x10, sanity check, then ri > seq.
    [[nodiscard]] bool kernel_sees_done(const Context& c, uint64_t seq)
    {
        uint64_t ri = read_index(c);
        const uint64_t wi = mem(c.hw.fn).at<uint64_t>(c.region.queue + umq::kKernelWriteIndexOffset);
        if (!(wi >= ri && wi - ri <= umq::kKernelMaxOutstanding))
            ri = 0;   // "Invalid index after retry"
        return ri > seq;
    }

    // Installs `image` at the context's code address (plus `offset`) and returns that address.
    uint64_t install(Context& c, const std::vector<uint8_t>& image, uint64_t offset = 0)
    {
        mem(c.hw.fn).put(c.region.code + offset, image);
        return c.region.code + offset;
    }

    Services dev;
    fw::cert::Cert cert;
};

// Indirect entry {u32 addr_low; u32 addr_high:25 | uc:7 << 25} and its host_indirect_data.
inline void add_indirect(Rig& rig, Context& c, std::vector<uint8_t>& entries, unsigned uc, uint64_t data_addr,
                         uint64_t code)
{
    std::vector<uint8_t> d(umq::kIndirectDataBytes, 0);
    d[umq::kSlotOpcodeOffset] = umq::kOpcodeExecBuf;
    const uint16_t count = umq::kExecBufBytes;
    std::memcpy(d.data() + umq::kSlotCountOffset, &count, 2);
    d[umq::kSlotDistributeOffset] = 1;
    const uint32_t lo = static_cast<uint32_t>(code), hi = static_cast<uint32_t>(code >> 32);
    std::memcpy(d.data() + umq::kIndirectDataHeaderBytes + umq::kExecCodeLowOffset, &lo, 4);
    std::memcpy(d.data() + umq::kIndirectDataHeaderBytes + umq::kExecCodeHighOffset, &hi, 4);
    rig.mem(c.hw.fn).put(data_addr, d);
    const uint32_t elo = static_cast<uint32_t>(data_addr);
    const uint32_t ehi = static_cast<uint32_t>(data_addr >> 32) | (uc << umq::kIndirectUcShift);
    entries.insert(entries.end(), reinterpret_cast<const uint8_t*>(&elo), reinterpret_cast<const uint8_t*>(&elo) + 4);
    entries.insert(entries.end(), reinterpret_cast<const uint8_t*>(&ehi), reinterpret_cast<const uint8_t*>(&ehi) + 4);
}

// Lays out the GEMM workload (C = A x B, 64x64 int8 -> int32; C prefilled with 0xEE so a command
// that never wrote it is seen) on `ctx` and queues it as command `cmd`; returns its sequence.
inline uint64_t submit_gemm(Rig& rig, Context& ctx, unsigned cmd)
{
    const uint64_t pa = ctx.region.arg(0), pb = ctx.region.arg(1), pc = ctx.region.arg(2);
    rig.mem(ctx.hw.fn).put(pa, load_file("ctrlcode/gemm.in0.bin"));
    rig.mem(ctx.hw.fn).put(pb, load_file("ctrlcode/gemm.in1.bin"));
    rig.mem(ctx.hw.fn).put(pc, std::vector<uint8_t>(64 * 64 * 4, 0xEE));
    const uint64_t code = rig.install(ctx, load_program("ctrlcode/gemm", {pa, pb, pc}));
    return rig.submit(ctx, code, cmd);
}

} // namespace certtest
