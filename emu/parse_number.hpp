// Integer parsing shared by the emu command lines: decimal or 0x-prefixed hex,
// the whole text must be the number.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>

namespace aie4emu {

template <typename T>
std::optional<T> parse_number(std::string_view text) {
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.remove_prefix(2);
    }
    T v{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return v;
}

} // namespace aie4emu
