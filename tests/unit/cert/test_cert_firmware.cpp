// CERT wired into the real Firmware the way the device process does it: the firmware's
// context table feeds the doorbells, CERT's failures show in that table, destroy goes through
// the firmware's VfResources.
#include <catch2/catch_test_macros.hpp>

#include "firmware-stub/firmware.hpp"
#include "tests/unit/cert/cert_rig.hpp"

using namespace certtest;
using namespace aie4emu;

namespace {

// The firmware with CERT as its command processor, bound to the fake device, two VFs enabled:
// the start of every test here.
struct TwoVfFirmware {
    Services dev;
    fw::cert::Cert* cert_ptr = nullptr;
    fw::Firmware firmware;
    TwoVfFirmware() : firmware(fw::FirmwareConfig{}, make_cert(cert_ptr))
    {
        firmware.bind(dev);
        REQUIRE(firmware.set_vf_count(2) == 0);
    }
    fw::cert::Cert& cert() { return *cert_ptr; }

private:
    static std::unique_ptr<fw::cert::Cert> make_cert(fw::cert::Cert*& out)
    {
        auto owned = std::make_unique<fw::cert::Cert>(fw::cert::CertConfig{});
        out = owned.get();
        return owned;
    }
};

} // namespace

TEST_CASE("cert: as the Firmware's command processor, a VF context runs the copy workload", "[cert]")
{
    TwoVfFirmware rig;
    Services& dev = rig.dev;
    fw::cert::Cert& cert = rig.cert();
    fw::Firmware& firmware = rig.firmware;
    fw::VfResources* vf = firmware.vf(1);   // function 2
    REQUIRE(vf != nullptr);
    uint32_t next_partition = 1;
    const auto part = vf->create_partition(0, 3, next_partition);
    REQUIRE(part.status == fw::msg::Status::success);

    // The queue and buffers, laid out by the "guest" (XRT v1.0 queue).
    const Region r = Region::of(0);
    GuestMemory& m = *dev.mem.at(2);
    std::vector<uint8_t> zero(0x2080, 0);
    m.put(r.queue, zero);
    m.set<uint16_t>(r.queue + umq::kVersionMajorOffset, 1);
    m.set<uint32_t>(r.queue + umq::kCapacityOffset, 32);
    m.set<uint64_t>(r.queue + umq::kXrtV1Layout.data_address_offset, r.queue + 0x80);
    std::vector<uint8_t> input(4096);
    for (size_t i = 0; i < input.size(); ++i)
        input[i] = static_cast<uint8_t>(i * 7 + (i >> 10));
    m.put(r.arg(0), input);
    m.put(r.code, load_program("ctrlcode/copy", {r.arg(0), r.arg(1)}));

    const fw::msg::CreateHwContextReq req{part.value, 12, static_cast<uint32_t>(r.queue >> 32),
                                          static_cast<uint32_t>(r.queue), 0x800FFFFF, 0};
    const auto created = vf->create_context(req, dev.msix_vectors(2));
    REQUIRE(created.status == fw::msg::Status::success);
    fw::HwContext* ctx = vf->context(created.value);
    REQUIRE(ctx != nullptr);

    // One EXEC_BUF packet in slot 0, then the doorbell through the firmware.
    std::vector<uint8_t> slot(64, 0);
    slot[umq::kSlotOpcodeOffset] = umq::kOpcodeExecBuf;
    slot[umq::kSlotCountOffset] = umq::kExecBufBytes;
    const uint64_t cmd = r.cmd(0);
    std::memcpy(slot.data() + umq::kSlotCompletionOffset, &cmd, 8);
    const uint32_t code_lo = static_cast<uint32_t>(r.code);
    std::memcpy(slot.data() + umq::kSlotDataOffset + umq::kExecCodeLowOffset, &code_lo, 4);
    m.put(r.queue + 0x80, slot);
    m.set<uint32_t>(cmd, kStartDpuHeader);
    m.set<uint64_t>(r.queue + umq::kXrtV1Layout.write_index_offset, 1);
    firmware.doorbell(2, ctx->doorbell_page, 0, 0);
    dev.drain();

    CHECK(m.at<uint32_t>(cmd) == umq::kStateCompleted);
    CHECK(m.at<uint64_t>(r.queue) == 1);
    REQUIRE(!dev.log.empty());
    CHECK(dev.log.back().kind == Event::msix);
    CHECK(dev.log.back().vector == ctx->msix_vector);
    std::vector<uint8_t> out = m.get(r.arg(1), input.size());
    for (unsigned i = 0; i < 32; ++i)
        for (unsigned j = 0; j < 32; ++j)
            CHECK(std::memcmp(&out[(i * 32 + j) * 4], &input[(j * 32 + i) * 4], 4) == 0);
    // VF 1's slice is columns 3..5.
    uint32_t word = 0, want = 0;
    REQUIRE(dev.arr.read_tile_memory(3, 1, 0, &word, 4));
    std::memcpy(&want, input.data(), 4);
    CHECK(word == want);

    // A queue-level failure shows in the firmware's table; the firmware then stops calling CERT.
    m.set<uint16_t>(r.queue + umq::kVersionMajorOffset, 9);
    firmware.doorbell(2, ctx->doorbell_page, 0, 0);
    dev.drain();
    CHECK(ctx->state == fw::ContextState::failed);
    const uint64_t doorbells = cert.counters().value("cert.doorbells");
    firmware.doorbell(2, ctx->doorbell_page, 0, 0);
    CHECK(cert.counters().value("cert.doorbells") == doorbells);

    // DESTROY_HW_CONTEXT path: CERT forgets the context and releases the columns.
    const auto gone = vf->destroy_context(created.value, [&](const fw::HwContext& c) {
        firmware.command_processor().on_context_destroyed(c);
    });
    CHECK(gone.status == fw::msg::Status::success);
    CHECK_FALSE(cert.context_stats(2, created.value));
    // The function's totals outlive the context: the one command, completed, with its cycles.
    REQUIRE(cert.function_totals().count(2) == 1);
    const fw::cert::FunctionTotals totals = cert.function_totals().at(2);
    CHECK(totals.commands == 1);
    CHECK(totals.completed == 1);
    CHECK(totals.errors + totals.aborted == 0);
    CHECK(totals.cycles > 0);
    CHECK(cert.function_totals().count(1) == 0);
    REQUIRE(dev.arr.read_tile_memory(3, 1, 0, &word, 4));
    CHECK(word == 0);
}

