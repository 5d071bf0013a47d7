// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// What the simulated kernel reads from a module image before loading it:
// the .modinfo keys load_module() looks at, exports (with CRC, GPL-only flag
// and namespace), undefined symbols with the CRC __versions expects, whether
// init and exit functions exist, and the core size.
//
// Exports and their kind come from the `__ksymtab_<sym>` symbols (the section
// they are defined in, `__ksymtab` or `__ksymtab_gpl`, tells whether the
// export is GPL-only) and namespaces from `__kstrtabns_<sym>` (the string it
// points to in __ksymtab_strings): the layout kernels 5.4 to 6.4 produce.
// Without `__ksymtab_<sym>` symbols the exports are what depmod sees
// (ModuleElf::exports()), none GPL-only and without namespace.
//
// init/exit: the kernel knows them from relocations of struct module; the
// simulation says a module has an init function when it has a `.init.text`
// section, and an exit function when it defines `cleanup_module` (the alias
// module_exit() defines) or has a `.exit.text` section.
//
// Parameters: the names of __param (sim_param_table.hpp), typed by the
// parmtype= entries; without a readable __param, the parmtype= entries.
//
// Core size: the kernel's core_layout.size; simulated as the sum of the
// SHF_ALLOC sections outside .init.*, .modinfo and __versions, rounded up to
// the page size (4096).
#include <cstdint>
#include <optional>
#include <string_view>
#include <span>
#include <string>
#include <vector>

#include "kmodx/result.hpp"
#include "loader/sim/sim_params.hpp"
#include "loader/sim/sim_state.hpp"

namespace kmodx::loader {

struct UndefinedSymbol {
  std::string name;
  std::optional<std::uint32_t> crc;  ///< from __versions, when listed there
  bool weak = false;
};

struct ScannedModule {
  std::string name;  ///< .modinfo name=, else from the file name
  std::optional<std::string> vermagic;
  std::optional<std::string> license;
  bool intree = false;
  bool staging = false;
  bool livepatch = false;  ///< livepatch= (a live patch: taints K)
  bool test = false;       ///< test= (a KUnit test module: taints N)
  std::vector<std::string> import_ns;
  // Not used by a load; what `kmodx check` looks at around it.
  std::vector<std::string> firmware;  ///< firmware= values
  std::vector<std::string> softdeps;  ///< softdep= values ("pre: a b post: c")
  std::vector<std::string> weakdeps;  ///< weakdep= values (module names)
  std::vector<std::string> aliases;   ///< alias= values
  std::vector<ParamSpec> params;
  std::vector<SimExport> exports;
  std::vector<UndefinedSymbol> undefined;
  bool has_versions = false;  ///< an SHF_ALLOC __versions section
  bool has_init = false;
  bool has_exit = false;
  long core_size = 0;
};

/// include/linux/license.h license_is_gpl_compatible(): whether a module
/// of this licence may use GPL-only exports (and does not taint with P).
bool license_is_gpl_compatible(std::string_view license);

/// Parses \p image (decompressed) of the file \p path. ENOEXEC for anything
/// that is not a valid ELF relocatable (what the kernel's ELF validity check
/// returns for every defect), with the reason in the detail.
Result<ScannedModule> scan_module(std::span<const std::byte> image, const std::string& path);

}  // namespace kmodx::loader
