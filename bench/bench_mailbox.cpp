// bench-mailbox: management mailbox round-trip time, measured host-side.
// A driver model (tests/unit/firmware/host_mailbox.hpp, the amdxdna ring
// algorithm) sends a request, the firmware answers (its deferred work runs
// right away), the model reads the response. One round trip = send + answer
// + receive, wall clock on this host.
//
//   bench-mailbox [--messages N] [--device fake|npu3]
//     fake: firmware-stub against the FakeDevice of the unit tests.
//     npu3: firmware-stub inside the real hw/npu3 Device, every access going
//           through pcie::Function::bar_read/bar_write as the guest's would.
// Results go to docs/performance.md "Management mailbox".
#include "cli/cli.hpp"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "firmware-stub/firmware.hpp"
#include "firmware-stub/psp_protocol.hpp"
#include "firmware-stub/smu_protocol.hpp"
#include "hw/npu3/device.hpp"
#include "hw/npu3/npu3_regs.hpp"
#include "hw/pcie/pci_regs.hpp"
#include "tests/unit/firmware/host_mailbox.hpp"
#include "tests/unit/firmware/npu3_host.hpp"

using namespace aie4emu;
using namespace aie4emu::fw;
using namespace aie4emu::fw::test;
namespace regs = aie4emu::npu3::regs;

