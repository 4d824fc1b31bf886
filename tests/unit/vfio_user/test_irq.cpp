// The interrupt piece alone: IRQ info from a fake function, SET_IRQS
// requests built in the test with real eventfds, MSI-X firing seen on those
// eventfds, and every eventfd closed when replaced or when the session ends.
#include "emu/vfio_user/irq.hpp"
#include "tests/unit/vfio_user/test_support.hpp"

#include <catch2/catch_test_macros.hpp>

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

using namespace aie4emu::vfio_user;
using namespace aie4emu::vfio_user::test;

namespace {

constexpr uint32_t kEventfdTrigger = p::kIrqSetDataEventfd | p::kIrqSetActionTrigger;

// Our own eventfds; the ones passed in a request are duplicates (as the
// kernel would deliver them), so the test can watch the counter.
struct Eventfds {
    std::vector<int> fds;
    explicit Eventfds(size_t n) {
        for (size_t i = 0; i < n; ++i) {
            fds.push_back(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
            REQUIRE(fds.back() >= 0);
        }
    }
    ~Eventfds() {
        for (int fd : fds)
            ::close(fd);
    }
    std::vector<int> dups() const {
        std::vector<int> d;
        for (int fd : fds)
            d.push_back(::dup(fd));
        return d;
    }
    // The counter's value, reset to 0 (0 when nothing was signalled).
    uint64_t take(size_t i) const {
        uint64_t v = 0;
        return ::read(fds[i], &v, sizeof(v)) == sizeof(v) ? v : 0;
    }
};

struct Rig {
    const std::string name = "pf";
    FakeFunction fn{"pf", 8};
    Interrupts irqs{name, fn};
    Rig() { irqs.begin_session(); }
};

} // namespace

TEST_CASE("IRQ info reports the function's vectors and what each index allows", "[vfio_user][irq]") {
    Rig r;
    auto info = [&](uint32_t index) {
        return load<p::IrqInfo>(
            r.irqs.info(make_message(p::kDeviceGetIrqInfo, bytes_of(p::IrqInfo{sizeof(p::IrqInfo), 0, index, 0})))
                .payload);
    };
    const auto msix = info(p::kPciMsixIrqIndex);
    CHECK(msix.count == 8);
    CHECK(msix.flags == (p::kIrqInfoEventfd | p::kIrqInfoMaskable));
    CHECK(info(p::kPciIntxIrqIndex).count == 0); // no interrupt pin
    r.fn.cfg[p::kPciInterruptPin] = 1;
    CHECK(info(p::kPciIntxIrqIndex).count == 1); // read live
    CHECK(info(p::kPciMsiIrqIndex).count == 0);
    CHECK(refusal([&] { info(p::kPciNumIrqs); }) == EINVAL);
    CHECK(refusal([&] { r.irqs.info(make_message(p::kDeviceGetIrqInfo, {1, 2})); }) == EINVAL);
}

TEST_CASE("MSI-X vectors signal the eventfds SET_IRQS gave them", "[vfio_user][irq]") {
    Rig r;
    Eventfds e(2);
    Message m = make_message(p::kDeviceSetIrqs, irq_set(kEventfdTrigger, p::kPciMsixIrqIndex, 3, 2), e.dups());
    CHECK(r.irqs.set(m).payload.empty());

    r.irqs.msix_fire(4);
    r.irqs.msix_fire(4);
    r.irqs.msix_fire(3);
    CHECK(e.take(0) == 1);
    CHECK(e.take(1) == 2);
    CHECK(r.irqs.fired() == 3);

    r.irqs.msix_fire(0);  // no eventfd
    r.irqs.msix_fire(99); // no such vector
    CHECK(r.irqs.dropped() == 2);
    CHECK(e.take(0) == 0);
}

TEST_CASE("SET_IRQS triggers, masks and unmasks only the selected vectors", "[vfio_user][irq]") {
    Rig r;
    Eventfds e(4);
    Message set = make_message(p::kDeviceSetIrqs, irq_set(kEventfdTrigger, p::kPciMsixIrqIndex, 0, 4), e.dups());
    r.irqs.set(set);

    Message trigger = make_message(
        p::kDeviceSetIrqs, irq_set(p::kIrqSetDataBool | p::kIrqSetActionTrigger, p::kPciMsixIrqIndex, 0, 4, {1, 0, 1, 0}));
    r.irqs.set(trigger);
    CHECK(e.take(0) == 1);
    CHECK(e.take(1) == 0);
    CHECK(e.take(2) == 1);

    Message all = make_message(p::kDeviceSetIrqs,
                               irq_set(p::kIrqSetDataNone | p::kIrqSetActionTrigger, p::kPciMsixIrqIndex, 3, 1));
    r.irqs.set(all);
    CHECK(e.take(3) == 1);

    Message mask = make_message(p::kDeviceSetIrqs,
                                irq_set(p::kIrqSetDataBool | p::kIrqSetActionMask, p::kPciMsixIrqIndex, 1, 2, {0, 1}));
    r.irqs.set(mask);
    Message unmask = make_message(p::kDeviceSetIrqs,
                                  irq_set(p::kIrqSetDataNone | p::kIrqSetActionUnmask, p::kPciMsixIrqIndex, 5, 1));
    r.irqs.set(unmask);
    REQUIRE(r.fn.mask_calls.size() == 2);
    CHECK(r.fn.mask_calls[0] == std::pair<unsigned, bool>{2, true});
    CHECK(r.fn.mask_calls[1] == std::pair<unsigned, bool>{5, false});
}

TEST_CASE("SET_IRQS refusals change nothing and keep no fd", "[vfio_user][irq]") {
    Rig r;
    const size_t before = open_fd_count();
    Eventfds e(1);
    const int not_eventfd = ::memfd_create("not-an-eventfd", MFD_CLOEXEC);
    REQUIRE(not_eventfd >= 0);
    auto refused = [&](std::vector<uint8_t> payload, std::vector<int> fds = {}) {
        Message m = make_message(p::kDeviceSetIrqs, payload, fds);
        return refusal([&] { r.irqs.set(m); });
    };
    CHECK(refused(irq_set(kEventfdTrigger, p::kPciMsixIrqIndex, 0, 1), {::dup(not_eventfd)}) == EINVAL);
    CHECK(refused(irq_set(kEventfdTrigger, p::kPciMsixIrqIndex, 7, 2), {::dup(e.fds[0]), ::dup(e.fds[0])}) ==
          EINVAL); // past the last vector
    CHECK(refused(irq_set(kEventfdTrigger, p::kPciMsixIrqIndex, 0, 2), {::dup(e.fds[0])}) == EINVAL); // 1 fd, 2 vectors
    CHECK(refused(irq_set(p::kIrqSetDataEventfd | p::kIrqSetActionMask, p::kPciMsixIrqIndex, 0, 1),
                  {::dup(e.fds[0])}) == EINVAL);
    CHECK(refused(irq_set(p::kIrqSetDataNone | p::kIrqSetDataBool | p::kIrqSetActionTrigger, p::kPciMsixIrqIndex, 0,
                          1)) == EINVAL); // two data kinds
    CHECK(refused(irq_set(p::kIrqSetDataBool | p::kIrqSetActionTrigger, p::kPciMsixIrqIndex, 0, 2, {1})) == EINVAL);
    CHECK(refused(irq_set(p::kIrqSetDataNone | p::kIrqSetActionTrigger, p::kPciNumIrqs, 0, 1)) == EINVAL);
    CHECK(refused(irq_set(p::kIrqSetDataNone | p::kIrqSetActionTrigger, p::kPciMsixIrqIndex, 0, 1),
                  {::dup(e.fds[0])}) == EINVAL); // fds with DATA_NONE
    CHECK(refused({1, 2, 3}) == EINVAL);

    r.irqs.msix_fire(0);
    CHECK(r.irqs.fired() == 0); // nothing was set
    ::close(not_eventfd);
    CHECK(open_fd_count() == before + 1); // only e's own eventfd
}

TEST_CASE("eventfds are closed when replaced, disabled, or at the end of the session", "[vfio_user][irq]") {
    Rig r;
    const size_t before = open_fd_count();
    {
        Eventfds e(2);
        Message m1 = make_message(p::kDeviceSetIrqs, irq_set(kEventfdTrigger, p::kPciMsixIrqIndex, 0, 2), e.dups());
        r.irqs.set(m1);
        CHECK(open_fd_count() == before + 4);
        Message m2 = make_message(p::kDeviceSetIrqs, irq_set(kEventfdTrigger, p::kPciMsixIrqIndex, 1, 1), {::dup(e.fds[0])});
        r.irqs.set(m2); // replaces vector 1's
        CHECK(open_fd_count() == before + 4);
        r.irqs.msix_fire(1);
        CHECK(e.take(0) == 1); // now vector 1 signals e[0]

        // count 0, DATA_NONE, TRIGGER: all of the index disabled
        Message off = make_message(p::kDeviceSetIrqs,
                                   irq_set(p::kIrqSetDataNone | p::kIrqSetActionTrigger, p::kPciMsixIrqIndex, 0, 0));
        r.irqs.set(off);
        CHECK(open_fd_count() == before + 2);
        r.irqs.msix_fire(0);
        CHECK(r.irqs.dropped() == 1);

        Message again = make_message(p::kDeviceSetIrqs, irq_set(kEventfdTrigger, p::kPciMsixIrqIndex, 0, 2), e.dups());
        r.irqs.set(again);
        CHECK(open_fd_count() == before + 4);
        r.irqs.end_session();
        CHECK(open_fd_count() == before + 2);
        r.irqs.msix_fire(0);
        CHECK(r.irqs.dropped() == 2);
    }
    CHECK(open_fd_count() == before);
}

TEST_CASE("the INTx eventfd is kept and triggered when the function has a pin", "[vfio_user][irq]") {
    Rig r;
    r.fn.cfg[p::kPciInterruptPin] = 1;
    Eventfds e(1);
    Message set = make_message(p::kDeviceSetIrqs, irq_set(kEventfdTrigger, p::kPciIntxIrqIndex, 0, 1), e.dups());
    r.irqs.set(set);
    Message trigger =
        make_message(p::kDeviceSetIrqs, irq_set(p::kIrqSetDataNone | p::kIrqSetActionTrigger, p::kPciIntxIrqIndex, 0, 1));
    r.irqs.set(trigger);
    CHECK(e.take(0) == 1);
    r.fn.cfg[p::kPciInterruptPin] = 0;
    CHECK(refusal([&] { r.irqs.set(trigger); }) == EINVAL); // no INTx line any more
}
