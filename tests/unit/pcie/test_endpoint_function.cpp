// Unit tests of the PCIe endpoint function model: config-space write masks,
// capability lists, BAR sizing, MSI-X, SR-IOV, FLR, DMA gating.
#include "hw/pcie/endpoint_function.hpp"
#include "hw/pcie/log.hpp"
#include "hw/pcie/pci_regs.hpp"

#include <catch2/catch_test_macros.hpp>

#include <cstring>
#include <string>
#include <vector>

using namespace aie4emu::pcie;
namespace r = aie4emu::pcie::regs;

namespace {

// Captures log lines so tests can check that bad input is reported.
struct LogCapture {
    std::vector<std::string> lines;
    LogCapture()
    {
        set_log_sink([this](std::string_view fn, std::string_view msg) {
            lines.push_back(std::string(fn) + " " + std::string(msg));
        });
    }
    ~LogCapture() { set_log_sink(nullptr); }
    size_t count() const { return lines.size(); }
};

struct FakeSink : InterruptSink {
    std::vector<unsigned> fired;
    void msix_fire(unsigned v) override { fired.push_back(v); }
};

struct FakeDma : DmaSpace {
    std::vector<uint8_t> mem = std::vector<uint8_t>(4096, 0);
    bool read(uint64_t addr, void* dst, size_t len) override
    {
        if (addr > mem.size() || len > mem.size() - addr)
            return false;
        std::memcpy(dst, mem.data() + addr, len);
        return true;
    }
    bool write(uint64_t addr, const void* src, size_t len) override
    {
        if (addr > mem.size() || len > mem.size() - addr)
            return false;
        std::memcpy(mem.data() + addr, src, len);
        return true;
    }
};

constexpr uint64_t kBar0Size = 64 * 1024;
constexpr uint64_t kBar2Size = 8ull << 30; // > 4 GiB: upper dword has RO bits
constexpr uint64_t kBar4Size = 4096;
constexpr uint32_t kTable = 0x8000;
constexpr uint32_t kPba = 0x9000;
constexpr unsigned kVectors = 8;
constexpr uint64_t kVfBar0Size = 16 * 1024;

FunctionSpec test_spec(uint16_t total_vfs = 4)
{
    FunctionSpec s;
    s.name = "tf";
    s.vendor_id = 0x1234;
    s.device_id = 0x5678;
    s.revision = 0x42;
    s.class_code = 0x118000;
    s.subsystem_vendor_id = 0x1234;
    s.subsystem_id = 0x0001;
    s.bars[0] = BarSpec{kBar0Size, true, false, {}};
    s.bars[2] = BarSpec{kBar2Size, true, true, {}};
    s.bars[4] = BarSpec{kBar4Size, false, false, {}};
    s.msix = MsixSpec{kVectors, 0, kTable, kPba};
    s.sriov.total_vfs = total_vfs;
    s.sriov.first_vf_offset = 1;
    s.sriov.vf_stride = 1;
    s.sriov.vf_device_id = 0x5679;
    s.sriov.vf_bars[0] = BarSpec{kVfBar0Size, true, false, {}};
    s.sriov.vf_bars[3] = BarSpec{kBar4Size, false, false, {}};
    return s;
}

// Records the derived-class hooks.
class TestFunction : public EndpointFunction {
public:
    using EndpointFunction::EndpointFunction;
    int resets = 0;
    std::vector<std::pair<bool, uint16_t>> vf_enable_calls;
    std::vector<std::pair<uint64_t, uint64_t>> region_writes;

protected:
    void on_reset() override { ++resets; }
    void on_sriov_vf_enable(bool enabled, uint16_t n) override { vf_enable_calls.emplace_back(enabled, n); }
    uint64_t region_read(unsigned, uint64_t offset, unsigned) override { return offset ^ 0xabcd; }
    void region_write(unsigned, uint64_t offset, unsigned, uint64_t value) override
    {
        region_writes.emplace_back(offset, value);
    }
};

uint32_t cap(TestFunction& f, uint8_t id)
{
    const uint32_t off = f.find_capability(id);
    REQUIRE(off != 0);
    return off;
}

void enable_msix(TestFunction& f, bool mask_all = false)
{
    const uint32_t m = cap(f, r::kCapIdMsix);
    f.config_write(m + r::kMsixFlags, 2, r::kMsixFlagsEnable | (mask_all ? r::kMsixFlagsMaskAll : 0));
}

void unmask_entry(TestFunction& f, unsigned v)
{
    f.bar_write(0, kTable + v * r::kMsixEntrySize + r::kMsixEntryVectorCtrl, 4, 0);
}

} // namespace

