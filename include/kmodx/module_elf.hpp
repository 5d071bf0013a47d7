// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// What kmod reads out of a module's ELF image: the `.modinfo` strings, the
/// modversions table, exported and undefined symbols and the GNU build-id.
/// Strings returned are views into the image; keep the image alive while you
/// use them.
///
/// Thread safety: a ModuleElf is immutable once parsed; its const readers
/// may run on several threads at once. Parsing different images in parallel
/// is how depmod uses it.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "kmodx/export.hpp"
#include "kmodx/result.hpp"

namespace kmodx {

/// One `.modinfo` string split at the first '=' (no '=' → empty value).
struct KMODX_API ModinfoEntry {
  std::string_view key;
  std::string_view value;
};

/// One `__versions` record.
struct KMODX_API ModVersion {
  std::uint64_t crc = 0;
  std::string_view name;
};

enum class SymbolBind : std::uint8_t { undefined, global, weak, local };

struct KMODX_API ModuleSymbol {
  std::string_view name;
  std::uint64_t crc = 0;
  SymbolBind bind = SymbolBind::undefined;
};

class KMODX_API ModuleElf {
 public:
  /// Validates the ELF header and section table as libkmod does: ENOEXEC when
  /// there is no ELF magic, EINVAL for every other structural defect; the
  /// error detail names the file and what is wrong.
  static Result<ModuleElf> parse(std::span<const std::byte> image, std::string_view file);

  ModuleElf(ModuleElf&&) noexcept;
  ModuleElf& operator=(ModuleElf&&) noexcept;
  ~ModuleElf();

  bool is_64bit() const;
  bool is_little_endian() const;
  std::uint16_t machine() const;

  /// `.modinfo` entries in file order (§5.2). ENOENT when there is no such
  /// section (what libkmod returns, and what modinfo then prints).
  Result<std::vector<ModinfoEntry>> modinfo() const;

  /// `__versions` records with one leading '.' stripped from names, for
  /// --show-modversions. ENODATA without the section, EINVAL when its size is
  /// not a multiple of 64 or a name is not NUL-terminated inside its field.
  Result<std::vector<ModVersion>> versions() const;

  /// Exported symbols with CRCs: `__crc_*` entries of `.symtab`, or the
  /// strings of `__ksymtab_strings` when there are none (§5.4).
  Result<std::vector<ModuleSymbol>> exports() const;

  /// Undefined symbols with the CRC each is expected to have, followed by the
  /// `__versions` records no symbol used (§5.5). No `.symtab` → empty.
  Result<std::vector<ModuleSymbol>> dependencies() const;

  /// Descriptor bytes of a valid `.note.gnu.build-id` (type 3, name "GNU").
  std::optional<std::span<const std::byte>> build_id() const;

  struct Impl;

 private:
  explicit ModuleElf(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kmodx
