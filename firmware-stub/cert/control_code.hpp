// Facts of the control-code format CERT runs (aiebu "aie2ps" ISA, also used
// for aie4). Sources: docs/spec/queue-and-cert.md §8.2 and §8.4 (aiebu
// specification/aie2ps/isa-spec.yaml); every encoding below was checked by
// assembling with Debian's `aiebu-asm -t aie4` 2.25 (fixtures in
// tests/fixtures/cert/).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace aie4emu::fw::cert {

// Page layout (isa-spec macro_defines; checked with aiebu-asm).
inline constexpr uint32_t kPageSize = 8192;         // TASK_PAGE_SIZE
inline constexpr uint32_t kPageHeaderSize = 16;     // PAGE_HEADER_SIZE
inline constexpr uint16_t kPageMarker = 0xFFFF;     // header bytes 0..1
inline constexpr uint32_t kUcDmaBdSize = 16;        // UC_DMA_BD_SIZE
inline constexpr uint16_t kPatchControlCodeFlag = 0xFFFF; // APPLY_OFFSET_57: use page 0's host address
inline constexpr uint32_t kLocalRegisters = 8;      // r0..r7 per job
inline constexpr uint32_t kRegisters = 24;          // r8..r23 are g0..g15, shared by the uC's jobs
inline constexpr uint32_t kLocalBarriers = 16;      // lb0..lb15

// Page header fields (byte offsets).
struct PageHeaderLayout {
    static constexpr uint32_t marker = 0;       // u16 0xFFFF
    static constexpr uint32_t index = 2;        // u16 page index
    static constexpr uint32_t ooo_len1 = 4;     // u16 out-of-order page length (PDI / save)
    static constexpr uint32_t ooo_len2 = 6;     // u16 out-of-order page length (restore)
    static constexpr uint32_t used_len = 8;     // u16 this page's used length
    static constexpr uint32_t next_len = 10;    // u16 next page's used length, 0 on the last page
};

enum class Opcode : uint8_t {
    StartJob = 0x00,
    UcDmaWriteDes = 0x01,
    WaitUcDma = 0x02,
    MaskWrite32 = 0x03,
    Write32 = 0x05,
    WaitTcts = 0x06,
    EndJob = 0x07,
    Yield = 0x08,
    UcDmaWriteDesSync = 0x09,
    Write32D = 0x0B,
    Read32 = 0x0C,
    Read32D = 0x0D,
    ApplyOffset57 = 0x0E,
    Add = 0x0F,
    Mov = 0x10,
    LocalBarrier = 0x11,
    RemoteBarrier = 0x12,
    Poll32 = 0x13,
    MaskPoll32 = 0x14,
    Trace = 0x15,
    Nop = 0x16,
    StartJobDeferred = 0x17,
    LaunchJob = 0x18,
    PreemptionCheckpoint = 0x19,
    LoadPdi = 0x1A,
    LoadLastPdi = 0x1B,
    SaveTimestamps = 0x1C,
    Eof = 0xFF,
};

// WRITE_32_D flags (isa-spec): bit 0 address is immediate, bit 1 value is immediate.
inline constexpr uint8_t kWrite32DAddressImmediate = 1u << 0;
inline constexpr uint8_t kWrite32DValueImmediate = 1u << 1;

// UC-DMA buffer descriptor (16 bytes; docs/spec/queue-and-cert.md §8.2, checked with aiebu-asm).
struct UcDmaBdLayout {
    static constexpr uint32_t kLenMask = 0xFFFF;          // word 0 bits 15:0: length in 32-bit words
    static constexpr uint32_t kChainBit = 1u << 16;       // word 0 bit 16: another BD follows
    static constexpr uint32_t kAlwaysSetBit = 1u << 18;   // word 0 bit 18: set by the assembler
    // word 1: byte offset of the local data from this BD
    // word 2: AXI-MM address (low 32 bits) of the destination registers
    // word 3: high bits of the destination address (inferred)
};

