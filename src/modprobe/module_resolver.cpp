// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kmodx/module_resolver.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cerrno>

#include "kmodx/module_lookup.hpp"
#include "util/line_reader.hpp"
#include "util/mapped_file.hpp"
#include "util/names.hpp"
#include "util/libkmod_sites.hpp"

namespace kmodx {
namespace {

std::optional<Index> preload(const std::string& path) {
  auto index = Index::open(path);
  if (!index) return std::nullopt;  // libkmod: a missing index means "not found"
  return std::move(index).value();
}

}  // namespace

ModuleResolver::ModuleResolver(std::string dirname, const ModprobeConfig& config, DiagnosticSink& sink)
    : dirname_(std::move(dirname)), config_(config), sink_(sink), damage_(&sink) {
  dep_index_ = preload(dirname_ + "/modules.dep.bin");
  alias_index_ = preload(dirname_ + "/modules.alias.bin");
  symbols_index_ = preload(dirname_ + "/modules.symbols.bin");
  builtin_index_ = preload(dirname_ + "/modules.builtin.bin");
  builtin_alias_index_ = preload(dirname_ + "/modules.builtin.alias.bin");
}

ModuleId ModuleResolver::object_for(const std::string& name, const std::string& alias) {
  std::string key = alias.empty() ? name : name + "\\" + alias;
  auto [it, inserted] = by_key_.try_emplace(key, modules_.size());
  if (inserted) {
    ModuleObject m;
    m.name = name;
    m.alias = alias;
    modules_.push_back(std::move(m));
  }
  return it->second;
}

ModuleId ModuleResolver::from_name(std::string_view name) { return object_for(modname_normalize(name), {}); }

Result<ModuleId> ModuleResolver::from_path(std::string_view path) {
  auto name = path_to_modname(path);
  if (!name) return std::move(name).take_error();
  std::string absolute = absolute_path(path);
  ModuleId id = object_for(*name, {});
  ModuleObject& m = modules_[id];
  if (m.path_resolved && m.path && *m.path != absolute)
    return make_error(EEXIST, "kmod_module '" + m.name + "' already exists with different path: new-path='" +
                                  absolute + "' old-path='" + *m.path + "'");
  m.path = absolute;
  m.path_resolved = true;
  m.from_path = true;
  return id;
}

std::optional<std::string> ModuleResolver::dep_line(std::string_view name) const { return exact(dep_index_, name); }

// Lookups that report damage (IndexDamageReport in kmodx/index.hpp).
std::optional<std::string> ModuleResolver::exact(const std::optional<Index>& index, std::string_view key) const {
  if (!index) return std::nullopt;
  Error damage;
  auto value = index->lookup_exact(key, &damage);
  damage_.check(*index, damage);
  return value;
}

std::vector<IndexValue> ModuleResolver::wildcard(const std::optional<Index>& index, std::string_view query) const {
  if (!index) return {};
  Error damage;
  auto values = index->search_wildcard(query, &damage);
  damage_.check(*index, damage);
  return values;
}

const std::optional<std::string>& ModuleResolver::path(ModuleId id) {
  ModuleObject& m = modules_[id];
  // libkmod's kmod_module_get_path: a module without a path and whose line
  // was never read whole has it parsed now, dependencies and their errors
  // included.
  if (!m.path && !m.path_resolved && !m.dependencies) {
    m.path_resolved = true;
    if (auto line = dep_line(m.name)) parse_dep_line(id, *line);
  }
  return m.path;
}

const std::vector<ModuleId>& ModuleResolver::dependencies(ModuleId id) {
  if (!modules_[id].dependencies) {
    if (auto line = dep_line(modules_[id].name)) parse_dep_line(id, *line);
  }
  static const std::vector<ModuleId> kNone;
  return modules_[id].dependencies ? *modules_[id].dependencies : kNone;
}

void ModuleResolver::parse_dep_line(ModuleId id, const std::string& line) {
  if (modules_[id].dependencies) return;
  if (line.find(':') == std::string::npos) {
    modules_[id].dependencies.emplace();  // libkmod: no path, no dependencies, done
    return;
  }
  const DepLine dep = split_dep_line(line);
  if (!modules_[id].path) modules_[id].path = module_file_path(dep.path, dirname_);
  modules_[id].path_resolved = true;
  if (auto missing = first_missing_dependency(dep, dirname_)) {
    // The list fails whole and the line is read again by the next caller.
    sink_.report_from(Severity::error, libkmod_site::parse_depline, missing_dependency_message(this, *missing));
    return;
  }
  std::vector<ModuleId> deps;
  for (std::string_view listed : dep.dependencies) {
    std::string full = module_file_path(listed, dirname_);
    auto name = path_to_modname(full);
    if (!name) continue;
    ModuleId d = object_for(*name, {});
    if (!modules_[d].path_resolved) {
      modules_[d].path = full;
      modules_[d].path_resolved = true;
    }
    deps.push_back(d);
  }
  // libkmod prepends while parsing: deepest dependency first.
  std::reverse(deps.begin(), deps.end());
  modules_[id].dependencies = std::move(deps);
}

bool ModuleResolver::is_builtin(ModuleId id) {
  const ModuleObject& m = modules_[id];
  if (m.builtin_from_lookup) return true;
  if (m.from_path || !builtin_index_) return false;
  return exact(builtin_index_, m.name).has_value();
}

std::optional<std::string> ModuleResolver::options(ModuleId id) const {
  return config_.options_for(modules_[id].name, modules_[id].alias);
}

std::optional<std::string> ModuleResolver::install_command(ModuleId id) const {
  if (modules_[id].attached_install) return modules_[id].attached_install;
  if (const ConfigText* entry = config_.install_for(modules_[id].name)) return entry->text;
  return std::nullopt;
}

std::optional<std::string> ModuleResolver::remove_command(ModuleId id) const {
  if (modules_[id].attached_remove) return modules_[id].attached_remove;
  if (const ConfigText* entry = config_.remove_for(modules_[id].name)) return entry->text;
  return std::nullopt;
}

std::vector<ModuleId> ModuleResolver::resolve_names(const std::vector<std::string>& names) {
  std::vector<ModuleId> out;
  for (const std::string& name : names) {
    auto found = lookup(name);
    if (!found) {
      sink_.report_from(Severity::error, libkmod_site::lookup_softdep,
                        "failed to lookup soft dependency '" + name + "', continuing anyway.");
      continue;
    }
    out.insert(out.end(), found->begin(), found->end());
  }
  return out;
}

std::pair<std::vector<ModuleId>, std::vector<ModuleId>> ModuleResolver::softdeps(ModuleId id) {
  const ConfigDependencies* entry = config_.softdep_for(modules_[id].name);
  if (entry == nullptr) return {};
  auto pre = resolve_names(entry->pre);
  auto post = resolve_names(entry->post);
  return {std::move(pre), std::move(post)};
}

std::vector<ModuleId> ModuleResolver::weakdeps(ModuleId id) {
  const ConfigDependencies* entry = config_.weakdep_for(modules_[id].name);
  if (entry == nullptr) return {};
  return resolve_names(entry->post);
}

Result<std::vector<ModuleId>> ModuleResolver::lookup(std::string_view name) {
  auto normalized = alias_normalize(name);
  if (!normalized) return std::move(normalized).take_error();
  const std::string& q = *normalized;
  std::vector<ModuleId> found;

  // 1. config aliases: every matching entry, the pattern becomes the alias.
  for (const ConfigAlias& alias : config_.aliases)
    if (::fnmatch(alias.pattern.c_str(), q.c_str(), 0) == 0) found.push_back(object_for(alias.module, alias.pattern));
  if (!found.empty()) return found;

  // 2. modules.dep.bin, exact; libkmod parses the line there and then.
  if (q.find(':') == std::string::npos) {
    if (auto line = dep_line(q)) {
      ModuleId id = object_for(q, {});
      parse_dep_line(id, *line);
      found.push_back(id);
      return found;
    }
  }

  auto from_index = [&](const std::optional<Index>& index, bool builtin) {
    for (IndexValue& v : wildcard(index, q)) {
      ModuleId id = object_for(v.value, q);
      if (builtin) modules_[id].builtin_from_lookup = true;
      found.push_back(id);
    }
  };
  // 3. symbol: aliases.
  if (q.starts_with("symbol:")) {
    from_index(symbols_index_, false);
    if (!found.empty()) return found;
  }
  // 4. install/remove commands named exactly like the query.
  for (const ConfigText& entry : config_.install) {
    if (entry.module != q) continue;
    ModuleId id = object_for(q, {});
    modules_[id].attached_install = entry.text;
    found.push_back(id);
    return found;
  }
  for (const ConfigText& entry : config_.remove) {
    if (entry.module != q) continue;
    ModuleId id = object_for(q, {});
    modules_[id].attached_remove = entry.text;
    found.push_back(id);
    return found;
  }
  // 5. modules.alias.bin.
  from_index(alias_index_, false);
  if (!found.empty()) return found;
  // 6. modules.builtin.bin, exact.
  if (exact(builtin_index_, q)) {
    ModuleId id = object_for(q, {});
    modules_[id].builtin_from_lookup = true;
    found.push_back(id);
    return found;
  }
  // 7. modules.builtin.alias.bin.
  from_index(builtin_alias_index_, true);
  return found;
}

}  // namespace kmodx