TEST_CASE("header IDs are read-only and reported as configured", "[pcie][config]")
{
    LogCapture logs;
    TestFunction f(test_spec());
    CHECK(f.config_read(r::kVendorId, 2) == 0x1234);
    CHECK(f.config_read(r::kDeviceId, 2) == 0x5678);
    CHECK(f.config_read(r::kRevisionId, 1) == 0x42);
    CHECK((f.config_read(r::kRevisionId, 4) >> 8) == 0x118000);
    CHECK(f.config_read(r::kHeaderType, 1) == r::kHeaderTypeNormal);
    CHECK(f.config_read(r::kSubsystemId, 2) == 0x0001);

    for (uint32_t off : {r::kVendorId, r::kRevisionId, r::kSubsystemVendorId, r::kCapabilityList})
        f.config_write(off, 4, 0xffffffff);
    CHECK(f.config_read(r::kVendorId, 4) == 0x56781234u);
    CHECK(f.config_read(r::kRevisionId, 4) == 0x11800042u);
    CHECK(f.config_read(r::kSubsystemVendorId, 4) == 0x00011234u);
    CHECK(f.config_read(r::kRomAddress, 4) == 0); // no expansion ROM: RO 0
}

TEST_CASE("command register: only the implemented bits are writable", "[pcie][config]")
{
    TestFunction f(test_spec());
    f.config_write(r::kCommand, 2, 0xffff);
    const uint32_t cmd = f.config_read(r::kCommand, 2);
    CHECK(cmd == (r::kCommandMemory | r::kCommandMaster | r::kCommandParity | r::kCommandSerr |
                  r::kCommandIntxDisable));
    CHECK((cmd & r::kCommandIo) == 0);
    CHECK(f.bus_master());
    CHECK(f.memory_enabled());
    f.config_write(r::kCommand, 2, r::kCommandMemory);
    CHECK(f.config_read(r::kCommand, 2) == r::kCommandMemory);
    CHECK_FALSE(f.bus_master());
}

TEST_CASE("status register: capability bit RO, error bits RW1C", "[pcie][config]")
{
    LogCapture logs;
    TestFunction f(test_spec());
    CHECK((f.config_read(r::kStatus, 2) & r::kStatusCapList) != 0);
    // Writing ones to a clean status sets nothing.
    f.config_write(r::kStatus, 2, 0xffff);
    CHECK(f.config_read(r::kStatus, 2) == r::kStatusCapList);

    // A failed DMA sets Received Master Abort; writing 0 keeps it, 1 clears it.
    FakeDma dma;
    f.attach(&dma, nullptr);
    f.config_write(r::kCommand, 2, r::kCommandMaster);
    uint8_t buf[8];
    CHECK_FALSE(f.dma().read(1ull << 40, buf, sizeof buf));
    CHECK((f.config_read(r::kStatus, 2) & r::kStatusRecMasterAbort) != 0);
    f.config_write(r::kStatus, 2, 0);
    CHECK((f.config_read(r::kStatus, 2) & r::kStatusRecMasterAbort) != 0);
    f.config_write(r::kStatus, 2, r::kStatusRecMasterAbort);
    CHECK(f.config_read(r::kStatus, 2) == r::kStatusCapList);
}

TEST_CASE("misaligned, odd-sized and out-of-range config accesses are refused and logged", "[pcie][config]")
{
    LogCapture logs;
    TestFunction f(test_spec());
    CHECK(f.config_read(r::kCommand + 1, 2) == 0xffff);
    CHECK(f.config_read(r::kCommand, 3) == 0xffffffffu);
    CHECK(f.config_read(r::kConfigSpaceSize, 4) == 0xffffffffu);
    CHECK(f.config_read(0xffffffffu, 1) == 0xff);
    const size_t before = logs.count();
    f.config_write(r::kCommand + 1, 2, 0xffff);
    f.config_write(r::kConfigSpaceSize, 4, 0xffffffff);
    f.config_write(r::kCommand, 8, 0xffffffff);
    CHECK(f.config_read(r::kCommand, 2) == 0);
    CHECK(logs.count() == before + 3);
}

