// Interpreter for mlir-aie / aie-rt NPU transaction streams (TXN binaries),
// docs/spec/array.md §A.5. Two encodings, keyed on the header:
//   header w0 = num_rows<<24 | dev_gen<<16 | minor<<8 | major
//   major 0 (mlir-aie TxnEncoding.h, "current"):
//     WRITE 0      6 words {0, rsvd, addr, addr_hi, value, 24}
//     BLOCKWRITE 1 {1, col | row<<8, addr, size_bytes, payload...}
//     MASKWRITE 3  7 words {3, rsvd, addr, addr_hi, value, mask, 28}
//     MASKPOLL 4   7 words {4, rsvd, addr, addr_hi, value, mask, 28}
//   major 1 (aie-rt "opt" / older mlir-aie AIETargetNPU.cpp):
//     WRITE 0      3 words {0, addr, value}
//     BLOCKWRITE 1 {1, addr, size_bytes, payload...}
//     MASKWRITE 3  4 words {3, addr, value, mask}
//     MASKPOLL 4   4 words {4, addr, value, mask}
//   both:
//     NOOP 5       1 word
//     TCT 0x80     4 words {0x80, 16, dir | row<<8 | col<<16, nrow<<8 | ncol<<16 | chan<<24}
//     DDR_PATCH 0x81  major 0: 12 words {0x81, 48, r, r, r, action, reg_addr, r, arg_idx, r, arg_plus, r}
//                     major 1: 6 words {0x81, 24, reg_addr, arg_idx, arg_plus, 0}
// BLOCKWRITE size_bytes is the whole op including its header words [our reading of
// aie-rt XAie_BlockWrite32Hdr.Size]; an addr below 1 MB is taken as a tile offset and
// combined with the op's col/row (major 0) [ours]. Rows in TCT ops are logical rows
// (0 shim, 1 memory tile). TCT waits for one token from each channel in the
// ncol x nrow range (0 counts as 1) and consumes it. DDR_PATCH writes
// buffer[arg_idx] + arg_plus + shim_host_address_offset: the low word at reg_addr
// and, when non-zero, the high bits at reg_addr - 4 (our BD word 0) [ours].
// Unknown opcodes, truncated ops and timeouts stop the stream with an error
// naming the byte offset of the op.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hw/aie/array.hpp"

namespace aie4emu::aie::txn {

enum Opcode : uint32_t {
    kWrite = 0,
    kBlockWrite = 1,
    kMaskWrite = 3,
    kMaskPoll = 4,
    kNoop = 5,
    kTct = 0x80,
    kDdrPatch = 0x81,
};

struct Result {
    bool ok = true;
    std::string error;
    size_t error_offset = 0;   // byte offset of the failing op
    uint32_t ops = 0;          // ops executed
};

class Interpreter {
public:
    explicit Interpreter(Array& array) : array_(array) {}
    // Host addresses of the kernel arguments (DDR_PATCH arg_idx indexes this).
    void set_buffers(std::vector<uint64_t> addresses) { buffers_ = std::move(addresses); }
    // Cycle limit for each MASKPOLL and TCT wait.
    void set_wait_limit(sim::Cycle cycles) { wait_limit_ = cycles; }
    Result run(std::span<const uint32_t> words);

private:
    Array& array_;
    std::vector<uint64_t> buffers_;
    sim::Cycle wait_limit_ = 100'000'000;
};

} // namespace aie4emu::aie::txn
