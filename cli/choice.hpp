// A table of named choices (a command-line value, what it selects, a few words of help). The
// table is the one place a program lists what it accepts: parsing, --help and error messages
// all read it (cli::add_choice in cli/cli.hpp). No CLI11 here, so library headers can hold
// tables without pulling the parser in.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace aie4emu::cli {

// One accepted value of a choice option: its name on the command line, what it selects, and a
// few words for --help.
template <typename T>
struct Choice {
    std::string_view name;
    T value;
    std::string_view help;
};

template <typename T>
std::string choice_names(std::span<const Choice<T>> table, std::string_view separator = " | ")
{
    std::string out;
    for (const auto& c : table) {
        if (!out.empty())
            out += separator;
        out += c.name;
    }
    return out;
}

template <typename T>
std::optional<T> find_choice(std::span<const Choice<T>> table, std::string_view name)
{
    for (const auto& c : table)
        if (c.name == name)
            return c.value;
    return std::nullopt;
}

} // namespace aie4emu::cli
