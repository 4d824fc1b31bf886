// The number rule of every aie4emu command line (aie4emu, aie4ctl, the guest programs, the
// benches, mkfw). One rule, so that the same text means the same value everywhere:
//
//   - decimal digits ("42"), or hexadecimal digits after "0x"/"0X" ("0x2a");
//   - a decimal with a leading zero ("010") is refused: C's strtoul and the kernel read it as
//     octal (8), a person usually means 10, so neither guess is taken;
//   - a '-' is accepted only when the target type is signed; no '+', no spaces, no suffixes;
//   - the value must fit the target type, otherwise the text is refused.
//
// CLI11 2.1.2 converts integers with strtoull(…, 0) (octal for "010", and "-1" wraps to the
// largest value), so no program lets CLI11 convert a number: options are declared with
// cli::add_number() (cli/cli.hpp), which uses parse_number().
//
// Text that is written to the kernel keeps the kernel's rule instead: parse_kstrtou64_base0()
// models lib/kstrtox.c kstrtoull(s, 0, …) of linux 7.3.4, which amdxdna_carveout_write
// (drivers/accel/amdxdna/amdxdna_debugfs.c) uses for "SIZE@ADDR"; the guest programs parse a
// --carveout value exactly as the driver will (docs/spec/driver-interface.md §6.4).
#pragma once

#include <charconv>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <type_traits>

namespace aie4emu::cli {

template <std::integral T>
[[nodiscard]] std::optional<T> parse_number(std::string_view text)
{
    bool negative = false;
    if constexpr (std::is_signed_v<T>) {
        if (!text.empty() && text.front() == '-') {
            negative = true;
            text.remove_prefix(1);
        }
    }
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.remove_prefix(2);
    } else if (text.size() > 1 && text[0] == '0') {
        return std::nullopt; // "010": octal to C and the kernel, ten to a reader
    }
    if (text.empty() || text.front() == '-' || text.front() == '+')
        return std::nullopt;
    using Wide = std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>;
    std::uint64_t magnitude = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), magnitude, base);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    if constexpr (std::is_signed_v<T>) {
        constexpr std::uint64_t max_pos = static_cast<std::uint64_t>(INT64_MAX);
        if (magnitude > max_pos + (negative ? 1 : 0))
            return std::nullopt;
        const Wide v = negative ? static_cast<Wide>(0 - magnitude) : static_cast<Wide>(magnitude);
        if (v < static_cast<Wide>(std::numeric_limits<T>::min()) || v > static_cast<Wide>(std::numeric_limits<T>::max()))
            return std::nullopt;
        return static_cast<T>(v);
    } else {
        if (magnitude > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
            return std::nullopt;
        return static_cast<T>(magnitude);
    }
}

// The kernel's kstrtoull(s, 0, &v) (lib/kstrtox.c, linux 7.3.4): an optional '+'; then
// "0x"/"0X" followed by a hex digit selects hexadecimal, another leading '0' octal, anything
// else decimal; at least one digit; one trailing '\n' allowed; overflow refused.
[[nodiscard]] inline std::optional<std::uint64_t> parse_kstrtou64_base0(std::string_view s)
{
    if (!s.empty() && s.back() == '\n')
        s.remove_suffix(1);
    if (!s.empty() && s.front() == '+')
        s.remove_prefix(1);
    auto is_hex = [](char c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); };
    int base = 10;
    if (!s.empty() && s[0] == '0') {
        if (s.size() > 2 && (s[1] | 0x20) == 'x' && is_hex(s[2])) {
            base = 16;
            s.remove_prefix(2);
        } else {
            base = 8;
        }
    }
    if (s.empty() || s.front() == '-' || s.front() == '+')
        return std::nullopt;
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (ec != std::errc() || end != s.data() + s.size())
        return std::nullopt;
    return v;
}

} // namespace aie4emu::cli
