#include "guest-driver/lib/carveout.hpp"

#include "cli/number.hpp"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/mount.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace aie4emu::guest {

namespace {

std::string trim(const std::string& s)
{
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos)
        return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

bool is_file(const std::string& path)
{
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool dir_empty_or_missing(const std::string& path)
{
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr)
        return true;
    bool empty = true;
    while (dirent* e = ::readdir(d)) {
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
            empty = false;
            break;
        }
    }
    ::closedir(d);
    return empty;
}

void find_named(const std::string& dir, const char* name, int depth, std::vector<std::string>& out)
{
    if (depth < 0 || out.size() > 64)
        return;
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr)
        return;
    while (dirent* e = ::readdir(d)) {
        if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0)
            continue;
        const std::string path = dir + "/" + e->d_name;
        struct stat st{};
        if (::lstat(path.c_str(), &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            find_named(path, name, depth - 1, out);
        else if (S_ISREG(st.st_mode) && std::strcmp(e->d_name, name) == 0)
            out.push_back(path);
    }
    ::closedir(d);
}

} // namespace

std::optional<Carveout> read_carveout_file(const std::string& file)
{
    std::ifstream in(file);
    std::string text;
    if (!std::getline(in, text))
        return std::nullopt;
    return parse_carveout(text);
}

std::optional<Carveout> parse_carveout(const std::string& text)
{
    const std::string t = trim(text);
    const auto at = t.find('@');
    if (at == std::string::npos)
        return std::nullopt;
    const auto size = cli::parse_kstrtou64_base0(t.substr(0, at));
    const auto addr = cli::parse_kstrtou64_base0(t.substr(at + 1));
    if (!size || !addr)
        return std::nullopt;
    return Carveout{*size, *addr};
}

std::string format_carveout(const Carveout& c)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "0x%llx@0x%llx", static_cast<unsigned long long>(c.size),
                  static_cast<unsigned long long>(c.addr));
    return buf;
}

bool carveout_aligned(const Carveout& c, std::uint64_t page_size)
{
    return c.size != 0 && c.size % page_size == 0 && c.addr % page_size == 0;
}

std::optional<std::string> find_carveout_file(const std::string& bdf, int minor, const std::string& debugfs_root)
{
    if (dir_empty_or_missing(debugfs_root)) {
        // Busybox guests may not mount debugfs; try (root only, failure is fine).
        ::mount("debugfs", debugfs_root.c_str(), "debugfs", 0, nullptr);
    }
    if (!bdf.empty() && is_file(debugfs_root + "/accel/" + bdf + "/carveout"))
        return debugfs_root + "/accel/" + bdf + "/carveout";
    if (minor >= 0 && is_file(debugfs_root + "/accel/" + std::to_string(minor) + "/carveout"))
        return debugfs_root + "/accel/" + std::to_string(minor) + "/carveout";

    std::vector<std::string> found;
    find_named(debugfs_root, "carveout", 4, found);
    for (const auto& path : found)
        if (!bdf.empty() && path.find(bdf) != std::string::npos)
            return path;
    if (found.size() == 1)
        return found.front();
    return std::nullopt;
}

bool run_carveout_hook()
{
    if (::access(kCarveoutHook, X_OK) != 0)
        return false;
    char arg0[] = "aie4-carveout-hook";
    char arg1[] = "coldplug";
    char* argv[] = {arg0, arg1, nullptr};
    pid_t pid = 0;
    if (::posix_spawn(&pid, kCarveoutHook, nullptr, nullptr, argv, environ) != 0)
        return false;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

CarveoutSetup ensure_carveout(const std::string& file, const Carveout& wanted)
{
    CarveoutSetup result;
    if (const auto current = read_carveout_file(file); current && current->size != 0) {
        result.ok = true;
        result.already_configured = true;
        result.active = *current;
        result.message = "carveout already configured: " + format_carveout(*current);
        return result;
    }
    if (!carveout_aligned(wanted)) {
        result.message = "carveout size and address must be non-zero and page aligned";
        return result;
    }
    const std::string text = format_carveout(wanted) + "\n";
    const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        result.message = "open " + file + ": " + std::strerror(errno);
        return result;
    }
    const ssize_t n = ::write(fd, text.data(), text.size());
    const int e = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(text.size())) {
        // EBUSY: configured meanwhile (the guest image's carveout hook runs on every bind).
        if (n < 0 && e == EBUSY)
            if (const auto now = read_carveout_file(file); now && now->size != 0) {
                result.ok = true;
                result.already_configured = true;
                result.active = *now;
                result.message = "carveout already configured: " + format_carveout(*now);
                return result;
            }
        result.message = "write " + file + ": " + (n < 0 ? std::strerror(e) : "short write");
        return result;
    }
    const auto now = read_carveout_file(file);
    result.active = now.value_or(Carveout{});
    result.ok = now && now->size == wanted.size && now->addr == wanted.addr;
    result.message = result.ok ? "carveout set to " + format_carveout(wanted)
                               : "carveout file reads back something else after the write";
    return result;
}

} // namespace aie4emu::guest
