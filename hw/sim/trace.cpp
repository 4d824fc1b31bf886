#include "hw/sim/trace.hpp"

#include <cstdio>
#include <fmt/format.h>

namespace aie4emu::sim {
namespace {

void append_escaped(std::string& out, std::string_view s)
{
    out.push_back('"');
    for (char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20)
                out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
            else
                out.push_back(c);
        }
    }
    out.push_back('"');
}

} // namespace

uint32_t TraceWriter::track(std::string_view process, std::string_view thread)
{
    for (uint32_t i = 0; i < tracks_.size(); ++i)
        if (tracks_[i].process == process && tracks_[i].thread == thread)
            return i;
    uint32_t pid = 0;
    while (pid < processes_.size() && processes_[pid] != process)
        ++pid;
    if (pid == processes_.size())
        processes_.emplace_back(process);
    // Ids in the JSON start at 1 (pid 0 / tid 0 have special meanings in some viewers);
    // tid numbers the tracks within their process.
    uint32_t tid = 1;
    for (const auto& t : tracks_)
        if (t.pid == pid + 1)
            ++tid;
    tracks_.push_back(Track{std::string(process), std::string(thread), pid + 1, tid});
    return static_cast<uint32_t>(tracks_.size() - 1);
}

bool TraceWriter::admit()
{
    if (!enabled_)
        return false;
    if (events_.size() >= limit_) {
        ++dropped_;
        return false;
    }
    return true;
}

void TraceWriter::complete(uint32_t track, std::string_view name, Cycle start, Cycle duration)
{
    if (admit() && track < tracks_.size())
        events_.push_back(Event{track, 'X', std::string(name), start, duration});
}

void TraceWriter::instant(uint32_t track, std::string_view name, Cycle at)
{
    if (admit() && track < tracks_.size())
        events_.push_back(Event{track, 'i', std::string(name), at, 0});
}

std::string TraceWriter::to_json() const
{
    std::string out = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[";
    bool first = true;
    auto sep = [&] {
        if (!first)
            out += ",\n";
        first = false;
    };
    for (uint32_t p = 0; p < processes_.size(); ++p) {
        sep();
        out += fmt::format("{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":{},\"tid\":0,\"args\":{{\"name\":", p + 1);
        append_escaped(out, processes_[p]);
        out += "}}";
    }
    for (const auto& t : tracks_) {
        sep();
        out += fmt::format("{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":{},\"tid\":{},\"args\":{{\"name\":",
                           t.pid, t.tid);
        append_escaped(out, t.thread);
        out += "}}";
        // Viewers order tracks by this index: by name within the process ("tile(0,0) mm2s0"
        // before "tile(0,1) s2mm0"), not by when the track first appeared.
        uint32_t rank = 0;
        for (const auto& o : tracks_)
            rank += o.pid == t.pid && o.thread < t.thread;
        sep();
        out += fmt::format("{{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":{},\"tid\":{},"
                           "\"args\":{{\"sort_index\":{}}}}}",
                           t.pid, t.tid, rank);
    }
    for (const auto& e : events_) {
        const Track& t = tracks_[e.track];
        sep();
        out += fmt::format("{{\"ph\":\"{}\",\"pid\":{},\"tid\":{},\"ts\":{:.3f},", e.phase, t.pid, t.tid,
                           static_cast<double>(e.start) / cycles_per_us_);
        if (e.phase == 'X')
            out += fmt::format("\"dur\":{:.3f},", static_cast<double>(e.duration) / cycles_per_us_);
        else
            out += "\"s\":\"t\",";
        out += "\"name\":";
        append_escaped(out, e.name);
        out += fmt::format(",\"args\":{{\"cycle\":{},\"cycles\":{}}}}}", e.start, e.duration);
    }
    out += "]}\n";
    return out;
}

bool TraceWriter::write_file(const std::string& path, std::string* error) const
{
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) {
        if (error)
            *error = fmt::format("cannot open {} for writing", path);
        return false;
    }
    const std::string json = to_json();
    const bool ok = std::fwrite(json.data(), 1, json.size(), f) == json.size();
    const bool closed = std::fclose(f) == 0;
    if ((!ok || !closed) && error)
        *error = fmt::format("short write to {}", path);
    return ok && closed;
}

void TraceWriter::clear()
{
    events_.clear();
    dropped_ = 0;
}

} // namespace aie4emu::sim
