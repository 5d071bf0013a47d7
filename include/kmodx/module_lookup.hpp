// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// Finding modules by user-supplied name in one module directory
/// (`/lib/modules/<release>`), through the indexes depmod writes. This is the
/// configuration-free part of libkmod's lookup (spec §8.2): modprobe adds
/// config aliases and install commands in front of it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kmodx/index.hpp"
#include "kmodx/result.hpp"

namespace kmodx {

struct ModuleRef {
  std::string name;                 ///< normalised module name
  std::optional<std::string> path;  ///< absolute path of the module file, if known
  std::string alias;                ///< what it was found through (empty: its name)
  bool builtin = false;             ///< found in modules.builtin(.alias).bin
  bool from_path = false;           ///< given as a file path (never built-in)
};

/// A path as modules.dep writes it: absolute for modules outside the module
/// directory, else relative to \p dirname.
std::string module_file_path(std::string_view path, const std::string& dirname);

/// One modules.dep line, which is also the value modules.dep.bin stores under
/// a module's name: `<path>:[ <dependency path>]...`, dependencies nearest
/// first. The views point into the line.
struct DepLine {
  std::string_view path;
  std::vector<std::string_view> dependencies;
};

/// Splits \p line at its first ':'; blanks separate the dependencies. A line
/// without ':' gives neither a path nor dependencies, as in libkmod.
DepLine split_dep_line(std::string_view line);

/// A dependency of a modules.dep line whose file cannot be found.
struct MissingDependency {
  std::string path;  ///< absolute, as libkmod names it
  int code = 0;      ///< stat()'s errno
};

/// libkmod makes each dependency of a line from its file, and the first one
/// that cannot be stat()ed (a module deleted without running depmod) fails
/// the whole list: that module is then used without dependencies, and
/// libkmod reports `ctx=%p path=<path> error=<strerror>` from
/// kmod_module_parse_depline each time it reads the line. nullopt when all
/// are there.
std::optional<MissingDependency> first_missing_dependency(const DepLine& line, const std::string& dirname);

/// That report's text, \p context standing in for libkmod's context pointer.
std::string missing_dependency_message(const void* context, const MissingDependency& missing);

class ModuleDirectory {
 public:
  /// Damage found in an index, and dependencies missing from a stale
  /// modules.dep, are reported to \p sink, if given (IndexDamageReport).
  explicit ModuleDirectory(std::string dirname, DiagnosticSink* sink = nullptr)
      : dirname_(std::move(dirname)), sink_(sink), damage_(sink) {}
  const std::string& dirname() const { return dirname_; }

  /// Full lookup: modules.dep.bin (exact, unless the name has a ':'),
  /// modules.symbols.bin (for "symbol:" names), modules.alias.bin,
  /// modules.builtin.bin, modules.builtin.alias.bin; the first step with a
  /// result wins. EINVAL when the name is not a valid alias (unbalanced
  /// brackets). A missing or unusable index contributes nothing.
  Result<std::vector<ModuleRef>> lookup(std::string_view name) const;

  /// Name-only lookup (modinfo -m): modules.dep.bin, then modules.builtin.bin,
  /// then modules.builtin.alias.bin; first result only.
  std::optional<ModuleRef> lookup_name(std::string_view name) const;

  /// A module created from a file path: name from the file name, absolute path.
  static ModuleRef from_path(std::string_view path);

  /// Resolves the path of a module known only by name from modules.dep.bin,
  /// as libkmod does lazily for alias results.
  void complete(ModuleRef& module) const;

  /// libkmod's built-in test: found as built-in, or (unless it was given as a
  /// path) named in modules.builtin.bin — even when it also has a path.
  bool is_builtin(const ModuleRef& module) const;

 private:
  /// Path of \p name from its modules.dep.bin line, if it has one.
  std::optional<std::string> module_path(std::string_view name) const;
  bool in_builtin_index(std::string_view name) const;
  std::string index_path(std::string_view file) const { return dirname_ + "/" + std::string(file); }

  std::string dirname_;
  DiagnosticSink* sink_;
  mutable IndexDamageReport damage_;
};

}  // namespace kmodx