// One decoded operation. Operand meaning depends on the opcode; the decoder
// fills the fields below as named in isa-spec (docs/spec/queue-and-cert.md §8.4).
struct Op {
    Opcode code{};
    uint32_t offset = 0;     // byte offset of the op within its page
    uint32_t size = 0;       // encoded size in bytes
    uint8_t reg_a = 0;       // first register operand (wait_handle, dest, value, address reg, barrier id)
    uint8_t reg_b = 0;       // second register operand / 8-bit constant
    uint16_t imm16_a = 0;    // job_id, descriptor_ptr, table_ptr, tile_id, pdi id, trace info
    uint16_t imm16_b = 0;    // job size, num_entries, save page, pdi page
    uint16_t imm16_c = 0;    // offset (APPLY_OFFSET_57), restore page
    uint32_t address = 0;    // AXI-MM address
    uint32_t mask = 0;
    uint32_t value = 0;
    uint8_t flags = 0;       // WRITE_32_D flags
    uint8_t actor = 0;       // WAIT_TCTS actor_id
    uint8_t target = 0;      // WAIT_TCTS target count
};

[[nodiscard]] std::string_view opcode_name(Opcode op);

// Encoded size of an opcode, or nullopt for an opcode the ISA does not define.
[[nodiscard]] std::optional<uint32_t> encoded_size(uint8_t opcode);

struct PageHeader {
    uint16_t index = 0;
    uint16_t used_length = 0;
    uint16_t next_length = 0;
    uint16_t ooo_length1 = 0;
    uint16_t ooo_length2 = 0;
};

struct DecodeError {
    uint32_t offset = 0;     // byte offset within the page
    std::string message;
};

struct DecodedPage {
    PageHeader header;
    std::vector<Op> ops;     // in order, up to and including EOF
};

// Decodes one page (`bytes` = the used length read from guest memory, at
// most kPageSize). Validates the marker, the page index (`expected_index`),
// the used length, every opcode and operand width, label operands that must
// stay inside the page, and that the stream ends with EOF. Never reads past
// `bytes`.
[[nodiscard]] std::optional<DecodedPage> decode_page(std::span<const uint8_t> bytes, uint16_t expected_index,
                                                     DecodeError& error);

// Decodes only the 16-byte header (used to learn how much of page 0 to fetch).
[[nodiscard]] std::optional<PageHeader> decode_header(std::span<const uint8_t> bytes, DecodeError& error);

} // namespace aie4emu::fw::cert

namespace aie4emu::fw::cert {

// WAIT_TCTS operands. Found by assembling every actor name with Debian's
// aiebu-asm -t aie4 2.25 (names it refuses are absent): tile_id = col << 5 | row;
// actor ids per tile kind below.
inline constexpr unsigned kTctTileColumnShift = 5;
inline constexpr uint16_t kTctTileRowMask = 0x1F;

enum class TctDirection : uint8_t { S2mm, Mm2s };
struct TctActor {
    uint8_t id;
    bool shim;             // shim tile (else memory tile)
    TctDirection direction;
    uint8_t channel;
};
// SHIM_S2MM_0..1, SHIM_MM2S_0..3, MEM_S2MM_0..7, MEM_MM2S_0..9.
inline constexpr TctActor kTctActors[] = {
    {0, true, TctDirection::S2mm, 0},  {2, true, TctDirection::S2mm, 1},
    {6, true, TctDirection::Mm2s, 0},  {7, true, TctDirection::Mm2s, 1},
    {8, true, TctDirection::Mm2s, 2},  {9, true, TctDirection::Mm2s, 3},
    {0, false, TctDirection::S2mm, 0}, {1, false, TctDirection::S2mm, 1},
    {2, false, TctDirection::S2mm, 2}, {3, false, TctDirection::S2mm, 3},
    {4, false, TctDirection::S2mm, 4}, {5, false, TctDirection::S2mm, 5},
    {6, false, TctDirection::S2mm, 6}, {7, false, TctDirection::S2mm, 7},
    {16, false, TctDirection::Mm2s, 0}, {17, false, TctDirection::Mm2s, 1},
    {18, false, TctDirection::Mm2s, 2}, {19, false, TctDirection::Mm2s, 3},
    {20, false, TctDirection::Mm2s, 4}, {22, false, TctDirection::Mm2s, 5},
    {23, false, TctDirection::Mm2s, 6}, {24, false, TctDirection::Mm2s, 7},
    {25, false, TctDirection::Mm2s, 8}, {26, false, TctDirection::Mm2s, 9},
};

} // namespace aie4emu::fw::cert
