// Message handlers (docs/spec/driver-interface.md §5, §6): PF work buffer and VFs, VF tile
// info, partitions, hardware contexts, doorbells, resets.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <set>

#include "firmware-stub/mailbox_protocol.hpp"
#include "hw/aie/params.hpp"
#include "tests/unit/firmware/rig.hpp"

using namespace aie4emu;
using namespace aie4emu::fw;
using namespace aie4emu::fw::test;
namespace regs = aie4emu::npu3::regs;

namespace {

constexpr uint32_t st(msg::Status s) { return static_cast<uint32_t>(s); }

msg::CreateHwContextReq ctx_req(uint32_t partition, uint32_t tiles = 4, uint64_t hsa = 0x1'2345'6000ull,
                                uint32_t pasid = 0x800FFFFF)
{
    return {partition, tiles, static_cast<uint32_t>(hsa >> 32), static_cast<uint32_t>(hsa), pasid, 0x180};
}

struct VfRig {
    Rig r;
    std::unique_ptr<HostMailbox> pf;
    std::vector<std::unique_ptr<HostMailbox>> vf;
    explicit VfRig(unsigned vfs = 2, FirmwareConfig cfg = {}) : r(cfg)
    {
        r.boot();
        pf = r.open(npu3::kPf);
        const Response c = r.call(*pf, msg::Opcode::create_vfs, msg::CreateVfsReq{vfs});
        REQUIRE(c.status() == 0);
        for (unsigned v = 0; v < vfs; ++v)
            vf.push_back(r.open(npu3::vf_index(v)));
    }
    uint32_t partition(unsigned v, uint32_t start = 0, uint32_t count = 3)
    {
        const Response p = r.call(*vf[v], msg::Opcode::create_partition, msg::CreatePartitionReq{start, count});
        REQUIRE(p.status() == 0);
        return p.as<msg::CreatePartitionResp>().partition_id;
    }
};

} // namespace

TEST_CASE("ATTACH_WORK_BUFFER validates size and address; SUSPEND stops using it")
{
    Rig r;
    r.boot();
    auto pf = r.open(npu3::kPf);
    CHECK(r.call(*pf, msg::Opcode::attach_work_buffer, msg::AttachWorkBufferReq{0x400000, 0, 0x200000}).status() ==
          st(msg::Status::error));
    CHECK(r.call(*pf, msg::Opcode::attach_work_buffer, msg::AttachWorkBufferReq{0, 0, 0x400000}).status() ==
          st(msg::Status::error));
    CHECK(r.call(*pf, msg::Opcode::attach_work_buffer,
                 msg::AttachWorkBufferReq{~0ull - 0x1000, 0, 0x400000}).status() == st(msg::Status::error));
    CHECK_FALSE(r.fw.work_buffer().has_value());
    CHECK(r.call(*pf, msg::Opcode::attach_work_buffer, msg::AttachWorkBufferReq{0x400000, 0, 0x400000}).status() ==
          0);
    REQUIRE(r.fw.work_buffer().has_value());
    CHECK(r.fw.work_buffer()->size == 0x400000);
    const Response s = r.call(*pf, msg::Opcode::suspend, msg::SuspendReq{0});
    CHECK(s.status() == 0);
    CHECK(s.header.total_size == 4);
    CHECK_FALSE(r.fw.work_buffer().has_value());
    CHECK(r.fw.suspended());
}

