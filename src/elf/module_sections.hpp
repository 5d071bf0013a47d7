// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Readers for the module-specific sections, one per file, each templated on
// the ELF type and instantiated for all four in its own .cpp.

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "elf/elf_view.hpp"
#include "kmodx/module_elf.hpp"

namespace kmodx::elf {

/// Splits a string section the way libkmod does (§5.2): leading NULs dropped,
/// runs of NULs separate strings, an unterminated last string is kept.
std::vector<std::string_view> split_strings(std::span<const std::byte> section);

/// A NUL-terminated string starting at \p offset of \p table, or nullopt when
/// the offset is out of range or no NUL follows inside the table.
std::optional<std::string_view> string_at(std::span<const std::byte> table, std::uint64_t offset);

template <class ELFT>
Result<std::vector<ModinfoEntry>> read_modinfo(const ElfView<ELFT>& elf);

template <class ELFT>
Result<std::vector<ModVersion>> read_versions(const ElfView<ELFT>& elf);

/// The `__versions` records for dependency matching: records whose name fills
/// its field are dropped, a table of odd size gives none (§5.5).
template <class ELFT>
std::vector<ModVersion> read_versions_lenient(const ElfView<ELFT>& elf);

template <class ELFT>
Result<std::vector<ModuleSymbol>> read_exports(const ElfView<ELFT>& elf);

template <class ELFT>
Result<std::vector<ModuleSymbol>> read_dependencies(const ElfView<ELFT>& elf);

template <class ELFT>
std::optional<std::span<const std::byte>> read_build_id(const ElfView<ELFT>& elf);

#define KMODX_INSTANTIATE_FOR_ALL_ELF_TYPES(MACRO) \
  MACRO(::kmodx::elf::Elf32LE)                      \
  MACRO(::kmodx::elf::Elf32BE)                      \
  MACRO(::kmodx::elf::Elf64LE)                      \
  MACRO(::kmodx::elf::Elf64BE)

}  // namespace kmodx::elf
