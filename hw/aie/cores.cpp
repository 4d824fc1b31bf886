#include "hw/aie/cores.hpp"

#include <cstring>
#include <fmt/format.h>

#include "hw/aie/array_context.hpp"
#include "hw/aie/locks.hpp"
#include "hw/aie/register_map.hpp"
#include "hw/aie/tile.hpp"
#include "hw/sim/log.hpp"

namespace aie4emu::aie {

namespace {

uint64_t ptr_arg(const void* p) { return reinterpret_cast<uintptr_t>(p); }
Core* arg_core(uint64_t a) { return reinterpret_cast<Core*>(static_cast<uintptr_t>(a)); }

bool uses_in1(KernelId k)
{
    return k == KernelId::add || k == KernelId::gemm_i8 || k == KernelId::gemm_bf16;
}

} // namespace

Cores::Cores(ArrayContext& ctx, TileGrid& tiles, LockUnit& locks)
    : ctx_(ctx), tiles_(tiles), locks_(locks), cores_(tiles.all().size()),
      c_invocations_(ctx.counters.get("core.invocations")), c_busy_(ctx.counters.get("core.busy_cycles")),
      c_lock_stalls_(ctx.counters.get("lock.stalls"))
{
    for (Tile& t : tiles_.all()) {
        Core& c = at(t);
        c.tile = &t;
        reset(c);
    }
}

Core& Cores::at(const Tile& t) { return cores_[tiles_.index(t)]; }
const Core& Cores::at(const Tile& t) const { return cores_[tiles_.index(t)]; }

void Cores::reset(Core& c)
{
    const uint64_t epoch = c.state.epoch + 1;
    c.control = 0;
    c.state = CoreState{};
    c.state.epoch = epoch;
}

void Cores::reset_columns(unsigned start, unsigned end)
{
    for (unsigned col = start; col < end; ++col)
        for (uint16_t r = 0; r < tiles_.geometry().rows(); ++r)
            reset(at(tiles_.at(static_cast<uint16_t>(col), r)));
}

uint32_t Cores::status(const Tile& t) const
{
    namespace cs = regs::core;
    const CoreState& s = at(t).state;
    return (s.running ? cs::kStatusRunning : 0) | (s.done ? cs::kStatusDone : 0) | (s.error ? cs::kStatusErrorHalt : 0);
}

void Cores::write_control(Tile& t, uint32_t v)
{
    Core& c = at(t);
    const uint32_t old = c.control;
    c.control = v;
    if (v & regs::core::kReset) {
        stop(c);
        return;
    }
    if ((v & regs::core::kEnable) && !(old & regs::core::kEnable))
        start(c);
    else if (!(v & regs::core::kEnable) && (old & regs::core::kEnable))
        stop(c);
}

void Cores::stop(Core& c)
{
    ++c.state.epoch;
    c.state.running = false;
}

void Cores::fail(Core& c, std::string msg)
{
    c.state.error = true;
    c.state.running = false;
    ctx_.errors.report(ErrorKind::core_error, c.tile->col, c.tile->row, Direction::s2mm, 0, std::move(msg));
}

void Cores::start(Core& c)
{
    Tile& t = *c.tile;
    const uint32_t track = c.state.track;
    const uint64_t epoch = c.state.epoch + 1;
    c.state = CoreState{};
    c.state.track = track;
    c.state.epoch = epoch;
    if (t.kind != TileKind::core) {
        fail(c, "core enable on a tile without a core");
        return;
    }
    if (!t.program_loaded()) {
        fail(c, fmt::format("core program not loaded for tile ({},{})", t.col, t.row));
        return;
    }
    std::vector<uint32_t> words(kProgramWords);
    std::memcpy(words.data(), t.program.data(), words.size() * 4);
    std::string err;
    auto d = ProgramDescriptor::decode(words, &err);
    if (!d) {
        fail(c, err);
        return;
    }
    const auto shape = kernel_shape(*d);
    auto fits = [&](uint32_t addr, uint64_t bytes) {
        return bytes == 0 || (addr <= t.data.size() && bytes <= t.data.size() - addr);
    };
    if (!shape || !fits(d->in0, shape->in0_bytes) || !fits(d->in1, shape->in1_bytes) || !fits(d->out, shape->out_bytes)) {
        fail(c, fmt::format("kernel {} buffers outside data memory", kernel_name(d->kernel)));
        return;
    }
    for (const LockPair* lp : {&d->in0_locks, &d->in1_locks, &d->out_locks})
        if (lp->enabled && (lp->acquire >= t.locks.size() || lp->release >= t.locks.size())) {
            fail(c, "kernel descriptor names a lock beyond the tile's locks");
            return;
        }
    c.state.desc = *d;
    c.state.running = true;
    AIE4_LOG(core, "array", ctx_.events.now(), "tile({},{}) start {} x{}", t.col, t.row, kernel_name(d->kernel),
             d->iterations);
    step(c);
}

// A lock a core waits for changed: retry its acquires.
void Cores::on_step(void* self, uint64_t core, uint64_t epoch)
{
    Core* c = arg_core(core);
    if (c->state.epoch == epoch)
        static_cast<Cores*>(self)->step(*c);
}

void Cores::on_compute_done(void* self, uint64_t core, uint64_t epoch)
{
    Core* c = arg_core(core);
    if (c->state.epoch == epoch)
        static_cast<Cores*>(self)->compute_done(*c);
}

void Cores::step(Core& core)
{
    CoreState& c = core.state;
    Tile& t = *core.tile;
    if (!c.running)
        return;
    const LockPair* stages[3] = {&c.desc.in0_locks, uses_in1(c.desc.kernel) ? &c.desc.in1_locks : nullptr,
                                 &c.desc.out_locks};
    while (c.stage < 3) {
        const LockPair* lp = stages[c.stage];
        if (lp && lp->enabled) {
            if (!locks_.try_acquire(t, lp->acquire, -1)) {
                ++c_lock_stalls_;
                locks_.wait(t, lp->acquire, LockWaiter{&Cores::on_step, this, ptr_arg(&core), c.epoch});
                return;
            }
            ++c.acquires;
        }
        ++c.stage;
    }
    const sim::Cycle cycles = kernel_cycles(c.desc, ctx_.cost) + c.acquires * ctx_.cost.lock_cycles;
    c.compute_start = ctx_.events.now();
    ctx_.events.schedule_call_in(cycles, &Cores::on_compute_done, this, ptr_arg(&core), c.epoch);
}

void Cores::compute_done(Core& core)
{
    CoreState& c = core.state;
    Tile& t = *core.tile;
    const sim::Cycle start = c.compute_start;
    run_kernel(c.desc, t.data);
    t.data_written.add(0, t.data.size());   // a kernel writes where its descriptor says
    ++c_invocations_;
    c_busy_ += ctx_.events.now() - start;
    if (ctx_.trace.enabled()) {
        if (c.track == ~0u)
            c.track = ctx_.trace.track(fmt::format("col {}", t.col), fmt::format("tile({},{}) core", t.col, t.row));
        ctx_.trace.complete(c.track, fmt::format("{} #{}", kernel_name(c.desc.kernel), c.iteration), start,
                            ctx_.events.now() - start);
    }
    const LockPair* rel[3] = {&c.desc.in0_locks, uses_in1(c.desc.kernel) ? &c.desc.in1_locks : nullptr,
                              &c.desc.out_locks};
    for (const LockPair* lp : rel)
        if (lp && lp->enabled)
            locks_.release(t, lp->release, 1);
    ++c.iteration;
    c.stage = 0;
    c.acquires = 0;
    if (c.desc.iterations != 0 && c.iteration >= c.desc.iterations) {
        c.running = false;
        c.done = true;
        AIE4_LOG(core, "array", ctx_.events.now(), "tile({},{}) done after {} iterations", t.col, t.row, c.iteration);
        return;
    }
    step(core);
}

} // namespace aie4emu::aie