TEST_CASE("BAR sizing: all-ones reads back the size mask", "[pcie][bar]")
{
    TestFunction f(test_spec());
    // 64-bit BAR0 of 64 KiB.
    CHECK(f.config_read(r::kBar0, 4) == r::kBarMemType64);
    f.config_write(r::kBar0, 4, 0xffffffff);
    f.config_write(r::kBar0 + 4, 4, 0xffffffff);
    CHECK(f.config_read(r::kBar0, 4) == ((~static_cast<uint32_t>(kBar0Size - 1)) | r::kBarMemType64));
    CHECK(f.config_read(r::kBar0 + 4, 4) == 0xffffffffu);
    // 64-bit prefetchable BAR2 of 8 GiB: the low dword has no address bits,
    // the upper dword's low bits are hardwired 0.
    f.config_write(r::kBar0 + 8, 4, 0xffffffff);
    f.config_write(r::kBar0 + 12, 4, 0xffffffff);
    CHECK(f.config_read(r::kBar0 + 8, 4) == (r::kBarMemType64 | r::kBarMemPrefetch));
    CHECK(f.config_read(r::kBar0 + 12, 4) == static_cast<uint32_t>(~(kBar2Size - 1) >> 32));
    // 32-bit BAR4 of 4 KiB.
    f.config_write(r::kBar0 + 16, 4, 0xffffffff);
    CHECK(f.config_read(r::kBar0 + 16, 4) == 0xfffff000u);
    // Absent BAR5 stays 0.
    f.config_write(r::kBar0 + 20, 4, 0xffffffff);
    CHECK(f.config_read(r::kBar0 + 20, 4) == 0);
    // An address is kept, the low bits are not.
    f.config_write(r::kBar0, 4, 0xfebc1234);
    CHECK(f.config_read(r::kBar0, 4) == (0xfebc0000u | r::kBarMemType64));
    f.config_write(r::kBar0 + 16, 4, 0xfe000fff);
    CHECK(f.config_read(r::kBar0 + 16, 4) == 0xfe000000u);
}

TEST_CASE("bar_info reports sizes, types and the upper halves as absent", "[pcie][bar]")
{
    TestFunction f(test_spec());
    CHECK(f.bar_info(0).size == kBar0Size);
    CHECK(f.bar_info(0).mem64);
    CHECK(f.bar_info(1).size == 0);
    CHECK(f.bar_info(2).size == kBar2Size);
    CHECK(f.bar_info(2).prefetchable);
    CHECK(f.bar_info(3).size == 0);
    CHECK(f.bar_info(4).size == kBar4Size);
    CHECK_FALSE(f.bar_info(4).mem64);
    CHECK(f.bar_info(5).size == 0);
    CHECK(f.bar_info(6).size == 0);
}

TEST_CASE("BAR accesses outside a BAR are refused, inside reach the region", "[pcie][bar]")
{
    LogCapture logs;
    TestFunction f(test_spec());
    CHECK(f.bar_read(0, 0x100, 4) == (0x100 ^ 0xabcd));
    f.bar_write(4, 0x10, 4, 7);
    REQUIRE(f.region_writes.size() == 1);
    const size_t before = logs.count();
    CHECK(f.bar_read(4, kBar4Size, 4) == 0xffffffffu);
    CHECK(f.bar_read(4, kBar4Size - 2, 4) == 0xffffffffu);
    CHECK(f.bar_read(1, 0, 4) == 0xffffffffu);    // upper half of BAR0
    CHECK(f.bar_read(5, 0, 4) == 0xffffffffu);    // absent
    CHECK(f.bar_read(9, 0, 8) == ~uint64_t{0});   // no such BAR
    CHECK(f.bar_read(0, 0, 3) == ~uint64_t{0});   // bad size
    f.bar_write(4, ~uint64_t{0} - 1, 4, 1);       // offset + size overflows
    f.bar_write(3, 0, 4, 1);
    CHECK(f.region_writes.size() == 1);
    CHECK(logs.count() == before + 8);
}

