#pragma once
// Files compiled into the guest programs (control-code fixtures from
// tests/fixtures/ctrlcode/), so the busybox image needs only the binaries.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace aie4emu::guest {

// Empty span if there is no such file. Names: "empty.elf", "copy.elf", "gemm.elf".
std::span<const std::uint8_t> embedded_file(std::string_view name);
std::vector<std::string_view> embedded_file_names();

} // namespace aie4emu::guest
