#pragma once
// Thin RAII wrapper over the amdxdna uAPI of one AIE4 VF (no XRT): device discovery
// through sysfs, BOs, hardware contexts with a user-mode queue, the doorbell page and
// WAIT_CMD. Errors are thrown as DeviceError carrying errno.

#include "guest-driver/include/amdxdna_uapi.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace aie4emu::guest {

class DeviceError : public std::runtime_error {
public:
    DeviceError(const std::string& what, int error_number);
    int error_number() const { return errno_; }

private:
    int errno_;
};

struct AccelLocation {
    std::string bdf;        // e.g. "0000:00:03.0"
    std::string node;       // e.g. "/dev/accel/accel0"
    int minor = -1;         // N of accelN
    int device_type = -1;   // sysfs device_type (1 = VF/UMQ, 2 = PF)
};

// All PCI functions with an amdxdna device_type attribute, in sysfs order.
std::vector<AccelLocation> list_accel_functions(const std::string& sysfs_root = "/sys/bus/pci/devices");
// The function with this BDF, or (bdf empty) the first VF (device_type == 1).
std::optional<AccelLocation> locate_vf(const std::string& bdf, const std::string& sysfs_root = "/sys/bus/pci/devices");

enum class WaitIoctl { kernel, xrt }; // 0x40106449 (kernel header) or 0xC0106449 (XRT 2.25)

class Device;

class Bo {
public:
    Bo() = default;
    Bo(Bo&& other) noexcept;
    Bo& operator=(Bo&& other) noexcept;
    Bo(const Bo&) = delete;
    Bo& operator=(const Bo&) = delete;
    ~Bo();

    std::uint32_t handle() const { return handle_; }
    std::uint64_t size() const { return size_; }
    std::uint64_t xdna_addr() const { return xdna_addr_; }
    std::uint64_t map_offset() const { return map_offset_; }
    std::span<std::uint8_t> bytes() const { return {static_cast<std::uint8_t*>(map_), static_cast<std::size_t>(size_)}; }
    bool mapped() const { return map_ != nullptr; }

private:
    friend class Device;
    void reset() noexcept;
    int fd_ = -1;
    std::uint32_t handle_ = 0;
    std::uint64_t size_ = 0;
    std::uint64_t xdna_addr_ = 0;
    std::uint64_t map_offset_ = 0;
    void* map_ = nullptr;
};

class Doorbell {
public:
    Doorbell() = default;
    Doorbell(Doorbell&& other) noexcept;
    Doorbell& operator=(Doorbell&& other) noexcept;
    Doorbell(const Doorbell&) = delete;
    Doorbell& operator=(const Doorbell&) = delete;
    ~Doorbell();

    // XRT writes the 32-bit value 0 at page offset 0 after publishing a packet.
    void ring() const;

private:
    friend class Device;
    void reset() noexcept;
    volatile std::uint32_t* page_ = nullptr;
    std::size_t length_ = 0;
};

class HwContext {
public:
    HwContext() = default;
    HwContext(HwContext&& other) noexcept;
    HwContext& operator=(HwContext&& other) noexcept;
    HwContext(const HwContext&) = delete;
    HwContext& operator=(const HwContext&) = delete;
    ~HwContext();

    std::uint32_t handle() const { return handle_; }
    std::uint32_t doorbell_offset() const { return doorbell_offset_; }
    std::uint32_t syncobj_handle() const { return syncobj_; }

private:
    friend class Device;
    void reset() noexcept;
    int fd_ = -1;
    std::uint32_t handle_ = 0;
    std::uint32_t doorbell_offset_ = 0;
    std::uint32_t syncobj_ = 0;
};

struct HwContextRequest {
    std::uint32_t umq_bo = 0;
    std::uint32_t num_tiles = 0; // XRT: columns x core rows
    std::uint32_t max_opc = 0;
    std::uint32_t mem_size = 0;
    uapi::QosInfo qos{};
};

class Device {
public:
    explicit Device(const std::string& node);
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;
    ~Device();

    int fd() const { return fd_; }

    uapi::AieMetadata aie_metadata() const;

    // CREATE_BO + GET_BO_INFO + mmap of the whole BO (the mmap is what SVA mode needs
    // before CREATE_HWCTX, and what every mode needs to fill the BO).
    Bo create_bo(std::uint64_t size, uapi::BoType type) const;

    HwContext create_hwctx(const HwContextRequest& request) const;
    Doorbell map_doorbell(const HwContext& ctx) const;

    // WAIT_CMD: 0 on completion, -ETIME on timeout, other -errno on failure.
    int wait_cmd(const HwContext& ctx, std::uint64_t seq, std::uint32_t timeout_ms, WaitIoctl which) const;

private:
    int fd_ = -1;
};

} // namespace aie4emu::guest