TEST_CASE("standard capability list: PCIe v2 endpoint, PM, MSI-X", "[pcie][caps]")
{
    TestFunction f(test_spec());
    // Walk the list through config reads only.
    std::vector<uint8_t> ids;
    uint32_t off = f.config_read(r::kCapabilityList, 1);
    for (int guard = 0; off != 0 && guard < 48; ++guard) {
        CHECK(off >= r::kFirstCapOffset);
        CHECK(off % 4 == 0);
        ids.push_back(static_cast<uint8_t>(f.config_read(off, 1)));
        off = f.config_read(off + 1, 1);
    }
    CHECK(ids == std::vector<uint8_t>{r::kCapIdExp, r::kCapIdPm, r::kCapIdMsix});

    const uint32_t e = cap(f, r::kCapIdExp);
    const uint32_t flags = f.config_read(e + r::kExpFlags, 2);
    CHECK((flags & 0xf) == 2);
    CHECK(((flags >> 4) & 0xf) == r::kExpTypeEndpoint);
    CHECK((f.config_read(e + r::kExpDevcap, 4) & r::kExpDevcapFlr) != 0);
    // Device Control: error-reporting and size fields RW, FLR bit reads 0.
    f.config_write(e + r::kExpDevctl, 2, 0x7fff);
    CHECK(f.config_read(e + r::kExpDevctl, 2) ==
          (0x7fffu & ~(0x0100u | 0x0200u | 0x0400u))); // ext tag, phantom, aux PM are RO 0
    // Device Status has nothing to clear, and nothing sets by writing.
    f.config_write(e + r::kExpDevsta, 2, 0xffff);
    CHECK(f.config_read(e + r::kExpDevsta, 2) == 0);
    CHECK((f.config_read(e + r::kExpLnksta, 2) >> 4) == 4); // x4

    const uint32_t m = cap(f, r::kCapIdMsix);
    CHECK((f.config_read(m + r::kMsixFlags, 2) & r::kMsixFlagsQsize) == kVectors - 1);
    CHECK(f.config_read(m + r::kMsixTable, 4) == (kTable | 0));
    CHECK(f.config_read(m + r::kMsixPba, 4) == (kPba | 0));
    f.config_write(m + r::kMsixTable, 4, 0x1234);
    CHECK(f.config_read(m + r::kMsixTable, 4) == kTable);
    f.config_write(m + r::kMsixFlags, 2, 0xffff);
    CHECK(f.config_read(m + r::kMsixFlags, 2) == (r::kMsixFlagsEnable | r::kMsixFlagsMaskAll | (kVectors - 1)));
}

TEST_CASE("power management: D3hot accepted, unsupported D1/D2 ignored", "[pcie][caps]")
{
    LogCapture logs;
    TestFunction f(test_spec());
    const uint32_t p = cap(f, r::kCapIdPm);
    CHECK((f.config_read(p + r::kPmPmc, 2) & 0x7) == r::kPmCapVersion12);
    CHECK((f.config_read(p + r::kPmPmc, 2) & 0x0600) == 0); // no D1/D2
    f.config_write(p + r::kPmCtrl, 2, r::kPmStateD3hot);
    CHECK((f.config_read(p + r::kPmCtrl, 2) & r::kPmCtrlStateMask) == r::kPmStateD3hot);
    CHECK((f.config_read(p + r::kPmCtrl, 2) & r::kPmCtrlNoSoftReset) != 0);
    f.config_write(p + r::kPmCtrl, 2, r::kPmStateD1);
    CHECK((f.config_read(p + r::kPmCtrl, 2) & r::kPmCtrlStateMask) == r::kPmStateD3hot);
    f.config_write(p + r::kPmCtrl, 2, r::kPmStateD0);
    CHECK((f.config_read(p + r::kPmCtrl, 2) & r::kPmCtrlStateMask) == r::kPmStateD0);
}

TEST_CASE("extended capability list: SR-IOV on a PF, nothing without it", "[pcie][caps][sriov]")
{
    TestFunction pf(test_spec(4));
    const uint32_t hdr = pf.config_read(r::kFirstExtCapOffset, 4);
    CHECK((hdr & r::kExtCapIdMask) == r::kExtCapIdSriov);
    CHECK(((hdr >> r::kExtCapVerShift) & 0xf) == 1);
    CHECK(((hdr >> r::kExtCapNextShift) & r::kExtCapNextMask) == 0);
    CHECK(pf.find_ext_capability(r::kExtCapIdSriov) == r::kFirstExtCapOffset);
    pf.config_write(r::kFirstExtCapOffset, 4, 0);
    CHECK(pf.config_read(r::kFirstExtCapOffset, 4) == hdr);

    TestFunction vf(test_spec(0));
    CHECK(vf.config_read(r::kFirstExtCapOffset, 4) == 0);
    CHECK(vf.find_ext_capability(r::kExtCapIdSriov) == 0);
}

