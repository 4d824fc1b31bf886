// A fake npu3::DeviceServices for firmware tests and the mailbox bench:
// SRAM bytes, a mailbox register file, an MSI-X log, guest memory as a vector,
// a queue of deferred work, and the trace. Every register write and MSI-X is
// also appended to `events` so tests can check their order.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "hw/npu3/firmware_port.hpp"
#include "hw/npu3/npu3_regs.hpp"
#include "hw/pcie/function.hpp"

namespace aie4emu::fw::test {

// Guest memory [base, base + size).
class FakeDma final : public pcie::DmaSpace {
public:
    FakeDma(uint64_t base, size_t size) : base_(base), mem_(size, 0) {}
    bool read(uint64_t addr, void* dst, size_t len) override
    {
        if (!inside(addr, len))
            return false;
        std::memcpy(dst, mem_.data() + (addr - base_), len);
        return true;
    }
    bool write(uint64_t addr, const void* src, size_t len) override
    {
        if (!inside(addr, len))
            return false;
        std::memcpy(mem_.data() + (addr - base_), src, len);
        return true;
    }
    [[nodiscard]] uint64_t base() const { return base_; }
    [[nodiscard]] std::vector<uint8_t>& bytes() { return mem_; }
    void put(uint64_t addr, const std::vector<uint8_t>& data)
    {
        if (!inside(addr, data.size()))
            throw std::out_of_range("FakeDma::put");
        std::memcpy(mem_.data() + (addr - base_), data.data(), data.size());
    }

private:
    [[nodiscard]] bool inside(uint64_t addr, size_t len) const
    {
        return addr >= base_ && len <= mem_.size() && addr - base_ <= mem_.size() - len;
    }
    uint64_t base_;
    std::vector<uint8_t> mem_;
};

class FakeDevice final : public npu3::DeviceServices {
public:
    static constexpr uint64_t kGuestBase = 0x100000;
    static constexpr size_t kGuestSize = 8 * 1024 * 1024;

    explicit FakeDevice(unsigned total_vfs = 4, unsigned pf_vectors = npu3::regs::kPfMsixVectors,
                        unsigned vf_vectors = npu3::regs::kVfMsixVectors)
        : total_vfs_(total_vfs), pf_vectors_(pf_vectors), vf_vectors_(vf_vectors)
    {
        for (unsigned fn = 0; fn <= total_vfs; ++fn) {
            sram_.emplace_back(fn == 0 ? npu3::regs::kSramBarSize : npu3::regs::kVfSramSize, uint8_t{0});
            regs_.emplace_back();
            dma_.emplace_back(std::make_unique<FakeDma>(kGuestBase, kGuestSize));
        }
    }

    // ---- DeviceServices ----
    unsigned enabled_vfs() const override { return enabled_vfs_; }
    unsigned total_vfs() const override { return total_vfs_; }
    std::span<uint8_t> sram(npu3::FunctionIndex fn) override { return sram_.at(fn); }
    uint32_t mbox_reg(npu3::FunctionIndex fn, uint32_t offset) const override
    {
        return regs_.at(fn).at(offset / 4);
    }
    void set_mbox_reg(npu3::FunctionIndex fn, uint32_t offset, uint32_t value) override
    {
        regs_.at(fn).at(offset / 4) = value;
        if (record_events)
            events.push_back(fmt::format("reg fn{} {:#x}={:#x}", fn, offset, value));
    }
    pcie::DmaSpace& dma(npu3::FunctionIndex fn) override { return *dma_.at(fn); }
    void raise_msix(npu3::FunctionIndex fn, unsigned vector) override
    {
        msix.emplace_back(fn, vector);
        if (record_events)
            events.push_back(fmt::format("msix fn{} {}", fn, vector));
    }
    unsigned msix_vectors(npu3::FunctionIndex fn) const override { return fn == 0 ? pf_vectors_ : vf_vectors_; }
    aie::Array& array() override { throw std::logic_error("FakeDevice has no array"); }
    void defer(std::function<void()> work) override
    {
        if (immediate)
            work();
        else
            deferred.push_back(std::move(work));
    }
    void trace(npu3::FunctionIndex fn, const std::string& event) override { traces.emplace_back(fn, event); }

    // ---- Test side ----
    size_t run_deferred()
    {
        size_t n = 0;
        while (!deferred.empty()) {
            auto w = std::move(deferred.front());
            deferred.pop_front();
            w();
            ++n;
        }
        return n;
    }
    // Host-side register write (what the guest does through BAR0).
    void host_write_reg(npu3::FunctionIndex fn, uint32_t offset, uint32_t value) { regs_.at(fn).at(offset / 4) = value; }
    FakeDma& guest(npu3::FunctionIndex fn = 0) { return *dma_.at(fn); }
    uint32_t sram32(npu3::FunctionIndex fn, uint32_t offset)
    {
        uint32_t v = 0;
        std::memcpy(&v, sram_.at(fn).data() + offset, 4);
        return v;
    }
    void set_enabled_vfs(unsigned n) { enabled_vfs_ = n; }

    std::vector<std::pair<npu3::FunctionIndex, unsigned>> msix;
    std::vector<std::pair<npu3::FunctionIndex, std::string>> traces;
    std::deque<std::function<void()>> deferred;
    std::vector<std::string> events;
    bool record_events = false;
    bool immediate = false;   // run deferred work inside defer() (bench)

private:
    unsigned total_vfs_;
    unsigned pf_vectors_;
    unsigned vf_vectors_;
    unsigned enabled_vfs_ = 0;
    std::vector<std::vector<uint8_t>> sram_;
    std::vector<std::array<uint32_t, npu3::regs::kMboxRegFileSize / 4>> regs_;
    std::vector<std::unique_ptr<FakeDma>> dma_;
};

} // namespace aie4emu::fw::test
