// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kmodx/module_lookup.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "kmodx/index.hpp"
#include "util/libkmod_sites.hpp"
#include "util/line_reader.hpp"
#include "util/mapped_file.hpp"
#include "util/names.hpp"

namespace kmodx {

ModuleDirectory::ModuleDirectory(std::string dirname, DiagnosticSink* sink)
    : dirname_(std::move(dirname)), sink_(sink), indexes_(dirname_, LookupIndexes::Loading::per_call, sink) {}

std::optional<std::string> ModuleDirectory::path_from_dep_line(std::string_view line) const {
  const DepLine dep = split_dep_line(line);
  if (dep.path.empty()) return std::nullopt;
  // libkmod parses the whole line where it learns the path.
  (void)dependency_files_present(dep, dirname_, this, sink_);
  return module_file_path(dep.path, dirname_);
}

bool dependency_files_present(const DepLine& line, const std::string& dirname, const void* context,
                              DiagnosticSink* sink) {
  for (std::string_view listed : line.dependencies) {
    const std::string path = module_file_path(listed, dirname);
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) continue;
    const int code = errno;
    if (sink != nullptr) {
      char pointer[32];
      std::snprintf(pointer, sizeof pointer, "%p", context);
      sink->report_from(Severity::error, libkmod_site::parse_depline,
                        std::string("ctx=") + pointer + " path=" + path + " error=" + std::strerror(code));
    }
    return false;
  }
  return true;
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

void ModuleDirectory::complete(ModuleRef& module) const {
  if (module.path || module.builtin) return;
  if (auto line = indexes_.exact(LookupIndex::dep, module.name)) module.path = path_from_dep_line(*line);
}

bool ModuleDirectory::is_builtin(const ModuleRef& module) const {
  return module.builtin || (!module.from_path && indexes_.exact(LookupIndex::builtin, module.name).has_value());
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

ModuleRef ModuleDirectory::from_hit(LookupHit hit) const {
  using Step = LookupHit::Step;
  ModuleRef m{std::move(hit.name), std::nullopt, std::move(hit.alias),
              hit.step == Step::builtin || hit.step == Step::builtin_alias};
  if (hit.step == Step::dep) m.path = path_from_dep_line(hit.dep_line);
  else complete(m);
  return m;
}

Result<std::vector<ModuleRef>> ModuleDirectory::lookup(std::string_view name) const {
  auto hits = lookup_module(name, indexes_, nullptr);
  if (!hits) return std::move(hits).take_error();
  std::vector<ModuleRef> found;
  for (LookupHit& hit : *hits) found.push_back(from_hit(std::move(hit)));
  return found;
}

std::optional<ModuleRef> ModuleDirectory::lookup_name(std::string_view name) const {
  auto hit = lookup_module_name(name, indexes_);
  if (!hit) return std::nullopt;
  return from_hit(std::move(*hit));
}

}  // namespace kmodx
