#include "guest-driver/lib/vf_session.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace aie4emu::guest {

VfSession open_vf(const VfOpenOptions& options)
{
    VfSession session;
    if (auto loc = locate_vf(options.bdf)) {
        session.location = *loc;
    } else if (options.node.empty()) {
        throw DeviceError(options.bdf.empty() ? "no amdxdna VF (sysfs device_type == 1) found"
                                              : "no amdxdna function " + options.bdf,
                          ENODEV);
    }
    if (!options.node.empty())
        session.location.node = options.node;
    if (session.location.node.empty())
        throw DeviceError("function " + session.location.bdf + " has no accel node", ENODEV);

    if (options.carveout) {
        const auto file = find_carveout_file(session.location.bdf, session.location.minor);
        if (!file)
            throw DeviceError("carveout debugfs file not found (is debugfs mounted and are we root?)", ENOENT);
        const auto setup = ensure_carveout(*file, *options.carveout);
        if (options.verbose)
            std::fprintf(stderr, "carveout: %s (%s)\n", setup.message.c_str(), file->c_str());
        if (!setup.ok)
            throw DeviceError("carveout: " + setup.message, EINVAL);
    }
    session.device = std::make_unique<Device>(session.location.node);
    return session;
}

bool parse_vf_option(VfOpenOptions& options, int argc, char** argv, int& i, std::string& error)
{
    const std::string arg = argv[i];
    auto value = [&]() -> const char* {
        if (i + 1 >= argc) {
            error = arg + " needs a value";
            return nullptr;
        }
        return argv[++i];
    };
    if (arg == "--device") {
        if (const char* v = value())
            options.bdf = v;
        return true;
    }
    if (arg == "--node") {
        if (const char* v = value())
            options.node = v;
        return true;
    }
    if (arg == "--carveout") {
        if (const char* v = value()) {
            if (std::strcmp(v, "none") == 0) {
                options.carveout.reset();
            } else if (auto c = parse_carveout(v); c && carveout_aligned(*c)) {
                options.carveout = c;
            } else {
                error = std::string("bad --carveout '") + v + "' (want SIZE@ADDR, page aligned, or none)";
            }
        }
        return true;
    }
    if (arg == "--verbose" || arg == "-v") {
        options.verbose = true;
        return true;
    }
    return false;
}

const char* vf_options_help()
{
    return "  --device BDF        PCI function (default: first VF, sysfs device_type == 1)\n"
           "  --node PATH         accel node to open (default: from sysfs)\n"
           "  --carveout SPEC     SIZE@ADDR written to debugfs <accel>/<bdf>/carveout before open()\n"
           "                      if none is configured yet (default 0x10000000@0x40000000), or 'none'\n"
           "  --verbose, -v       diagnostics on stderr\n";
}

} // namespace aie4emu::guest