namespace {

// One VF context set up through the firmware, as the driver does it: a partition of three
// columns, a context on an XRT v1.0 queue in region 0 of the VF's memory.
struct VfJob {
    fw::HwContext* ctx = nullptr;
    Region r = Region::of(0);
    uint64_t wi = 0;
};

VfJob open_vf_context(fw::Firmware& firmware, Services& dev, unsigned vf)
{
    const unsigned fn = npu3::vf_index(vf);
    fw::VfResources* res = firmware.vf(vf);
    REQUIRE(res != nullptr);
    uint32_t next_partition = 1;
    const auto part = res->create_partition(0, 3, next_partition);
    REQUIRE(part.status == fw::msg::Status::success);
    VfJob job;
    GuestMemory& m = *dev.mem.at(fn);
    m.put(job.r.queue, std::vector<uint8_t>(0x2080, 0));
    m.set<uint16_t>(job.r.queue + umq::kVersionMajorOffset, 1);
    m.set<uint32_t>(job.r.queue + umq::kCapacityOffset, 32);
    m.set<uint64_t>(job.r.queue + umq::kXrtV1Layout.data_address_offset, job.r.queue + umq::kXrtV1Layout.size);
    const fw::msg::CreateHwContextReq req{part.value, 12, static_cast<uint32_t>(job.r.queue >> 32),
                                          static_cast<uint32_t>(job.r.queue), 0x800FFFFF, 0};
    const auto created = res->create_context(req, dev.msix_vectors(fn));
    REQUIRE(created.status == fw::msg::Status::success);
    job.ctx = res->context(created.value);
    REQUIRE(job.ctx != nullptr);
    return job;
}

// Queues the GEMM (C = A x B, 64x64) as command `cmd` of `job` and rings its doorbell.
void submit_gemm(fw::Firmware& firmware, Services& dev, VfJob& job, unsigned cmd)
{
    const unsigned fn = job.ctx->fn;
    GuestMemory& m = *dev.mem.at(fn);
    const uint64_t pa = job.r.arg(0), pb = job.r.arg(1), pc = job.r.arg(2);
    m.put(pa, load_file("ctrlcode/gemm.in0.bin"));
    m.put(pb, load_file("ctrlcode/gemm.in1.bin"));
    m.put(pc, std::vector<uint8_t>(64 * 64 * 4, 0xEE));
    m.put(job.r.code, load_program("ctrlcode/gemm", {pa, pb, pc}));
    std::vector<uint8_t> slot(64, 0);
    slot[umq::kSlotOpcodeOffset] = umq::kOpcodeExecBuf;
    slot[umq::kSlotCountOffset] = umq::kExecBufBytes;
    const uint64_t completion = job.r.cmd(cmd);
    std::memcpy(slot.data() + umq::kSlotCompletionOffset, &completion, 8);
    const uint32_t lo = static_cast<uint32_t>(job.r.code), hi = static_cast<uint32_t>(job.r.code >> 32);
    std::memcpy(slot.data() + umq::kSlotDataOffset + umq::kExecCodeLowOffset, &lo, 4);
    std::memcpy(slot.data() + umq::kSlotDataOffset + umq::kExecCodeHighOffset, &hi, 4);
    m.put(job.r.queue + umq::kXrtV1Layout.size + 64 * (job.wi & 31), slot);
    m.set<uint32_t>(completion, kStartDpuHeader);
    m.set<uint64_t>(job.r.queue + umq::kXrtV1Layout.write_index_offset, ++job.wi);
    firmware.doorbell(fn, job.ctx->doorbell_page, 0, 0);
}

} // namespace

