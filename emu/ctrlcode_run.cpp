// aie4-ctrlcode-run: runs control-code ELFs (aiebu-asm -t aie4 output) through CERT's
// executor and the tile array, with host buffers for their arguments, and reports per
// program what happened: operations executed, BD and register writes and whether each landed
// in a modelled block, DMA bytes moved against the BD lengths, where it stopped and why.
// `./aie4 ctrlcode run FILE.asm|FILE.elf|DIR` assembles and calls it (scripts/lib/ctrlcode.sh).
//
// Arguments: argument k of a program is a host buffer at kArgBase * (k + 1); the control
// code's relocations are patched as XRT does (patch57_aie4). Host memory is sparse and
// capped (--host-mib): pages appear when first written, read as zero before.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "firmware-stub/cert/control_code.hpp"
#include "firmware-stub/cert/executor.hpp"
#include "guest-driver/lib/ctrlcode_elf.hpp"
#include "hw/aie/array.hpp"
#include "hw/aie/register_map.hpp"
#include "hw/pcie/function.hpp"

namespace {

using namespace aie4emu;

constexpr uint64_t kCodeBase = 0x10'0000'0000ull;   // uC u's pages at kCodeBase + u * kCodeStride
constexpr uint64_t kCodeStride = 0x100'0000ull;
constexpr uint64_t kArgBase = 0x1'0000'0000ull;     // argument k at kArgBase * (k + 1)
constexpr uint64_t kPage = 4096;

// Sparse host memory: both the shim DMAs' view (HostMemory) and CERT's control-code fetches
// (DmaSpace). Pages appear on first write; at most `cap` bytes of them.
class SparseMemory final : public aie::HostMemory, public pcie::DmaSpace {
public:
    explicit SparseMemory(uint64_t cap) : cap_(cap) {}
    bool read(uint64_t a, void* out, size_t n) override
    {
        auto* o = static_cast<uint8_t*>(out);
        while (n > 0) {
            const uint64_t off = a % kPage;
            const size_t k = std::min<uint64_t>(n, kPage - off);
            const auto it = pages_.find(a / kPage);
            if (it == pages_.end())
                std::fill(o, o + k, 0);
            else
                std::copy_n(it->second.data() + off, k, o);
            a += k;
            o += k;
            n -= k;
        }
        return true;
    }
    bool write(uint64_t a, const void* in, size_t n) override
    {
        const auto* i = static_cast<const uint8_t*>(in);
        while (n > 0) {
            const uint64_t off = a % kPage;
            const size_t k = std::min<uint64_t>(n, kPage - off);
            auto it = pages_.find(a / kPage);
            if (it == pages_.end()) {
                if ((pages_.size() + 1) * kPage > cap_) {
                    capped_ = true;
                    return false;   // the shim reports a DMA fault
                }
                it = pages_.emplace(a / kPage, std::vector<uint8_t>(kPage, 0)).first;
            }
            std::copy_n(i, k, it->second.data() + off);
            a += k;
            i += k;
            n -= k;
        }
        return true;
    }
    [[nodiscard]] bool capped() const { return capped_; }

private:
    uint64_t cap_;
    bool capped_ = false;
    std::map<uint64_t, std::vector<uint8_t>> pages_;
};

struct Options {
    uint16_t columns = 3;
    uint64_t max_cycles = 100'000'000;
    uint64_t host_bytes = 512ull << 20;
    std::vector<std::string> files;
};

struct Report {
    std::string name;
    bool completed = false;
    std::string stop;   // why it stopped (empty: completed)
    uint64_t ops = 0, pages = 0, uc_dma_words = 0, polls_met = 0, polls_pending = 0;
    std::string op_counts;
    uint64_t writes[4] = {};
    struct Region {
        uint64_t writes = 0;
        const char* what = "";
    };
    std::map<uint64_t, Region> off_model;   // 4 KiB regions written outside modelled blocks (first 32)
    uint64_t dma_bytes = 0, bd_words_mm2s = 0, bd_words_s2mm = 0, bds = 0;
    uint64_t cycles = 0;
    uint64_t route_writes = 0;   // modelled writes to stream-switch master/slave registers
    std::vector<std::pair<uint16_t, uint16_t>> cores_awaited;
    std::vector<std::string> array_errors;
};

std::vector<uint8_t> read_file(const std::string& path, std::string& error)
{
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        error = "cannot open";
        return {};
    }
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

Report run_one(const Options& opt, const std::string& path)
{
    Report r;
    r.name = path;
    std::string err;
    const auto bytes = read_file(path, err);
    if (!err.empty()) {
        r.stop = "input: " + err;
        return r;
    }
    auto parsed = guest::parse_ctrlcode_elf(bytes);
    if (!parsed.elf) {
        r.stop = "ELF: " + parsed.error;
        return r;
    }
    auto& elf = *parsed.elf;
    aie::Geometry geo;
    geo.columns = std::max<uint16_t>(opt.columns, 1);
    aie::Array array(geo);
    SparseMemory mem(opt.host_bytes);
    array.attach_host_memory(0, geo.columns, &mem);
    // Stream-switch master and slave registers of every tile in the partition: a program that
    // writes none of them has set no route (AIE4's routes normally come from the PDI).
    std::vector<std::pair<uint64_t, uint64_t>> route_ranges;
    for (uint16_t col = 0; col < geo.columns; ++col)
        for (uint16_t row = 0; row < geo.rows(); ++row) {
            const auto& map = row == geo.shim_row                                  ? aie::regs::kShimMap
                              : row < geo.core_row_start                           ? aie::regs::kMemMap
                                                                                   : aie::regs::kCoreMap;
            const uint64_t lo = array.tile_address(col, row, map.ss_master);
            route_ranges.emplace_back(lo, lo + 2 * (map.ss_slave - map.ss_master));
        }
    array.set_write_observer([&](uint64_t addr, uint32_t, aie::WriteClass c) {
        ++r.writes[static_cast<unsigned>(c)];
        if (c == aie::WriteClass::modelled)
            for (const auto& [lo, hi] : route_ranges)
                if (addr >= lo && addr < hi) {
                    ++r.route_writes;
                    break;
                }
        if (c == aie::WriteClass::unknown || c == aie::WriteClass::stored_no_behaviour) {
            const uint64_t region = addr & ~uint64_t{0xFFF};
            auto it = r.off_model.find(region);
            if (it == r.off_model.end() && r.off_model.size() < 32)
                it = r.off_model.emplace(region, Report::Region{0, aie::write_class_name(c)}).first;
            if (it != r.off_model.end())
                ++it->second.writes;
        }
    });

    std::vector<fw::cert::UcProgram> programs;
    for (auto& uc : elf.ucs) {
        std::vector<uint32_t> args;
        for (const auto& rel : elf.relocs)
            if (rel.uc == uc.uc && rel.arg_index && std::find(args.begin(), args.end(), *rel.arg_index) == args.end())
                args.push_back(*rel.arg_index);
        for (uint32_t a : args) {
            if (guest::patch_argument(uc, elf.relocs, a, kArgBase * (uint64_t{a} + 1),
                                      array.costs().shim_host_address_offset) < 0) {
                r.stop = fmt::format("uC {}: argument {} relocation cannot be applied", uc.uc, a);
                return r;
            }
        }
        const uint64_t code = kCodeBase + uint64_t{uc.uc} * kCodeStride;
        if (uc.image.size() > kCodeStride || !mem.write(code, uc.image.data(), uc.image.size())) {
            r.stop = fmt::format("uC {}: control code of {} bytes does not fit", uc.uc, uc.image.size());
            return r;
        }
        programs.push_back(fw::cert::UcProgram{uc.uc, code});
    }
    if (programs.empty()) {
        r.stop = "no uC control code in the ELF";
        return r;
    }
    fw::cert::ExecEnv env{array, mem, fw::cert::ColumnRange{0, geo.columns}, {}, {}, 0, "run"};
    env.limits.max_cycles = opt.max_cycles;
    const auto res = fw::cert::execute(env, programs);
    r.completed = res.ok();
    r.stop = res.error;
    if (!r.completed && r.route_writes == 0 && r.stop.find("bad_route") != std::string::npos)
        r.stop += " (this program set no stream-switch route: AIE4's routes come from the PDI, which this run "
                  "does not load)";
    if (!r.completed && mem.capped())
        r.stop += fmt::format(" (host memory cap of {} MiB reached: --host-mib)", opt.host_bytes >> 20);
    r.ops = res.ops;
    r.polls_met = res.polls_met;
    r.polls_pending = res.polls_pending;
    for (unsigned code = 0; code < res.op_counts.size(); ++code)
        if (res.op_counts[code] != 0)
            r.op_counts += fmt::format("{}{} {}", r.op_counts.empty() ? "" : ", ",
                                       fw::cert::opcode_name(static_cast<fw::cert::Opcode>(code)), res.op_counts[code]);
    r.pages = res.pages;
    r.uc_dma_words = res.uc_dma_words;
    r.cycles = res.end_cycle - res.start_cycle;
    r.dma_bytes = array.counters().value("dma.bytes");
    r.bd_words_mm2s = array.counters().value("dma.bd_words.mm2s");
    r.bd_words_s2mm = array.counters().value("dma.bd_words.s2mm");
    r.bds = array.counters().value("dma.bds");
    r.cores_awaited = array.cores_awaited();
    for (const auto& e : array.errors())
        if (r.array_errors.size() < 8)
            r.array_errors.push_back(fmt::format("{} tile({},{}): {}", aie::error_kind_name(e.kind), e.col, e.row,
                                                 e.message));
    return r;
}

void print(const Report& r)
{
    using aie::WriteClass;
    auto w = [&](WriteClass c) { return r.writes[static_cast<unsigned>(c)]; };
    fmt::print("program {}\n", r.name);
    fmt::print("  result      {}\n", r.completed ? "completed" : "stopped: " + r.stop);
    fmt::print("  executed    {} operations, {} pages, {} UC-DMA words, {} cycles\n", r.ops, r.pages,
               r.uc_dma_words, r.cycles);
    if (!r.op_counts.empty())
        fmt::print("  opcodes     {}\n", r.op_counts);
    fmt::print("  polls       {} met, {} still waiting when it stopped\n", r.polls_met, r.polls_pending);
    fmt::print("  writes      {} BD words, {} modelled registers, {} stored without behaviour, {} to unknown "
               "addresses\n",
               w(WriteClass::bd), w(WriteClass::modelled), w(WriteClass::stored_no_behaviour), w(WriteClass::unknown));
    for (const auto& [a, reg] : r.off_model)
        fmt::print("    {:#010x}..{:#010x} {} writes, {}\n", a, a + 0xFFF, reg.writes, reg.what);
    fmt::print("  routes      {} stream-switch register writes\n", r.route_writes);
    fmt::print("  dma         {} BDs started; {} bytes moved; BD lengths name {} bytes on MM2S, {} on S2MM\n", r.bds,
               r.dma_bytes, r.bd_words_mm2s * 4, r.bd_words_s2mm * 4);
    for (const auto& e : r.array_errors)
        fmt::print("  array error {}\n", e);
}

} // namespace

