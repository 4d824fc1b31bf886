#include "guest-driver/lib/ctrlcode_elf.hpp"

#include "guest-driver/include/xrt_umq_layout.hpp"
#include "guest-driver/lib/bytes.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <elf.h>
#include <map>

namespace aie4emu::guest {

namespace cc = umq::ctrlcode;

namespace {

struct Section {
    std::string name;
    Elf32_Shdr hdr{};
};

// ".ctrltext.U.P" / ".ctrldata.U.P" -> (U, P)
bool parse_page_name(const std::string& name, const char* prefix, std::uint32_t& uc, std::uint32_t& page)
{
    const std::size_t plen = std::strlen(prefix);
    if (name.compare(0, plen, prefix) != 0)
        return false;
    const char* p = name.c_str() + plen;
    const char* end = name.c_str() + name.size();
    auto r1 = std::from_chars(p, end, uc);
    if (r1.ec != std::errc() || r1.ptr == end || *r1.ptr != '.')
        return false;
    auto r2 = std::from_chars(r1.ptr + 1, end, page);
    return r2.ec == std::errc() && r2.ptr == end;
}

std::string c_string_at(std::span<const std::uint8_t> file, const Elf32_Shdr& strtab, std::uint32_t index)
{
    if (index >= strtab.sh_size)
        return {};
    const std::size_t start = strtab.sh_offset + index;
    const std::size_t limit = strtab.sh_offset + strtab.sh_size;
    std::size_t end = start;
    while (end < limit && file[end] != 0)
        ++end;
    return std::string(reinterpret_cast<const char*>(file.data() + start), end - start);
}

CtrlcodeParseResult fail(std::string message)
{
    return {std::nullopt, std::move(message)};
}

} // namespace

std::uint64_t CtrlcodeReloc::image_offset() const
{
    return std::uint64_t{page} * cc::page_size + r_offset + cc::label_base;
}

const UcControlCode* ControlCodeElf::find_uc(std::uint32_t uc) const
{
    for (const auto& code : ucs)
        if (code.uc == uc)
            return &code;
    return nullptr;
}

CtrlcodeParseResult parse_ctrlcode_elf(std::span<const std::uint8_t> file)
{
    if (file.size() < sizeof(Elf32_Ehdr))
        return fail("file shorter than an ELF32 header");
    Elf32_Ehdr eh;
    std::memcpy(&eh, file.data(), sizeof eh);
    if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
        return fail("not an ELF file");
    if (eh.e_ident[EI_CLASS] != ELFCLASS32 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
        return fail("not a 32-bit little-endian ELF");
    if (eh.e_shentsize != sizeof(Elf32_Shdr))
        return fail("unexpected section header size");
    if (!range_ok(file.size(), eh.e_shoff, std::size_t{eh.e_shnum} * sizeof(Elf32_Shdr)))
        return fail("section headers outside the file");
    if (eh.e_shstrndx >= eh.e_shnum)
        return fail("bad section-name table index");

    std::vector<Section> sections(eh.e_shnum);
    for (std::size_t i = 0; i < eh.e_shnum; ++i) {
        std::memcpy(&sections[i].hdr, file.data() + eh.e_shoff + i * sizeof(Elf32_Shdr), sizeof(Elf32_Shdr));
        const auto& h = sections[i].hdr;
        if (h.sh_type != SHT_NOBITS && h.sh_type != SHT_NULL && !range_ok(file.size(), h.sh_offset, h.sh_size))
            return fail("section " + std::to_string(i) + " outside the file");
    }
    const auto& shstr = sections[eh.e_shstrndx].hdr;
    for (auto& s : sections)
        s.name = c_string_at(file, shstr, s.hdr.sh_name);

    ControlCodeElf out;
    out.osabi = eh.e_ident[EI_OSABI];
    out.abi_version = eh.e_ident[EI_ABIVERSION];

    // Collect pages: uc -> page -> (text section, data section).
    struct PageParts {
        const Section* text = nullptr;
        const Section* data = nullptr;
    };
    std::map<std::uint32_t, std::map<std::uint32_t, PageParts>> pages;
    std::map<std::size_t, std::pair<std::uint32_t, std::uint32_t>> text_section_page; // shndx -> (uc, page)
    for (std::size_t i = 0; i < sections.size(); ++i) {
        std::uint32_t uc = 0, page = 0;
        if (parse_page_name(sections[i].name, ".ctrltext.", uc, page)) {
            pages[uc][page].text = &sections[i];
            text_section_page[i] = {uc, page};
        } else if (parse_page_name(sections[i].name, ".ctrldata.", uc, page)) {
            pages[uc][page].data = &sections[i];
        }
    }
    if (pages.empty())
        return fail("no .ctrltext sections (an EOF-only source assembles to no control code)");

    for (const auto& [uc, by_page] : pages) {
        UcControlCode code;
        code.uc = uc;
        code.page_count = static_cast<std::uint32_t>(by_page.size());
        if (by_page.rbegin()->first + 1 != code.page_count)
            return fail("uC " + std::to_string(uc) + ": pages are not numbered 0..n-1");
        code.image.assign(std::size_t{code.page_count} * cc::page_size, 0);
        for (const auto& [page, parts] : by_page) {
            if (parts.text == nullptr)
                return fail("uC " + std::to_string(uc) + " page " + std::to_string(page) + ": data without text");
            const std::size_t text_size = parts.text->hdr.sh_size;
            const std::size_t data_size = parts.data ? parts.data->hdr.sh_size : 0;
            if (text_size + data_size > cc::page_size)
                return fail("uC " + std::to_string(uc) + " page " + std::to_string(page) + " exceeds 8 KiB");
            auto dst = code.image.begin() + static_cast<std::ptrdiff_t>(std::size_t{page} * cc::page_size);
            std::copy_n(file.begin() + parts.text->hdr.sh_offset, text_size, dst);
            if (parts.data)
                std::copy_n(file.begin() + parts.data->hdr.sh_offset, data_size, dst + static_cast<std::ptrdiff_t>(text_size));
        }
        out.ucs.push_back(std::move(code));
    }

    // Relocations.
    for (const auto& s : sections) {
        if (s.hdr.sh_type != SHT_RELA)
            continue;
        if (s.hdr.sh_entsize != sizeof(Elf32_Rela))
            return fail("unexpected .rela entry size");
        if (s.hdr.sh_link >= sections.size())
            return fail("relocation section links to a missing symbol table");
        const auto& symtab = sections[s.hdr.sh_link].hdr;
        if (symtab.sh_entsize != sizeof(Elf32_Sym) || symtab.sh_link >= sections.size())
            return fail("bad symbol table");
        const auto& strtab = sections[symtab.sh_link].hdr;
        const std::size_t nsyms = symtab.sh_size / sizeof(Elf32_Sym);
        for (std::size_t off = 0; off + sizeof(Elf32_Rela) <= s.hdr.sh_size; off += sizeof(Elf32_Rela)) {
            Elf32_Rela rela;
            std::memcpy(&rela, file.data() + s.hdr.sh_offset + off, sizeof rela);
            const std::uint32_t sym_index = ELF32_R_SYM(rela.r_info);
            if (sym_index >= nsyms)
                return fail("relocation symbol index out of range");
            Elf32_Sym sym;
            std::memcpy(&sym, file.data() + symtab.sh_offset + sym_index * sizeof(Elf32_Sym), sizeof sym);
            auto where = text_section_page.find(sym.st_shndx);
            if (where == text_section_page.end())
                return fail("relocation symbol not defined in a .ctrltext section");
            CtrlcodeReloc r;
            r.uc = where->second.first;
            r.page = where->second.second;
            r.r_offset = rela.r_offset;
            r.type = ELF32_R_TYPE(rela.r_info);
            r.addend = rela.r_addend;
            r.symbol = c_string_at(file, strtab, sym.st_name);
            std::uint32_t arg = 0;
            auto res = std::from_chars(r.symbol.data(), r.symbol.data() + r.symbol.size(), arg);
            if (!r.symbol.empty() && res.ec == std::errc() && res.ptr == r.symbol.data() + r.symbol.size())
                r.arg_index = arg;
            out.relocs.push_back(std::move(r));
        }
    }
    return {std::move(out), {}};
}

PageWalkResult walk_pages(std::span<const std::uint8_t> image)
{
    PageWalkResult result;
    if (image.empty() || image.size() % cc::page_size != 0) {
        result.error = "image size is not a whole number of 8 KiB pages";
        return result;
    }
    const std::size_t count = image.size() / cc::page_size;
    for (std::size_t i = 0; i < count; ++i) {
        auto page = image.subspan(i * cc::page_size, cc::page_size);
        PageHeader h;
        h.marker = load_le<std::uint16_t>(page, cc::header_marker_offset);
        h.index = load_le<std::uint16_t>(page, cc::header_index_offset);
        h.used_length = load_le<std::uint16_t>(page, cc::header_used_length_offset);
        h.next_length = load_le<std::uint16_t>(page, cc::header_next_length_offset);
        if (h.marker != cc::page_marker) {
            result.error = "page " + std::to_string(i) + ": bad marker";
            return result;
        }
        if (h.index != i) {
            result.error = "page " + std::to_string(i) + ": index field " + std::to_string(h.index);
            return result;
        }
        if (h.used_length < cc::page_header_size || h.used_length > cc::page_size) {
            result.error = "page " + std::to_string(i) + ": used length out of range";
            return result;
        }
        result.pages.push_back(h);
    }
    for (std::size_t i = 0; i < count; ++i) {
        const std::uint16_t expected = i + 1 < count ? result.pages[i + 1].used_length : 0;
        if (result.pages[i].next_length != expected) {
            result.error = "page " + std::to_string(i) + ": next-page length does not match";
            result.pages.clear();
            return result;
        }
    }
    return result;
}

bool patch57_aie4(std::span<std::uint8_t> image, std::uint64_t bd_offset, std::uint64_t address,
                  std::uint64_t ddr_offset)
{
    if (!range_ok(image.size(), bd_offset, 8))
        return false;
    const std::uint32_t w0 = load_le<std::uint32_t>(image, bd_offset);
    const std::uint32_t w1 = load_le<std::uint32_t>(image, bd_offset + 4);
    std::uint64_t base = (std::uint64_t{w0 & cc::patch57_aie4_high_mask} << 32) | w1;
    base += address + ddr_offset;
    store_le<std::uint32_t>(image, bd_offset + 4, static_cast<std::uint32_t>(base));
    store_le<std::uint32_t>(image, bd_offset,
                            (w0 & ~cc::patch57_aie4_high_mask) |
                                (static_cast<std::uint32_t>(base >> 32) & cc::patch57_aie4_high_mask));
    return true;
}

int patch_argument(UcControlCode& code, const std::vector<CtrlcodeReloc>& relocs, std::uint32_t arg_index,
                   std::uint64_t address, std::uint64_t ddr_offset)
{
    int patched = 0;
    for (const auto& r : relocs) {
        if (r.uc != code.uc || r.arg_index != arg_index)
            continue;
        if (r.type != cc::reloc_shim_dma_aie4_base_addr)
            return -1;
        if (!patch57_aie4(code.image, r.image_offset(), address, ddr_offset))
            return -1;
        ++patched;
    }
    return patched;
}

} // namespace aie4emu::guest
