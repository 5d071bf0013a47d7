// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// Finding modules by user-supplied name in one module directory
/// (`/lib/modules/<release>`), through the indexes depmod writes. This is the
/// configuration-free part of libkmod's lookup (spec §8.2): modprobe adds
/// config aliases and install commands in front of it.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kmodx/export.hpp"
#include "kmodx/diag.hpp"
#include "kmodx/index.hpp"
#include "kmodx/result.hpp"

namespace kmodx {

struct KMODX_API ModuleRef {
  std::string name;                 ///< normalised module name
  std::optional<std::string> path;  ///< absolute path of the module file, if known
  std::string alias;                ///< what it was found through (empty: its name)
  bool builtin = false;             ///< found in modules.builtin(.alias).bin
  bool from_path = false;           ///< given as a file path (never built-in)
};

/// A path as modules.dep writes it: absolute for modules outside the module
/// directory, else relative to \p dirname.
KMODX_API std::string module_file_path(std::string_view path, const std::string& dirname);

/// One modules.dep line, which is also the value modules.dep.bin stores under
/// a module's name: `<path>:[ <dependency path>]...`, dependencies nearest
/// first. The views point into the line.
struct KMODX_API DepLine {
  std::string_view path;
  std::vector<std::string_view> dependencies;
};

/// Splits \p line at its first ':'; blanks separate the dependencies. A line
/// without ':' gives neither a path nor dependencies, as in libkmod.
KMODX_API DepLine split_dep_line(std::string_view line);

/// libkmod makes each dependency of a line from its file, and the first one
/// that cannot be stat()ed (a module deleted without running depmod) fails
/// the whole list: that module is then used without dependencies, and
/// libkmod reports `ctx=%p path=<path> error=<strerror>` from
/// kmod_module_parse_depline each time it reads the line. This checks
/// \p line's dependencies the same way, reports that line to \p sink (if
/// given; \p context stands in for libkmod's context pointer) and returns
/// whether all are there.
KMODX_API bool dependency_files_present(const DepLine& line, const std::string& dirname, const void* context,
                              DiagnosticSink* sink);

/// The indexes a lookup reads.
enum class LookupIndex { dep, alias, symbols, builtin, builtin_alias };

/// The index files of one module directory as lookups read them. libkmod
/// either preloads them (modprobe: kmod_load_resources, mapped reader) or
/// opens each per lookup (modinfo: the file reader, whose equal-priority
/// order differs, see Index::ReadMode); the choice is this object's, so one
/// lookup serves both. A missing or unreadable index contributes nothing;
/// damage is reported once per file to the sink given (IndexDamageReport).
///
/// Per call, each lookup reads the file that is at the index's path then, as
/// libkmod's does; the mapping of the last one opened is kept and used again
/// while a stat() of the path shows the same file (device, inode, size,
/// modification and change times), so a lookup costs one stat() instead of
/// an open, map and unmap. depmod replaces an index by renaming a new file
/// over it: the next lookup opens the new one.
///
/// Thread safety: lookups are const and may run on several threads at once
/// (the kept mappings are shared under a lock, the damage report locks); the
/// sink is then called from those threads, under the report's lock.
class KMODX_API LookupIndexes {
 public:
  enum class Loading { preloaded, per_call };
  LookupIndexes(std::string dirname, Loading loading, DiagnosticSink* damage_sink);
  LookupIndexes(LookupIndexes&&) noexcept;
  ~LookupIndexes();

  const std::string& dirname() const { return dirname_; }
  Loading loading() const { return loading_; }
  /// Switches between preloading (every index opened now) and opening per
  /// call (the preloaded ones dropped): libkmod's kmod_load_resources() and
  /// kmod_unload_resources(). Returns the indexes that could not be opened,
  /// with their errno. Not while lookups run on other threads.
  std::map<LookupIndex, int> set_loading(Loading loading);
  std::optional<std::string> exact(LookupIndex which, std::string_view key) const;
  std::vector<IndexValue> wildcard(LookupIndex which, std::string_view query) const;
  /// The preloaded index (null when per_call, missing or unreadable).
  const Index* preloaded(LookupIndex which) const;

 private:
  struct PerCall;
  /// The index to read: the preloaded one, or the file at its path now
  /// (null: missing or unusable).
  std::shared_ptr<const Index> index_for(LookupIndex which) const;

  std::string dirname_;
  Loading loading_;
  std::vector<std::optional<Index>> preloaded_;  // by LookupIndex
  std::unique_ptr<PerCall> per_call_;           // the kept mappings, by LookupIndex
  mutable IndexDamageReport damage_;
};

struct ModprobeConfig;
struct ConfigText;

/// One module a lookup found, and how.
struct KMODX_API LookupHit {
  enum class Step { config_alias, dep, symbol, install_command, remove_command, alias, builtin, builtin_alias };
  Step step;
  std::string name;   ///< normalised module name
  std::string alias;  ///< what it was found through: the config pattern or the query; empty for dep, command, builtin
  std::string dep_line;               ///< Step::dep: the module's modules.dep line
  const ConfigText* command = nullptr;  ///< Step::install_command/remove_command
};

/// libkmod's kmod_module_new_from_lookup (KMOD-SPEC §8.2), the one lookup of
/// kmodx: \p name normalised as an alias (EINVAL when it is not one:
/// unbalanced brackets), then the first step with a result wins:
///   1. configuration aliases whose pattern matches (every one, in order);
///   2. modules.dep.bin, exactly (not for names with ':');
///   3. modules.symbols.bin, for `symbol:` names;
///   4. an install, then a remove command named exactly like it;
///   5. modules.alias.bin;
///   6. modules.builtin.bin, exactly;
///   7. modules.builtin.alias.bin.
/// Without \p config (modinfo: libkmod's context without configuration)
/// steps 1 and 4 find nothing.
KMODX_API Result<std::vector<LookupHit>> lookup_module(std::string_view name, const LookupIndexes& indexes,
                                             const ModprobeConfig* config);

/// libkmod's kmod_module_new_from_name_lookup (`modinfo -m`): \p name
/// normalised as a module name, then modules.dep.bin, modules.builtin.bin
/// and the first result of modules.builtin.alias.bin.
KMODX_API std::optional<LookupHit> lookup_module_name(std::string_view name, const LookupIndexes& indexes);

/// A module directory as modinfo reads it: lookups without configuration,
/// each opening the indexes it reads.
///
/// Thread safety: its const members may run on several threads at once, as
/// LookupIndexes; a sink given must then take reports from any of them.
class KMODX_API ModuleDirectory {
 public:
  /// Damage found in an index, and dependencies missing from a stale
  /// modules.dep, are reported to \p sink, if given (IndexDamageReport).
  explicit ModuleDirectory(std::string dirname, DiagnosticSink* sink = nullptr);
  const std::string& dirname() const { return dirname_; }

  /// lookup_module() without configuration, the modules with their paths.
  Result<std::vector<ModuleRef>> lookup(std::string_view name) const;

  /// lookup_module_name() (modinfo -m).
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
  /// The path of a modules.dep line, read whole as libkmod reads it (a
  /// missing dependency is reported); nullopt for a line without ':'.
  std::optional<std::string> path_from_dep_line(std::string_view line) const;
  ModuleRef from_hit(LookupHit hit) const;

  std::string dirname_;
  DiagnosticSink* sink_;
  LookupIndexes indexes_;
};

}  // namespace kmodx
