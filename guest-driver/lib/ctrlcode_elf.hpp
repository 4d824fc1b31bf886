#pragma once
// Reader for the control-code ELF that `aiebu-asm -t aie4` writes (docs/spec/queue-and-cert.md §8.1):
// per-uC pages from .ctrltext.U.P/.ctrldata.U.P, argument relocations from .rela.dyn, and
// the host-side patch XRT applies to them (patch57_aie4, §8.3).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace aie4emu::guest {

// One uC's control code as the device fetches it: pages of 8 KiB back to back, each page
// being .ctrltext.U.P followed by .ctrldata.U.P.
struct UcControlCode {
    std::uint32_t uc = 0;
    std::uint32_t page_count = 0;
    std::vector<std::uint8_t> image;
};

struct CtrlcodeReloc {
    std::uint32_t uc = 0;
    std::uint32_t page = 0;
    std::uint32_t r_offset = 0;       // as stored: BD page offset minus the 16-byte page header
    std::uint32_t type = 0;           // 6 = shim_dma_aie4_base_addr
    std::string symbol;               // argument index as text for kernel arguments ("0", "1", ...)
    std::optional<std::uint32_t> arg_index; // parsed symbol, if it is a number
    std::int32_t addend = 0;

    // Byte offset of the patched BD inside UcControlCode::image.
    std::uint64_t image_offset() const;
};

struct ControlCodeElf {
    std::uint8_t osabi = 0;
    std::uint8_t abi_version = 0;
    std::vector<UcControlCode> ucs; // sorted by uc
    std::vector<CtrlcodeReloc> relocs;

    const UcControlCode* find_uc(std::uint32_t uc) const;
};

struct CtrlcodeParseResult {
    std::optional<ControlCodeElf> elf;
    std::string error; // set when elf is empty
};

// Never throws on malformed input: every offset and size is range-checked.
CtrlcodeParseResult parse_ctrlcode_elf(std::span<const std::uint8_t> file);

// Page header as the assembler writes it (§8.2).
struct PageHeader {
    std::uint16_t marker = 0;
    std::uint16_t index = 0;
    std::uint16_t used_length = 0;
    std::uint16_t next_length = 0;
};

// Walks an image page by page checking marker, index sequence, used lengths and the
// next-page length chain. Returns the headers, or an error message.
struct PageWalkResult {
    std::vector<PageHeader> pages;
    std::string error;
};
PageWalkResult walk_pages(std::span<const std::uint8_t> image);

// XRT's patch57_aie4: base = (w0[24:0] << 32 | w1) + address + ddr_offset, written back to
// w0[24:0] and w1 (w0[31:25] kept). Returns false if the BD does not fit in the image.
bool patch57_aie4(std::span<std::uint8_t> image, std::uint64_t bd_offset, std::uint64_t address,
                  std::uint64_t ddr_offset);

// Apply an argument address to every relocation of `arg_index` that targets `uc`.
// Returns the number of patches, or -1 on an unsupported relocation type / out-of-range BD.
int patch_argument(UcControlCode& code, const std::vector<CtrlcodeReloc>& relocs, std::uint32_t arg_index,
                   std::uint64_t address, std::uint64_t ddr_offset);

} // namespace aie4emu::guest