TEST_CASE("CREATE_VFS brings VF mailboxes up, DESTROY_VFS takes them down")
{
    Rig r;
    r.boot();
    auto pf = r.open(npu3::kPf);
    CHECK(r.call(*pf, msg::Opcode::create_vfs, msg::CreateVfsReq{5}).status() == st(msg::Status::error));
    CHECK(r.call(*pf, msg::Opcode::create_vfs, msg::CreateVfsReq{0}).status() == st(msg::Status::error));
    CHECK(r.fw.vf_count() == 0);
    CHECK(r.call(*pf, msg::Opcode::create_vfs, msg::CreateVfsReq{3}).status() == 0);
    CHECK(r.fw.vf_count() == 3);
    for (unsigned v = 0; v < 4; ++v)
        CHECK(r.dev.sram32(npu3::vf_index(v), regs::kInfoValid) == (v < 3 ? 1u : 0u));
    // The host control plane takes the same path: same count is a no-op,
    // another count needs a disable first.
    CHECK(r.fw.set_vf_count(3) == 0);
    CHECK(r.fw.set_vf_count(2) == st(msg::Status::error));
    CHECK(r.call(*pf, msg::Opcode::create_vfs, msg::CreateVfsReq{1}).status() == st(msg::Status::error));
    CHECK(r.call(*pf, msg::Opcode::destroy_vfs, msg::DestroyVfsReq{0}).status() == 0);
    CHECK(r.fw.vf_count() == 0);
    for (unsigned v = 0; v < 4; ++v)
        CHECK(r.dev.sram32(npu3::vf_index(v), regs::kInfoValid) == 0);
    CHECK(r.call(*pf, msg::Opcode::destroy_vfs, msg::DestroyVfsReq{0}).status() == 0); // idempotent
}

TEST_CASE("VF count is limited by the array's column slices")
{
    FirmwareConfig cfg;
    cfg.geometry.columns = 6; // two 3-column slices
    Rig r(cfg, 4);
    CHECK(r.fw.set_vf_count(3) == st(msg::Status::error));
    CHECK(r.fw.set_vf_count(2) == 0);
}

TEST_CASE("AIE_TILE_INFO reports the geometry and hw/aie's resource table")
{
    VfRig v(1);
    const Response t = v.r.call(*v.vf[0], msg::Opcode::aie_tile_info, msg::TileInfoReq{0});
    REQUIRE(t.header.total_size == 48);
    CHECK(t.status() == 0);
    const auto info = t.as<msg::TileInfoResp>().info;
    const aie::Geometry g{};
    CHECK(info.size == aie::Geometry::column_size());
    CHECK(info.cols == 3);
    CHECK(info.rows == g.rows());
    CHECK(info.core_rows == g.core_rows);
    CHECK(info.mem_rows == g.mem_rows);
    CHECK(info.shim_rows == 1);
    CHECK(info.core_row_start == g.core_row_start);
    CHECK(info.mem_row_start == g.mem_row_start);
    CHECK(info.shim_row_start == g.shim_row);
    CHECK(info.core_dma_channels == aie::kCoreTile.s2mm_channels + aie::kCoreTile.mm2s_channels);
    CHECK(info.mem_dma_channels == aie::kMemTile.s2mm_channels + aie::kMemTile.mm2s_channels);
    CHECK(info.shim_dma_channels == aie::kShimTile.s2mm_channels + aie::kShimTile.mm2s_channels);
    CHECK(info.core_locks == aie::kCoreTile.locks);
    CHECK(info.mem_locks == aie::kMemTile.locks);
    CHECK(info.shim_locks == aie::kShimTile.locks);
    CHECK(info.resvd == 0);
    CHECK(info.major != 0);
}

