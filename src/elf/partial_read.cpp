// SPDX-License-Identifier: LGPL-2.1-or-later
#include "elf/partial_read.hpp"

#include <algorithm>
#include <cstring>
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

  std::vector<Range> wanted;
  for (const Shdr& s : headers) {
    const std::uint32_t type = s.sh_type;
    if (type == kShtNobits || type == kShtRel || type == kShtRela || (s.sh_flags & kShfExecInstr) != 0) continue;
    if (!in_file(s)) return false;
    if (s.sh_name < name_table.size()) {
      const std::string_view name = name_table.substr(s.sh_name);
      if (name.starts_with(".BTF") || name.starts_with(".debug")) continue;
    }
    wanted.push_back({s.sh_offset, std::uint64_t{s.sh_offset} + s.sh_size});
  }
  return read_ranges(std::move(wanted), image, read_at);
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