TEST_CASE("SR-IOV fields and their write masks", "[pcie][sriov]")
{
    LogCapture logs;
    TestFunction f(test_spec(4));
    const uint32_t s = f.find_ext_capability(r::kExtCapIdSriov);
    REQUIRE(s != 0);
    CHECK(f.config_read(s + r::kSriovTotalVf, 2) == 4);
    CHECK(f.config_read(s + r::kSriovInitialVf, 2) == 4);
    CHECK(f.config_read(s + r::kSriovVfOffset, 2) == 1);
    CHECK(f.config_read(s + r::kSriovVfStride, 2) == 1);
    CHECK(f.config_read(s + r::kSriovVfDid, 2) == 0x5679);
    CHECK((f.config_read(s + r::kSriovSupPgsize, 4) & r::kSriovPgsize4K) != 0);
    CHECK(f.config_read(s + r::kSriovSysPgsize, 4) == r::kSriovPgsize4K);

    // RO fields.
    for (uint32_t o : {r::kSriovCap, r::kSriovInitialVf, r::kSriovVfOffset, r::kSriovVfDid - 2, r::kSriovSupPgsize,
                       r::kSriovVfm})
        f.config_write(s + o, 4, 0xffffffff);
    CHECK(f.config_read(s + r::kSriovTotalVf, 2) == 4);
    CHECK(f.config_read(s + r::kSriovInitialVf, 2) == 4);
    CHECK(f.config_read(s + r::kSriovVfOffset, 2) == 1);
    CHECK(f.config_read(s + r::kSriovVfDid, 2) == 0x5679);
    CHECK(f.config_read(s + r::kSriovCap, 4) == 0);
    CHECK(f.config_read(s + r::kSriovVfm, 4) == 0);

    // Control: VF Enable, VF MSE and ARI Capable Hierarchy are the writable bits.
    f.config_write(s + r::kSriovCtrl, 2, 0xffff & ~r::kSriovCtrlVfe);
    CHECK(f.config_read(s + r::kSriovCtrl, 2) == (r::kSriovCtrlMse | r::kSriovCtrlAri));
    f.config_write(s + r::kSriovCtrl, 2, 0);

    // NumVFs: up to TotalVFs, a larger value is ignored (CVE-2024-26328).
    f.config_write(s + r::kSriovNumVf, 2, 3);
    CHECK(f.config_read(s + r::kSriovNumVf, 2) == 3);
    const size_t before = logs.count();
    f.config_write(s + r::kSriovNumVf, 2, 5);
    CHECK(f.config_read(s + r::kSriovNumVf, 2) == 3);
    f.config_write(s + r::kSriovNumVf + 1, 1, 0xff); // 0xff03 via a byte write
    CHECK(f.config_read(s + r::kSriovNumVf, 2) == 3);
    CHECK(logs.count() == before + 2);
    CHECK(f.sriov_num_vfs() == 3);

    // System Page Size: exactly one supported size.
    f.config_write(s + r::kSriovSysPgsize, 4, 0x2); // 8 KiB: not supported
    CHECK(f.config_read(s + r::kSriovSysPgsize, 4) == r::kSriovPgsize4K);
    f.config_write(s + r::kSriovSysPgsize, 4, 0x3);
    CHECK(f.config_read(s + r::kSriovSysPgsize, 4) == r::kSriovPgsize4K);
    f.config_write(s + r::kSriovSysPgsize, 4, 0);
    CHECK(f.config_read(s + r::kSriovSysPgsize, 4) == r::kSriovPgsize4K);
}

TEST_CASE("SR-IOV VF BARs size like BARs", "[pcie][sriov][bar]")
{
    TestFunction f(test_spec(4));
    const uint32_t s = f.find_ext_capability(r::kExtCapIdSriov);
    for (uint32_t i = 0; i < 6; ++i)
        f.config_write(s + r::kSriovBar + 4 * i, 4, 0xffffffff);
    CHECK(f.config_read(s + r::kSriovBar, 4) == (~static_cast<uint32_t>(kVfBar0Size - 1) | r::kBarMemType64));
    CHECK(f.config_read(s + r::kSriovBar + 4, 4) == 0xffffffffu);
    CHECK(f.config_read(s + r::kSriovBar + 8, 4) == 0);
    CHECK(f.config_read(s + r::kSriovBar + 12, 4) == 0xfffff000u); // 32-bit VF BAR3
    CHECK(f.config_read(s + r::kSriovBar + 16, 4) == 0);
    CHECK(f.config_read(s + r::kSriovBar + 20, 4) == 0);
}

