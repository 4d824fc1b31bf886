#include "hw/sim/log.hpp"

#include <array>
#include <atomic>
#include <cstdio>
#include <mutex>

namespace aie4emu::log {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(Category::count_)> kNames = {
    "dma", "lock", "cert", "mailbox", "vfio", "pcie", "smu", "psp",
    "array", "core", "stream", "txn", "sim", "control", "fw",
};

std::atomic<uint64_t> g_enabled{0};

std::mutex& sink_mutex()
{
    static std::mutex m;
    return m;
}

std::function<void(std::string_view)>& sink()
{
    static std::function<void(std::string_view)> s;
    return s;
}

} // namespace

bool enable(std::string_view list)
{
    bool all_known = true;
    while (!list.empty()) {
        const size_t comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        while (!item.empty() && item.front() == ' ')
            item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ')
            item.remove_suffix(1);
        if (item.empty() || item == "none")
            continue;
        if (item == "all") {
            g_enabled.store((uint64_t{1} << kNames.size()) - 1, std::memory_order_relaxed);
            continue;
        }
        bool found = false;
        for (size_t i = 0; i < kNames.size(); ++i) {
            if (kNames[i] == item) {
                g_enabled.fetch_or(uint64_t{1} << i, std::memory_order_relaxed);
                found = true;
            }
        }
        all_known = all_known && found;
    }
    return all_known;
}

void disable_all()
{
    g_enabled.store(0, std::memory_order_relaxed);
}

bool on(Category c) noexcept
{
    return (g_enabled.load(std::memory_order_relaxed) >> static_cast<unsigned>(c)) & 1u;
}

std::string_view name(Category c) noexcept
{
    const auto i = static_cast<size_t>(c);
    return i < kNames.size() ? kNames[i] : std::string_view{"?"};
}

void write(Category c, std::string_view fn, uint64_t cycles, std::string_view msg)
{
    std::string line = fn.empty() ? fmt::format("[{}] t={} {}", name(c), cycles, msg)
                                  : fmt::format("[{}] {} t={} {}", name(c), fn, cycles, msg);
    std::lock_guard lock(sink_mutex());
    if (sink()) {
        sink()(line);
        return;
    }
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stderr);
}

void set_sink(std::function<void(std::string_view line)> s)
{
    std::lock_guard lock(sink_mutex());
    sink() = std::move(s);
}

} // namespace aie4emu::log
