#pragma once
// Small helpers shared by the guest programs: files and lists. Numbers: cli/number.hpp.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace aie4emu::guest {

std::optional<std::vector<std::uint8_t>> read_file_bytes(const std::string& path);
bool write_file_bytes(const std::string& path, std::span<const std::uint8_t> bytes);
std::vector<std::string> split(const std::string& text, char separator);

} // namespace aie4emu::guest
