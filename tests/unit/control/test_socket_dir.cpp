#include "emu/control/control_server.hpp"
#include "emu/socket_dir.hpp"

#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace aie4emu;

namespace {

struct TempDir {
    fs::path path;
    explicit TempDir(const std::string& tag) {
        path = fs::temp_directory_path() / ("aie4-sockdir-" + tag + "-" + std::to_string(::getpid()));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

ino_t inode_of(const fs::path& p) {
    struct stat st{};
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    return st.st_ino;
}

// A socket file left by a process that died without cleaning up.
void leave_socket_file(const fs::path& p) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", p.c_str());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    ::close(fd);
}

} // namespace

TEST_CASE("socket dir: a second lock on a held folder is refused and names the holder", "[control][socket_dir]") {
    TempDir dir("lock");
    {
        socket_dir::SocketDirLock first(dir.path.string());
        // flock locks belong to open file descriptions, so a second open in this process
        // conflicts exactly as another process's would.
        try {
            socket_dir::SocketDirLock second(dir.path.string());
            FAIL("the second lock was granted");
        } catch (const socket_dir::DirBusy& e) {
            CHECK(e.holder() == ::getpid());
            CHECK(e.dir() == dir.path.string());
            const std::string what = e.what();
            CHECK(what.find(dir.path.string()) != std::string::npos);
            CHECK(what.find("pid " + std::to_string(::getpid())) != std::string::npos);
        }
        std::ifstream in(dir.path / socket_dir::SocketDirLock::kFileName);
        long pid = 0;
        in >> pid;
        CHECK(pid == ::getpid());
    }
    // Released with its holder: the folder can be taken again.
    CHECK_NOTHROW(socket_dir::SocketDirLock(dir.path.string()));
}

TEST_CASE("socket dir: stale sockets are removed, other files are not", "[control][socket_dir]") {
    TempDir dir("stale");
    const auto sock = dir.path / "pf.sock";
    leave_socket_file(sock);
    REQUIRE(fs::is_socket(sock));
    socket_dir::remove_stale_socket(sock.string());
    CHECK_FALSE(fs::exists(sock));
    CHECK_NOTHROW(socket_dir::remove_stale_socket(sock.string()));   // nothing there

    const auto plain = dir.path / "control.sock";
    std::ofstream(plain) << "not a socket";
    CHECK_THROWS_AS(socket_dir::remove_stale_socket(plain.string()), std::runtime_error);
    CHECK(fs::exists(plain));
}

TEST_CASE("socket dir: a server removes only the socket file it created", "[control][socket_dir]") {
    TempDir dir("own");
    const auto path = (dir.path / "control.sock").string();
    boost::asio::io_context io;
    control::ControlServer first(io, path);
    first.start();
    const ino_t first_inode = inode_of(path);

    // The folder's content is replaced under the first server (removed and recreated, as
    // a harness cleaning up does) and a second server binds the same path.
    fs::remove(path);
    control::ControlServer second(io, path);
    second.start();
    const ino_t second_inode = inode_of(path);
    REQUIRE(second_inode != first_inode);

    first.stop();
    REQUIRE(fs::exists(path));
    CHECK(inode_of(path) == second_inode);
    second.stop();
    CHECK_FALSE(fs::exists(path));
}