TEST_CASE("partitions: non-zero unique ids, slice-relative columns, no overlap")
{
    VfRig v(2);
    SECTION("the driver's request: all three columns")
    {
        const uint32_t a = v.partition(0);
        const uint32_t b = v.partition(1);
        CHECK(a != 0);
        CHECK(b != 0);
        CHECK(a != b);
        CHECK(v.r.fw.vf(1)->partitions().at(0).col_start == 3);   // VF1's slice is [3, 6)
        CHECK(v.r.call(*v.vf[0], msg::Opcode::create_partition, msg::CreatePartitionReq{0, 3}).status() ==
              st(msg::Status::error));
        CHECK(v.r.call(*v.vf[0], msg::Opcode::create_partition, msg::CreatePartitionReq{2, 1}).status() ==
              st(msg::Status::error));
        // After destroy the columns are free again, and the new id differs.
        CHECK(v.r.call(*v.vf[0], msg::Opcode::destroy_partition, msg::DestroyPartitionReq{a}).status() == 0);
        const uint32_t c = v.partition(0);
        CHECK(c != a);
        CHECK(c != 0);
    }
    SECTION("single columns, out of range, empty")
    {
        std::set<uint32_t> ids;
        for (uint32_t col = 0; col < 3; ++col)
            ids.insert(v.partition(0, col, 1));
        CHECK(ids.size() == 3);
        CHECK(ids.count(0) == 0);
        for (auto [s, n] : {std::pair<uint32_t, uint32_t>{3, 1}, {1, 3}, {0, 0}, {0xFFFFFFFF, 2}, {1, 0xFFFFFFFF}})
            CHECK(v.r.call(*v.vf[1], msg::Opcode::create_partition, msg::CreatePartitionReq{s, n}).status() ==
                  st(msg::Status::error));
    }
    SECTION("destroying an unknown or another VF's partition")
    {
        const uint32_t a = v.partition(0);
        CHECK(v.r.call(*v.vf[0], msg::Opcode::destroy_partition, msg::DestroyPartitionReq{a + 100}).status() ==
              st(msg::Status::error));
        CHECK(v.r.call(*v.vf[1], msg::Opcode::destroy_partition, msg::DestroyPartitionReq{a}).status() ==
              st(msg::Status::error));
        CHECK(v.r.fw.vf(0)->partitions().size() == 1);
    }
}

TEST_CASE("CREATE_HW_CONTEXT: doorbell pages, completion vectors, context table")
{
    VfRig v(1);
    const uint32_t part = v.partition(0);
    std::set<uint32_t> doorbells;
    std::set<uint32_t> ids;
    for (unsigned i = 0; i < 20; ++i) {
        const Response c = v.r.call(*v.vf[0], msg::Opcode::create_hw_context,
                                    ctx_req(part, 12, 0xABCD'0000'1000ull + i * 0x1000, 0x80000000 | (i + 1)));
        REQUIRE(c.status() == 0);
        REQUIRE(c.header.total_size == 16);
        const auto out = c.as<msg::CreateHwContextResp>();
        CHECK(out.hw_context_id != 0);
        CHECK(out.doorbell_offset % regs::kDoorbellPageSize == 0);
        CHECK(out.doorbell_offset >= regs::kDoorbellBase);
        CHECK(uint64_t{out.doorbell_offset} + regs::kDoorbellPageSize <= regs::kSramBarSize);
        CHECK(out.job_complete_msix_idx != v.vf[0]->info().i2x_msi_idx);
        CHECK(out.job_complete_msix_idx < regs::kVfMsixVectors);
        doorbells.insert(out.doorbell_offset);
        ids.insert(out.hw_context_id);
        const HwContext* ctx = v.r.fw.vf(0)->context(out.hw_context_id);
        REQUIRE(ctx != nullptr);
        CHECK(ctx->hsa_addr == 0xABCD'0000'1000ull + i * 0x1000);   // high half first in the request
        CHECK(ctx->pasid() == i + 1);
        CHECK(ctx->has_pasid());
        CHECK(ctx->partition_id == part);
        CHECK(ctx->priority_band == 0x180);
        CHECK(ctx->state == ContextState::active);
        CHECK(regs::doorbell_bar_offset(ctx->doorbell_page) == out.doorbell_offset);
    }
    CHECK(doorbells.size() == 20);
    CHECK(ids.size() == 20);
    const HwContext* first = v.r.fw.vf(0)->context_by_doorbell(0);
    REQUIRE(first != nullptr);
    CHECK(first->doorbell_offset == regs::kDoorbellBase);
}

