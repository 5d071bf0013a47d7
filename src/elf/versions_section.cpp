// SPDX-License-Identifier: LGPL-2.1-or-later
#include <cerrno>
#include <cstring>

#include "elf/module_sections.hpp"
#include "util/hex.hpp"

namespace kmodx::elf {
namespace {

// A record is the CRC (as wide as the ELF class) then the name, 64 bytes in all.
constexpr std::size_t kRecordSize = 64;

template <class ELFT>
struct VersionRecord {
  typename ELFT::Crc crc;
  char name[kRecordSize - sizeof(typename ELFT::Crc)];
};

}  // namespace

template <class ELFT>
Result<std::vector<ModVersion>> read_versions(const ElfView<ELFT>& elf) {
  static_assert(sizeof(VersionRecord<ELFT>) == kRecordSize);
  const std::string f(elf.file());
  auto section = elf.find_section("__versions");
  if (!section) return make_error(ENODATA, f + ": no __versions section");
  if (section->size % kRecordSize != 0)
    return make_error(EINVAL, f + ": __versions size " + hex(section->size) +
                                  " is not a multiple of 64");
  auto bytes = elf.contents(*section);
  std::vector<ModVersion> out;
  for (std::size_t off = 0; off < bytes.size(); off += kRecordSize) {
    const auto* rec = reinterpret_cast<const VersionRecord<ELFT>*>(bytes.data() + off);
    const void* nul = std::memchr(rec->name, 0, sizeof rec->name);
    if (nul == nullptr)
      return make_error(EINVAL, f + ": __versions record at " + hex(section->offset + off) +
                                    " has a name without NUL");
    std::string_view name(rec->name, static_cast<const char*>(nul) - rec->name);
    if (!name.empty() && name.front() == '.') name.remove_prefix(1);
    out.push_back({rec->crc, name});
  }
  return out;
}

template <class ELFT>
std::vector<ModVersion> read_versions_lenient(const ElfView<ELFT>& elf) {
  std::vector<ModVersion> out;
  auto section = elf.find_section("__versions");
  if (!section || section->size % kRecordSize != 0) return out;
  auto bytes = elf.contents(*section);
  for (std::size_t off = 0; off < bytes.size(); off += kRecordSize) {
    const auto* rec = reinterpret_cast<const VersionRecord<ELFT>*>(bytes.data() + off);
    const void* nul = std::memchr(rec->name, 0, sizeof rec->name);
    if (nul == nullptr) continue;
    out.push_back({rec->crc, std::string_view(rec->name, static_cast<const char*>(nul) - rec->name)});
  }
  return out;
}

#define INSTANTIATE(T)                                                                 \
  template Result<std::vector<ModVersion>> read_versions(const ElfView<T>&);         \
  template std::vector<ModVersion> read_versions_lenient(const ElfView<T>&);
KMODX_INSTANTIATE_FOR_ALL_ELF_TYPES(INSTANTIATE)
#undef INSTANTIATE

}  // namespace kmodx::elf
