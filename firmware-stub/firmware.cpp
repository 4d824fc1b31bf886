#include "firmware-stub/firmware.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <fmt/format.h>

#include "firmware-stub/mailbox_protocol.hpp"
#include "firmware-stub/psp_protocol.hpp"
#include "firmware-stub/smu_protocol.hpp"
#include "hw/aie/params.hpp"
#include "hw/npu3/npu3_regs.hpp"
#include "hw/pcie/function.hpp"
#include "hw/sim/log.hpp"
#include "hw/sim/internal_error.hpp"

namespace aie4emu::fw {

namespace {

// Event counts per tile kind for AIE_TILE_INFO. Not in hw/aie's parameter
// table and not public for AIE4 (docs/spec/driver-interface.md §11.3); AIE-ML has 128 event
// ids per module [AM020, ours to reuse].
// TODO: take from hw/aie/params.hpp once it lists events per tile kind.
constexpr uint16_t kCoreEvents = 128;
constexpr uint16_t kMemEvents = 128;
constexpr uint16_t kShimEvents = 128;
// Version reported in AIE_TILE_INFO: AIE4 is generation 4 (docs/spec/driver-interface.md
// §5.1 suggestion; not validated by the driver). Emulator choice.
constexpr uint16_t kTileInfoMajor = 4;
constexpr uint16_t kTileInfoMinor = 0;
constexpr uint16_t kShimRows = 1;

uint16_t dma_channels(aie::TileKind kind)
{
    const auto& r = aie::resources(kind);
    return static_cast<uint16_t>(r.s2mm_channels + r.mm2s_channels);
}

template <typename T>
T load(std::span<const uint8_t> bytes)
{
    T v{};
    std::memcpy(&v, bytes.data(), sizeof(T));
    return v;
}

template <typename T>
void store(std::span<uint8_t> bytes, const T& v)
{
    std::memcpy(bytes.data(), &v, sizeof(T));
}

// Chunk size of image reads (bounded memory whatever size the guest claims).
constexpr uint32_t kImageChunk = 64 * 1024;

} // namespace

msg::TileInfo make_tile_info(const FirmwareConfig& config)
{
    const aie::Geometry& g = config.geometry;
    msg::TileInfo t{};
    t.size = aie::Geometry::column_size();
    t.major = kTileInfoMajor;
    t.minor = kTileInfoMinor;
    t.cols = static_cast<uint16_t>(config.columns_per_vf);
    t.rows = g.rows();
    t.core_rows = g.core_rows;
    t.mem_rows = g.mem_rows;
    t.shim_rows = kShimRows;
    t.core_row_start = g.core_row_start;
    t.mem_row_start = g.mem_row_start;
    t.shim_row_start = g.shim_row;
    t.core_dma_channels = dma_channels(aie::TileKind::core);
    t.mem_dma_channels = dma_channels(aie::TileKind::mem);
    t.shim_dma_channels = dma_channels(aie::TileKind::shim);
    t.core_locks = aie::resources(aie::TileKind::core).locks;
    t.mem_locks = aie::resources(aie::TileKind::mem).locks;
    t.shim_locks = aie::resources(aie::TileKind::shim).locks;
    t.core_events = kCoreEvents;
    t.mem_events = kMemEvents;
    t.shim_events = kShimEvents;
    return t;
}

// Adapts the firmware to one function's channel.
class Firmware::Handler final : public RequestHandler {
public:
    Handler(Firmware& fw, npu3::FunctionIndex fn) : fw_(fw), fn_(fn) {}

    uint32_t response_size(uint32_t opcode) const override
    {
        const msg::OpcodeInfo* info = msg::find_opcode(opcode);
        return info != nullptr ? info->response_size : msg::kUnknownOpcodeResponseSize;
    }

