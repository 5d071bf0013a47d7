// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// Modules as modprobe sees them: the configuration-aware lookup of a
/// user-supplied name (KMOD-SPEC §8.2) over preloaded indexes, and each
/// module's attributes (§8.3): path and dependencies from modules.dep.bin,
/// built-in status, options, install/remove commands, softdeps, weakdeps.
///
/// Like libkmod's context, the resolver hands out one object per key — the
/// module name, or `name\alias` for a module found through an alias — so the
/// same module reached twice is the same object, and per-object state (the
/// probe planner's `ignorecmd`) behaves as in kmod.
///
/// Thread safety: none. A resolver hands out objects and caches what it has
/// read (per-object state, the damage report); use one per thread, as
/// modprobe --parallel does for its workers' backends while planning on one
/// thread.

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kmodx/export.hpp"
#include "kmodx/diag.hpp"
#include "kmodx/index.hpp"
#include "kmodx/modprobe_config.hpp"
#include "kmodx/module_lookup.hpp"
#include "kmodx/result.hpp"

namespace kmodx {

using ModuleId = std::size_t;

struct KMODX_API ModuleObject {
  std::string name;                 ///< normalised module name
  std::string alias;                ///< what it was found through; empty: its name
  bool builtin_from_lookup = false; ///< produced by a builtin index lookup
  bool from_path = false;           ///< created from a file path
  std::optional<std::string> path;  ///< absolute path, once known
  bool path_resolved = false;       ///< modules.dep.bin consulted for the path
  std::optional<std::vector<ModuleId>> dependencies;  ///< deepest first, once read
  std::optional<std::string> attached_install;  ///< set by lookup step 4
  std::optional<std::string> attached_remove;
  bool ignorecmd = false;           ///< probe-list flag, kept per object as in libkmod
};

class KMODX_API ModuleResolver {
 public:
  /// \p dirname is the module directory; \p config must outlive the resolver.
  /// Library messages (failed softdep lookups) go to \p sink.
  /// \p loading: how the indexes are read (LookupIndexes); modprobe preloads.
  ModuleResolver(std::string dirname, const ModprobeConfig& config, DiagnosticSink& sink,
                 LookupIndexes::Loading loading = LookupIndexes::Loading::preloaded);

  const std::string& dirname() const { return dirname_; }
  const ModprobeConfig& config() const { return config_; }
  LookupIndexes& indexes() { return indexes_; }

  /// lookup_module() with the configuration; EINVAL when the name is not a
  /// valid alias.
  Result<std::vector<ModuleId>> lookup(std::string_view name);
  /// lookup_module_name() (libkmod's kmod_module_new_from_name_lookup).
  std::optional<ModuleId> lookup_name(std::string_view name);
  /// A module from a file path (name from the file name, path made absolute).
  /// EEXIST when a module of that name already exists with another path.
  Result<ModuleId> from_path(std::string_view path);
  /// The object for a plain module name.
  ModuleId from_name(std::string_view name);
  /// libkmod frees a module object with its last reference: what was read
  /// or set for \p id (path, dependencies, the file it was made from,
  /// commands a lookup attached, ignorecmd) is dropped, and the next use
  /// reads it again. The id stays valid.
  void forget(ModuleId id);

  ModuleObject& object(ModuleId id) { return modules_[id]; }
  const std::string& name(ModuleId id) const { return modules_[id].name; }

  const std::optional<std::string>& path(ModuleId id);
  const std::vector<ModuleId>& dependencies(ModuleId id);
  bool is_builtin(ModuleId id);
  /// Config options for the module's name or alias, joined (§8.3).
  std::optional<std::string> options(ModuleId id) const;
  std::optional<std::string> install_command(ModuleId id) const;
  std::optional<std::string> remove_command(ModuleId id) const;
  /// Softdeps of the first matching config entry, each name fully looked up.
  std::pair<std::vector<ModuleId>, std::vector<ModuleId>> softdeps(ModuleId id);
  std::vector<ModuleId> weakdeps(ModuleId id);

  /// modules.alias.bin / modules.symbols.bin for `modprobe -c`; may be null.
  const Index* alias_index() const { return indexes_.preloaded(LookupIndex::alias); }
  const Index* symbols_index() const { return indexes_.preloaded(LookupIndex::symbols); }

 private:
  ModuleId object_for(const std::string& name, const std::string& alias);
  /// The objects of \p hits, with what each step attaches to them.
  std::vector<ModuleId> objects_for(const std::vector<LookupHit>& hits);
  std::optional<std::string> dep_line(std::string_view name) const;
  /// libkmod's kmod_module_parse_depline: path and dependencies of \p id
  /// from its modules.dep line; a missing dependency file is reported and
  /// leaves the dependencies unread (see dependency_files_present).
  void parse_dep_line(ModuleId id, const std::string& line);
  std::vector<ModuleId> resolve_names(const std::vector<std::string>& names);

  std::string dirname_;
  const ModprobeConfig& config_;
  DiagnosticSink& sink_;
  LookupIndexes indexes_;
  std::deque<ModuleObject> modules_;
  std::map<std::string, ModuleId> by_key_;
};

}  // namespace kmodx