TEST_CASE("CREATE_HW_CONTEXT refuses bad partitions and tile counts")
{
    VfRig v(2);
    const uint32_t mine = v.partition(0);
    const uint32_t other = v.partition(1);
    const aie::Geometry g{};
    for (const auto& req : {ctx_req(0), ctx_req(mine + 1000), ctx_req(other), ctx_req(mine, 0),
                            ctx_req(mine, 3u * g.core_rows + 1u), ctx_req(mine, 0xFFFFFFFF)}) {
        const Response c = v.r.call(*v.vf[0], msg::Opcode::create_hw_context, req);
        CHECK(c.status() == st(msg::Status::error));
        CHECK(c.as<msg::CreateHwContextResp>().doorbell_offset == 0);
    }
    CHECK(v.r.fw.vf(0)->contexts().empty());
    const auto nopasid = ctx_req(mine, 1, 0x1000, 0x800FFFFF);
    REQUIRE(v.r.call(*v.vf[0], msg::Opcode::create_hw_context, nopasid).status() == 0);
    CHECK_FALSE(v.r.fw.vf(0)->contexts().begin()->second.has_pasid());
}

TEST_CASE("context limit per VF returns ERROR; destroy frees a slot")
{
    FirmwareConfig cfg;
    cfg.max_contexts_per_vf = 4;
    VfRig v(2, cfg);
    const uint32_t p0 = v.partition(0);
    const uint32_t p1 = v.partition(1);
    std::vector<uint32_t> ids;
    for (unsigned i = 0; i < 4; ++i) {
        const Response c = v.r.call(*v.vf[0], msg::Opcode::create_hw_context, ctx_req(p0));
        REQUIRE(c.status() == 0);
        ids.push_back(c.as<msg::CreateHwContextResp>().hw_context_id);
    }
    CHECK(v.r.call(*v.vf[0], msg::Opcode::create_hw_context, ctx_req(p0)).status() == st(msg::Status::error));
    // The other VF's budget is its own.
    CHECK(v.r.call(*v.vf[1], msg::Opcode::create_hw_context, ctx_req(p1)).status() == 0);
    const unsigned freed_page = v.r.fw.vf(0)->context(ids[1])->doorbell_page;
    CHECK(v.r.call(*v.vf[0], msg::Opcode::destroy_hw_context, msg::DestroyHwContextReq{ids[1], 0}).status() == 0);
    const Response again = v.r.call(*v.vf[0], msg::Opcode::create_hw_context, ctx_req(p0));
    REQUIRE(again.status() == 0);
    const auto out = again.as<msg::CreateHwContextResp>();
    CHECK(out.doorbell_offset == regs::doorbell_bar_offset(freed_page));
    CHECK(std::find(ids.begin(), ids.end(), out.hw_context_id) == ids.end());
}

TEST_CASE("DESTROY_HW_CONTEXT with an unknown id is ERROR; a known one stops the context")
{
    VfRig v(2);
    const uint32_t p = v.partition(0);
    v.partition(1);
    const auto id = v.r.call(*v.vf[0], msg::Opcode::create_hw_context, ctx_req(p)).as<msg::CreateHwContextResp>()
                        .hw_context_id;
    CHECK(v.r.call(*v.vf[0], msg::Opcode::destroy_hw_context, msg::DestroyHwContextReq{id + 7, 0}).status() ==
          st(msg::Status::error));
    // Another VF cannot destroy it.
    CHECK(v.r.call(*v.vf[1], msg::Opcode::destroy_hw_context, msg::DestroyHwContextReq{id, 0}).status() ==
          st(msg::Status::error));
    const Response d = v.r.call(*v.vf[0], msg::Opcode::destroy_hw_context, msg::DestroyHwContextReq{id, 0});
    CHECK(d.status() == 0);
    CHECK(d.header.total_size == 4);
    CHECK(v.r.fw.vf(0)->context(id) == nullptr);
    auto& cp = dynamic_cast<NullCommandProcessor&>(v.r.fw.command_processor());
    REQUIRE(cp.destroyed().size() == 1);
    CHECK(cp.destroyed().front() == id);
    CHECK(v.r.call(*v.vf[0], msg::Opcode::destroy_hw_context, msg::DestroyHwContextReq{id, 0}).status() ==
          st(msg::Status::error));
}

