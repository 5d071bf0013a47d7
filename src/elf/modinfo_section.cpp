// SPDX-License-Identifier: LGPL-2.1-or-later
#include <cerrno>
#include <cstring>

#include "elf/module_sections.hpp"

namespace kmodx::elf {

std::vector<std::string_view> split_strings(std::span<const std::byte> section) {
  std::string_view s(reinterpret_cast<const char*>(section.data()), section.size());
  // libkmod drops leading NULs but keeps the last byte, so a section of only
  // NULs (or of one byte) yields nothing.
  while (s.size() > 1 && s.front() == '\0') s.remove_prefix(1);
  std::vector<std::string_view> out;
  if (s.size() <= 1) return out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t end = s.find('\0', i);
    if (end == std::string_view::npos) end = s.size();
    if (end > i) out.push_back(s.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

std::optional<std::string_view> string_at(std::span<const std::byte> table, std::uint64_t offset) {
  if (offset >= table.size()) return std::nullopt;
  const char* p = reinterpret_cast<const char*>(table.data()) + offset;
  const void* nul = std::memchr(p, 0, table.size() - offset);
  if (nul == nullptr) return std::nullopt;
  return std::string_view(p, static_cast<const char*>(nul) - p);
}

template <class ELFT>
Result<std::vector<ModinfoEntry>> read_modinfo(const ElfView<ELFT>& elf) {
  auto section = elf.find_section(".modinfo");
  if (!section) return make_error(ENOENT, std::string(elf.file()) + ": no .modinfo section");
  std::vector<ModinfoEntry> entries;
  for (std::string_view s : split_strings(elf.contents(*section))) {
    auto eq = s.find('=');
    if (eq == std::string_view::npos)
      entries.push_back({s, {}});
    else
      entries.push_back({s.substr(0, eq), s.substr(eq + 1)});
  }
  return entries;
}

#define INSTANTIATE(T) template Result<std::vector<ModinfoEntry>> read_modinfo(const ElfView<T>&);
KMODX_INSTANTIATE_FOR_ALL_ELF_TYPES(INSTANTIATE)
#undef INSTANTIATE

}  // namespace kmodx::elf
