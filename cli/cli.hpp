// The command-line layer of every aie4emu program: CLI11 (Debian libcli11-dev, header-only, so
// the statically linked guest programs use it too) with the project's conventions:
//   - numbers go through cli::parse_number (cli/number.hpp), never CLI11's own conversion;
//   - a repeated option takes its last value (as the hand-written parsers did);
//   - choices come from the table the program uses, so --help lists exactly what is accepted;
//   - run() turns CLI11's outcome into an exit code: 0 after --help, 2 after a usage error
//     ("PROGRAM: error: ..." on stderr), or "go on".
// See docs/user-guide.md "Command lines" for the rule every program follows.
#pragma once

#include "cli/choice.hpp"
#include "cli/number.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace aie4emu::cli {

// --help starts with the program's own usage line, then its description, then the options.
class Formatter : public CLI::Formatter {
public:
    explicit Formatter(std::string usage) : usage_(std::move(usage)) { column_width(26); }
    std::string make_usage(const CLI::App* app, std::string) const override
    {
        const std::string description = app->get_description();
        return usage_ + "\n" + (description.empty() ? "" : description + "\n");
    }
    std::string make_description(const CLI::App*) const override { return {}; }

private:
    std::string usage_;
};

// Sets the conventions above on `app`; `usage` is the first line of --help.
inline void configure(CLI::App& app, std::string usage)
{
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app.formatter(std::make_shared<Formatter>(std::move(usage)));
}

// An option whose value is a number of type T in [lo, hi] under the project's number rule.
template <std::integral T>
CLI::Option* add_number(CLI::App& app, const std::string& names, T& target, T lo, T hi,
                        const std::string& description)
{
    auto* opt = app.add_option_function<std::string>(
        names,
        [&target, names, lo, hi](const std::string& text) {
            const auto v = parse_number<T>(text);
            if (!v || *v < lo || *v > hi)
                throw CLI::ValidationError(names, "must be a number from " + std::to_string(lo) + " to " +
                                           std::to_string(hi) + " (decimal or 0x hex), not '" + text + "'");
            target = *v;
        },
        description);
    opt->type_name("N");
    return opt;
}

// A choice option: the help line lists every row of `table` with its help text.
template <typename T>
CLI::Option* add_choice(CLI::App& app, const std::string& names, T& target, std::span<const Choice<T>> table,
                        const std::string& description)
{
    std::string help = description;
    for (const auto& c : table)
        help += "\n  " + std::string(c.name) + (c.help.empty() ? "" : ": " + std::string(c.help));
    auto* opt = app.add_option_function<std::string>(
        names,
        [&target, names, table](const std::string& text) {
            const auto v = find_choice(table, text);
            if (!v)
                throw CLI::ValidationError(names, "must be one of " + choice_names(table) + ", not '" + text + "'");
            target = *v;
        },
        help);
    opt->type_name(choice_names(table, "|"));
    return opt;
}

// Parses argv into `app`. Returns an exit code when the program should stop (0 after --help,
// 2 after a usage error, which is printed as "NAME: error: ..." with a pointer to --help), or
// nullopt to go on.
inline std::optional<int> run(CLI::App& app, int argc, const char* const* argv)
{
    try {
        app.parse(argc, argv);
        return std::nullopt;
    } catch (const CLI::CallForHelp&) {
        std::fputs(app.help().c_str(), stdout);
        return 0;
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "%s: error: %s (see --help)\n", app.get_name().c_str(), e.what());
        return 2;
    }
}

} // namespace aie4emu::cli