namespace {

constexpr uint64_t kFwAddr = FakeDevice::kGuestBase + 0x10000;
constexpr uint64_t kCertAddr = FakeDevice::kGuestBase + 0x80000;
constexpr uint32_t align_up(uint32_t v, uint32_t a) { return (v + a - 1) / a * a; }

struct Stats {
    double median_us = 0, p99_us = 0, mean_us = 0, min_us = 0, max_us = 0;
};

Stats summarize(std::vector<double> us)
{
    std::sort(us.begin(), us.end());
    Stats s;
    s.median_us = us[us.size() / 2];
    s.p99_us = us[std::min(us.size() - 1, us.size() * 99 / 100)];
    s.min_us = us.front();
    s.max_us = us.back();
    double sum = 0;
    for (double v : us)
        sum += v;
    s.mean_us = sum / static_cast<double>(us.size());
    return s;
}

template <typename Req>
Stats run(HostMailbox& hm, const std::function<void()>& pump, msg::Opcode op, const Req& req, unsigned n)
{
    std::vector<double> us;
    us.reserve(n);
    for (unsigned i = 0; i < n + n / 10; ++i) { // first 10 % warm-up, not recorded
        const auto t0 = std::chrono::steady_clock::now();
        const auto id = hm.send(op, req);
        pump();
        const auto rs = hm.receive();
        const auto t1 = std::chrono::steady_clock::now();
        if (!id || rs.size() != 1 || rs[0].header.id != *id || rs[0].status() != 0) {
            fmt::print(stderr, "bench-mailbox: bad round trip at message {}: {}\n", i, hm.error());
            std::exit(1);
        }
        if (i >= n / 10)
            us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    return summarize(std::move(us));
}

void report(std::string_view device, std::string_view what, unsigned n, const Stats& s)
{
    fmt::print("{:5} {:30} n={:6}  median {:7.2f} us  p99 {:7.2f} us  mean {:7.2f} us  min {:6.2f}  max {:8.2f}\n",
               device, what, n, s.median_us, s.p99_us, s.mean_us, s.min_us, s.max_us);
}

void bench_fake(unsigned n)
{
    FakeDevice dev(1);
    dev.immediate = true;
    Firmware firmware;
    firmware.bind(dev);
    const auto npu = image::build_image(image::ImageKind::npu, 1, image::kDefaultPayloadSize);
    const auto cert = image::build_image(image::ImageKind::cert, 1, image::kDefaultPayloadSize);
    dev.guest().put(kFwAddr, npu);
    dev.guest().put(kCertAddr, cert);
    firmware.smu_command(smu::kPowerOn, 0);
    firmware.psp_command(psp::kValidate, static_cast<uint32_t>(kFwAddr), 0,
                         align_up(static_cast<uint32_t>(npu.size()), psp::kFwAlign));
    firmware.psp_command(psp::kValidateCert, static_cast<uint32_t>(kCertAddr), 0,
                         align_up(static_cast<uint32_t>(cert.size()), psp::kCertAlign));
    if (firmware.psp_command(psp::kStart, psp::kStartCopyFw, 0, 0) != 0 || firmware.set_vf_count(1) != 0) {
        fmt::print(stderr, "bench-mailbox: fake boot failed\n");
        std::exit(1);
    }
    FakeBus pf_bus(dev, firmware, npu3::kPf), vf_bus(dev, firmware, npu3::vf_index(0));
    HostMailbox pf(pf_bus), vf(vf_bus);
    if (!pf.open() || !vf.open()) {
        fmt::print(stderr, "bench-mailbox: mailbox open failed\n");
        std::exit(1);
    }
    const auto pump = [] {};
    report("fake", "PF ATTACH_WORK_BUFFER (32/20 B)", n,
           run(pf, pump, msg::Opcode::attach_work_buffer, msg::AttachWorkBufferReq{0x400000, 0, 0x400000}, n));
    report("fake", "VF AIE_TILE_INFO (20/64 B)", n, run(vf, pump, msg::Opcode::aie_tile_info, msg::TileInfoReq{0}, n));
}

void bench_npu3(unsigned n)
{
    Firmware firmware;
    npu3::DeviceConfig cfg;
    cfg.total_vfs = 1;
    npu3::Device device(cfg, firmware, nullptr);
    VectorDma dma;
    CountingSink pf_irq, vf_irq;
    pcie::Function& pf_fn = device.pf();
    enable_function(pf_fn, &dma, &pf_irq);
    const auto npu = image::build_image(image::ImageKind::npu, 1, image::kDefaultPayloadSize);
    const auto cert = image::build_image(image::ImageKind::cert, 1, image::kDefaultPayloadSize);
    dma.mem.put(kFwAddr, npu);
    dma.mem.put(kCertAddr, cert);
    const bool booted = boot_pf(pf_fn, kFwAddr, align_up(static_cast<uint32_t>(npu.size()), psp::kFwAlign),
                                kCertAddr, align_up(static_cast<uint32_t>(cert.size()), psp::kCertAlign)) &&
                        device.enable_vfs(1) == 0;
    if (!booted || device.vf(0) == nullptr) {
        fmt::print(stderr, "bench-mailbox: npu3 boot failed\n");
        std::exit(1);
    }
    enable_function(*device.vf(0), &dma, &vf_irq);
    FunctionBus pf_bus(pf_fn), vf_bus(*device.vf(0));
    HostMailbox pf(pf_bus), vf(vf_bus);
    if (!pf.open() || !vf.open()) {
        fmt::print(stderr, "bench-mailbox: npu3 mailbox open failed: {} {}\n", pf.error(), vf.error());
        std::exit(1);
    }
    const auto pump = [&] { device.run_deferred(); };
    report("npu3", "PF ATTACH_WORK_BUFFER (32/20 B)", n,
           run(pf, pump, msg::Opcode::attach_work_buffer, msg::AttachWorkBufferReq{0x400000, 0, 0x400000}, n));
    report("npu3", "VF AIE_TILE_INFO (20/64 B)", n, run(vf, pump, msg::Opcode::aie_tile_info, msg::TileInfoReq{0}, n));
    // One MSI-X per response (warm-up included) reached the "guest".
    if (pf_irq.fired != n + n / 10 || vf_irq.fired != n + n / 10)
        fmt::print(stderr, "bench-mailbox: MSI-X deliveries pf {} vf {}, expected {} each\n", pf_irq.fired,
                   vf_irq.fired, n + n / 10);
}

} // namespace

int main(int argc, char** argv)
{
    unsigned n = 20000;
    std::string_view device = "both";
    static constexpr aie4emu::cli::Choice<std::string_view> kDevices[] = {
        {"fake", "fake", "the firmware against a fake device"},
        {"npu3", "npu3", "the firmware on the npu3 device model"},
        {"both", "both", "(default)"},
    };
    CLI::App app{"Management mailbox round trips (docs/performance.md \"Management mailbox\").", "bench-mailbox"};
    aie4emu::cli::configure(app, "usage: bench-mailbox [--messages N] [--device fake|npu3|both]");
    aie4emu::cli::add_number(app, "--messages", n, 100u, 100000000u, "messages per figure (default 20000)");
    aie4emu::cli::add_choice<std::string_view>(app, "--device", device, kDevices, "which device:");
    if (auto rc = aie4emu::cli::run(app, argc, argv))
        return *rc;
    if (n < 100) {
        fmt::print(stderr, "bench-mailbox: at least 100 messages\n");
        return 2;
    }
    if (device == "fake" || device == "both")
        bench_fake(n);
    if (device == "npu3" || device == "both")
        bench_npu3(n);
    return 0;
}
