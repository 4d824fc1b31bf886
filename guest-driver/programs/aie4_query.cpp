// aie4-query: print the VF's AIE metadata (GET_INFO QUERY_AIE_METADATA) as key=value lines.
//
//   aie4-query [--device BDF] [--carveout SIZE@ADDR|none] [--expect key=value,...]
//
// Exit status: 0 ok, 1 an --expect value differs, 2 usage or device error.

#include "cli/cli.hpp"
#include "guest-driver/lib/cli.hpp"
#include "guest-driver/lib/vf_session.hpp"

#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

using namespace aie4emu::guest;

namespace {

std::vector<std::pair<std::string, std::uint64_t>> metadata_fields(const aie4emu::guest::uapi::AieMetadata& md)
{
    std::vector<std::pair<std::string, std::uint64_t>> f = {
        {"col_size", md.col_size}, {"cols", md.cols}, {"rows", md.rows},
        {"version_major", md.version.major}, {"version_minor", md.version.minor},
    };
    const std::pair<const char*, const aie4emu::guest::uapi::AieTileMetadata*> kinds[] = {
        {"core", &md.core}, {"mem", &md.mem}, {"shim", &md.shim}};
    for (const auto& [name, t] : kinds) {
        const std::string p = name;
        f.emplace_back(p + "_rows", t->row_count);
        f.emplace_back(p + "_row_start", t->row_start);
        f.emplace_back(p + "_dma_channels", t->dma_channel_count);
        f.emplace_back(p + "_locks", t->lock_count);
        f.emplace_back(p + "_events", t->event_reg_count);
    }
    return f;
}

} // namespace

int main(int argc, char** argv)
{
    VfOpenOptions options;
    std::string expect;
    CLI::App app{"Prints the VF's AIE metadata (GET_INFO QUERY_AIE_METADATA) as key=value lines.\n"
                 "Exit status: 0 ok, 1 an --expect value differs, 2 usage or device error.",
                 "aie4-query"};
    aie4emu::cli::configure(app, "usage: aie4-query [options] [--expect key=value,...]");
    add_vf_options(app, options);
    app.add_option("--expect", expect,
                   "comma-separated key=value checks on the printed keys,\n"
                   "e.g. cols=3,rows=6,core_rows=4 (exit 1 on mismatch)")
        ->type_name("LIST");
    if (auto rc = aie4emu::cli::run(app, argc, argv))
        return *rc;

    // Parse expectations up front so a typo is a usage error, not a device error.
    std::vector<std::pair<std::string, std::uint64_t>> expected;
    for (const auto& item : split(expect, ',')) {
        const auto eq = item.find('=');
        const auto value = eq == std::string::npos ? std::nullopt
                                                   : aie4emu::cli::parse_number<std::uint64_t>(item.substr(eq + 1));
        if (!value) {
            std::fprintf(stderr, "aie4-query: error: bad --expect item '%s' (see --help)\n", item.c_str());
            return 2;
        }
        expected.emplace_back(item.substr(0, eq), *value);
    }

    try {
        auto session = open_vf(options);
        const auto md = session.device->aie_metadata();
        std::printf("bdf=%s\nnode=%s\n", session.location.bdf.c_str(), session.location.node.c_str());
        std::map<std::string, std::uint64_t> values;
        for (const auto& [key, value] : metadata_fields(md)) {
            std::printf("%s=%llu\n", key.c_str(), static_cast<unsigned long long>(value));
            values[key] = value;
        }
        int status = 0;
        for (const auto& [key, want] : expected) {
            const auto it = values.find(key);
            if (it == values.end()) {
                std::fprintf(stderr, "aie4-query: unknown key '%s' in --expect\n", key.c_str());
                return 2;
            }
            if (it->second != want) {
                std::fprintf(stderr, "aie4-query: MISMATCH %s=%llu, expected %llu\n", key.c_str(),
                             static_cast<unsigned long long>(it->second), static_cast<unsigned long long>(want));
                status = 1;
            }
        }
        if (!expected.empty() && status == 0)
            std::printf("expect=ok\n");
        return status;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "aie4-query: %s\n", e.what());
        return 2;
    }
}
