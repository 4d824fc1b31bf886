// Tiny shared logger: categories switched on by a list ("dma,lock" or "all"),
// one line per event: "[cat] fn t=<cycles> msg" on stderr (or a test sink).
//
// Usage:
//   aie4emu::log::enable("dma,cert");
//   AIE4_LOG(dma, "vf0", now, "bd {} done, {} bytes", bd, n);
//   if (aie4emu::log::on(aie4emu::log::Category::lock)) { ...expensive... }
//
// The enable set is an atomic bitmask, so on() is cheap and thread-safe; the
// formatting only happens when the category is on.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace aie4emu::log {

enum class Category : unsigned {
    dma,
    lock,
    cert,
    mailbox,
    vfio,
    pcie,
    smu,
    psp,
    array,    // register accesses, unmodelled addresses, resets
    core,     // native kernels on compute tiles
    stream,   // stream-switch routes
    txn,      // NPU transaction-stream interpreter
    sim,      // event queue
    control,  // control socket
    fw,       // firmware stub in general
    count_,   // not a category
};

// Parse "a,b,c" or "all" (or "none"/""), adding to the enabled set.
// Returns false if any name is unknown (the known ones are still enabled).
bool enable(std::string_view list);
void disable_all();
[[nodiscard]] bool on(Category c) noexcept;
[[nodiscard]] std::string_view name(Category c) noexcept;

// Write one line "[cat] fn t=<cycles> msg". `fn` is the function ("pf",
// "vf0", "array"...); pass an empty string when there is none.
void write(Category c, std::string_view fn, uint64_t cycles, std::string_view msg);

// Redirect lines (without the trailing newline) to `sink`; nullptr restores stderr.
void set_sink(std::function<void(std::string_view line)> sink);

} // namespace aie4emu::log

// AIE4_LOG(category, fn, cycles, fmt-format, args...): formats only if enabled.
#define AIE4_LOG(cat, fn, cycles, ...)                                                      \
    do {                                                                                    \
        if (::aie4emu::log::on(::aie4emu::log::Category::cat))                              \
            ::aie4emu::log::write(::aie4emu::log::Category::cat, (fn), (cycles),           \
                                  ::fmt::format(__VA_ARGS__));                              \
    } while (0)