TEST_CASE("cert: FLR of a VF mid-command aborts only that VF's commands; another VF's completes unchanged", "[cert]")
{
    // VF 1's GEMM alone: its normal cycle count.
    sim::Cycle alone = 0;
    {
        TwoVfFirmware rig;
        Services& dev = rig.dev;
        fw::cert::Cert& cert = rig.cert();
        fw::Firmware& firmware = rig.firmware;
        VfJob b = open_vf_context(firmware, dev, 1);
        submit_gemm(firmware, dev, b, 0);
        dev.drain();
        REQUIRE(dev.mem.at(2)->at<uint32_t>(b.r.cmd(0)) == umq::kStateCompleted);
        alone = cert.history().back().cycles();
    }
    REQUIRE(alone > fw::cert::CertConfig{}.slice_cycles);   // else nothing is mid-command

    TwoVfFirmware rig;
    Services& dev = rig.dev;
    fw::cert::Cert& cert = rig.cert();
    fw::Firmware& firmware = rig.firmware;
    VfJob a = open_vf_context(firmware, dev, 0);
    VfJob b = open_vf_context(firmware, dev, 1);
    submit_gemm(firmware, dev, a, 0);
    submit_gemm(firmware, dev, a, 1);   // queued behind the first: must not start after the reset
    submit_gemm(firmware, dev, b, 0);
    REQUIRE(dev.run_one());   // one turn: both GEMMs started, neither done
    GuestMemory& ma = *dev.mem.at(1);
    REQUIRE(ma.at<uint32_t>(a.r.cmd(0)) == kStartDpuHeader);
    REQUIRE(cert.executing_commands(1) == 1);
    REQUIRE(cert.executing_commands(2) == 1);

    dev.traces.clear();
    firmware.function_reset(npu3::vf_index(0));
    // The trace shows the job was still running when the reset arrived.
    REQUIRE(!dev.traces.empty());
    CHECK(dev.traces.front() == "1: flr: 1 commands executing");
    CHECK(cert.executing_commands(1) == 0);
    CHECK(cert.executing_commands(2) == 1);
    CHECK(firmware.vf(0)->contexts().empty());
    // Both of VF 0's commands complete ABORT; nothing else of VF 0 is written from now on.
    CHECK(ma.at<uint32_t>(a.r.cmd(0)) == umq::kStateAbort);
    CHECK(ma.at<uint32_t>(a.r.cmd(1)) == umq::kStateAbort);
    CHECK(cert.counters().value("cert.aborted_running") == 1);
    const auto vf0_after_reset = ma.get(a.r.queue, a.r.arg(3) - a.r.queue);
    const size_t vf0_msix = dev.msix_count(1);
    const size_t vf0_records = [&] {
        size_t n = 0;
        for (const auto& rec : cert.history())
            n += rec.fn == 1;
        return n;
    }();

    dev.drain();
    CHECK(ma.get(a.r.queue, a.r.arg(3) - a.r.queue) == vf0_after_reset);
    CHECK(dev.msix_count(1) == vf0_msix);
    size_t vf0_records_end = 0;
    const fw::cert::CommandRecord* gemm_b = nullptr;
    for (const auto& rec : cert.history()) {
        vf0_records_end += rec.fn == 1;
        if (rec.fn == 2 && rec.seq == 0)
            gemm_b = &rec;
    }
    CHECK(vf0_records_end == vf0_records);
    // VF 1: completed, right result, the cycle count it has alone.
    GuestMemory& mb = *dev.mem.at(2);
    CHECK(mb.at<uint32_t>(b.r.cmd(0)) == umq::kStateCompleted);
    CHECK(mb.get(b.r.arg(2), 64 * 64 * 4) == load_file("ctrlcode/gemm.expected.bin"));
    REQUIRE(gemm_b != nullptr);
    CHECK(gemm_b->cycles() == alone);
}
