// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kmodx/module_lookup.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "kmodx/index.hpp"
#include "util/line_reader.hpp"
#include "util/mapped_file.hpp"
#include "util/libkmod_sites.hpp"
#include "util/names.hpp"

namespace kmodx {
namespace {

constexpr std::string_view kDepIndex = "modules.dep.bin";
constexpr std::string_view kAliasIndex = "modules.alias.bin";
constexpr std::string_view kSymbolsIndex = "modules.symbols.bin";
constexpr std::string_view kBuiltinIndex = "modules.builtin.bin";
constexpr std::string_view kBuiltinAliasIndex = "modules.builtin.alias.bin";

// libkmod opens an index per lookup when the tool did not preload them
// (modinfo does not); an unreadable or corrupt index means "not found".
std::optional<Index> open_index(const std::string& path) {
  auto index = Index::open(path);
  if (!index) return std::nullopt;
  return std::move(index).value();
}

}  // namespace

std::optional<std::string> ModuleDirectory::module_path(std::string_view name) const {
  auto index = open_index(index_path(kDepIndex));
  if (!index) return std::nullopt;
  Error damage;
  auto line = index->lookup_exact(name, &damage);
  damage_.check(*index, damage);
  if (!line) return std::nullopt;
  const DepLine dep = split_dep_line(*line);
  if (dep.path.empty()) return std::nullopt;
  // libkmod parses the whole line where it learns the path.
  if (auto missing = first_missing_dependency(dep, dirname_); missing && sink_ != nullptr)
    sink_->report_from(Severity::error, libkmod_site::parse_depline, missing_dependency_message(this, *missing));
  return module_file_path(dep.path, dirname_);
}

std::optional<MissingDependency> first_missing_dependency(const DepLine& line, const std::string& dirname) {
  for (std::string_view listed : line.dependencies) {
    std::string path = module_file_path(listed, dirname);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return MissingDependency{std::move(path), errno};
  }
  return std::nullopt;
}

std::string missing_dependency_message(const void* context, const MissingDependency& missing) {
  char pointer[32];
  std::snprintf(pointer, sizeof pointer, "%p", context);
  return std::string("ctx=") + pointer + " path=" + missing.path + " error=" + std::strerror(missing.code);
}

DepLine split_dep_line(std::string_view line) {
  DepLine dep;
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return dep;  // libkmod gives such a module no path
  dep.path = line.substr(0, colon);
  dep.dependencies = split_blanks(line.substr(colon + 1));
  return dep;
}

std::string module_file_path(std::string_view path, const std::string& dirname) {
  if (!path.empty() && path.front() == '/') return std::string(path);
  return dirname + "/" + std::string(path);
}

bool ModuleDirectory::in_builtin_index(std::string_view name) const {
  auto index = open_index(index_path(kBuiltinIndex));
  if (!index) return false;
  Error damage;
  const bool found = index->lookup_exact(name, &damage).has_value();
  damage_.check(*index, damage);
  return found;
}

void ModuleDirectory::complete(ModuleRef& module) const {
  if (module.path || module.builtin) return;
  module.path = module_path(module.name);
}

bool ModuleDirectory::is_builtin(const ModuleRef& module) const {
  return module.builtin || (!module.from_path && in_builtin_index(module.name));
}

ModuleRef ModuleDirectory::from_path(std::string_view path) {
  ModuleRef m;
  m.from_path = true;
  // "x/.ko" gives an empty name; kmod accepts it and so do we.
  auto name = path_to_modname(path);
  if (name) m.name = std::move(name).value();
  m.path = absolute_path(path);
  return m;
}

Result<std::vector<ModuleRef>> ModuleDirectory::lookup(std::string_view name) const {
  auto normalized = alias_normalize(name);
  if (!normalized) return std::move(normalized).take_error();
  const std::string& q = *normalized;
  std::vector<ModuleRef> found;

  auto from_index = [&](std::string_view file, bool builtin) {
    auto index = open_index(index_path(file));
    if (!index) return;
    Error damage;
    std::vector<IndexValue> values = index->search_wildcard(q, &damage, Index::ReadMode::stream);
    damage_.check(*index, damage);
    for (IndexValue& v : values) {
      ModuleRef m{std::move(v.value), std::nullopt, q, builtin};
      complete(m);
      found.push_back(std::move(m));
    }
  };

  if (q.find(':') == std::string::npos) {
    if (auto path = module_path(q)) {
      found.push_back(ModuleRef{q, std::move(path), {}, false});
      return found;
    }
  }
  if (q.rfind("symbol:", 0) == 0) {
    from_index(kSymbolsIndex, false);
    if (!found.empty()) return found;
  }
  from_index(kAliasIndex, false);
  if (!found.empty()) return found;
  if (in_builtin_index(q)) {
    found.push_back(ModuleRef{q, std::nullopt, {}, true});
    return found;
  }
  from_index(kBuiltinAliasIndex, true);
  return found;
}

std::optional<ModuleRef> ModuleDirectory::lookup_name(std::string_view name) const {
  const std::string q = modname_normalize(name);
  if (auto path = module_path(q)) return ModuleRef{q, std::move(path), {}, false};
  if (in_builtin_index(q)) return ModuleRef{q, std::nullopt, {}, true};
  auto index = open_index(index_path(kBuiltinAliasIndex));
  if (!index) return std::nullopt;
  Error damage;
  auto values = index->search_wildcard(q, &damage, Index::ReadMode::stream);
  damage_.check(*index, damage);
  if (values.empty()) return std::nullopt;
  return ModuleRef{std::move(values.front().value), std::nullopt, q, true};
}

}  // namespace kmodx