TEST_CASE("SR-IOV VF Enable reaches the function; NumVFs is locked while enabled", "[pcie][sriov]")
{
    LogCapture logs;
    TestFunction f(test_spec(4));
    const uint32_t s = f.find_ext_capability(r::kExtCapIdSriov);
    f.config_write(s + r::kSriovNumVf, 2, 2);
    f.config_write(s + r::kSriovCtrl, 2, r::kSriovCtrlVfe | r::kSriovCtrlMse);
    REQUIRE(f.vf_enable_calls.size() == 1);
    CHECK(f.vf_enable_calls[0] == std::pair<bool, uint16_t>{true, 2});
    CHECK(f.sriov_vf_enabled());
    f.config_write(s + r::kSriovNumVf, 2, 1);
    CHECK(f.sriov_num_vfs() == 2);
    f.config_write(s + r::kSriovCtrl, 2, r::kSriovCtrlVfe | r::kSriovCtrlMse); // no change: no call
    CHECK(f.vf_enable_calls.size() == 1);
    f.config_write(s + r::kSriovCtrl, 2, 0);
    REQUIRE(f.vf_enable_calls.size() == 2);
    CHECK(f.vf_enable_calls[1].first == false);
}

TEST_CASE("host-side SR-IOV state does not call the guest hook", "[pcie][sriov]")
{
    TestFunction f(test_spec(4));
    f.sriov_set_state(9, true);
    CHECK(f.sriov_num_vfs() == 4); // clamped to TotalVFs
    CHECK(f.sriov_vf_enabled());
    const uint32_t s = f.find_ext_capability(r::kExtCapIdSriov);
    CHECK((f.config_read(s + r::kSriovCtrl, 2) & r::kSriovCtrlMse) != 0);
    CHECK(f.vf_enable_calls.empty());
}

TEST_CASE("FLR restores power-on config and MSI-X state and calls on_reset", "[pcie][flr]")
{
    LogCapture logs;
    TestFunction f(test_spec(4));
    FakeSink sink;
    f.attach(nullptr, &sink);
    const uint32_t e = cap(f, r::kCapIdExp);
    const uint32_t s = f.find_ext_capability(r::kExtCapIdSriov);
    f.config_write(r::kCommand, 2, r::kCommandMemory | r::kCommandMaster);
    f.config_write(r::kBar0, 4, 0xfe000000);
    f.config_write(s + r::kSriovNumVf, 2, 2);
    f.config_write(s + r::kSriovCtrl, 2, r::kSriovCtrlVfe);
    enable_msix(f);
    unmask_entry(f, 3);
    f.bar_write(0, kTable + 3 * 16, 4, 0xfee00000);
    CHECK_FALSE(f.msix_vector_masked(3));

    f.config_write(e + r::kExpDevctl, 2, r::kExpDevctlBcrFlr);
    CHECK(f.resets == 1);
    CHECK(f.config_read(r::kCommand, 2) == 0);
    CHECK(f.config_read(r::kBar0, 4) == r::kBarMemType64);
    CHECK_FALSE(f.msix_enabled());
    CHECK(f.msix_vector_masked(3));
    CHECK(f.bar_read(0, kTable + 3 * 16, 4) == 0);
    CHECK((f.config_read(e + r::kExpDevctl, 2) & r::kExpDevctlBcrFlr) == 0);
    CHECK_FALSE(f.sriov_vf_enabled()); // PCIe: PF FLR clears VF Enable
    REQUIRE(f.vf_enable_calls.size() == 2);
    CHECK(f.vf_enable_calls[1].first == false);
}

TEST_CASE("FLR with keep_on_reset keeps the SR-IOV state", "[pcie][flr][sriov]")
{
    auto spec = test_spec(4);
    spec.sriov.keep_on_reset = true;
    TestFunction f(spec);
    f.sriov_set_state(3, true);
    f.reset();
    CHECK(f.resets == 1);
    CHECK(f.sriov_vf_enabled());
    CHECK(f.sriov_num_vfs() == 3);
    CHECK(f.vf_enable_calls.empty());
}

TEST_CASE("Initiate FLR without FLR capability does nothing", "[pcie][flr]")
{
    LogCapture logs;
    auto spec = test_spec(0);
    spec.flr = false;
    TestFunction f(spec);
    const uint32_t e = cap(f, r::kCapIdExp);
    CHECK((f.config_read(e + r::kExpDevcap, 4) & r::kExpDevcapFlr) == 0);
    f.config_write(r::kCommand, 2, r::kCommandMemory);
    f.config_write(e + r::kExpDevctl, 2, r::kExpDevctlBcrFlr);
    CHECK(f.resets == 0);
    CHECK(f.config_read(r::kCommand, 2) == r::kCommandMemory);
}

