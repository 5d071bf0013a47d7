// SPDX-License-Identifier: LGPL-2.1-or-later
// Exported and undefined symbols (§5.4, §5.5). Symbol names are looked up in
// the section *named* .strtab, not through sh_link, because that is what
// libkmod does and depmod output must match it.
#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "elf/module_sections.hpp"

namespace kmodx::elf {
namespace {

constexpr std::string_view kCrcPrefix = "__crc_";

template <class ELFT>
struct SymbolTable {
  std::span<const typename ELFT::Sym> symbols;  // entry 0 included
  std::span<const std::byte> strings;
};

template <class ELFT>
std::optional<SymbolTable<ELFT>> symbol_table(const ElfView<ELFT>& elf) {
  using Sym = typename ELFT::Sym;
  auto strtab = elf.find_section(".strtab");
  auto symtab = elf.find_section(".symtab");
  if (!strtab || !symtab || symtab->size % sizeof(Sym) != 0) return std::nullopt;
  auto raw = elf.contents(*symtab);
  return SymbolTable<ELFT>{
      {reinterpret_cast<const Sym*>(raw.data()), raw.size() / sizeof(Sym)}, elf.contents(*strtab)};
}

// The CRC of an exported symbol is either the __crc_ symbol's value or, in
// newer kernels, a u32 stored in the section the symbol points into.
template <class ELFT>
std::uint64_t resolve_crc(const ElfView<ELFT>& elf, std::uint64_t value, std::uint16_t shndx) {
  if (shndx == kShnUndef || shndx == kShnAbs) return value;
  auto section = elf.section(shndx);
  if (!section || section->size < 4 || value > section->size - 4) return ~std::uint64_t{0};
  Integer<std::uint32_t, ELFT::is_le> crc;
  std::memcpy(crc.bytes, elf.image().data() + section->offset + value, 4);
  return std::uint32_t{crc};
}

SymbolBind bind_from_elf(unsigned char info) {
  switch (info >> 4) {
    case 0: return SymbolBind::local;
    case 1: return SymbolBind::global;
    case 2: return SymbolBind::weak;
    default: return SymbolBind::undefined;
  }
}

template <class ELFT>
Result<std::vector<ModuleSymbol>> exports_from_ksymtab_strings(const ElfView<ELFT>& elf) {
  auto section = elf.find_section("__ksymtab_strings");
  if (!section) return make_error(ENODATA, std::string(elf.file()) + ": no exported symbols");
  std::vector<ModuleSymbol> out;
  for (std::string_view name : split_strings(elf.contents(*section)))
    out.push_back({name, 0, SymbolBind::global});
  return out;
}

}  // namespace

template <class ELFT>
Result<std::vector<ModuleSymbol>> read_exports(const ElfView<ELFT>& elf) {
  auto table = symbol_table(elf);
  if (!table) return exports_from_ksymtab_strings(elf);
  std::vector<ModuleSymbol> out;
  for (std::size_t i = 1; i < table->symbols.size(); ++i) {
    const auto& sym = table->symbols[i];
    auto name = string_at(table->strings, sym.st_name);
    // A name outside .strtab makes libkmod give up on the symbol table.
    if (!name) return exports_from_ksymtab_strings(elf);
    if (!name->starts_with(kCrcPrefix)) continue;
    out.push_back({name->substr(kCrcPrefix.size()), resolve_crc(elf, sym.st_value, sym.st_shndx),
                   bind_from_elf(sym.st_info)});
  }
  if (out.empty()) return exports_from_ksymtab_strings(elf);
  return out;
}

template <class ELFT>
Result<std::vector<ModuleSymbol>> read_dependencies(const ElfView<ELFT>& elf) {
  std::vector<ModuleSymbol> out;
  auto table = symbol_table(elf);
  if (!table) return out;
  std::vector<ModVersion> versions = read_versions_lenient(elf);
  std::vector<bool> used(versions.size(), false);
  // Name -> first record with that name (a big module has thousands of
  // both, so a linear search per symbol would be quadratic).
  std::unordered_map<std::string_view, std::size_t> version_of;
  version_of.reserve(versions.size());
  for (std::size_t v = 0; v < versions.size(); ++v) version_of.emplace(versions[v].name, v);
  const bool sparc = elf.machine() == kEmSparc || elf.machine() == kEmSparcV9;
  for (std::size_t i = 1; i < table->symbols.size(); ++i) {
    const auto& sym = table->symbols[i];
    if (sym.st_shndx != kShnUndef) continue;
    if (sparc && (sym.st_info & 0xf) == kSttSparcRegister) continue;
    auto name = string_at(table->strings, sym.st_name);
    if (!name)
      return make_error(EINVAL, std::string(elf.file()) + ": .symtab entry " + std::to_string(i) +
                                    " has a name outside .strtab");
    if (name->empty()) continue;
    std::uint64_t crc = 0;
    if (auto it = version_of.find(*name); it != version_of.end()) {
      crc = versions[it->second].crc;
      used[it->second] = true;
    }
    out.push_back({*name, crc, (sym.st_info >> 4) == kStbWeak ? SymbolBind::weak : SymbolBind::undefined});
  }
  for (std::size_t v = 0; v < versions.size(); ++v)
    if (!used[v]) out.push_back({versions[v].name, versions[v].crc, SymbolBind::undefined});
  return out;
}

template <class ELFT>
std::optional<std::span<const std::byte>> read_build_id(const ElfView<ELFT>& elf) {
  constexpr std::uint32_t kNtGnuBuildId = 3;
  auto section = elf.find_section(".note.gnu.build-id");
  if (!section || section->size < 12) return std::nullopt;
  auto bytes = elf.contents(*section);
  auto u32 = [&](std::size_t off) {
    Integer<std::uint32_t, ELFT::is_le> v;
    std::memcpy(v.bytes, bytes.data() + off, 4);
    return std::uint32_t{v};
  };
  const std::uint64_t namesz = u32(0), descsz = u32(4), type = u32(8);
  if (bytes.size() < 12 + namesz + descsz || type != kNtGnuBuildId || namesz < 4 ||
      std::memcmp(bytes.data() + 12, "GNU", 4) != 0)
    return std::nullopt;
  return bytes.subspan(12 + namesz, descsz);
}

#define INSTANTIATE(T)                                                                   \
  template Result<std::vector<ModuleSymbol>> read_exports(const ElfView<T>&);           \
  template Result<std::vector<ModuleSymbol>> read_dependencies(const ElfView<T>&);      \
  template std::optional<std::span<const std::byte>> read_build_id(const ElfView<T>&);
KMODX_INSTANTIATE_FOR_ALL_ELF_TYPES(INSTANTIATE)
#undef INSTANTIATE

}  // namespace kmodx::elf
