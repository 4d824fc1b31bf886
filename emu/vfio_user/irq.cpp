#include "emu/vfio_user/irq.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <string_view>

namespace aie4emu::vfio_user {

namespace p = proto;

namespace {

// An eventfd is the only kind of fd we will ever write() an interrupt to.
bool is_eventfd(int fd) {
    char link[64];
    const std::string proc = fmt::format("/proc/self/fd/{}", fd);
    ssize_t n = ::readlink(proc.c_str(), link, sizeof(link) - 1);
    if (n < 0) {
        struct stat st {};
        return ::fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISBLK(st.st_mode);
    }
    link[n] = '\0';
    return std::string_view(link) == "anon_inode:[eventfd]";
}

} // namespace

Interrupts::Interrupts(const std::string& name, pcie::Function& fn) : name_(name), fn_(fn) {}

Interrupts::~Interrupts() { end_session(); }

void Interrupts::begin_session() {
    end_session();
    msix_fds_.assign(fn_.msix_vectors(), -1);
}

void Interrupts::end_session() {
    for (int& fd : msix_fds_)
        close_fd(fd);
    close_fd(intx_fd_);
}

uint32_t Interrupts::count(uint32_t index) const {
    switch (index) {
    case p::kPciIntxIrqIndex:
        // QEMU enables INTx when config space has an interrupt pin; report
        // the one line then so its setup succeeds. The function interface
        // has no INTx delivery, so it never fires.
        return (fn_.config_read(p::kPciInterruptPin, 1) & 0xff) != 0 ? 1 : 0;
    case p::kPciMsixIrqIndex:
        return fn_.msix_vectors();
    default:
        return 0; // MSI, ERR, REQ: not delivered by this function model
    }
}

// ---- DEVICE_GET_IRQ_INFO -----------------------------------------------------

Answer Interrupts::info(const Message& m) {
    require_no_fds(m);
    require_payload(m, sizeof(p::IrqInfo));
    const auto req = load<p::IrqInfo>(m.payload);
    if (req.argsz < sizeof(p::IrqInfo))
        fail(EINVAL, fmt::format("argsz {} < {}", req.argsz, sizeof(p::IrqInfo)));
    if (req.index >= p::kPciNumIrqs)
        fail(EINVAL, fmt::format("IRQ index {} out of range", req.index));
    p::IrqInfo info;
    info.argsz = sizeof(p::IrqInfo);
    info.index = req.index;
    info.count = count(req.index);
    switch (req.index) {
    case p::kPciIntxIrqIndex:
        info.flags = p::kIrqInfoEventfd | p::kIrqInfoMaskable | p::kIrqInfoAutomasked;
        break;
    case p::kPciMsiIrqIndex:
        info.flags = p::kIrqInfoEventfd | p::kIrqInfoNoresize;
        break;
    case p::kPciMsixIrqIndex:
        // Per-vector eventfds may be set at any time (no NORESIZE), and
        // MASK/UNMASK reach the function (MASKABLE: QEMU then forwards guest
        // vector masking instead of emulating it).
        info.flags = p::kIrqInfoEventfd | p::kIrqInfoMaskable;
        break;
    default:
        info.flags = p::kIrqInfoEventfd;
        break;
    }
    Answer a;
    append(a.payload, info);
    return a;
}

// ---- DEVICE_SET_IRQS ---------------------------------------------------------

void Interrupts::signal(int fd) {
    const uint64_t one = 1;
    if (::write(fd, &one, sizeof(one)) == static_cast<ssize_t>(sizeof(one)))
        ++fired_;
    else
        ++dropped_;
}

Answer Interrupts::set(Message& m) {
    if (m.payload.size() < sizeof(p::IrqSet))
        fail(EINVAL, fmt::format("payload {} bytes < {}", m.payload.size(), sizeof(p::IrqSet)));
    const auto req = load<p::IrqSet>(m.payload);
    if (req.argsz != m.payload.size())
        fail(EINVAL, fmt::format("argsz {} != payload size {}", req.argsz, m.payload.size()));
    const uint32_t data = req.flags & p::kIrqSetDataMask;
    const uint32_t action = req.flags & p::kIrqSetActionMaskAll;
    if (std::popcount(data) != 1 || std::popcount(action) != 1 ||
        (req.flags & ~(p::kIrqSetDataMask | p::kIrqSetActionMaskAll)))
        fail(EINVAL, fmt::format("bad flags {:#x}", req.flags));
    if (req.index >= p::kPciNumIrqs)
        fail(EINVAL, fmt::format("IRQ index {} out of range", req.index));
    const size_t extra = m.payload.size() - sizeof(p::IrqSet);
    if (data == p::kIrqSetDataBool ? extra != req.count : extra != 0)
        fail(EINVAL, fmt::format("{} data bytes do not match flags {:#x} count {}", extra, req.flags, req.count));
    if (data != p::kIrqSetDataEventfd)
        require_no_fds(m);
    else if (!m.fds.empty() && m.fds.size() != req.count)
        fail(EINVAL, fmt::format("{} fds for {} vectors", m.fds.size(), req.count));

    if (req.count == 0) {
        if (data != p::kIrqSetDataNone)
            fail(EINVAL, "count 0 needs DATA_NONE");
        if (action == p::kIrqSetActionTrigger) {
            if (req.start != 0)
                fail(EINVAL, "disable-all with a non-zero start");
            if (req.index == p::kPciMsixIrqIndex)
                for (int& fd : msix_fds_)
                    close_fd(fd);
            if (req.index == p::kPciIntxIrqIndex)
                close_fd(intx_fd_);
            vlog(name_, "SET_IRQS index {}: all disabled", req.index);
        }
        return {};
    }
    const uint32_t n = count(req.index);
    if (req.start >= n || req.count > n - req.start)
        fail(EINVAL,
             fmt::format("vectors [{}, +{}) outside index {} (count {})", req.start, req.count, req.index, n));
    auto selected = [&](uint32_t i) { return data != p::kIrqSetDataBool || m.payload[sizeof(p::IrqSet) + i] != 0; };
    if (data == p::kIrqSetDataEventfd) {
        if (action != p::kIrqSetActionTrigger)
            fail(EINVAL, "mask/unmask eventfds are not supported");
        for (size_t i = 0; i < m.fds.size(); ++i)
            if (!is_eventfd(m.fds.get(i)))
                fail(EINVAL, fmt::format("fd #{} is not an eventfd", i));
    }

    if (req.index == p::kPciIntxIrqIndex) {
        if (data == p::kIrqSetDataEventfd) {
            close_fd(intx_fd_);
            if (!m.fds.empty())
                intx_fd_ = m.fds.take(0);
        } else if (action == p::kIrqSetActionTrigger && intx_fd_ >= 0 && selected(0)) {
            signal(intx_fd_);
        } // INTx mask/unmask: nothing to do, INTx is never asserted
        return {};
    }

    // MSI-X (the table size is read live; keep the fd table as large)
    if (msix_fds_.size() < n)
        msix_fds_.resize(n, -1);
    for (uint32_t i = 0; i < req.count; ++i) {
        const unsigned v = req.start + i;
        if (data == p::kIrqSetDataEventfd) {
            close_fd(msix_fds_[v]);
            if (!m.fds.empty()) {
                msix_fds_[v] = m.fds.take(i);
                // We must never block writing an interrupt.
                int fl = ::fcntl(msix_fds_[v], F_GETFL);
                if (fl >= 0)
                    ::fcntl(msix_fds_[v], F_SETFL, fl | O_NONBLOCK);
            }
        } else if (!selected(i)) {
            continue;
        } else if (action == p::kIrqSetActionTrigger) {
            msix_fire(v);
        } else {
            fn_.set_vector_masked(v, action == p::kIrqSetActionMask);
        }
    }
    return {};
}

// ---- InterruptSink -------------------------------------------------------------

void Interrupts::msix_fire(unsigned vector) {
    if (vector < msix_fds_.size() && msix_fds_[vector] >= 0) {
        signal(msix_fds_[vector]);
        return;
    }
    ++dropped_;
    if (dropped_ <= 16 || dropped_ % 1024 == 0)
        vlog(name_, "MSI-X vector {} fired with no eventfd set: dropped (#{})", vector, dropped_);
}

} // namespace aie4emu::vfio_user
