// The interrupts piece of the vfio-user server: DEVICE_GET_IRQ_INFO and
// DEVICE_SET_IRQS, the eventfds the client hands over for them, and the
// device's MSI-X messages (pcie::InterruptSink) written to those eventfds.
//
// It owns one eventfd per MSI-X vector and one for INTx: set, replaced or
// closed by SET_IRQS, all closed when the client goes. Only a real eventfd
// is accepted (nothing else is ever written an interrupt), and each is made
// non-blocking so firing never blocks the simulation thread. MSI-X
// MASK/UNMASK go to the function, which keeps the vector masks; INTx is
// reported (QEMU sets it up when config space has an interrupt pin) but the
// function model never asserts it.
//
// Why apart: the fd bookkeeping of SET_IRQS (ranges, counts, replacing and
// closing) can be checked here with a fake function and real eventfds,
// without a socket.
#pragma once

#include "emu/vfio_user/message.hpp"
#include "hw/pcie/function.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace aie4emu::vfio_user {

class Interrupts final : public pcie::InterruptSink {
public:
    // `name` names the function in log lines; both must outlive this.
    Interrupts(const std::string& name, pcie::Function& fn);
    ~Interrupts() override;
    Interrupts(const Interrupts&) = delete;
    Interrupts& operator=(const Interrupts&) = delete;

    // DEVICE_GET_IRQ_INFO. Throws RequestError on refusal.
    Answer info(const Message& m);
    // DEVICE_SET_IRQS: takes the eventfds it keeps out of `m`. Throws
    // RequestError on refusal (then nothing has changed).
    Answer set(Message& m);

    // pcie::InterruptSink: write the vector's eventfd, or count a drop.
    void msix_fire(unsigned vector) override;

    // A new client: no eventfds, one slot per MSI-X vector.
    void begin_session();
    // Close every eventfd.
    void end_session();

    // Vectors behind an IRQ index (VFIO_PCI_*_IRQ_INDEX), read live.
    [[nodiscard]] uint32_t count(uint32_t index) const;
    [[nodiscard]] uint64_t fired() const { return fired_; }
    [[nodiscard]] uint64_t dropped() const { return dropped_; }

private:
    void signal(int fd);

    const std::string& name_;
    pcie::Function& fn_;
    std::vector<int> msix_fds_;
    int intx_fd_ = -1;
    uint64_t fired_ = 0;   // eventfd writes
    uint64_t dropped_ = 0; // msix_fire with no eventfd set, or a failed write
};

} // namespace aie4emu::vfio_user
