#include "emu/socket_dir.hpp"

#include <fmt/core.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace aie4emu::socket_dir {

namespace {

std::string describe_holder(pid_t pid) {
    return pid > 0 ? fmt::format("pid {}", pid) : std::string("a process whose pid could not be read");
}

// The pid the holder wrote; 0 while it has not written it yet (it locks first) or when
// the content is not a live process.
pid_t read_holder(int fd) {
    std::array<char, 32> buf{};
    ssize_t n = ::pread(fd, buf.data(), buf.size() - 1, 0);
    if (n <= 0)
        return 0;
    long pid = 0;
    for (ssize_t i = 0; i < n && buf[static_cast<size_t>(i)] >= '0' && buf[static_cast<size_t>(i)] <= '9'; ++i) {
        pid = pid * 10 + (buf[static_cast<size_t>(i)] - '0');
        if (pid > 1 << 30)
            return 0;
    }
    if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH))
        return 0;
    return static_cast<pid_t>(pid);
}

} // namespace

DirBusy::DirBusy(const std::string& dir, pid_t holder)
    : std::runtime_error(fmt::format("the socket folder {} is in use by a running aie4emu ({}); stop it "
                                     "(aie4ctl --socket-dir {} shutdown) or choose another --socket-dir",
                                     dir, describe_holder(holder), dir)),
      dir_(dir), holder_(holder) {}

SocketDirLock::SocketDirLock(const std::string& dir) : path_(dir + "/" + kFileName) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd_ < 0)
        throw std::runtime_error(fmt::format("cannot open the lock file {}: {}", path_, std::strerror(errno)));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        pid_t holder = 0;
        if (err == EWOULDBLOCK) {
            // The holder writes its pid right after it locks: give it a moment.
            for (int i = 0; i < 20 && holder == 0; ++i) {
                holder = read_holder(fd_);
                if (holder == 0)
                    ::usleep(10'000);
            }
        }
        ::close(fd_);
        fd_ = -1;
        if (err == EWOULDBLOCK)
            throw DirBusy(dir, holder);
        throw std::runtime_error(fmt::format("cannot lock {}: {}", path_, std::strerror(err)));
    }
    const std::string pid = fmt::format("{}\n", ::getpid());
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        const int err = errno;
        ::close(fd_);
        fd_ = -1;
        throw std::runtime_error(fmt::format("cannot write the lock file {}: {}", path_, std::strerror(err)));
    }
}

SocketDirLock::~SocketDirLock() {
    if (fd_ >= 0)
        ::close(fd_);   // releases the lock; the file stays (see the header)
}

void remove_stale_socket(const std::string& path) {
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT)
            return;
        throw std::runtime_error(fmt::format("cannot inspect {}: {}", path, std::strerror(errno)));
    }
    if (!S_ISSOCK(st.st_mode))
        throw std::runtime_error(fmt::format("{} exists and is not a socket; not removing it", path));
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        throw std::runtime_error(fmt::format("cannot remove the stale socket {}: {}", path, std::strerror(errno)));
}

BoundFile identify(const std::string& path) {
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0)
        return {};
    return BoundFile{st.st_dev, st.st_ino, true};
}

bool remove_if_ours(const std::string& path, const BoundFile& bound) {
    if (!bound.valid)
        return false;
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0 || st.st_dev != bound.dev || st.st_ino != bound.ino)
        return false;
    return ::unlink(path.c_str()) == 0;
}

} // namespace aie4emu::socket_dir
