// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// What depmod keeps of one module after reading it: values and views into
// one block of storage per module, so that modules can be read on worker
// threads and the images freed at once.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kmodx/result.hpp"

namespace kmodx::depmod {

// Names and values are views into the module's storage (ModuleContents),
// which keeps them alive wherever the record moves.
struct ExportedSymbol {
  std::string_view name;
  std::uint64_t crc = 0;
};

/// A module file as stat() saw it just before it was read: any change of the
/// file (a rewrite keeping size and mtime changes ctime; a rename over it
/// changes the inode) gives another key. The depmod cache (module_cache.hpp)
/// reuses what was read from a file only while its key is the same.
struct FileKey {
  std::uint64_t dev = 0, ino = 0, size = 0;
  std::int64_t mtime_sec = 0, ctime_sec = 0;
  std::uint32_t mtime_nsec = 0, ctime_nsec = 0;
  bool operator==(const FileKey&) const = default;
};

struct NeededSymbol {
  std::string_view name;
  std::uint64_t crc = 0;
  bool weak = false;
};

/// What reading the module file gives (module_loader.hpp): moved from the
/// reader's slot into the record as one value. The strings are views into
/// `storage`: the module's own copy of them (one allocation per module), or
/// the depmod cache's file when they came from it (module_cache.hpp).
struct ModuleContents {
  std::vector<std::string_view> aliases;   ///< raw `alias=` values, .modinfo order
  std::vector<std::string_view> softdeps;  ///< raw `softdep=` values
  std::vector<std::string_view> weakdeps;  ///< raw `weakdep=` values
  std::vector<ExportedSymbol> exports;
  std::vector<NeededSymbol> needs;
  /// Why the exported symbols could not be read (not set for "no symbols");
  /// depmod reports it and keeps the module.
  std::optional<Error> symbols_error;
  /// The file's key when what was read may go into the depmod cache: unset
  /// when it could not be stat()ed, could not be read, or changed too
  /// recently to be told apart from a later change (module_cache.hpp).
  std::optional<FileKey> cache_key;
  bool from_cache = false;  ///< taken from the cache, the file not opened
  std::shared_ptr<const void> storage;  ///< what the views point into
};

/// Module contents read by a caller before the run, by module path as the
/// walk finds it (build_database.hpp).
using PreloadedContents = std::unordered_map<std::string, ModuleContents>;

struct ModuleRecord : ModuleContents {
  std::string name;                    ///< normalised module name
  std::string path;                    ///< absolute path as scanned
  std::optional<std::string> relpath;  ///< path below the module directory, if under it

  /// A record for the module file \p path, named \p name, with its path
  /// relative to the module directory \p dirname when it lies below it.
  static ModuleRecord for_file(std::string name, std::string path, std::string_view dirname);

  /// modules.order names modules by their uncompressed relative path:
  /// "kernel/x/foo-bar.ko" for "kernel/x/foo-bar.ko.zst". Empty for modules
  /// outside the module directory. A view into relpath.
  std::string_view uncompressed_relpath() const;
};

}  // namespace kmodx::depmod
