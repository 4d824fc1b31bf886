#include "guest-driver/lib/vf_session.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

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
        const auto current = read_carveout_file(*file);
        if (!options.carveout_given && current && current->size == 0 && run_carveout_hook() && options.verbose)
            std::fprintf(stderr, "carveout: asked the image's hook %s first\n", kCarveoutHook);
        const auto setup = ensure_carveout(*file, *options.carveout);
        if (options.verbose)
            std::fprintf(stderr, "carveout: %s (%s)\n", setup.message.c_str(), file->c_str());
        if (!setup.ok)
            throw DeviceError("carveout: " + setup.message, EINVAL);
    }
    session.device = std::make_unique<Device>(session.location.node);
    return session;
}

void add_vf_options(CLI::App& app, VfOpenOptions& options)
{
    app.add_option("--device", options.bdf, "PCI function (default: first VF, sysfs device_type == 1)")
        ->type_name("BDF");
    app.add_option("--node", options.node, "accel node to open (default: from sysfs)")->type_name("PATH");
    app.add_option_function<std::string>(
           "--carveout",
           [&options](const std::string& v) {
               if (v == "none") {
                   options.carveout.reset();
                   options.carveout_given = true;
               } else if (auto c = parse_carveout(v); c && carveout_aligned(*c)) {
                   options.carveout = c;
                   options.carveout_given = true;
               } else {
                   throw CLI::ValidationError("--carveout", "bad value '" + v +
                                                                "' (want SIZE@ADDR, page aligned, or none)");
               }
           },
           "SIZE@ADDR written to debugfs <accel>/<bdf>/carveout before open()\n"
           "if none is configured yet, or 'none'; without it the guest image's carveout hook\n"
           "is asked first, then the default " + format_carveout(*VfOpenOptions{}.carveout) + " is written;\n"
           "numbers as the kernel reads them (0x hex, leading 0 octal)")
        ->type_name("SPEC");
    app.add_flag("-v,--verbose", options.verbose, "diagnostics on stderr");
}

} // namespace aie4emu::guest
