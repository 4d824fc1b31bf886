#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "hw/sim/counters.hpp"
#include "hw/sim/event_queue.hpp"

using aie4emu::sim::Counters;
using aie4emu::sim::EventQueue;

TEST_CASE("events fire in cycle order, ties in insertion order")
{
    EventQueue q;
    std::vector<std::string> order;
    q.schedule_at(10, [&] { order.push_back("b10"); });
    q.schedule_at(5, [&] { order.push_back("a5"); });
    q.schedule_at(10, [&] { order.push_back("c10"); });
    q.schedule_at(7, [&] {
        order.push_back("d7");
        q.schedule_in(3, [&] { order.push_back("e10-late"); });   // same cycle as b10/c10, inserted later
    });
    CHECK(q.run_until_idle(100));
    CHECK(order == std::vector<std::string>{"a5", "d7", "b10", "c10", "e10-late"});
    CHECK(q.now() == 10);
    CHECK(q.fired() == 5);
}

TEST_CASE("run_until advances time even without events; past times are clamped")
{
    EventQueue q;
    q.run_until(1000);
    CHECK(q.now() == 1000);
    {
        aie4emu::sim::Cycle fired_at = 0;
        q.schedule_at(3, [&] { fired_at = q.now(); });
        q.step();
        CHECK(fired_at == 1000);
    }
}

TEST_CASE("run_until_idle stops at the cycle budget and leaves later events pending")
{
    EventQueue q;
    int n = 0;
    q.schedule_at(50, [&] { ++n; });
    q.schedule_at(500, [&] { ++n; });
    CHECK_FALSE(q.run_until_idle(100));
    CHECK(n == 1);
    CHECK(q.now() == 100);
    CHECK(q.pending() == 1);
    CHECK(q.next_time() == 500);
    CHECK(q.run_until_idle(1000));
    CHECK(n == 2);
}

TEST_CASE("run_until_true stops as soon as the predicate holds")
{
    EventQueue q;
    int v = 0;
    for (int i = 1; i <= 10; ++i)
        q.schedule_at(static_cast<aie4emu::sim::Cycle>(i * 10), [&] { ++v; });
    CHECK(q.run_until_true([&] { return v == 4; }, 1000));
    CHECK(q.now() == 40);
    CHECK_FALSE(q.run_until_true([&] { return v == 100; }, 70));
    CHECK(v == 7);
    CHECK(q.now() == 70);
}

TEST_CASE("a slot reused after firing keeps ordering deterministic across runs")
{
    auto run = [] {
        EventQueue q;
        std::vector<aie4emu::sim::Cycle> log;
        std::function<void(int)> chain = [&](int k) {
            log.push_back(q.now());
            if (k < 50)
                q.schedule_in(static_cast<aie4emu::sim::Cycle>((k * 7) % 5), [&chain, k] { chain(k + 1); });
        };
        q.schedule_at(0, [&] { chain(0); });
        q.schedule_at(0, [&] { chain(25); });
        q.run_until_idle(1'000'000);
        return log;
    };
    const auto a = run();
    const auto b = run();
    CHECK(a.size() == 77);
    CHECK(a == b);
}

TEST_CASE("plain calls and actions share one order: cycle, then insertion")
{
    EventQueue q;
    std::vector<std::string> order;
    struct Ctx {
        EventQueue* q;
        std::vector<std::string>* order;
    } ctx{&q, &order};
    auto call = [](void* o, uint64_t a, uint64_t b) {
        auto* c = static_cast<Ctx*>(o);
        c->order->push_back("call" + std::to_string(a) + "@" + std::to_string(c->q->now()));
        if (b > 0)   // schedules a follow-up at the same cycle: it runs after everything already queued there
            c->q->schedule_call_in(0, [](void* o2, uint64_t a2, uint64_t) {
                static_cast<Ctx*>(o2)->order->push_back("again" + std::to_string(a2));
            }, o, a, 0);
    };
    q.schedule_call_at(10, call, &ctx, 1, 1);
    q.schedule_at(10, [&] { order.push_back("action@10"); });
    q.schedule_call_at(5, call, &ctx, 2, 0);
    q.schedule_call_at(10, call, &ctx, 3, 0);
    CHECK(q.pending() == 4);
    CHECK(q.run_until_idle(100));
    CHECK(order == std::vector<std::string>{"call2@5", "call1@10", "action@10", "call3@10", "again1"});
    CHECK(q.fired() == 5);
    // Freed slots are reused; 100 calls over 13 cycles fire stably sorted by cycle.
    std::vector<uint64_t> seen, expected(100);
    const aie4emu::sim::Cycle base = q.now();
    for (uint64_t i = 0; i < 100; ++i)
        q.schedule_call_at(base + (i * 7) % 13,
                           [](void* o, uint64_t a, uint64_t) { static_cast<std::vector<uint64_t>*>(o)->push_back(a); },
                           &seen, i);
    CHECK(q.run_until_idle(100));
    for (uint64_t i = 0; i < 100; ++i)
        expected[i] = i;
    std::stable_sort(expected.begin(), expected.end(), [](uint64_t a, uint64_t b) { return (a * 7) % 13 < (b * 7) % 13; });
    CHECK(seen == expected);
}

TEST_CASE("counters keep stable references and reset to zero")
{
    Counters c;
    uint64_t& bytes = c.get("dma.bytes");
    bytes += 64;
    c.add("unmodelled.writes");
    c.add("unmodelled.writes", 2);
    for (int i = 0; i < 100; ++i)
        c.add("x" + std::to_string(i));
    bytes += 1;
    CHECK(c.value("dma.bytes") == 65);
    CHECK(c.value("unmodelled.writes") == 3);
    CHECK(c.value("missing") == 0);
    c.reset();
    CHECK(c.value("dma.bytes") == 0);
    bytes = 9;
    CHECK(c.snapshot().front().first == "dma.bytes");
    CHECK(c.snapshot().front().second == 9);
}
