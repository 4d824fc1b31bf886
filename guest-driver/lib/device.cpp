#include "guest-driver/lib/device.hpp"

#include "cli/number.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <utility>

namespace aie4emu::guest {

namespace {

constexpr std::uint64_t page_size = 4096;

std::uint64_t page_round_up(std::uint64_t v)
{
    return (v + page_size - 1) & ~(page_size - 1);
}

std::vector<std::string> list_dir(const std::string& path)
{
    std::vector<std::string> names;
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr)
        return names;
    while (dirent* e = ::readdir(dir)) {
        const std::string name = e->d_name;
        if (name != "." && name != "..")
            names.push_back(name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

std::optional<int> read_int_file(const std::string& path)
{
    std::ifstream in(path);
    int value = 0;
    if (!(in >> value))
        return std::nullopt;
    return value;
}

int xioctl(int fd, unsigned long request, void* arg)
{
    int rc;
    do {
        rc = ::ioctl(fd, request, arg);
    } while (rc == -1 && (errno == EINTR || errno == EAGAIN));
    return rc;
}

[[noreturn]] void throw_errno(const std::string& what)
{
    const int e = errno;
    throw DeviceError(what + ": " + std::strerror(e), e);
}

} // namespace

DeviceError::DeviceError(const std::string& what, int error_number)
    : std::runtime_error(what), errno_(error_number)
{
}

std::vector<AccelLocation> list_accel_functions(const std::string& sysfs_root)
{
    std::vector<AccelLocation> out;
    for (const auto& bdf : list_dir(sysfs_root)) {
        const std::string dev = sysfs_root + "/" + bdf;
        const auto type = read_int_file(dev + "/device_type");
        if (!type)
            continue;
        AccelLocation loc;
        loc.bdf = bdf;
        loc.device_type = *type;
        for (const auto& name : list_dir(dev + "/accel")) {
            if (name.rfind("accel", 0) == 0) {
                loc.minor = aie4emu::cli::parse_number<int>(name.substr(5)).value_or(-1);
                loc.node = "/dev/accel/" + name;
                break;
            }
        }
        out.push_back(std::move(loc));
    }
    return out;
}

std::optional<AccelLocation> locate_vf(const std::string& bdf, const std::string& sysfs_root)
{
    for (auto& loc : list_accel_functions(sysfs_root)) {
        if (bdf.empty() ? loc.device_type == static_cast<int>(uapi::DeviceType::umq) : loc.bdf == bdf)
            return loc;
    }
    return std::nullopt;
}

// ---- Bo ----
Bo::Bo(Bo&& other) noexcept
{
    *this = std::move(other);
}

Bo& Bo::operator=(Bo&& other) noexcept
{
    if (this != &other) {
        reset();
        fd_ = std::exchange(other.fd_, -1);
        handle_ = std::exchange(other.handle_, 0);
        size_ = std::exchange(other.size_, 0);
        xdna_addr_ = std::exchange(other.xdna_addr_, 0);
        map_offset_ = std::exchange(other.map_offset_, 0);
        map_ = std::exchange(other.map_, nullptr);
    }
    return *this;
}

Bo::~Bo()
{
    reset();
}

void Bo::reset() noexcept
{
    if (map_ != nullptr)
        ::munmap(map_, page_round_up(size_));
    if (fd_ >= 0 && handle_ != uapi::invalid_bo_handle) {
        uapi::GemClose close{handle_, 0};
        xioctl(fd_, uapi::ioctl_gem_close, &close);
    }
    map_ = nullptr;
    fd_ = -1;
    handle_ = 0;
}

// ---- Doorbell ----
Doorbell::Doorbell(Doorbell&& other) noexcept
{
    *this = std::move(other);
}

Doorbell& Doorbell::operator=(Doorbell&& other) noexcept
{
    if (this != &other) {
        reset();
        page_ = std::exchange(other.page_, nullptr);
        length_ = std::exchange(other.length_, 0);
    }
    return *this;
}

Doorbell::~Doorbell()
{
    reset();
}

void Doorbell::reset() noexcept
{
    if (page_ != nullptr)
        ::munmap(const_cast<std::uint32_t*>(page_), length_);
    page_ = nullptr;
}

void Doorbell::ring() const
{
    *page_ = 0;
}

// ---- HwContext ----
HwContext::HwContext(HwContext&& other) noexcept
{
    *this = std::move(other);
}

HwContext& HwContext::operator=(HwContext&& other) noexcept
{
    if (this != &other) {
        reset();
        fd_ = std::exchange(other.fd_, -1);
        handle_ = std::exchange(other.handle_, 0);
        doorbell_offset_ = std::exchange(other.doorbell_offset_, 0);
        syncobj_ = std::exchange(other.syncobj_, 0);
    }
    return *this;
}

HwContext::~HwContext()
{
    reset();
}

void HwContext::reset() noexcept
{
    if (fd_ >= 0 && handle_ != uapi::invalid_ctx_handle) {
        uapi::DestroyHwctx d{handle_, 0};
        xioctl(fd_, uapi::ioctl_destroy_hwctx, &d);
    }
    fd_ = -1;
    handle_ = 0;
}

// ---- Device ----
Device::Device(const std::string& node)
{
    fd_ = ::open(node.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0)
        throw_errno("open " + node);
}

Device::~Device()
{
    if (fd_ >= 0)
        ::close(fd_);
}

uapi::AieMetadata Device::aie_metadata() const
{
    uapi::AieMetadata md{};
    uapi::GetInfo info{};
    info.param = uapi::query_aie_metadata;
    info.buffer_size = sizeof md;
    info.buffer = reinterpret_cast<std::uintptr_t>(&md);
    if (xioctl(fd_, uapi::ioctl_get_info, &info) != 0)
        throw_errno("GET_INFO(QUERY_AIE_METADATA)");
    return md;
}

Bo Device::create_bo(std::uint64_t size, uapi::BoType type) const
{
    uapi::CreateBo create{};
    create.size = size;
    create.type = static_cast<std::uint32_t>(type);
    if (xioctl(fd_, uapi::ioctl_create_bo, &create) != 0)
        throw_errno("CREATE_BO(size " + std::to_string(size) + ", type " + std::to_string(create.type) + ")");
    Bo bo;
    bo.fd_ = fd_;
    bo.handle_ = create.handle;
    bo.size_ = size;

    uapi::GetBoInfo info{};
    info.handle = create.handle;
    if (xioctl(fd_, uapi::ioctl_get_bo_info, &info) != 0)
        throw_errno("GET_BO_INFO");
    bo.map_offset_ = info.map_offset;
    void* map = ::mmap(nullptr, page_round_up(size), PROT_READ | PROT_WRITE, MAP_SHARED, fd_,
                       static_cast<off_t>(info.map_offset));
    if (map == MAP_FAILED)
        throw_errno("mmap BO");
    bo.map_ = map;
    // In SVA mode the device address is the VA of the first mmap, so read it again now.
    if (xioctl(fd_, uapi::ioctl_get_bo_info, &info) != 0)
        throw_errno("GET_BO_INFO after mmap");
    bo.xdna_addr_ = info.xdna_addr;
    return bo;
}

HwContext Device::create_hwctx(const HwContextRequest& request) const
{
    uapi::QosInfo qos = request.qos; // must stay valid across the ioctl: the kernel copies it in
    uapi::CreateHwctx args{};
    args.qos_p = reinterpret_cast<std::uintptr_t>(&qos);
    args.umq_bo = request.umq_bo;
    args.log_buf_bo = uapi::invalid_bo_handle;
    args.max_opc = request.max_opc;
    args.num_tiles = request.num_tiles;
    args.mem_size = request.mem_size;
    if (xioctl(fd_, uapi::ioctl_create_hwctx, &args) != 0)
        throw_errno("CREATE_HWCTX");
    HwContext ctx;
    ctx.fd_ = fd_;
    ctx.handle_ = args.handle;
    ctx.doorbell_offset_ = args.umq_doorbell;
    ctx.syncobj_ = args.syncobj_handle;
    return ctx;
}

Doorbell Device::map_doorbell(const HwContext& ctx) const
{
    if (ctx.doorbell_offset() == uapi::invalid_doorbell_offset)
        throw DeviceError("context has no doorbell (AMDXDNA_INVALID_DOORBELL_OFFSET)", EINVAL);
    // XRT maps 4 bytes, write-only; the kernel maps the whole page of VF BAR2.
    constexpr std::size_t length = sizeof(std::uint32_t);
    void* map = ::mmap(nullptr, length, PROT_WRITE, MAP_SHARED, fd_, static_cast<off_t>(ctx.doorbell_offset()));
    if (map == MAP_FAILED)
        throw_errno("mmap doorbell");
    Doorbell db;
    db.page_ = static_cast<volatile std::uint32_t*>(map);
    db.length_ = length;
    return db;
}

int Device::wait_cmd(const HwContext& ctx, std::uint64_t seq, std::uint32_t timeout_ms, WaitIoctl which) const
{
    uapi::WaitCmd wait{};
    wait.hwctx = ctx.handle();
    wait.timeout = timeout_ms;
    wait.seq = seq;
    const unsigned long request = which == WaitIoctl::xrt ? uapi::ioctl_wait_cmd_xrt : uapi::ioctl_wait_cmd_kernel;
    int rc;
    do {
        rc = ::ioctl(fd_, request, &wait);
    } while (rc == -1 && errno == EINTR);
    return rc == 0 ? 0 : -errno;
}

} // namespace aie4emu::guest
