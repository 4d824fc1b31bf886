#include "emu/vfio_user/dispatch.hpp"

#include "hw/sim/internal_error.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <stdexcept>

namespace aie4emu::vfio_user {

namespace json = boost::json;
namespace p = proto;

namespace {

// Little-endian packing of a register value into message bytes (the
// protocol is host order; PCI data is little-endian, as is every host we
// build for; keeping it explicit makes that visible).
uint64_t load_le(const uint8_t* b, unsigned n) {
    uint64_t v = 0;
    for (unsigned i = 0; i < n; ++i)
        v |= static_cast<uint64_t>(b[i]) << (8 * i);
    return v;
}
void store_le(uint8_t* b, unsigned n, uint64_t v) {
    for (unsigned i = 0; i < n; ++i)
        b[i] = static_cast<uint8_t>(v >> (8 * i));
}

bool json_uint(const json::value& v, uint64_t& out) {
    if (v.is_uint64()) {
        out = v.as_uint64();
        return true;
    }
    if (v.is_int64() && v.as_int64() >= 0) {
        out = static_cast<uint64_t>(v.as_int64());
        return true;
    }
    return false;
}

std::vector<uint8_t> reply_header(const Message& m, size_t payload, uint32_t extra_flags = 0, uint32_t err = 0) {
    std::vector<uint8_t> b;
    b.reserve(sizeof(p::Header) + payload);
    p::Header h;
    h.id = m.hdr.id;
    h.command = m.hdr.command;
    h.size = static_cast<uint32_t>(sizeof(p::Header) + payload);
    h.flags = p::kFlagTypeReply | extra_flags;
    h.error = err;
    append(b, h);
    return b;
}

} // namespace

Dispatcher::Dispatcher(const std::string& name, pcie::Function& fn, ReplySink& replies)
    : name_(name), fn_(fn), replies_(replies) {
    route(p::kVersion, [this](Message& m) { return version(m); });
    route(p::kDeviceGetInfo, [this](Message& m) { return device_info(m); });
    route(p::kDeviceGetRegionInfo, [this](Message& m) { return region_info(m); });
    route(p::kRegionRead, [this](Message& m) { return region_access(m, false); });
    route(p::kRegionWrite, [this](Message& m) { return region_access(m, true); });
    route(p::kDeviceReset, [this](Message& m) { return reset(m); });
}

void Dispatcher::route(uint16_t command, Handler handler) {
    if (command == 0 || command >= table_.size())
        throw std::out_of_range(fmt::format("vfio-user command {} is not in the protocol", command));
    table_[command] = std::move(handler);
}

void Dispatcher::begin_session() {
    negotiated_ = false;
    limits_ = ClientLimits{};
}

// ---- replies -------------------------------------------------------------------

void Dispatcher::reply_ok(const Message& m, const Answer& a) {
    if (m.hdr.flags & p::kFlagNoReply)
        return;
    auto b = reply_header(m, a.payload.size());
    b.insert(b.end(), a.payload.begin(), a.payload.end());
    if (!replies_.send(std::move(b), a.fds))
        reply_error(m, EMFILE, "cannot duplicate an fd for the reply");
}

void Dispatcher::reply_error(const Message& m, int err, std::string_view why) {
    ++errors_;
    vlog(name_, "{} (id {}): error {} ({}): {}{}", command_name(m.hdr.command), m.hdr.id, err, std::strerror(err),
         why, (m.hdr.flags & p::kFlagNoReply) ? " [no-reply request]" : "");
    if (m.hdr.flags & p::kFlagNoReply)
        return;
    (void)replies_.send(reply_header(m, 0, p::kFlagError, static_cast<uint32_t>(err)), {});
}

// ---- dispatch ------------------------------------------------------------------

void Dispatcher::dispatch(Message& m) {
    ++messages_;
    ++depth_;
    try {
        handle(m);
    } catch (const RequestError& e) {
        reply_error(m, e.err, e.why);
    } catch (...) {
        // Not a refused request but a bug or exhaustion: the request fails with EIO and
        // the report aborts in strict mode (hw/sim/internal_error.hpp).
        const std::string what(sim::exception_message(std::current_exception()));
        sim::report_internal_error(fmt::format("vfio-user {} of {}", command_name(m.hdr.command), name_), what);
        reply_error(m, EIO, fmt::format("internal error: {}", what));
    }
    --depth_;
    // m's destructor closes every fd the handler did not take.
}

void Dispatcher::handle(Message& m) {
    const uint32_t type = m.hdr.flags & p::kFlagTypeMask;
    if (type == p::kFlagTypeReply) {
        if (m.hdr.command == p::kDmaRead || m.hdr.command == p::kDmaWrite) {
            // A reply to a DMA request we already gave up on.
            vlog(name_, "dropping a late {} reply (id {})", command_name(m.hdr.command), m.hdr.id);
            return;
        }
        fail(EINVAL, "reply flag set on a request");
    }
    if (type != p::kFlagTypeRequest)
        fail(EINVAL, fmt::format("unknown message type {}", type));
    if (m.fds_truncated || m.fds.size() > limits::kMaxMsgFds)
        fail(EINVAL, fmt::format("too many fds (more than {})", limits::kMaxMsgFds));
    if (!negotiated_ && m.hdr.command != p::kVersion)
        fail(EINVAL, "command before VERSION negotiation");
    if (m.hdr.command == 0 || m.hdr.command >= table_.size())
        fail(ENOSYS, fmt::format("unknown command {}", m.hdr.command));
    const Handler& handler = table_[m.hdr.command];
    if (!handler) // REGION_IO_FDS, DMA_READ/WRITE (ours to send), dirty pages, multi-write, features, migration
        fail(ENOTSUP, "command not supported by this server");
    reply_ok(m, handler(m));
}

// ---- VERSION -------------------------------------------------------------------

Answer Dispatcher::version(const Message& m) {
    require_no_fds(m);
    if (negotiated_)
        fail(EINVAL, "VERSION sent twice");
    if (m.payload.size() < sizeof(p::VersionHead))
        fail(EINVAL, "VERSION payload too short");
    const auto head = load<p::VersionHead>(m.payload);
    if (head.major != p::kVersionMajor)
        fail(ENOTSUP, fmt::format("protocol major {} not supported (we speak {})", head.major, p::kVersionMajor));

    ClientLimits agreed;
    agreed.max_dma_maps = limits::kMaxDmaMaps;
    const size_t json_len = m.payload.size() - sizeof(p::VersionHead);
    if (json_len > 0) {
        const char* text = reinterpret_cast<const char*>(m.payload.data() + sizeof(p::VersionHead));
        const size_t len = ::strnlen(text, json_len); // the NUL terminator is optional to us
        boost::system::error_code ec;
        json::value doc = json::parse(std::string_view(text, len), ec);
        if (ec)
            fail(EINVAL, fmt::format("VERSION JSON does not parse: {}", ec.message()));
        if (!doc.is_object())
            fail(EINVAL, "VERSION JSON is not an object");
        if (const json::value* caps = doc.as_object().if_contains("capabilities")) {
            if (!caps->is_object())
                fail(EINVAL, "\"capabilities\" is not an object");
            const json::object& c = caps->as_object();
            auto number = [&](const char* key, uint64_t& out) {
                if (const json::value* v = c.if_contains(key)) {
                    if (!json_uint(*v, out))
                        fail(EINVAL, fmt::format("capability \"{}\" is not a non-negative integer", key));
                }
            };
            number("max_msg_fds", agreed.max_msg_fds);
            number("max_data_xfer_size", agreed.max_data_xfer_size);
            number("max_dma_maps", agreed.max_dma_maps);
            uint64_t pgsizes = p::kDefaultPgsizes;
            number("pgsizes", pgsizes);
            if ((pgsizes & limits::kPgsizes) == 0)
                fail(EINVAL,
                     fmt::format("client page sizes {:#x} do not include {:#x}", pgsizes, limits::kPgsizes));
            if (const json::value* v = c.if_contains("write_multiple"); v && !v->is_bool())
                fail(EINVAL, "capability \"write_multiple\" is not a boolean");
            if (const json::value* v = c.if_contains("migration"); v && !v->is_object())
                fail(EINVAL, "capability \"migration\" is not an object");
            // twin_socket, migration, write_multiple: not offered back.
        }
    }
    if (agreed.max_data_xfer_size == 0)
        fail(EINVAL, "max_data_xfer_size is 0");
    agreed.max_dma_maps = std::min<uint64_t>(agreed.max_dma_maps, limits::kMaxDmaMaps);
    limits_ = agreed;
    if (negotiated_hook_)
        negotiated_hook_(limits_);

    json::object caps{
        {"max_msg_fds", limits::kMaxMsgFds},
        {"max_data_xfer_size", limits::kMaxDataXferSize},
        {"pgsizes", limits::kPgsizes},
        {"max_dma_maps", limits_.max_dma_maps},
    };
    const std::string text = json::serialize(json::object{{"capabilities", caps}});
    Answer a;
    append(a.payload, p::VersionHead{p::kVersionMajor, std::min(head.minor, p::kVersionMinor)});
    a.payload.insert(a.payload.end(), text.begin(), text.end());
    a.payload.push_back(0);
    negotiated_ = true;
    vlog(name_, "VERSION {}.{} negotiated; client max_data_xfer_size {}", p::kVersionMajor,
         std::min(head.minor, p::kVersionMinor), limits_.max_data_xfer_size);
    return a;
}

// ---- DEVICE_GET_INFO -------------------------------------------------------------

Answer Dispatcher::device_info(const Message& m) {
    require_no_fds(m);
    require_payload(m, sizeof(p::DeviceInfo));
    const auto req = load<p::DeviceInfo>(m.payload);
    if (req.argsz < sizeof(p::DeviceInfo))
        fail(EINVAL, fmt::format("argsz {} < {}", req.argsz, sizeof(p::DeviceInfo)));
    p::DeviceInfo info;
    info.argsz = sizeof(p::DeviceInfo);
    info.flags = p::kDeviceFlagPci | p::kDeviceFlagReset;
    info.num_regions = p::kPciNumRegions;
    info.num_irqs = p::kPciNumIrqs;
    Answer a;
    append(a.payload, info);
    return a;
}

// ---- DEVICE_GET_REGION_INFO ------------------------------------------------------

uint64_t Dispatcher::region_size(uint32_t index) const {
    if (index <= p::kPciBar5RegionIndex)
        return fn_.bar_info(index).size;
    if (index == p::kPciConfigRegionIndex)
        return p::kPciConfigSpaceSize;
    return 0; // ROM, VGA: not implemented
}

// The mmap-able parts of a BAR, as one fd plus a base file offset (vfio:
// area file offset = region offset + area offset). Areas that do not fit
// that shape (other fd, other base, unaligned, outside the BAR) are left to
// REGION_READ/WRITE, with a log line.
struct Dispatcher::SparseLayout {
    int fd = -1;
    uint64_t base = 0;
    std::vector<p::SparseMmapArea> areas;
};

Dispatcher::SparseLayout Dispatcher::sparse_layout(unsigned bar, const pcie::BarInfo& info) const {
    constexpr uint64_t kPage = 4096;
    SparseLayout out;
    for (const pcie::MmapArea& a : info.mmap_areas) {
        const bool aligned = a.offset % kPage == 0 && a.size % kPage == 0 && a.fd_offset % kPage == 0;
        const bool inside = a.size > 0 && a.offset < info.size && a.size <= info.size - a.offset;
        if (a.fd < 0 || !aligned || !inside || a.fd_offset < a.offset) {
            vlog(name_, "BAR{} mmap area [{:#x}, +{:#x}) fd {} not usable; served by messages", bar, a.offset,
                 a.size, a.fd);
            continue;
        }
        const uint64_t base = a.fd_offset - a.offset;
        if (out.fd < 0) {
            out.fd = a.fd;
            out.base = base;
        } else if (a.fd != out.fd || base != out.base) {
            vlog(name_, "BAR{} mmap area [{:#x}, +{:#x}) uses another fd/base; served by messages", bar, a.offset,
                 a.size);
            continue;
        }
        out.areas.push_back(p::SparseMmapArea{a.offset, a.size});
    }
    return out;
}

Answer Dispatcher::region_info(const Message& m) {
    require_no_fds(m);
    require_payload(m, sizeof(p::RegionInfo));
    const auto req = load<p::RegionInfo>(m.payload);
    if (req.argsz < sizeof(p::RegionInfo))
        fail(EINVAL, fmt::format("argsz {} < {}", req.argsz, sizeof(p::RegionInfo)));
    if (req.index >= p::kPciNumRegions)
        fail(EINVAL, fmt::format("region index {} out of range", req.index));

    p::RegionInfo info;
    info.index = req.index;
    info.argsz = sizeof(p::RegionInfo);
    std::vector<uint8_t> caps;
    int fd = -1;
    if (req.index <= p::kPciBar5RegionIndex) {
        const pcie::BarInfo bar = fn_.bar_info(req.index);
        info.size = bar.size;
        if (bar.size > 0) {
            info.flags = p::kRegionFlagRead | p::kRegionFlagWrite;
            SparseLayout layout = sparse_layout(req.index, bar);
            // The areas need an fd in the reply; a client that takes none
            // gets the BAR through REGION_READ/WRITE only.
            if (!layout.areas.empty() && limits_.max_msg_fds >= 1) {
                info.flags |= p::kRegionFlagMmap | p::kRegionFlagCaps;
                info.offset = layout.base;
                p::CapHeader ch{p::kRegionCapSparseMmap, p::kRegionCapSparseMmapVersion, 0};
                append(caps, ch);
                append(caps, p::SparseMmapHead{static_cast<uint32_t>(layout.areas.size()), 0});
                for (const auto& a : layout.areas)
                    append(caps, a);
                fd = layout.fd;
            }
        }
    } else if (req.index == p::kPciConfigRegionIndex) {
        info.size = p::kPciConfigSpaceSize;
        info.flags = p::kRegionFlagRead | p::kRegionFlagWrite;
    } // ROM and VGA: size 0, no flags

    Answer a;
    const size_t full = sizeof(p::RegionInfo) + caps.size();
    info.argsz = static_cast<uint32_t>(full);
    if (!caps.empty() && req.argsz >= full) {
        info.cap_offset = sizeof(p::RegionInfo);
        append(a.payload, info);
        a.payload.insert(a.payload.end(), caps.begin(), caps.end());
        a.fds.push_back(fd);
    } else {
        // Too small for the capabilities: the client learns the size it
        // needs from argsz and asks again; caps and fd come with the full
        // answer. QEMU rejects CAPS with cap_offset 0 (hw/vfio-user/device.c
        // checks cap_offset >= sizeof(info)), so the flag goes out only with
        // the capability itself.
        info.cap_offset = 0;
        info.flags &= ~p::kRegionFlagCaps;
        append(a.payload, info);
    }
    return a;
}

// ---- REGION_READ / REGION_WRITE --------------------------------------------------

Answer Dispatcher::region_access(Message& m, bool write) {
    require_no_fds(m);
    if (m.payload.size() < sizeof(p::RegionAccess))
        fail(EINVAL, fmt::format("payload {} bytes < {}", m.payload.size(), sizeof(p::RegionAccess)));
    const auto req = load<p::RegionAccess>(m.payload);
    const size_t expected = sizeof(p::RegionAccess) + (write ? req.count : 0);
    if (m.payload.size() != expected)
        fail(EINVAL,
             fmt::format("payload {} bytes, expected {} for count {}", m.payload.size(), expected, req.count));
    if (req.count > limits::kMaxDataXferSize)
        fail(EINVAL, fmt::format("count {} exceeds max_data_xfer_size", req.count));
    if (req.region >= p::kPciNumRegions)
        fail(EINVAL, fmt::format("region index {} out of range", req.region));
    const uint64_t size = region_size(req.region);
    if (size == 0 || req.offset >= size || req.count > size - req.offset)
        fail(EINVAL, fmt::format("[{:#x}, +{:#x}) outside region {} (size {:#x})", req.offset, req.count,
                                 req.region, size));

    Answer a;
    if (write) {
        access(req.region, req.offset, m.payload.data() + sizeof(p::RegionAccess), req.count, true);
        append(a.payload, p::RegionAccess{req.offset, req.region, req.count});
    } else {
        a.payload.resize(sizeof(p::RegionAccess) + req.count);
        std::memcpy(a.payload.data(), &req, sizeof(req));
        access(req.region, req.offset, a.payload.data() + sizeof(p::RegionAccess), req.count, false);
    }
    return a;
}

// Split into naturally aligned accesses of the widest size allowed: config
// space takes 1/2/4 bytes, BARs 1/2/4/8.
void Dispatcher::access(uint32_t region, uint64_t offset, uint8_t* data, uint32_t count, bool write) {
    const bool config = region == p::kPciConfigRegionIndex;
    const unsigned widest = config ? 4 : 8;
    uint32_t pos = 0;
    while (pos < count) {
        const uint64_t at = offset + pos;
        unsigned w = widest;
        while (w > 1 && (at % w != 0 || count - pos < w))
            w /= 2;
        if (write) {
            const uint64_t v = load_le(data + pos, w);
            if (config)
                fn_.config_write(static_cast<uint32_t>(at), w, static_cast<uint32_t>(v));
            else
                fn_.bar_write(region, at, w, v);
        } else {
            const uint64_t v = config ? fn_.config_read(static_cast<uint32_t>(at), w) : fn_.bar_read(region, at, w);
            store_le(data + pos, w, v);
        }
        pos += w;
    }
}

// ---- DEVICE_RESET ----------------------------------------------------------------

Answer Dispatcher::reset(const Message& m) {
    require_no_fds(m);
    require_payload(m, 0);
    vlog(name_, "DEVICE_RESET");
    fn_.reset();
    return {};
}

} // namespace aie4emu::vfio_user