TEST_CASE("MSI-X table entries: reset masked, reserved bits read 0", "[pcie][msix]")
{
    LogCapture logs;
    TestFunction f(test_spec());
    for (unsigned v = 0; v < kVectors; ++v)
        CHECK(f.bar_read(0, kTable + v * 16 + 12, 4) == r::kMsixEntryCtrlMaskBit);
    f.bar_write(0, kTable + 16, 8, 0x00000001fee0000fULL); // 64-bit access: address low + high
    CHECK(f.bar_read(0, kTable + 16, 4) == 0xfee0000cu);    // bits 1:0 reserved
    CHECK(f.bar_read(0, kTable + 20, 4) == 1);
    f.bar_write(0, kTable + 24, 4, 0x4021);
    CHECK(f.bar_read(0, kTable + 24, 4) == 0x4021);
    f.bar_write(0, kTable + 28, 4, 0xfffffffe);
    CHECK(f.bar_read(0, kTable + 28, 4) == 0); // mask cleared, reserved 0
    CHECK(f.bar_read(0, kTable + 16, 8) == 0x00000001fee0000cULL);
    // PBA is read-only.
    f.bar_write(0, kPba, 8, ~uint64_t{0});
    CHECK(f.bar_read(0, kPba, 8) == 0);
}

TEST_CASE("MSI-X delivery: masked vectors latch in the PBA and fire on unmask", "[pcie][msix]")
{
    LogCapture logs;
    TestFunction f(test_spec());
    FakeSink sink;
    f.attach(nullptr, &sink);
    f.config_write(r::kCommand, 2, r::kCommandMemory | r::kCommandMaster);

    SECTION("disabled MSI-X drops the message") {
        f.msix_raise(0);
        CHECK(sink.fired.empty());
        CHECK_FALSE(f.msix_pending(0));
        CHECK(f.msix_counters().dropped == 1);
    }
    SECTION("entry mask latches, unmask delivers") {
        enable_msix(f);
        f.msix_raise(2);
        CHECK(sink.fired.empty());
        CHECK(f.msix_pending(2));
        CHECK(f.bar_read(0, kPba, 8) == (1u << 2));
        unmask_entry(f, 2);
        CHECK(sink.fired == std::vector<unsigned>{2});
        CHECK(f.bar_read(0, kPba, 8) == 0);
        f.msix_raise(2);
        CHECK(sink.fired == std::vector<unsigned>{2, 2});
    }
    SECTION("function mask latches, clearing it delivers") {
        enable_msix(f, true);
        unmask_entry(f, 5);
        f.msix_raise(5);
        CHECK(sink.fired.empty());
        CHECK(f.msix_pending(5));
        enable_msix(f, false);
        CHECK(sink.fired == std::vector<unsigned>{5});
        CHECK_FALSE(f.msix_pending(5));
    }
    SECTION("transport mask latches, transport unmask delivers") {
        enable_msix(f);
        unmask_entry(f, 1);
        f.set_vector_masked(1, true);
        f.msix_raise(1);
        CHECK(sink.fired.empty());
        CHECK(f.msix_pending(1));
        f.set_vector_masked(1, false);
        CHECK(sink.fired == std::vector<unsigned>{1});
    }
    SECTION("no sink attached latches, attaching delivers") {
        enable_msix(f);
        unmask_entry(f, 7);
        f.attach(nullptr, nullptr);
        f.msix_raise(7);
        CHECK(f.msix_pending(7));
        f.attach(nullptr, &sink);
        CHECK(sink.fired == std::vector<unsigned>{7});
    }
    SECTION("bus mastering off drops") {
        enable_msix(f);
        unmask_entry(f, 0);
        f.config_write(r::kCommand, 2, r::kCommandMemory);
        f.msix_raise(0);
        CHECK(sink.fired.empty());
        CHECK(f.msix_counters().dropped == 1);
    }
    SECTION("vector out of range is dropped and logged") {
        enable_msix(f);
        const size_t before = logs.count();
        f.msix_raise(kVectors);
        f.set_vector_masked(kVectors + 100, true);
        CHECK(sink.fired.empty());
        CHECK(logs.count() == before + 2);
    }
}

