// The AIE4 firmware stub: implements npu3::FirmwarePort. SMU power, PSP boot
// of our stub images, one management mailbox per function (PF and each
// enabled VF), the message handlers, partitions and hardware contexts, and
// the seam to CERT (CommandProcessor).
//
// Host process:
//     aie4emu::fw::Firmware firmware;                       // or Firmware(config, processor)
//     aie4emu::npu3::Device device(device_config, firmware, &array);   // calls firmware.bind(device)
// The firmware must outlive the device; work it defers through
// DeviceServices::defer is skipped if the firmware is gone by then.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "firmware-stub/aie4_messages.hpp"
#include "firmware-stub/command_processor.hpp"
#include "firmware-stub/faults.hpp"
#include "firmware-stub/hw_context.hpp"
#include "firmware-stub/image_format.hpp"
#include "firmware-stub/mailbox.hpp"
#include "hw/aie/geometry.hpp"
#include "hw/npu3/firmware_port.hpp"

namespace aie4emu::fw {

struct FirmwareConfig {
    aie::Geometry geometry{};                              // must match the array's (hw/aie/geometry.hpp)
    unsigned columns_per_vf = msg::kVfPartitionColumns;    // VF k owns columns [k*n, k*n + n)
    unsigned max_contexts_per_vf = 32;                     // emulator choice; also <= doorbell pages
    RingLayout ring_layout = RingLayout::standard();
};

// AIE_TILE_INFO contents for `config` (what every VF is told).
[[nodiscard]] msg::TileInfo make_tile_info(const FirmwareConfig& config);

struct PspState {
    bool fw_validated = false;
    bool cert_validated = false;
    bool running = false;          // PSP START done: PF mailbox up
    uint32_t fw_build_id = 0;
    uint32_t cert_build_id = 0;
};

struct WorkBuffer {
    uint64_t addr = 0;
    uint32_t size = 0;
};

class Firmware final : public npu3::FirmwarePort {
public:
    // `processor` null: a NullCommandProcessor (doorbells logged, nothing completed).
    explicit Firmware(FirmwareConfig config = {}, std::unique_ptr<CommandProcessor> processor = nullptr);
    ~Firmware() override;
    Firmware(const Firmware&) = delete;
    Firmware& operator=(const Firmware&) = delete;

    // ---- FirmwarePort ------------------------------------------------------------
    void bind(npu3::DeviceServices& device) override;
    uint32_t smu_command(uint32_t cmd, uint32_t arg) override;
    uint32_t psp_command(uint32_t cmd, uint32_t arg0, uint32_t arg1, uint32_t arg2) override;
    // Defers service_mailbox(fn) (coalesced: one pending run per function).
    void mailbox_kick(npu3::FunctionIndex fn) override;
    void doorbell(npu3::FunctionIndex fn, unsigned page, uint32_t offset, uint32_t value) override;
    void function_reset(npu3::FunctionIndex fn) override;
    uint32_t set_vf_count(unsigned count) override;

    // ---- Synchronous core ----------------------------------------------------------
    // Answer every request queued in fn's x2i ring now.
    void service_mailbox(npu3::FunctionIndex fn);

    // ---- State (tests, control plane) ------------------------------------------------
    [[nodiscard]] bool powered() const { return powered_; }
    [[nodiscard]] const PspState& psp_state() const { return psp_; }
    [[nodiscard]] unsigned vf_count() const { return vf_count_; }
    [[nodiscard]] std::optional<WorkBuffer> work_buffer() const { return work_buffer_; }
    [[nodiscard]] bool suspended() const { return suspended_; }
    // nullptr for a function the device does not have.
    [[nodiscard]] const MailboxChannel* channel(npu3::FunctionIndex fn) const;
    // nullptr unless VF `vf` is up.
    [[nodiscard]] VfResources* vf(unsigned vf);
    [[nodiscard]] CommandProcessor& command_processor() { return *processor_; }
    [[nodiscard]] const FirmwareConfig& config() const { return config_; }
    // Faults armed on purpose (faults.hpp); the control plane fills it.
    [[nodiscard]] FaultTable& faults() { return faults_; }

private:
    class Handler;
    friend class Handler;

    uint32_t validate_image(image::ImageKind kind, uint64_t addr, uint32_t buf_size, uint32_t& build_id);
    void firmware_down(const char* why);
    uint32_t apply_vf_count(unsigned count);
    void vf_down(unsigned vf);
    [[nodiscard]] unsigned max_vfs() const;
    [[nodiscard]] bool valid_fn(npu3::FunctionIndex fn) const { return fn < channels_.size(); }
    void context_gone(const HwContext& context);

    // Message handlers; each fills the response after its status dword.
    msg::Status dispatch(npu3::FunctionIndex fn, msg::Opcode op, std::span<const uint8_t> req,
                         std::span<uint8_t> resp);

    FirmwareConfig config_;
    std::unique_ptr<CommandProcessor> processor_;
    npu3::DeviceServices* device_ = nullptr;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
    bool powered_ = false;
    PspState psp_;
    std::optional<WorkBuffer> work_buffer_;
    bool suspended_ = false;
    unsigned vf_count_ = 0;
    uint32_t next_partition_id_ = 1;
    std::vector<std::unique_ptr<MailboxChannel>> channels_;   // [0] PF, [k] VF k-1
    std::vector<std::optional<VfResources>> vfs_;
    std::vector<bool> kick_pending_;
    FaultTable faults_;
};

} // namespace aie4emu::fw
