// Ownership of aie4emu's socket folder and of the socket files in it.
//
// One live aie4emu per folder: SocketDirLock holds an exclusive flock(2) on
// DIR/aie4emu.lock for the life of the process (the kernel drops it when the
// process dies, however it dies), and the file holds the holder's pid so that
// a refused process can name it. The lock file is never removed: unlinking a
// lock file lets a third process lock a new file of the same name while the
// second still holds the old one.
//
// Socket files: a server unlinks on exit only the file it bound itself
// (same device and inode), so that a process whose folder was removed and
// recreated under it does not delete the sockets of the emulator that serves
// the new folder. A leftover socket of a dead process is removed before bind;
// anything at that path that is not a socket is left alone and reported.
#pragma once

#include <stdexcept>
#include <string>
#include <sys/types.h>

namespace aie4emu::socket_dir {

// Another live process holds the folder's lock.
class DirBusy : public std::runtime_error {
public:
    DirBusy(const std::string& dir, pid_t holder);
    [[nodiscard]] const std::string& dir() const { return dir_; }
    [[nodiscard]] pid_t holder() const { return holder_; }   // 0 when it could not be read

private:
    std::string dir_;
    pid_t holder_;
};

class SocketDirLock {
public:
    // Locks DIR/aie4emu.lock (DIR must exist) without waiting and writes this
    // process's pid into it. Throws DirBusy when a live process holds it and
    // std::runtime_error when the file cannot be opened or locked.
    explicit SocketDirLock(const std::string& dir);
    ~SocketDirLock();
    SocketDirLock(const SocketDirLock&) = delete;
    SocketDirLock& operator=(const SocketDirLock&) = delete;

    [[nodiscard]] const std::string& path() const { return path_; }
    static constexpr const char* kFileName = "aie4emu.lock";

private:
    std::string path_;
    int fd_ = -1;
};

// Identity of a socket file this process bound.
struct BoundFile {
    dev_t dev = 0;
    ino_t ino = 0;
    bool valid = false;
};

// Before bind: removes a leftover socket file at `path`; throws std::runtime_error
// when `path` exists and is not a socket (never removes other files).
void remove_stale_socket(const std::string& path);
// Right after bind: the file that bind created.
BoundFile identify(const std::string& path);
// On exit: unlinks `path` only if it is still `bound` (returns whether it did).
bool remove_if_ours(const std::string& path, const BoundFile& bound);

} // namespace aie4emu::socket_dir
