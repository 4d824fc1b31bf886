#include "guest-driver/lib/cli.hpp"

#include <fstream>
#include <iterator>

namespace aie4emu::guest {

std::optional<std::vector<std::uint8_t>> read_file_bytes(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return std::nullopt;
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad())
        return std::nullopt;
    return bytes;
}

bool write_file_bytes(const std::string& path, std::span<const std::uint8_t> bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return static_cast<bool>(out);
}

std::vector<std::string> split(const std::string& text, char separator)
{
    std::vector<std::string> parts;
    std::string::size_type start = 0;
    while (start <= text.size()) {
        const auto pos = text.find(separator, start);
        const auto end = pos == std::string::npos ? text.size() : pos;
        if (end > start)
            parts.push_back(text.substr(start, end - start));
        if (pos == std::string::npos)
            break;
        start = pos + 1;
    }
    return parts;
}

} // namespace aie4emu::guest
