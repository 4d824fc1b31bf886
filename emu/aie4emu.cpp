// aie4emu: one process = one emulated AIE4 NPU.
//
// Builds the tile array, the firmware stub and the npu3 device, serves the
// PF and every enabled VF on its own vfio-user socket and answers the JSON
// control socket. Everything runs on one io_context (the simulation thread),
// so device state needs no locks and a run is deterministic.
//
//   aie4emu --socket-dir DIR [options]     (aie4emu --help)
//
// Files in DIR: pf.sock, vf<k>.sock (while VF k is enabled), control.sock,
// aie4emu.pid, aie4emu.lock (held while the process lives: a second emulator
// on the same DIR exits with status 3 and touches nothing). The line
// "aie4emu: ready" on stdout says every socket listens; launchers wait for it.
#include "emu/control/control_server.hpp"
#include "emu/faults.hpp"
#include "emu/options.hpp"
#include "emu/socket_dir.hpp"
#include "emu/vfio_user/server.hpp"
#include "firmware-stub/cert/cert.hpp"
#include "firmware-stub/firmware.hpp"
#include "hw/aie/array.hpp"
#include "hw/npu3/device.hpp"
#include "hw/pcie/log.hpp"
#include "hw/sim/internal_error.hpp"
#include "hw/sim/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>
#include <fmt/core.h>
#include <sys/un.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <unistd.h>

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace aie4emu {
namespace {

constexpr const char* kVersion = "aie4emu 0.2";

using npu3::function_name;

// The "fn" of a control request -> function index, within the device's functions.
npu3::FunctionIndex parse_function(const json::object& req, unsigned total_vfs) {
    auto it = req.find("fn");
    if (it == req.end() || !it->value().is_string())
        throw control::CommandError("\"fn\" must be \"pf\" or \"vfN\"");
    const std::string_view name = it->value().as_string();
    if (auto fn = npu3::parse_function_name(name, total_vfs))
        return *fn;
    throw control::CommandError(fmt::format("no function '{}' (pf, vf0..vf{})", name,
                                            total_vfs ? total_vfs - 1 : 0));
}

json::object server_stats(const vfio_user::Server& server) {
    auto s = server.stats();
    return json::object{{"socket", server.socket_path()},
                        {"connected", s.connected},
                        {"connections", s.connections},
                        {"messages", s.messages},
                        {"errors", s.errors},
                        {"protocol_disconnects", s.protocol_disconnects},
                        {"client_loss_resets", s.client_loss_resets},
                        {"dma_windows", s.dma_windows},
                        {"dma_faults", s.dma_faults},
                        {"irqs_fired", s.irqs_fired},
                        {"irqs_dropped", s.irqs_dropped}};
}

// The whole emulated NPU and its sockets.
class Emulator {
public:
    Emulator(asio::io_context& io, const Options& opts)
        : io_(io), opts_(opts), geometry_(make_geometry(opts)), array_(geometry_),
          firmware_(make_firmware_config(geometry_), make_cert(opts)),
          cert_(dynamic_cast<fw::cert::Cert&>(firmware_.command_processor())),
          device_(make_device_config(opts), firmware_, &array_),
          control_(io, (fs::path(opts.socket_dir) / "control.sock").string()) {
        device_.set_defer_handler([this](std::function<void()> work) { asio::post(io_, std::move(work)); });
        device_.set_clock([this] { return array_.now(); });
        // Traces are bounded per function, so they are always on: a test can
        // ask for a probe sequence after the fact. Every doorbell is a record,
        // so the bound is generous (about 100 bytes a record).
        for (unsigned fn = 0; fn <= opts.total_vfs; ++fn) {
            device_.function_trace(fn).set_capacity(kTraceRecordsPerFunction);
            device_.function_trace(fn).set_enabled(true);
        }
        device_.set_vf_observer([this](unsigned vf, pcie::Function* fn) { on_vf(vf, fn); });
        if (!opts.array_trace.empty())
            array_.trace().set_enabled(true);
        add_commands();
    }

    ~Emulator() { shutdown(); }

    void start() {
        servers_[npu3::kPf] = make_server(npu3::kPf, device_.pf());
        if (opts_.vfs > 0) {
            uint32_t status = device_.enable_vfs(opts_.vfs);
            if (status != 0)
                throw std::runtime_error(fmt::format("enabling {} VFs failed: status 0x{:08x}", opts_.vfs, status));
        }
        for (const auto& spec : opts_.faults) {
            try {
                auto armed = faults::arm(fault_targets_, faults::parse_spec(spec));
                fmt::print(stderr, "aie4emu: fault armed: {}\n", json::serialize(armed));
            } catch (const control::CommandError& e) {
                throw std::runtime_error(fmt::format("--fault {}: {}", spec, e.what()));
            }
        }
        control_.start();
    }

    void shutdown() {
        if (down_)
            return;
        down_ = true;
        control_.stop();
        servers_.clear();
        if (!opts_.array_trace.empty()) {
            std::string error;
            if (!array_.trace().write_file(opts_.array_trace, &error))
                fmt::print(stderr, "aie4emu: writing the array trace {} failed: {}\n", opts_.array_trace, error);
            else
                fmt::print(stderr, "aie4emu: array trace written to {}\n", opts_.array_trace);
        }
    }

private:
    static aie::Geometry make_geometry(const Options& o) {
        aie::Geometry g;
        g.columns = static_cast<uint16_t>(o.columns);
        return g;
    }
    static fw::FirmwareConfig make_firmware_config(const aie::Geometry& g) {
        fw::FirmwareConfig c;
        c.geometry = g;
        return c;
    }
    // CERT runs a context's control code on the columns of the partition the
    // context was created on (absolute columns: the VF's slice plus the
    // partition's offset), asked of the firmware at each command.
    std::unique_ptr<fw::CommandProcessor> make_cert(const Options& o) {
        fw::cert::CertConfig c;
        c.umq_mirror = o.umq_mirror;
        c.history_size = 16384;   // the demo and the tests read per-job cycles back
        c.function_shares.push_back(1);   // the PF
        for (unsigned share : o.vf_shares)
            c.function_shares.push_back(share);
        c.limits.max_host_bytes = size_t{o.vf_memory_limit_mib} << 20;   // every function the same
        c.partition_columns = [this](const fw::HwContext& ctx) -> std::optional<fw::cert::ColumnRange> {
            if (ctx.fn == npu3::kPf)
                return std::nullopt;
            fw::VfResources* vf = firmware_.vf(ctx.fn - 1);
            if (!vf)
                return std::nullopt;
            for (const auto& p : vf->partitions())
                if (p.id == ctx.partition_id)
                    return fw::cert::ColumnRange{static_cast<uint16_t>(p.col_start),
                                                 static_cast<uint16_t>(p.col_count)};
            return std::nullopt;
        };
        return std::make_unique<fw::cert::Cert>(std::move(c));
    }
    static npu3::DeviceConfig make_device_config(const Options& o) {
        npu3::DeviceConfig c;
        c.identity = o.identity;
        c.total_vfs = o.total_vfs;
        c.trap_all = o.trap_all;
        c.test_revision_override = o.revision;
        return c;
    }

    std::string socket_path(npu3::FunctionIndex fn) const {
        return (fs::path(opts_.socket_dir) / (function_name(fn) + ".sock")).string();
    }

    std::unique_ptr<vfio_user::Server> make_server(npu3::FunctionIndex fn, pcie::Function& function) {
        auto server = std::make_unique<vfio_user::Server>(io_, socket_path(fn), function);
        server->start();
        AIE4_LOG(control, function_name(fn), array_.now(), "serving on {}", server->socket_path());
        return server;
    }

    void on_vf(unsigned vf, pcie::Function* fn) {
        const auto index = npu3::vf_index(vf);
        if (fn) {
            try {
                servers_[index] = make_server(index, *fn);
            } catch (const std::exception& e) {
                fmt::print(stderr, "aie4emu: cannot serve vf{}: {}\n", vf, e.what());
            }
        } else {
            servers_.erase(index);
        }
    }

    void add_commands() {
        control_.add_command("status", "device identity, VFs, firmware state, per-function sockets",
                             [this](const json::object&) { return status(); });
        control_.add_command("vfs", "count=N: enable N VFs (0 disables), as a host does before handing VFs to VMs",
                             [this](const json::object& req) {
                                 auto it = req.find("count");
                                 if (it == req.end() || !it->value().is_int64() || it->value().as_int64() < 0 ||
                                     it->value().as_int64() > opts_.total_vfs)
                                     throw control::CommandError(
                                         fmt::format("count must be an integer from 0 to {}", opts_.total_vfs));
                                 uint32_t st = device_.enable_vfs(static_cast<unsigned>(it->value().as_int64()));
                                 if (st != 0)
                                     throw control::CommandError(fmt::format("refused: status 0x{:08x}", st));
                                 return json::object{{"enabled_vfs", device_.enabled_vfs()}};
                             });
        control_.add_command("trace", "fn=pf|vfN [clear=true]: recorded MMIO accesses and firmware events",
                             [this](const json::object& req) {
                                 auto fn = parse_function(req, opts_.total_vfs);
                                 auto& trace = device_.function_trace(fn);
                                 json::array lines;
                                 for (auto& l : trace.lines())
                                     lines.emplace_back(l);
                                 json::object reply{{"fn", function_name(fn)},
                                                    {"dropped", trace.dropped()},
                                                    {"lines", std::move(lines)}};
                                 auto clear = req.find("clear");
                                 if (clear != req.end() && clear->value().is_bool() && clear->value().as_bool())
                                     trace.clear();
                                 return reply;
                             });
        control_.add_command("stats", "vfio-user counters per function and array counters",
                             [this](const json::object&) { return stats(); });
        control_.add_command("log", "categories=a,b|all|none: switch log categories",
                             [](const json::object& req) {
                                 auto it = req.find("categories");
                                 if (it == req.end() || !it->value().is_string())
                                     throw control::CommandError("\"categories\" must be a string");
                                 std::string list(it->value().as_string());
                                 if (list == "none") {
                                     log::disable_all();
                                 } else if (!log::enable(list)) {
                                     throw control::CommandError(fmt::format("unknown category in '{}'", list));
                                 }
                                 return json::object{};
                             });
        control_.add_command("disconnect", "fn=pf|vfN: drop that function's vfio-user client",
                             [this](const json::object& req) {
                                 auto fn = parse_function(req, opts_.total_vfs);
                                 auto it = servers_.find(fn);
                                 if (it == servers_.end())
                                     throw control::CommandError(fmt::format("{} is not enabled", function_name(fn)));
                                 it->second->disconnect_client();
                                 return json::object{};
                             });
        control_.add_command("fault",
                             "kind=KIND [fn=pf|vfN] [op=MSG] [status=N] [image=npu|cert] [count=N]: arm a fault "
                             "(count 0: until fault-clear); kinds:\n" + faults::help(),
                             [this](const json::object& req) { return faults::arm(fault_targets_, req); });
        control_.add_command("fault-clear", "disarm every fault", [this](const json::object&) {
            faults::clear(fault_targets_);
            return json::object{};
        });
        control_.add_command("faults", "the faults still armed", [this](const json::object&) {
            return faults::list(fault_targets_);
        });
        control_.add_command("commands", "[last=N]: the last N commands CERT ran (state, cycles, error), per-context totals of the live "
                             "contexts and per-function totals since start",
                             [this](const json::object& req) { return commands(req); });
        control_.add_command("shutdown", "stop the emulator (sockets removed)", [this](const json::object&) {
            asio::post(io_, [this] {
                shutdown();
                io_.stop();
            });
            return json::object{};
        });
    }

    // Per-function vfio-user counters, by function name.
    json::object function_stats() const {
        json::object functions;
        for (const auto& [fn, server] : servers_)
            functions[function_name(fn)] = server_stats(*server);
        return functions;
    }

    json::object status() {
        const auto& psp = firmware_.psp_state();
        return json::object{
            {"version", kVersion},
            {"pid", static_cast<int64_t>(::getpid())},
            {"identity", fmt::format("{:04x}:{:04x}", device_.identity().vendor_id, device_.identity().pf_device_id)},
            {"vf_identity", fmt::format("{:04x}:{:04x}", device_.identity().vendor_id, device_.identity().vf_device_id)},
            {"revision", fmt::format("0x{:02x}", device_.revision())},
            {"columns", geometry_.columns},
            {"total_vfs", device_.total_vfs()},
            {"enabled_vfs", device_.enabled_vfs()},
            {"firmware",
             json::object{{"powered", firmware_.powered()},
                          {"running", psp.running},
                          {"fw_build_id", psp.fw_build_id},
                          {"cert_build_id", psp.cert_build_id},
                          {"vf_count", firmware_.vf_count()},
                          {"suspended", firmware_.suspended()}}},
            {"array_cycles", array_.now()},
            {"functions", function_stats()}};
    }

    json::object commands(const json::object& req) {
        size_t last = 16;
        if (auto it = req.find("last"); it != req.end()) {
            if (!it->value().is_int64() || it->value().as_int64() < 0)
                throw control::CommandError("last must be a non-negative integer");
            last = static_cast<size_t>(it->value().as_int64());
        }
        json::array records;
        const auto& history = cert_.history();
        for (size_t i = history.size() > last ? history.size() - last : 0; i < history.size(); ++i) {
            const auto& r = history[i];
            records.emplace_back(json::object{{"fn", function_name(r.fn)},
                                              {"context", r.context_id},
                                              {"seq", r.seq},
                                              {"opcode", r.opcode},
                                              {"state", r.state},
                                              {"start_cycle", r.start_cycle},
                                              {"cycles", r.cycles()},
                                              {"ops", r.ops},
                                              {"pages", r.pages},
                                              {"host_us", r.host_us},
                                              {"error", r.error}});
        }
        json::array contexts;
        for (const auto& c : cert_.all_context_stats())
            contexts.emplace_back(json::object{{"fn", function_name(c.fn)},
                                               {"context", c.context_id},
                                               {"commands", c.commands},
                                               {"completed", c.completed},
                                               {"errors", c.errors}});
        json::object functions;
        for (const auto& [fn, t] : cert_.function_totals())
            functions[function_name(fn)] = json::object{{"commands", t.commands},
                                                        {"completed", t.completed},
                                                        {"errors", t.errors},
                                                        {"aborted", t.aborted},
                                                        {"cycles", t.cycles}};
        return json::object{{"commands", std::move(records)},
                            {"contexts", std::move(contexts)},
                            {"functions", std::move(functions)}};
    }

    json::object stats() {
        json::object counters;
        for (const auto& [name, value] : array_.counters().snapshot())
            counters[name] = value;
        json::object cert;
        for (const auto& [name, value] : cert_.counters().snapshot())
            cert[name] = value;
        return json::object{{"functions", function_stats()},
                            {"array_cycles", array_.now()},
                            {"cert_counters", std::move(cert)},
                            {"array_counters", std::move(counters)}};
    }

    asio::io_context& io_;
    Options opts_;
    aie::Geometry geometry_;
    aie::Array array_;
    fw::Firmware firmware_;
    fw::cert::Cert& cert_;
    npu3::Device device_;
    control::ControlServer control_;
    faults::Targets fault_targets_{firmware_, device_, array_, opts_.total_vfs};
    std::map<npu3::FunctionIndex, std::unique_ptr<vfio_user::Server>> servers_;
    bool down_ = false;
};

// Exit status when another live aie4emu holds the socket folder (launchers tell it apart).
constexpr int kExitDirBusy = 3;

void remove_pidfile_if_ours(const fs::path& pidfile) {
    std::ifstream in(pidfile);
    long pid = 0;
    if (in >> pid && pid == static_cast<long>(::getpid())) {
        std::error_code ec;
        fs::remove(pidfile, ec);
    }
}

int run(const Options& opts) {
    // A Unix socket's path must fit sun_path with its terminating NUL; checked here so that a
    // deep folder is named as the cause instead of failing later with ENAMETOOLONG.
    const std::string longest_socket = (fs::path(opts.socket_dir) / "control.sock").string();
    if (longest_socket.size() >= sizeof(sockaddr_un::sun_path)) {
        fmt::print(stderr,
                   "aie4emu: error: the socket folder {} is too deep: {} is {} bytes, and a socket path "
                   "must be shorter than {}; pick a shorter --socket-dir\n",
                   opts.socket_dir, longest_socket, longest_socket.size(), sizeof(sockaddr_un::sun_path));
        return 1;
    }
    std::error_code ec;
    fs::create_directories(opts.socket_dir, ec);
    if (ec) {
        fmt::print(stderr, "aie4emu: error: cannot create the socket folder {}: {}\n", opts.socket_dir, ec.message());
        return 1;
    }
    // One live emulator per folder: refused before anything in it is touched. Held until the
    // process exits (declared before the emulator, so released after its sockets are gone).
    std::unique_ptr<socket_dir::SocketDirLock> dir_lock;
    try {
        dir_lock = std::make_unique<socket_dir::SocketDirLock>(opts.socket_dir);
    } catch (const socket_dir::DirBusy& e) {
        fmt::print(stderr, "aie4emu: error: {}\n", e.what());
        return kExitDirBusy;
    }
    if (!opts.log.empty() && !log::enable(opts.log))
        fmt::print(stderr, "aie4emu: warning: unknown log category in '{}' (known: see --help)\n", opts.log);
    // hw/pcie logs through its own seam; route it into the shared logger.
    pcie::set_log_sink([](std::string_view fn, std::string_view msg) {
        if (log::on(log::Category::pcie))
            log::write(log::Category::pcie, fn, 0, msg);
    });
    // A vanished client must not kill the process on write.
    std::signal(SIGPIPE, SIG_IGN);

    asio::io_context io;
    Emulator emulator(io, opts);
    emulator.start();

    const auto pidfile = fs::path(opts.socket_dir) / "aie4emu.pid";
    {
        std::ofstream out(pidfile);
        out << ::getpid() << '\n';
    }

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& error, int signo) {
        if (error)
            return;
        fmt::print(stderr, "aie4emu: signal {}, shutting down\n", signo);
        emulator.shutdown();
        io.stop();
    });

    fmt::print("aie4emu: ready (socket dir {})\n", opts.socket_dir);
    std::fflush(stdout);
    // Guest-reachable handlers catch what they throw and fail what it concerns (a vfio-user
    // request, a CERT command or context, a function's mailbox; hw/sim/internal_error.hpp).
    // What still arrives here has no owner to fail: report it (strict mode aborts) and stop
    // the emulator rather than serve every guest from state nobody can vouch for.
    int status = 0;
    try {
        io.run();
    } catch (...) {
        sim::report_internal_error("an aie4emu event handler", std::current_exception());
        status = 3;
    }
    emulator.shutdown();
    remove_pidfile_if_ours(pidfile);
    return status;
}

} // namespace
} // namespace aie4emu

int main(int argc, char** argv) {
    using namespace aie4emu;
    bool help = false, version = false;
    Options opts;
    try {
        opts = parse_options(argc, argv, help, version);
    } catch (const std::invalid_argument& e) {
        fmt::print(stderr, "aie4emu: error: {}\n", e.what());
        return 2;
    }
    if (help) {
        fmt::print("{}", usage_text());
        return 0;
    }
    if (version) {
        fmt::print("{}\n", kVersion);
        return 0;
    }
    try {
        return run(opts);
    } catch (const std::exception& e) {
        fmt::print(stderr, "aie4emu: error: {}\n", e.what());
        return 1;
    }
}
