#include "emu/faults.hpp"

#include "emu/control/control_server.hpp"
#include "cli/number.hpp"
#include "firmware-stub/aie4_messages.hpp"
#include "firmware-stub/firmware.hpp"
#include "firmware-stub/mailbox_protocol.hpp"
#include "firmware-stub/psp_protocol.hpp"
#include "hw/aie/array.hpp"
#include "hw/npu3/device.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>

namespace aie4emu::faults {

namespace json = boost::json;
using control::CommandError;

namespace {

// "Until cleared" for the hardware faults, whose counters have no 0-means-forever.
constexpr uint32_t kForever = std::numeric_limits<uint32_t>::max();

struct Kind {
    std::string_view name;
    std::string_view keys;        // accepted besides "kind" and "count"
    std::string_view help;
};

// The table: every kind aie4ctl fault and aie4emu --fault know.
constexpr Kind kKinds[] = {
    {"mailbox-timeout", "fn op",
     "the firmware takes a mailbox request off the ring and never answers (driver: RX timeout, -ETIME)"},
    {"mailbox-status", "fn op status",
     "the firmware answers a mailbox request with `status` (default 0x1, ERROR) instead of handling it"},
    {"psp-validate", "image status",
     "PSP VALIDATE of the npu (image=npu, default) or cert image answers `status` (default 0xffff00f5)"},
    {"msix-lost", "fn",
     "MSI-X messages of fn (default vf0) other than the mailbox vector are lost: command completions "
     "are written but never signalled"},
    {"command-hang", "fn",
     "a doorbell of fn (default vf0) is taken and its commands never start nor complete"},
    {"dma-fault", "fn",
     "shim DMA bursts to host memory in fn's partition (default vf0) fault (count=N: the next N of "
     "each column): the running job completes with an error"},
};

const Kind& find_kind(std::string_view name)
{
    for (const auto& k : kKinds)
        if (k.name == name)
            return k;
    std::string known;
    for (const auto& k : kKinds)
        known += fmt::format("{}{}", known.empty() ? "" : ", ", k.name);
    throw CommandError(fmt::format("unknown fault kind '{}' (known: {})", name, known));
}

bool key_allowed(const Kind& k, std::string_view key)
{
    if (key == "cmd" || key == "kind" || key == "count")
        return true;
    size_t pos = 0;
    while (pos < k.keys.size()) {
        size_t end = k.keys.find(' ', pos);
        if (end == std::string_view::npos)
            end = k.keys.size();
        if (k.keys.substr(pos, end - pos) == key)
            return true;
        pos = end + 1;
    }
    return false;
}

std::optional<uint32_t> get_u32(const json::object& req, std::string_view key)
{
    auto it = req.find(key);
    if (it == req.end())
        return std::nullopt;
    const auto& v = it->value();
    if (v.is_int64() && v.as_int64() >= 0 && v.as_int64() <= 0xffffffffLL)
        return static_cast<uint32_t>(v.as_int64());
    if (v.is_uint64() && v.as_uint64() <= 0xffffffffULL)
        return static_cast<uint32_t>(v.as_uint64());
    if (v.is_string())
        if (auto n = cli::parse_number<uint32_t>(std::string_view(v.as_string())))
            return *n;
    throw CommandError(fmt::format("\"{}\" must be a number from 0 to 0xffffffff", key));
}

std::optional<std::string> get_string(const json::object& req, std::string_view key)
{
    auto it = req.find(key);
    if (it == req.end())
        return std::nullopt;
    if (!it->value().is_string())
        throw CommandError(fmt::format("\"{}\" must be a string", key));
    return std::string(it->value().as_string());
}

// "pf" -> 0, "vfN" -> N + 1 within the device's functions.
npu3::FunctionIndex function_index(const std::string& name, unsigned total_vfs, bool vf_only)
{
    if (name == "pf" && !vf_only)
        return npu3::kPf;
    if (name.size() > 2 && name.size() < 5 && name.rfind("vf", 0) == 0)
        if (auto k = cli::parse_number<unsigned>(std::string_view(name).substr(2)); k && *k < total_vfs)
            return npu3::vf_index(*k);
    throw CommandError(fmt::format("\"fn\" must be {}vf0..vf{}, not '{}'", vf_only ? "" : "pf or ",
                                   total_vfs ? total_vfs - 1 : 0, name));
}

std::string function_name(npu3::FunctionIndex fn) { return fn == npu3::kPf ? "pf" : fmt::format("vf{}", fn - 1); }

// A mailbox opcode by name (CREATE_PARTITION) or number.
uint32_t mailbox_opcode(const json::object& req)
{
    auto it = req.find("op");
    if (it->value().is_string()) {
        const std::string_view name(it->value().as_string());
        for (const auto& info : fw::msg::kOpcodes)
            if (info.name == name)
                return static_cast<uint32_t>(info.opcode);
    }
    if (auto n = get_u32(req, "op"))
        return *n;
    throw CommandError("\"op\" must be a mailbox message name (e.g. CREATE_PARTITION) or its opcode");
}

} // namespace

json::object arm(Targets& t, const json::object& req)
{
    const auto kind_name = get_string(req, "kind");
    if (!kind_name)
        throw CommandError("\"kind\" is required (aie4ctl fault kind=KIND ...; 'aie4ctl help' lists them)");
    const Kind& kind = find_kind(*kind_name);
    for (const auto& [key, value] : req)
        if (!key_allowed(kind, key))
            throw CommandError(fmt::format("fault {} takes no \"{}\" (keys: {} count)", kind.name,
                                           std::string_view(key), kind.keys));
    const uint32_t count = get_u32(req, "count").value_or(0);
    const auto fn_name = get_string(req, "fn");
    json::object armed{{"kind", kind.name}, {"count", count}};

    if (kind.name == "mailbox-timeout" || kind.name == "mailbox-status") {
        fw::FirmwareFault f;
        f.kind = kind.name == "mailbox-timeout" ? fw::FaultKind::mailbox_timeout : fw::FaultKind::mailbox_status;
        if (fn_name)
            f.fn = function_index(*fn_name, t.total_vfs, false);
        if (req.contains("op"))
            f.opcode = mailbox_opcode(req);
        f.status = get_u32(req, "status").value_or(static_cast<uint32_t>(fw::msg::Status::error));
        if (f.kind == fw::FaultKind::mailbox_status && f.status == 0)
            throw CommandError("status 0 is success, not a fault");
        f.count = count;
        armed["fn"] = f.fn ? json::value(function_name(*f.fn)) : json::value("all");
        if (f.opcode)
            armed["op"] = *f.opcode;
        if (f.kind == fw::FaultKind::mailbox_status)
            armed["status"] = f.status;
        if (!t.firmware.faults().add(f))
            throw CommandError("too many faults armed (clear some first)");
    } else if (kind.name == "psp-validate") {
        fw::FirmwareFault f;
        f.kind = fw::FaultKind::psp_validate;
        const std::string image = get_string(req, "image").value_or("npu");
        if (image != "npu" && image != "cert")
            throw CommandError("\"image\" must be npu or cert");
        f.opcode = image == "npu" ? fw::psp::kValidate : fw::psp::kValidateCert;
        f.status = get_u32(req, "status").value_or(fw::psp::kErrorImageChecksum);
        if (f.status == fw::psp::kOk)
            throw CommandError("status 0 is success, not a fault");
        f.count = count;
        armed["image"] = image;
        armed["status"] = f.status;
        if (!t.firmware.faults().add(f))
            throw CommandError("too many faults armed (clear some first)");
    } else if (kind.name == "command-hang") {
        fw::FirmwareFault f;
        f.kind = fw::FaultKind::command_hang;
        f.fn = function_index(fn_name.value_or("vf0"), t.total_vfs, true);
        f.count = count;
        armed["fn"] = function_name(*f.fn);
        if (!t.firmware.faults().add(f))
            throw CommandError("too many faults armed (clear some first)");
    } else if (kind.name == "msix-lost") {
        const auto fn = function_index(fn_name.value_or("vf0"), t.total_vfs, false);
        t.device.drop_msix(fn, fw::mbox::kI2xMsiIdx, count == 0 ? kForever : count);
        armed["fn"] = function_name(fn);
    } else if (kind.name == "dma-fault") {
        const auto fn = function_index(fn_name.value_or("vf0"), t.total_vfs, true);
        // The VF's partition columns (FirmwareConfig: VF k owns [k*n, k*n + n)).
        const unsigned per_vf = t.firmware.config().columns_per_vf;
        const unsigned first = (fn - 1) * per_vf;
        t.array.inject_host_dma_faults(static_cast<uint16_t>(first), static_cast<uint16_t>(per_vf),
                                       count == 0 ? kForever : count);
        armed["fn"] = function_name(fn);
        armed["columns"] = fmt::format("{}..{}", first, first + per_vf - 1);
    }
    return armed;
}

void clear(Targets& t)
{
    t.firmware.faults().clear();
    for (unsigned fn = 0; fn <= t.total_vfs; ++fn)
        t.device.drop_msix(fn, 0, 0);
    t.array.inject_host_dma_faults(0, t.array.geometry().columns, 0);
}

json::object list(Targets& t)
{
    json::array firmware;
    for (const auto& f : t.firmware.faults().armed()) {
        json::object o{{"kind", fw::fault_kind_name(f.kind)},
                       {"fn", f.fn ? json::value(function_name(*f.fn)) : json::value("all")},
                       {"count", f.count},
                       {"struck", f.struck}};
        if (f.opcode)
            o["op"] = *f.opcode;
        if (f.kind == fw::FaultKind::mailbox_status || f.kind == fw::FaultKind::psp_validate)
            o["status"] = f.status;
        firmware.emplace_back(std::move(o));
    }
    json::array msix, dma;
    for (unsigned fn = 0; fn <= t.total_vfs; ++fn)
        if (auto left = t.device.msix_drops_left(fn))
            msix.emplace_back(json::object{{"fn", function_name(fn)}, {"left", left}});
    for (uint16_t c = 0; c < t.array.geometry().columns; ++c)
        if (auto left = t.array.injected_host_dma_faults(c))
            dma.emplace_back(json::object{{"column", c}, {"left", left}});
    return json::object{{"firmware", std::move(firmware)}, {"msix_lost", std::move(msix)}, {"dma_fault", std::move(dma)}};
}

json::object parse_spec(std::string_view spec)
{
    json::object req;
    size_t pos = spec.find(':');
    const std::string_view kind = spec.substr(0, pos);
    try {
        find_kind(kind);
    } catch (const CommandError& e) {
        throw std::invalid_argument(e.what());
    }
    req["kind"] = kind;
    while (pos != std::string_view::npos) {
        const size_t next = spec.find(':', pos + 1);
        const std::string_view kv = spec.substr(pos + 1, next == std::string_view::npos ? next : next - pos - 1);
        const size_t eq = kv.find('=');
        if (eq == std::string_view::npos || eq == 0 || eq + 1 == kv.size())
            throw std::invalid_argument(fmt::format("--fault {}: '{}' is not key=value", spec, kv));
        const std::string_view key = kv.substr(0, eq), value = kv.substr(eq + 1);
        if (auto n = cli::parse_number<int64_t>(value))
            req[key] = *n;
        else
            req[key] = value;
        pos = next;
    }
    return req;
}

std::string help()
{
    std::string out;
    for (const auto& k : kKinds)
        out += fmt::format("  {:<16} [{}{}count=N]  {}\n", k.name, k.keys, k.keys.empty() ? "" : " ", k.help);
    return out;
}

} // namespace aie4emu::faults