TEST_CASE("doorbells reach the command processor only for live contexts")
{
    VfRig v(2);
    const uint32_t p = v.partition(0);
    const auto out = v.r.call(*v.vf[0], msg::Opcode::create_hw_context, ctx_req(p)).as<msg::CreateHwContextResp>();
    auto& cp = dynamic_cast<NullCommandProcessor&>(v.r.fw.command_processor());
    const unsigned page = (out.doorbell_offset - regs::kDoorbellBase) / regs::kDoorbellPageSize;
    v.r.fw.doorbell(npu3::vf_index(0), page, 0, 0);
    REQUIRE(cp.doorbells().size() == 1);
    CHECK(cp.doorbells()[0].context_id == out.hw_context_id);
    // Same page on the other VF, a page without a context, the PF: nothing.
    v.r.fw.doorbell(npu3::vf_index(1), page, 0, 0);
    v.r.fw.doorbell(npu3::vf_index(0), page + 1, 0, 0);
    v.r.fw.doorbell(npu3::kPf, page, 0, 0);
    v.r.fw.doorbell(99, page, 0, 0);
    CHECK(cp.doorbell_count() == 1);
    // A failed context is ignored.
    v.r.fw.vf(0)->context(out.hw_context_id)->state = ContextState::failed;
    v.r.fw.doorbell(npu3::vf_index(0), page, 4, 1);
    CHECK(cp.doorbell_count() == 1);
    // No fake completion: nothing was written to guest memory, no interrupt.
    CHECK(std::none_of(v.r.dev.msix.begin(), v.r.dev.msix.end(),
                       [](const auto& m) { return m.second != 0; }));
}

TEST_CASE("DESTROY_PARTITION takes its live contexts down")
{
    VfRig v(1);
    const uint32_t p = v.partition(0, 0, 1);
    const uint32_t q = v.partition(0, 1, 2);
    v.r.call(*v.vf[0], msg::Opcode::create_hw_context, ctx_req(p, 4));
    v.r.call(*v.vf[0], msg::Opcode::create_hw_context, ctx_req(q, 8));
    CHECK(v.r.call(*v.vf[0], msg::Opcode::destroy_partition, msg::DestroyPartitionReq{p}).status() == 0);
    REQUIRE(v.r.fw.vf(0)->contexts().size() == 1);
    CHECK(v.r.fw.vf(0)->contexts().begin()->second.partition_id == q);
    auto& cp = dynamic_cast<NullCommandProcessor&>(v.r.fw.command_processor());
    CHECK(cp.destroyed().size() == 1);
}