TEST_CASE("MSI-X with the table kept by the client: entry masks do not gate", "[pcie][msix]")
{
    auto spec = test_spec();
    spec.msix.entry_masks = false;
    TestFunction f(spec);
    FakeSink sink;
    f.attach(nullptr, &sink);
    f.config_write(r::kCommand, 2, r::kCommandMaster);
    enable_msix(f);
    CHECK(f.msix_vector_masked(4)); // the entry keeps its reset value...
    f.msix_raise(4);
    CHECK(sink.fired == std::vector<unsigned>{4}); // ...but does not block
    enable_msix(f, true);
    f.msix_raise(4);
    CHECK(sink.fired.size() == 1);
    CHECK(f.msix_pending(4));
    enable_msix(f, false);
    CHECK(sink.fired == std::vector<unsigned>{4, 4});
}

TEST_CASE("DMA is gated by bus master enable and an attached VM", "[pcie][dma]")
{
    LogCapture logs;
    TestFunction f(test_spec());
    FakeDma dma;
    const uint32_t word = 0xdeadbeef;
    CHECK_FALSE(f.dma().write(16, &word, 4)); // nothing attached
    f.attach(&dma, nullptr);
    CHECK_FALSE(f.dma().write(16, &word, 4)); // BME off
    f.config_write(r::kCommand, 2, r::kCommandMaster);
    CHECK(f.dma().write(16, &word, 4));
    uint32_t back = 0;
    CHECK(f.dma().read(16, &back, 4));
    CHECK(back == word);
}

TEST_CASE("inconsistent specs are rejected at construction", "[pcie][spec]")
{
    auto spec = test_spec();
    spec.bars[4].size = 3000;
    CHECK_THROWS_AS(TestFunction(spec), std::invalid_argument);
    spec = test_spec();
    spec.bars[1].size = 4096; // upper half of 64-bit BAR0
    CHECK_THROWS_AS(TestFunction(spec), std::invalid_argument);
    spec = test_spec();
    spec.bars[5] = BarSpec{4096, true, false, {}};
    CHECK_THROWS_AS(TestFunction(spec), std::invalid_argument);
    spec = test_spec();
    spec.msix.table_offset = static_cast<uint32_t>(kBar0Size - 16);
    CHECK_THROWS_AS(TestFunction(spec), std::invalid_argument);
    spec = test_spec();
    spec.bars[0].mmap_areas.push_back(MmapArea{0x8000, 0x1000, -1, 0});
    CHECK_THROWS_AS(TestFunction(spec), std::invalid_argument);
    spec = test_spec();
    spec.sriov.supported_page_sizes = 0x2;
    CHECK_THROWS_AS(TestFunction(spec), std::invalid_argument);
}

TEST_CASE("config write sweep: no access corrupts identity or the capability chains", "[pcie][config][robust]")
{
    LogCapture logs;
    TestFunction f(test_spec(4));
    FakeSink sink;
    f.attach(nullptr, &sink);
    const uint32_t e = cap(f, r::kCapIdExp);
    uint32_t x = 0x12345678;
    for (uint32_t off = 0; off < r::kConfigSpaceSize + 8; ++off) {
        for (unsigned size : {1u, 2u, 4u, 3u, 8u}) {
            x = x * 1664525u + 1013904223u; // LCG: deterministic pseudo-random values
            if (off >= e + r::kExpDevctl && off < e + r::kExpDevctl + 2)
                continue; // FLR resets are tested on their own
            f.config_write(off, size, x);
            f.config_write(off, size, 0xffffffff);
        }
    }
    CHECK(f.config_read(r::kVendorId, 4) == 0x56781234u);
    CHECK(f.find_capability(r::kCapIdExp) == e);
    CHECK(f.find_capability(r::kCapIdPm) != 0);
    CHECK(f.find_capability(r::kCapIdMsix) != 0);
    CHECK(f.find_ext_capability(r::kExtCapIdSriov) == r::kFirstExtCapOffset);
    CHECK(f.sriov_num_vfs() <= 4);
    CHECK(f.config_read(r::kFirstExtCapOffset + r::kSriovTotalVf, 2) == 4);
    CHECK(f.config_read(r::kFirstExtCapOffset + r::kSriovSysPgsize, 4) == r::kSriovPgsize4K);
    const uint32_t p = cap(f, r::kCapIdPm);
    const uint32_t state = f.config_read(p + r::kPmCtrl, 2) & r::kPmCtrlStateMask;
    CHECK((state == r::kPmStateD0 || state == r::kPmStateD3hot));
}
