// Named event counters ("dma.bytes", "unmodelled.writes"...). A reference
// returned by get() stays valid for the life of the object, so hot paths
// look a counter up once and increment the reference.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aie4emu::sim {

class Counters {
public:
    uint64_t& get(std::string_view name)
    {
        auto it = values_.find(name);
        if (it == values_.end())
            it = values_.emplace(std::string(name), 0).first;
        return it->second;
    }
    void add(std::string_view name, uint64_t n = 1) { get(name) += n; }
    [[nodiscard]] uint64_t value(std::string_view name) const
    {
        auto it = values_.find(name);
        return it == values_.end() ? 0 : it->second;
    }
    // Sorted by name.
    [[nodiscard]] std::vector<std::pair<std::string, uint64_t>> snapshot() const
    {
        return {values_.begin(), values_.end()};
    }
    // Zero every counter (references stay valid).
    void reset()
    {
        for (auto& [name, v] : values_)
            v = 0;
    }

private:
    std::map<std::string, uint64_t, std::less<>> values_;
};

} // namespace aie4emu::sim
