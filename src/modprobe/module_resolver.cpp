// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kmodx/module_resolver.hpp"

#include <algorithm>
#include <cerrno>

#include "kmodx/module_lookup.hpp"
#include "util/libkmod_sites.hpp"
#include "util/mapped_file.hpp"
#include "util/names.hpp"

namespace kmodx {

ModuleResolver::ModuleResolver(std::string dirname, const ModprobeConfig& config, DiagnosticSink& sink,
                               LookupIndexes::Loading loading)
    : dirname_(std::move(dirname)), config_(config), sink_(sink), indexes_(dirname_, loading, &sink) {}

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

void ModuleResolver::forget(ModuleId id) {
  ModuleObject fresh;
  fresh.name = std::move(modules_[id].name);
  fresh.alias = std::move(modules_[id].alias);
  modules_[id] = std::move(fresh);
}

std::optional<std::string> ModuleResolver::dep_line(std::string_view name) const {
  return indexes_.exact(LookupIndex::dep, name);
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
  // A missing file fails the list whole; the next caller reads the line again.
  if (!dependency_files_present(dep, dirname_, this, &sink_)) return;
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
  if (m.from_path) return false;
  return indexes_.exact(LookupIndex::builtin, m.name).has_value();
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
  auto hits = lookup_module(name, indexes_, &config_);
  if (!hits) return std::move(hits).take_error();
  return objects_for(*hits);
}

std::optional<ModuleId> ModuleResolver::lookup_name(std::string_view name) {
  auto hit = lookup_module_name(name, indexes_);
  if (!hit) return std::nullopt;
  return objects_for({*hit}).front();
}

std::vector<ModuleId> ModuleResolver::objects_for(const std::vector<LookupHit>& hits) {
  std::vector<ModuleId> found;
  for (const LookupHit& hit : hits) {
    using Step = LookupHit::Step;
    // The same object for the same module reached the same way, as
    // libkmod's context hands out.
    const bool named = hit.step == Step::dep || hit.step == Step::install_command ||
                       hit.step == Step::remove_command || hit.step == Step::builtin;
    ModuleId id = object_for(hit.name, named ? std::string() : hit.alias);
    ModuleObject& m = modules_[id];
    switch (hit.step) {
      case Step::dep: parse_dep_line(id, hit.dep_line); break;  // libkmod parses it there and then
      case Step::install_command: m.attached_install = hit.command->text; break;
      case Step::remove_command: m.attached_remove = hit.command->text; break;
      case Step::builtin:
      case Step::builtin_alias: m.builtin_from_lookup = true; break;
      case Step::config_alias:
      case Step::symbol:
      case Step::alias: break;
    }
    found.push_back(id);
  }
  return found;
}

}  // namespace kmodx
