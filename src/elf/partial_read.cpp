// SPDX-License-Identifier: LGPL-2.1-or-later
#include "elf/partial_read.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string_view>
#include <utility>
#include <vector>

#include "elf/elf_types.hpp"

namespace kmodx::elf {
namespace {

constexpr std::uint32_t kShtRela = 4, kShtNobits = 8, kShtRel = 9;
constexpr std::uint64_t kShfExecInstr = 0x4;
// Gaps up to this size are read through rather than skipped: one bigger
// read is cheaper than two system calls.
constexpr std::uint64_t kMergeGap = 16 * 1024;

// What src/elf's readers find by name (module_sections.hpp).
constexpr std::string_view kReaderSections[] = {".modinfo", "__versions", ".symtab", ".strtab",
                                                "__ksymtab_strings", ".note.gnu.build-id"};
constexpr std::string_view kCrcPrefix = "__crc_";

struct Range {
  std::uint64_t begin, end;
};

bool read_ranges(std::vector<Range> ranges, std::byte* image, const ReadAt& read_at) {
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
  std::vector<Range> merged;
  for (const Range& r : ranges) {
    if (r.begin == r.end) continue;
    if (!merged.empty() && r.begin <= merged.back().end + kMergeGap)
      merged.back().end = std::max(merged.back().end, r.end);
    else
      merged.push_back(r);
  }
  for (const Range& r : merged)
    if (!read_at(r.begin, static_cast<std::size_t>(r.end - r.begin), image + r.begin)) return false;
  return true;
}

template <class ELFT>
bool read_parts(std::byte* image, std::uint64_t size, const ReadAt& read_at) {
  using Ehdr = typename ELFT::Ehdr;
  using Shdr = typename ELFT::Shdr;
  using Sym = typename ELFT::Sym;
  if (size < sizeof(Ehdr)) return false;
  Ehdr eh;
  std::memcpy(&eh, image, sizeof eh);  // the caller read the first bytes
  const std::uint64_t shoff = eh.e_shoff;
  const std::uint64_t shnum = eh.e_shnum;
  if (eh.e_shentsize != sizeof(Shdr) || shnum == 0 || shoff > size || shnum * sizeof(Shdr) > size - shoff ||
      eh.e_shstrndx >= shnum)
    return false;
  if (!read_at(shoff, static_cast<std::size_t>(shnum * sizeof(Shdr)), image + shoff)) return false;
  std::vector<Shdr> headers(static_cast<std::size_t>(shnum));
  std::memcpy(headers.data(), image + shoff, headers.size() * sizeof(Shdr));

  auto in_file = [&](const Shdr& s) {
    const std::uint64_t off = s.sh_offset, len = s.sh_size;
    return off <= size && len <= size - off;
  };
  const Shdr& names = headers[eh.e_shstrndx];
  if (!in_file(names)) return false;
  const std::uint64_t names_off = names.sh_offset, names_len = names.sh_size;
  if (!read_at(names_off, static_cast<std::size_t>(names_len), image + names_off)) return false;
  const std::string_view name_table(reinterpret_cast<const char*>(image + names_off), names_len);

  auto name_of = [&](const Shdr& h) -> std::string_view {
    if (h.sh_name >= name_table.size()) return {};
    std::string_view rest = name_table.substr(h.sh_name);
    return rest.substr(0, rest.find('\0'));
  };

  // Sections the module readers look up by name are read whatever their
  // type or flags say; of the rest, code, relocations, BTF and debug info
  // are skipped.
  std::vector<bool> skipped(headers.size(), false);
  std::vector<Range> wanted;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const Shdr& h = headers[i];
    const std::string_view name = name_of(h);
    const bool by_name = std::find(std::begin(kReaderSections), std::end(kReaderSections), name) !=
                         std::end(kReaderSections);
    const std::uint32_t type = h.sh_type;
    if (!by_name && (type == kShtNobits || type == kShtRel || type == kShtRela ||
                     (h.sh_flags & kShfExecInstr) != 0 || name.starts_with(".BTF") || name.starts_with(".debug"))) {
      skipped[i] = true;
      continue;
    }
    if (!in_file(h)) return false;
    wanted.push_back({h.sh_offset, std::uint64_t{h.sh_offset} + h.sh_size});
  }
  if (!read_ranges(wanted, image, read_at)) return false;

  // A __crc_ symbol's CRC may be read from the section it points into: read
  // such a section too if it was skipped (only odd files do this).
  std::vector<Range> crc_sections;
  const Shdr* strtab = nullptr;
  for (const Shdr& h : headers)
    if (name_of(h) == ".strtab" && in_file(h)) {
      strtab = &h;
      break;
    }
  if (strtab == nullptr) return true;
  const std::string_view strings(reinterpret_cast<const char*>(image + std::uint64_t{strtab->sh_offset}),
                                 strtab->sh_size);
  for (const Shdr& h : headers) {
    if (name_of(h) != ".symtab" || !in_file(h)) continue;
    const std::uint64_t count = std::uint64_t{h.sh_size} / sizeof(Sym);
    for (std::uint64_t k = 0; k < count; ++k) {
      Sym sym;
      std::memcpy(&sym, image + std::uint64_t{h.sh_offset} + k * sizeof(Sym), sizeof sym);
      const std::uint16_t shndx = sym.st_shndx;
      if (shndx == 0 || shndx >= headers.size() || !skipped[shndx] || sym.st_name >= strings.size()) continue;
      if (!strings.substr(sym.st_name).starts_with(kCrcPrefix)) continue;
      skipped[shndx] = false;
      if (in_file(headers[shndx]))
        crc_sections.push_back({headers[shndx].sh_offset, std::uint64_t{headers[shndx].sh_offset} + headers[shndx].sh_size});
    }
  }
  return read_ranges(std::move(crc_sections), image, read_at);
}

}  // namespace

bool read_module_parts(std::byte* image, std::uint64_t size, const ReadAt& read_at) {
  constexpr std::size_t kHead = sizeof(Elf64LE::Ehdr);
  if (size < kHead || !read_at(0, kHead, image)) return false;
  const auto* id = reinterpret_cast<const unsigned char*>(image);
  if (std::memcmp(id, "\x7f" "ELF", 4) != 0) return false;
  switch ((id[4] << 8) | id[5]) {  // EI_CLASS, EI_DATA
    case 0x0101: return read_parts<Elf32LE>(image, size, read_at);
    case 0x0102: return read_parts<Elf32BE>(image, size, read_at);
    case 0x0201: return read_parts<Elf64LE>(image, size, read_at);
    case 0x0202: return read_parts<Elf64BE>(image, size, read_at);
    default: return false;
  }
}

}  // namespace kmodx::elf