TEST_CASE("VF function reset drops its partitions and contexts only")
{
    VfRig v(2);
    const uint32_t p0 = v.partition(0);
    const uint32_t p1 = v.partition(1);
    v.r.call(*v.vf[0], msg::Opcode::create_hw_context, ctx_req(p0));
    v.r.call(*v.vf[1], msg::Opcode::create_hw_context, ctx_req(p1));
    v.r.fw.function_reset(npu3::vf_index(0));
    CHECK(v.r.fw.vf(0)->contexts().empty());
    CHECK(v.r.fw.vf(0)->partitions().empty());
    CHECK(v.r.fw.vf(1)->contexts().size() == 1);
    CHECK(v.r.dev.sram32(npu3::vf_index(0), regs::kInfoValid) == 1);
    // The VF driver re-probes from scratch on empty rings.
    auto again = v.r.open(npu3::vf_index(0));
    CHECK(v.r.call(*again, msg::Opcode::aie_tile_info, msg::TileInfoReq{0}).header.id == mbox::make_id(0));
    const Response p = v.r.call(*again, msg::Opcode::create_partition, msg::CreatePartitionReq{0, 3});
    CHECK(p.status() == 0);
    CHECK(p.as<msg::CreatePartitionResp>().partition_id != 0);
    // PF reset keeps the firmware up and forgets the work buffer.
    REQUIRE(v.r.call(*v.pf, msg::Opcode::attach_work_buffer, msg::AttachWorkBufferReq{0x400000, 0, 0x400000})
                .status() == 0);
    v.r.fw.function_reset(npu3::kPf);
    CHECK_FALSE(v.r.fw.work_buffer().has_value());
    CHECK(v.r.dev.sram32(npu3::kPf, regs::kInfoValid) == 1);
    CHECK(v.r.fw.vf_count() == 2);
}

TEST_CASE("after a full reset, START brings back the VFs the device still has enabled")
{
    Rig r;
    r.boot();
    REQUIRE(r.fw.set_vf_count(2) == 0);
    r.dev.set_enabled_vfs(2);
    REQUIRE(r.fw.smu_command(smu::kPowerOff, 0) == smu::kResultOk);
    CHECK(r.fw.vf_count() == 0);
    r.boot();
    CHECK(r.fw.vf_count() == 2);
    CHECK(r.dev.sram32(npu3::vf_index(1), regs::kInfoValid) == 1);
}

TEST_CASE("every handled message is traced with function, id, name and status")
{
    VfRig v(1);
    v.r.dev.traces.clear();
    v.r.call(*v.vf[0], msg::Opcode::destroy_partition, msg::DestroyPartitionReq{12345});
    REQUIRE_FALSE(v.r.dev.traces.empty());
    CHECK(v.r.dev.traces.back().first == npu3::vf_index(0));
    CHECK(v.r.dev.traces.back().second == "mailbox id=0x1d000000 op=DESTROY_PARTITION status=ERROR");
}

TEST_CASE("completion vectors avoid the mailbox vector for any MSI-X table size")
{
    for (unsigned vectors : {1u, 2u, 3u}) {
        Rig r({}, 1, nullptr, vectors);
        REQUIRE(r.fw.set_vf_count(1) == 0);
        auto vf = r.open(npu3::vf_index(0));
        const uint32_t i2x = vf->info().i2x_msi_idx;
        const Response p = r.call(*vf, msg::Opcode::create_partition, msg::CreatePartitionReq{0, 3});
        const uint32_t part = p.as<msg::CreatePartitionResp>().partition_id;
        for (unsigned i = 0; i < 5; ++i) {
            const Response c = r.call(*vf, msg::Opcode::create_hw_context, ctx_req(part));
            if (vectors == 1) {
                // A single vector is the mailbox's: no context can get one.
                CHECK(c.status() == st(msg::Status::error));
                continue;
            }
            REQUIRE(c.status() == 0);
            const auto out = c.as<msg::CreateHwContextResp>();
            CHECK(out.job_complete_msix_idx != i2x);
            CHECK(out.job_complete_msix_idx < vectors);
        }
    }
}

TEST_CASE("kicks and doorbells for functions the firmware does not serve are ignored")
{
    Rig r({}, 2);
    r.boot();
    r.fw.mailbox_kick(3);      // 1 PF + 2 VFs: fn 3 does not exist
    r.fw.mailbox_kick(npu3::vf_index(0)); // exists, but the VF is not up
    r.dev.run_deferred();
    CHECK(r.dev.msix.empty());
    r.fw.function_reset(7);
    r.fw.doorbell(npu3::vf_index(1), 0, 0, 0);
    CHECK(r.dev.sram32(npu3::vf_index(0), regs::kInfoValid) == 0);
}