    bool handle(const Request& req, std::span<uint8_t> resp) override
    {
        const std::string fn = npu3::function_name(fn_);
        const msg::OpcodeInfo* info = msg::find_opcode(req.opcode);
        const std::string name = info != nullptr ? std::string(info->name) : fmt::format("{:#x}", req.opcode);
        msg::Status status = msg::Status::success;
        const bool is_pf = fn_ == npu3::kPf;
        if (fw_.faults_.strike(FaultKind::mailbox_timeout, fn_, req.opcode)) {
            AIE4_LOG(mailbox, fn, 0, "id {:#x} {}: not answered (injected fault mailbox-timeout)", req.id, name);
            fw_.device_->trace(fn_, fmt::format("mailbox id={:#x} op={} fault=no-answer", req.id, name));
            return false;
        }
        if (auto f = fw_.faults_.strike(FaultKind::mailbox_status, fn_, req.opcode)) {
            // The status word as the fault names it, nothing else (a failed request carries no data).
            std::fill(resp.begin(), resp.end(), uint8_t{0});
            store(resp, f->status);
            AIE4_LOG(mailbox, fn, 0, "id {:#x} {} -> status {:#x} (injected fault mailbox-status)", req.id, name,
                     f->status);
            fw_.device_->trace(fn_, fmt::format("mailbox id={:#x} op={} status={:#x} fault=status", req.id, name,
                                                f->status));
            return true;
        }
        if (info == nullptr) {
            AIE4_LOG(mailbox, fn, 0, "unknown opcode {:#x}: NOTSUPP", req.opcode);
            status = msg::Status::notsupp;
        } else if (req.fault == RequestFault::bad_protocol_version) {
            AIE4_LOG(mailbox, fn, 0, "{}: sz_ver {:#x} protocol version is not {}: ERROR", name, req.sz_ver,
                     mbox::kMsgProtocolVersion);
            status = msg::Status::error;
        } else if (req.fault == RequestFault::size_mismatch) {
            AIE4_LOG(mailbox, fn, 0, "{}: sz_ver {:#x} size disagrees with total_size {}: ERROR", name, req.sz_ver,
                     req.payload.size());
            status = msg::Status::error;
        } else if ((info->sender == msg::Sender::pf) != is_pf) {
            // What real firmware does here is unknown; NOTSUPP is our choice
            // (the driver never sends these).
            AIE4_LOG(mailbox, fn, 0, "{} is a {} message: NOTSUPP", name,
                     info->sender == msg::Sender::pf ? "PF" : "VF");
            status = msg::Status::notsupp;
        } else if (req.payload.size() != info->request_size) {
            AIE4_LOG(mailbox, fn, 0, "{}: request of {} bytes, expected {}: ERROR", name, req.payload.size(),
                     info->request_size);
            status = msg::Status::error;
        } else {
            status = fw_.dispatch(fn_, info->opcode, req.payload, resp);
        }
        if (status != msg::Status::success) // failed requests carry nothing but the status
            std::fill(resp.begin(), resp.end(), uint8_t{0});
        store(resp, static_cast<uint32_t>(status));
        AIE4_LOG(mailbox, fn, 0, "id {:#x} {} -> {}", req.id, name, msg::status_name(status));
        fw_.device_->trace(fn_, fmt::format("mailbox id={:#x} op={} status={}", req.id, name,
                                            msg::status_name(status)));
        return true;
    }

private:
    Firmware& fw_;
    npu3::FunctionIndex fn_;
};

Firmware::Firmware(FirmwareConfig config, std::unique_ptr<CommandProcessor> processor)
    : config_(config), processor_(processor ? std::move(processor) : std::make_unique<NullCommandProcessor>())
{
}

Firmware::~Firmware() = default;

void Firmware::bind(npu3::DeviceServices& device)
{
    device_ = &device;
    const unsigned functions = 1 + device.total_vfs();
    channels_.clear();
    for (npu3::FunctionIndex fn = 0; fn < functions; ++fn)
        channels_.push_back(std::make_unique<MailboxChannel>(device, fn, config_.ring_layout));
    vfs_.assign(device.total_vfs(), std::nullopt);
    kick_pending_.assign(functions, false);
    processor_->bind(device);
    // Cold device: nothing published until PSP START (or a VF bring-up).
    for (auto& c : channels_)
        c->stop();
    AIE4_LOG(fw, "pf", 0, "bound: {} functions, {} VF slices of {} columns", functions, max_vfs(),
             config_.columns_per_vf);
}

// ---------------------------------------------------------------------------
// SMU

uint32_t Firmware::smu_command(uint32_t cmd, uint32_t arg)
{
    switch (cmd) {
    case smu::kPowerOff:
        // A full NPU reset: the firmware, every mailbox and all VF state go.
        firmware_down("SMU POWER_OFF");
        powered_ = false;
        AIE4_LOG(smu, "pf", 0, "POWER_OFF: NPU reset");
        break;
    case smu::kPowerOn:
        powered_ = true;
        AIE4_LOG(smu, "pf", 0, "POWER_ON");
        break;
    default:
        // Clock and DPM commands (AIE2 only) and anything else: accepted,
        // nothing to model.
        AIE4_LOG(smu, "pf", 0, "cmd {:#x} arg {:#x}: accepted, no effect", cmd, arg);
        break;
    }
    return smu::kResultOk;
}

// ---------------------------------------------------------------------------
// PSP

uint32_t Firmware::validate_image(image::ImageKind kind, uint64_t addr, uint32_t buf_size, uint32_t& build_id)
{
    const auto kind_str = image::kind_name(kind);
    if (device_ == nullptr)
        return psp::kErrorBadState;
    pcie::DmaSpace& dma = device_->dma(npu3::kPf);
    if (buf_size < image::kHeaderSize || addr + buf_size < addr) {
        AIE4_LOG(psp, "pf", 0, "{} image buffer {:#x}+{:#x} cannot hold a header", kind_str, addr, buf_size);
        return psp::kErrorImageFormat;
    }
    std::array<uint8_t, image::kHeaderSize> header{};
    if (!dma.read(addr, header.data(), header.size())) {
        AIE4_LOG(psp, "pf", 0, "{} image at {:#x}: DMA read failed", kind_str, addr);
        return psp::kErrorImageUnreadable;
    }
    image::ImageHeader h;
    if (const auto e = image::decode_header(header, h); e != image::ImageError::none) {
        AIE4_LOG(psp, "pf", 0, "{} image at {:#x}: {}", kind_str, addr, image::error_name(e));
        return psp::kErrorImageFormat;
    }
    if (uint64_t{image::kHeaderSize} + h.payload_size > buf_size) {
        AIE4_LOG(psp, "pf", 0, "{} image payload {} bytes overruns the {} byte buffer", kind_str, h.payload_size,
                 buf_size);
        return psp::kErrorImageFormat;
    }
    if (h.kind != static_cast<uint16_t>(kind)) {
        AIE4_LOG(psp, "pf", 0, "image at {:#x} has kind {}, expected {} ({})", addr, h.kind,
                 static_cast<unsigned>(kind), kind_str);
        return psp::kErrorImageKind;
    }
    uint32_t crc = image::header_crc(header);
    std::vector<uint8_t> chunk(std::min(kImageChunk, std::max<uint32_t>(h.payload_size, 1)));
    for (uint32_t done = 0; done < h.payload_size;) {
        const uint32_t n = std::min<uint32_t>(kImageChunk, h.payload_size - done);
        if (!dma.read(addr + image::kHeaderSize + done, chunk.data(), n)) {
            AIE4_LOG(psp, "pf", 0, "{} image payload at {:#x}: DMA read failed", kind_str,
                     addr + image::kHeaderSize + done);
            return psp::kErrorImageUnreadable;
        }
        crc = image::crc32_update(crc, std::span<const uint8_t>(chunk.data(), n));
        done += n;
    }
    if (image::crc32_final(crc) != h.checksum) {
        AIE4_LOG(psp, "pf", 0, "{} image checksum {:#x}, computed {:#x}", kind_str, h.checksum, image::crc32_final(crc));
        return psp::kErrorImageChecksum;
    }
    build_id = h.build_id;
    AIE4_LOG(psp, "pf", 0, "{} image build {} ({} bytes) validated", kind_str, h.build_id,
             image::kHeaderSize + h.payload_size);
    return psp::kOk;
}

uint32_t Firmware::psp_command(uint32_t cmd, uint32_t arg0, uint32_t arg1, uint32_t arg2)
{
    const uint64_t addr = uint64_t{arg1} << 32 | arg0;
    switch (cmd) {
    case psp::kValidate:
    case psp::kValidateCert: {
        if (psp_.running) {
            AIE4_LOG(psp, "pf", 0, "VALIDATE{} while the firmware runs: bad state",
                     cmd == psp::kValidateCert ? "_CERT" : "");
            return psp::kErrorBadState;
        }
        const bool cert = cmd == psp::kValidateCert;
        uint32_t build = 0;
        uint32_t r = validate_image(cert ? image::ImageKind::cert : image::ImageKind::npu, addr, arg2, build);
        if (auto f = faults_.strike(FaultKind::psp_validate, npu3::kPf, cmd)) {
            r = f->status;
            AIE4_LOG(psp, "pf", 0, "VALIDATE{} -> {:#x} (injected fault psp-validate)", cert ? "_CERT" : "", r);
            device_->trace(npu3::kPf, fmt::format("psp validate{} fault=status {:#x}", cert ? "-cert" : "", r));
        }
        bool& ok = cert ? psp_.cert_validated : psp_.fw_validated;
        ok = r == psp::kOk;
        (cert ? psp_.cert_build_id : psp_.fw_build_id) = ok ? build : 0;
        return r;
    }
    case psp::kStart:
        if (psp_.running || !psp_.fw_validated || !psp_.cert_validated) {
            AIE4_LOG(psp, "pf", 0, "START in bad state (running {}, fw validated {}, cert validated {})",
                     psp_.running, psp_.fw_validated, psp_.cert_validated);
            return psp::kErrorBadState;
        }
        if (arg0 != psp::kStartCopyFw) {
            AIE4_LOG(psp, "pf", 0, "START with arg0 {:#x}, expected {}", arg0, psp::kStartCopyFw);
            return psp::kErrorBadArgument;
        }
        if (!powered_) {
            AIE4_LOG(psp, "pf", 0, "START while the NPU is powered off");
            return psp::kErrorPoweredOff;
        }
        if (!channels_.at(npu3::kPf)->start())
            return psp::kErrorBadState;
        psp_.running = true;
        suspended_ = false;
        device_->trace(npu3::kPf, fmt::format("firmware up: npu build {} cert build {}", psp_.fw_build_id,
                                              psp_.cert_build_id));
        // VFs the hardware still has enabled (after a reset) get their
        // mailboxes back: the firmware serves what the device exposes.
        if (vf_count_ == 0 && device_->enabled_vfs() > 0)
            apply_vf_count(device_->enabled_vfs());
        return psp::kOk;
    case psp::kReleaseTmr:
        if (!psp_.running) {
            AIE4_LOG(psp, "pf", 0, "RELEASE_TMR while the firmware is not running: bad state");
            return psp::kErrorBadState;
        }
        firmware_down("PSP RELEASE_TMR");
        return psp::kOk;
    default:
        AIE4_LOG(psp, "pf", 0, "unknown command {} (arg0 {:#x} arg1 {:#x} arg2 {:#x})", cmd, arg0, arg1, arg2);
        return psp::kErrorUnknownCommand;
    }
}

void Firmware::firmware_down(const char* why)
{
    const bool was_running = psp_.running;
    psp_ = PspState{};
    work_buffer_.reset();
    suspended_ = false;
    apply_vf_count(0);
    if (!channels_.empty())
        channels_[npu3::kPf]->stop();
    if (was_running && device_ != nullptr)
        device_->trace(npu3::kPf, fmt::format("firmware down: {}", why));
}

// ---------------------------------------------------------------------------
// VFs

unsigned Firmware::max_vfs() const
{
    const unsigned slices = config_.columns_per_vf == 0 ? 0 : config_.geometry.columns / config_.columns_per_vf;
    return std::min<unsigned>(static_cast<unsigned>(vfs_.size()), slices);
}

void Firmware::context_gone(const HwContext& context) { processor_->on_context_destroyed(context); }

void Firmware::vf_down(unsigned vf)
{
    if (vfs_.at(vf)) {
        vfs_[vf]->clear([this](const HwContext& c) { context_gone(c); });
        vfs_[vf].reset();
    }
    channels_.at(npu3::vf_index(vf))->stop();
}

uint32_t Firmware::apply_vf_count(unsigned count)
{
    const auto error = static_cast<uint32_t>(msg::Status::error);
    if (device_ == nullptr)
        return error;
    if (count > max_vfs()) {
        AIE4_LOG(fw, "pf", 0, "{} VFs requested, at most {} ({} TotalVFs, {} columns / {} per VF)", count, max_vfs(),
                 vfs_.size(), config_.geometry.columns, config_.columns_per_vf);
        return error;
    }
    if (count == vf_count_)
        return static_cast<uint32_t>(msg::Status::success);
    if (count != 0 && vf_count_ != 0) {
        AIE4_LOG(fw, "pf", 0, "{} VFs requested while {} are up: disable first", count, vf_count_);
        return error;
    }
    if (count == 0) {
        for (unsigned v = 0; v < vf_count_; ++v)
            vf_down(v);
        vf_count_ = 0;
        AIE4_LOG(fw, "pf", 0, "VFs down");
        return static_cast<uint32_t>(msg::Status::success);
    }
    for (unsigned v = 0; v < count; ++v) {
        VfLimits limits;
        limits.first_column = v * config_.columns_per_vf;
        limits.columns = config_.columns_per_vf;
        limits.core_rows = config_.geometry.core_rows;
        limits.max_contexts = config_.max_contexts_per_vf;
        limits.doorbell_pages = npu3::regs::kVfDoorbellPages;
        limits.i2x_msi_idx = config_.ring_layout.i2x_msi_idx;
        vfs_[v].emplace(npu3::vf_index(v), limits);
        if (!channels_[npu3::vf_index(v)]->start()) {
            for (unsigned u = 0; u <= v; ++u)
                vf_down(u);
            return error;
        }
        device_->trace(npu3::vf_index(v), "firmware up: VF mailbox");
    }
    vf_count_ = count;
    AIE4_LOG(fw, "pf", 0, "{} VFs up", count);
    return static_cast<uint32_t>(msg::Status::success);
}

uint32_t Firmware::set_vf_count(unsigned count) { return apply_vf_count(count); }

VfResources* Firmware::vf(unsigned vf)
{
    if (vf >= vfs_.size() || !vfs_[vf])
        return nullptr;
    return &*vfs_[vf];
}

const MailboxChannel* Firmware::channel(npu3::FunctionIndex fn) const
{
    return valid_fn(fn) ? channels_[fn].get() : nullptr;
}

// ---------------------------------------------------------------------------
// Mailbox

void Firmware::mailbox_kick(npu3::FunctionIndex fn)
{
    if (device_ == nullptr || !valid_fn(fn)) {
        AIE4_LOG(mailbox, npu3::function_name(fn), 0, "kick of a function the firmware does not serve: ignored");
        return;
    }
    if (kick_pending_[fn])
        return; // the pending run reads the tail when it runs
    kick_pending_[fn] = true;
    std::weak_ptr<int> alive = alive_;
    device_->defer([this, alive, fn] {
        if (alive.expired())
            return;
        kick_pending_[fn] = false;
        service_mailbox(fn);
    });
}

void Firmware::service_mailbox(npu3::FunctionIndex fn)
{
    if (device_ == nullptr || !valid_fn(fn))
        return;
    Handler handler(*this, fn);
    try {
        channels_[fn]->service(handler);
    } catch (...) {
        // Guest messages are validated and answered with a status, never thrown about: this is
        // a bug or the host running out of memory, with the function's state half-updated.
        // The function's mailbox stops (its driver times out and resets it); others go on.
        const std::string what(sim::exception_message(std::current_exception()));
        sim::report_internal_error(fmt::format("the firmware serving {}'s mailbox", npu3::function_name(fn)), what);
        channels_[fn]->stop();
        device_->trace(fn, fmt::format("firmware: mailbox stopped after an internal error: {}", what));
    }
}

msg::Status Firmware::dispatch(npu3::FunctionIndex fn, msg::Opcode op, std::span<const uint8_t> req,
                               std::span<uint8_t> resp)
{
    const std::string fname = npu3::function_name(fn);
    using msg::Opcode;
    using msg::Status;
    switch (op) {
    case Opcode::suspend:
        // Stop using the work buffer; the host frees it after RELEASE_TMR.
        work_buffer_.reset();
        suspended_ = true;
        return Status::success;
    case Opcode::attach_work_buffer: {
        const auto r = load<msg::AttachWorkBufferReq>(req);
        if (r.buff_size < msg::kWorkBufferMinSize || r.buff_addr == 0 || r.buff_addr + r.buff_size < r.buff_addr) {
            AIE4_LOG(fw, fname, 0, "work buffer {:#x}+{:#x} refused (need >= {:#x} bytes, non-zero address)",
                     r.buff_addr, r.buff_size, msg::kWorkBufferMinSize);
            return Status::error;
        }
        work_buffer_ = WorkBuffer{r.buff_addr, r.buff_size};
        suspended_ = false;
        return Status::success;
    }
    case Opcode::create_vfs: {
        const auto r = load<msg::CreateVfsReq>(req);
        if (r.vf_cnt == 0) {
            AIE4_LOG(fw, fname, 0, "CREATE_VFS with vf_cnt 0");
            return Status::error;
        }
        return apply_vf_count(r.vf_cnt) == 0 ? Status::success : Status::error;
    }
    case Opcode::destroy_vfs:
        return apply_vf_count(0) == 0 ? Status::success : Status::error;
    default: break;
    }

    // VF messages.
    VfResources* res = vf(fn - 1);
    if (res == nullptr) {
        AIE4_LOG(fw, fname, 0, "VF message on a VF that is not up");
        return Status::error;
    }
    const auto gone = [this](const HwContext& c) { context_gone(c); };
    switch (op) {
    case Opcode::aie_tile_info: {
        msg::TileInfoResp r{};
        r.info = make_tile_info(config_);
        store(resp, r);
        return Status::success;
    }
    case Opcode::create_partition: {
        const auto r = load<msg::CreatePartitionReq>(req);
        const Outcome o = res->create_partition(r.partition_col_start, r.partition_col_count, next_partition_id_);
        if (o.status == Status::success) {
            msg::CreatePartitionResp out{0, o.value};
            store(resp, out);
        }
        return o.status;
    }
    case Opcode::destroy_partition:
        return res->destroy_partition(load<msg::DestroyPartitionReq>(req).partition_id, gone).status;
    case Opcode::create_hw_context: {
        const auto r = load<msg::CreateHwContextReq>(req);
        const Outcome o = res->create_context(r, device_->msix_vectors(fn));
        if (o.status == Status::success) {
            const HwContext* c = res->context(o.value);
            msg::CreateHwContextResp out{0, c->id, c->doorbell_offset, c->msix_vector};
            store(resp, out);
            AIE4_LOG(fw, fname, 0, "context {} on partition {}: hsa {:#x} pasid {:#x} doorbell {:#x} msix {}", c->id,
                     c->partition_id, c->hsa_addr, c->pasid_field, c->doorbell_offset, c->msix_vector);
        }
        return o.status;
    }
    case Opcode::destroy_hw_context:
        return res->destroy_context(load<msg::DestroyHwContextReq>(req).hw_context_id, gone).status;
    default: break;
    }
    return Status::notsupp;
}

// ---------------------------------------------------------------------------
// Doorbells and resets

void Firmware::doorbell(npu3::FunctionIndex fn, unsigned page, uint32_t offset, uint32_t value)
{
    const std::string fname = npu3::function_name(fn);
    VfResources* res = fn == npu3::kPf ? nullptr : vf(fn - 1);
    if (res == nullptr) {
        AIE4_LOG(cert, fname, 0, "doorbell page {} on a function without contexts: ignored", page);
        return;
    }
    HwContext* c = res->context_by_doorbell(page);
    if (c == nullptr) {
        AIE4_LOG(cert, fname, 0, "doorbell page {} has no context: ignored", page);
        return;
    }
    if (c->state != ContextState::active) {
        AIE4_LOG(cert, fname, 0, "doorbell of context {} in state {}: ignored", c->id, context_state_name(c->state));
        return;
    }
    if (faults_.strike(FaultKind::command_hang, fn)) {
        // The commands behind this doorbell never start: no completion, no read_index, no MSI-X.
        AIE4_LOG(cert, fname, 0, "doorbell of context {}: swallowed (injected fault command-hang)", c->id);
        device_->trace(fn, fmt::format("doorbell context={} fault=command-hang", c->id));
        return;
    }
    processor_->on_doorbell(*c, offset, value);
}

void Firmware::function_reset(npu3::FunctionIndex fn)
{
    if (device_ == nullptr || !valid_fn(fn))
        return;
    if (fn == npu3::kPf) {
        // Back to the post-boot state (docs/spec/driver-interface.md §1.7): rings empty; the
        // work buffer belonged to the previous owner's memory.
        work_buffer_.reset();
        suspended_ = false;
        if (psp_.running)
            channels_[fn]->start();
        else
            channels_[fn]->stop();
        return;
    }
    const unsigned v = fn - 1;
    // Recorded before anything is dropped: whether a job was still running when the reset
    // arrived (CERT then aborts it while dropping the function's contexts).
    const unsigned executing = processor_->executing_commands(fn);
    AIE4_LOG(fw, npu3::function_name(fn), 0, "function-level reset: {} commands executing", executing);
    device_->trace(fn, fmt::format("flr: {} commands executing", executing));
    if (VfResources* res = vf(v)) {
        res->clear([this](const HwContext& c) { context_gone(c); });
        channels_[fn]->start();
        device_->trace(fn, "firmware: VF reset, partitions and contexts dropped");
    } else {
        channels_[fn]->stop();
    }
}

} // namespace aie4emu::fw
