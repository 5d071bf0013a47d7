// SPDX-License-Identifier: LGPL-2.1-or-later
// Reading __param through its relocations (see sim_param_table.hpp).
#include "loader/sim/sim_param_table.hpp"

#include <cstring>
#include <span>

#include "elf/module_sections.hpp"

namespace kmodx::loader {
namespace {

constexpr std::uint32_t kShtRela = 4;
constexpr std::uint32_t kShtRel = 9;

template <class ELFT>
struct Rel {
  typename ELFT::Addr r_offset;
  typename ELFT::XWord r_info;
};
template <class ELFT>
struct Rela {
  typename ELFT::Addr r_offset;
  typename ELFT::XWord r_info;
  typename ELFT::XWord r_addend;  // signed in ELF; read as its bit pattern
};
static_assert(sizeof(Rel<elf::Elf32LE>) == 8 && sizeof(Rela<elf::Elf32BE>) == 12);
static_assert(sizeof(Rel<elf::Elf64BE>) == 16 && sizeof(Rela<elf::Elf64LE>) == 24);

template <class ELFT>
std::uint64_t symbol_index(std::uint64_t info) {
  return ELFT::is_64 ? info >> 32 : info >> 8;
}

/// One relocation, whichever form.
struct Reloc {
  std::uint64_t offset = 0;
  std::uint64_t symbol = 0;
  std::optional<std::uint64_t> addend;  ///< absent for REL: read at the place
};

template <class ELFT, class R>
std::vector<Reloc> read_relocs(std::span<const std::byte> bytes) {
  std::vector<Reloc> out;
  if (bytes.size() % sizeof(R) != 0) return out;
  std::span<const R> entries{reinterpret_cast<const R*>(bytes.data()), bytes.size() / sizeof(R)};
  for (const R& r : entries) {
    Reloc x{r.r_offset, symbol_index<ELFT>(r.r_info), std::nullopt};
    if constexpr (sizeof(R) == sizeof(Rela<ELFT>)) x.addend = r.r_addend;
    out.push_back(x);
  }
  return out;
}

}  // namespace

template <class ELFT>
std::optional<std::vector<std::string>> param_table_names(const elf::ElfView<ELFT>& view) {
  using Sym = typename ELFT::Sym;
  using Addr = typename ELFT::Addr;
  constexpr std::uint64_t kEntry = ELFT::is_64 ? 40 : 20;
  auto table = view.find_section("__param");
  if (!table) return std::nullopt;
  if (table->size % kEntry != 0) return std::nullopt;
  const std::uint64_t count = table->size / kEntry;
  std::vector<std::optional<std::string>> names(count);
  const std::span<const std::byte> place = view.contents(*table);

  for (unsigned i = 1; i < view.section_count(); ++i) {
    auto rs = view.section(i);
    if (!rs || (rs->type != kShtRela && rs->type != kShtRel) || rs->info != table->index) continue;
    auto symtab = view.section(rs->link);
    if (!symtab || symtab->size % sizeof(Sym) != 0) return std::nullopt;
    std::span<const Sym> syms{reinterpret_cast<const Sym*>(view.contents(*symtab).data()),
                              symtab->size / sizeof(Sym)};
    const std::vector<Reloc> relocs = rs->type == kShtRela ? read_relocs<ELFT, Rela<ELFT>>(view.contents(*rs))
                                                           : read_relocs<ELFT, Rel<ELFT>>(view.contents(*rs));
    for (const Reloc& r : relocs) {
      // Only the first field of an entry, `name`, is wanted.
      if (r.offset % kEntry != 0 || r.offset / kEntry >= count) continue;
      if (r.symbol == 0 || r.symbol >= syms.size()) return std::nullopt;
      const Sym& sym = syms[r.symbol];
      auto strings = view.section(sym.st_shndx);
      if (!strings) return std::nullopt;
      std::uint64_t addend = 0;
      if (r.addend) {
        addend = *r.addend;
      } else {
        Addr stored;
        std::memcpy(&stored, place.data() + r.offset, sizeof stored);
        addend = stored;
      }
      // Modular arithmetic: a negative addend is a large unsigned one.
      std::uint64_t at = std::uint64_t{sym.st_value} + addend;
      if constexpr (!ELFT::is_64) at &= 0xFFFFFFFFu;
      auto name = elf::string_at(view.contents(*strings), at);
      if (!name) return std::nullopt;
      names[r.offset / kEntry] = std::string(*name);
    }
  }
  std::vector<std::string> out;
  out.reserve(names.size());
  for (auto& n : names) {
    if (!n) return std::nullopt;
    out.push_back(std::move(*n));
  }
  return out;
}

template std::optional<std::vector<std::string>> param_table_names(const elf::ElfView<elf::Elf32LE>&);
template std::optional<std::vector<std::string>> param_table_names(const elf::ElfView<elf::Elf32BE>&);
template std::optional<std::vector<std::string>> param_table_names(const elf::ElfView<elf::Elf64LE>&);
template std::optional<std::vector<std::string>> param_table_names(const elf::ElfView<elf::Elf64BE>&);

}  // namespace kmodx::loader
