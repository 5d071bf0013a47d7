// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/module_record.hpp"

#include <algorithm>

namespace kmodx::depmod {

ModuleRecord ModuleRecord::for_file(std::string name, std::string path, std::string_view dirname) {
  ModuleRecord r;
  // libkmod's test: dirname is a byte prefix followed by '/'.
  if (path.size() > dirname.size() && path.compare(0, dirname.size(), dirname) == 0 && path[dirname.size()] == '/')
    r.relpath = path.substr(dirname.size() + 1);
  r.name = std::move(name);
  r.path = std::move(path);
  return r;
}

std::string_view ModuleRecord::uncompressed_relpath() const {
  if (!relpath) return {};
  // libkmod's arithmetic: directory part, '/', as many bytes as the module
  // name has, then ".ko".
  const std::size_t slash = relpath->rfind('/');
  const std::size_t dir_len = slash == std::string::npos ? 0 : slash + 1;
  return std::string_view(*relpath).substr(0, std::min(relpath->size(), dir_len + name.size() + 3));
}

}  // namespace kmodx::depmod
