// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// depmod's symbol table: who provides each symbol, and its CRC. Kernel
// symbols come from Module.symvers (-E) or System.map (-F); modules add their
// exports in module-array order, so the last module exporting a name owns it
// and a module overrides a kernel symbol of the same name.
//
// Module.symvers lines:  <crc> <symbol> <where> ...   (blank/tab separated;
//                        only where == "vmlinux" counts; crc in hex)
// System.map lines:      <address> <type> <name>      (only __ksymtab_<sym>)

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "depmod/module_record.hpp"
#include "kmodx/diag.hpp"
#include "kmodx/result.hpp"

namespace kmodx::depmod {

struct SymbolEntry {
  static constexpr std::int32_t kKernel = -1;
  std::int32_t owner = kKernel;  ///< module index, or kKernel
  std::uint64_t crc = 0;
};

class SymbolTable {
 public:
  /// \p prefix: the -P architecture symbol prefix character ('\0' for none).
  explicit SymbolTable(char prefix) : prefix_(prefix) {}

  /// Loads kernel symbols; errors carry the errno of opening the file.
  /// kmod's "Invalid symbol version" message ends in %m although nothing
  /// failed just before it, so it shows whatever errno an earlier call left:
  /// \p leftover_errno is what that would be.
  Result<void> load_symvers(const std::string& path, DiagnosticSink& sink, int leftover_errno = 0);
  Result<void> load_system_map(const std::string& path, DiagnosticSink& sink);

  /// Adds every module's exports with the module's array index as owner.
  void add_module_exports(const std::vector<ModuleRecord>& modules);

  /// Looks a needed symbol up as libkmod does: one leading '.' (PPC64) and
  /// then one prefix character are ignored.
  const SymbolEntry* find(std::string_view name) const;
  /// The table key a needed symbol is looked up under (what find() uses).
  std::string_view key_of(std::string_view needed) const;

  /// Symbols owned by modules, in libkmod's hash order (2048 buckets): the
  /// order of modules.symbols and modules.symbols.bin.
  std::vector<std::pair<std::string_view, SymbolEntry>> module_symbols_in_hash_order() const;

 private:
  void add(std::string_view name, bool prefix_already_skipped, std::uint64_t crc,
           std::int32_t owner);
  void add_fake_kernel_symbols();

  char prefix_;
  // Transparent hashing: lookups by string_view allocate nothing.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, SymbolEntry, NameHash, std::equal_to<>> symbols_;
};

}  // namespace kmodx::depmod
