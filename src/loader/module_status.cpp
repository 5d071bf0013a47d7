// SPDX-License-Identifier: LGPL-2.1-or-later
// LoaderBackend::module_statuses(): lsmod's reads, through the per-module
// queries (the linux backend; the sim overrides it).
#include <cerrno>
#include <cstring>

#include "kmodx/loader.hpp"

namespace kmodx {

Result<std::vector<ModuleStatus>> LoaderBackend::module_statuses() {
  auto modules = loaded_modules();
  if (!modules) return std::move(modules).take_error();
  std::vector<ModuleStatus> out;
  out.reserve(modules->size());
  for (const ProcModule& m : *modules) {
    ModuleStatus s;
    s.name = m.name;
    auto size = this->size(m.name);
    s.size = size ? *size : -static_cast<long>(size.error().code);
    auto refs = refcnt(m.name);
    s.refcnt = refs ? *refs : -static_cast<long>(refs.error().code);
    if (auto h = holders(m.name)) s.holders = std::move(*h);
    out.push_back(std::move(s));
  }
  return out;
}


Result<std::vector<ModuleSection>> LoaderBackend::sections(std::string_view name) {
  return make_error(ENOENT, "could not open '/sys/module/" + std::string(name) + "/sections': " + std::strerror(ENOENT));
}

}  // namespace kmodx