int main(int argc, char** argv)
{
    Options opt;
    uint64_t host_mib = opt.host_bytes >> 20;
    CLI::App app{"Runs control-code ELFs (aiebu-asm -t aie4 output) through CERT and the AIE4 array and "
                 "reports per program (./aie4 ctrlcode run assembles and calls it).",
                 "aie4-ctrlcode-run"};
    aie4emu::cli::configure(app, "usage: aie4-ctrlcode-run [--columns N] [--max-cycles N] [--host-mib N] FILE.elf...");
    aie4emu::cli::add_number<uint16_t>(app, "--columns", opt.columns, 1, 12, "partition columns (default 3)");
    aie4emu::cli::add_number<uint64_t>(app, "--max-cycles", opt.max_cycles, 1, ~0ull >> 8,
                                       "simulated cycles per program before it times out (default 100000000)");
    aie4emu::cli::add_number<uint64_t>(app, "--host-mib", host_mib, 1, 8192,
                                       "host memory the arguments may take, MiB (default 512)");
    app.add_option("files", opt.files, "control-code ELFs")->required()->type_name("FILE.elf");
    if (auto rc = aie4emu::cli::run(app, argc, argv))
        return *rc;
    opt.host_bytes = host_mib << 20;

    unsigned completed = 0;
    for (const auto& f : opt.files) {
        const Report r = run_one(opt, f);
        print(r);
        completed += r.completed ? 1 : 0;
    }
    fmt::print("summary: {} programs, {} completed, {} stopped\n", opt.files.size(), completed,
               opt.files.size() - completed);
    return completed == opt.files.size() ? 0 : 1;
}
