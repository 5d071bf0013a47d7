// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// What depmod keeps of one module after reading it: plain values, so that
// modules can be read on worker threads and the images freed at once.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kmodx/result.hpp"

namespace kmodx::depmod {

struct ExportedSymbol {
  std::string name;
  std::uint64_t crc = 0;
};

struct NeededSymbol {
  std::string name;
  std::uint64_t crc = 0;
  bool weak = false;
};

/// What reading the module file gives (module_loader.hpp): moved from the
/// reader's slot into the record as one value.
struct ModuleContents {
  std::vector<std::string> aliases;    ///< raw `alias=` values, .modinfo order
  std::vector<std::string> softdeps;   ///< raw `softdep=` values
  std::vector<std::string> weakdeps;   ///< raw `weakdep=` values
  std::vector<ExportedSymbol> exports;
  std::vector<NeededSymbol> needs;
  /// Why the exported symbols could not be read (not set for "no symbols");
  /// depmod reports it and keeps the module.
  std::optional<Error> symbols_error;
};

struct ModuleRecord : ModuleContents {
  std::string name;                    ///< normalised module name
  std::string path;                    ///< absolute path as scanned
  std::optional<std::string> relpath;  ///< path below the module directory, if under it

  /// A record for the module file \p path, named \p name, with its path
  /// relative to the module directory \p dirname when it lies below it.
  static ModuleRecord for_file(std::string name, std::string path, std::string_view dirname);

  /// modules.order names modules by their uncompressed relative path:
  /// "kernel/x/foo-bar.ko" for "kernel/x/foo-bar.ko.zst". Empty for modules
  /// outside the module directory.
  std::string uncompressed_relpath() const;
};

}  // namespace kmodx::depmod
