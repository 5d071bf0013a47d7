// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/names.hpp"

#include <cerrno>

namespace kmodx {
namespace {

// kmod works on NUL-terminated strings; cut the view where C would stop.
std::string_view c_string(std::string_view s) {
  std::size_t nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

}  // namespace

std::string modname_normalize(std::string_view name) {
  name = c_string(name);
  std::string out;
  for (std::size_t i = 0; i < name.size() && i < kMaxNameLength; ++i) {
    char c = name[i];
    if (c == '.') break;
    out.push_back(c == '-' ? '_' : c);
  }
  return out;
}

Result<std::string> path_to_modname(std::string_view path) {
  path = c_string(path);
  std::size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (base.empty()) return make_error(EINVAL, "could not get modname from path " + std::string(path));
  return modname_normalize(base);
}

Result<std::string> alias_normalize(std::string_view alias) {
  alias = c_string(alias);
  auto unmatched = [&] { return make_error(EINVAL, "Unmatched bracket in " + std::string(alias)); };
  std::string out;
  out.reserve(alias.size() < kMaxNameLength ? alias.size() : kMaxNameLength);
  std::size_t i = 0;
  for (; i < alias.size() && i < kMaxNameLength; ++i) {
    char c = alias[i];
    if (c == '-') {
      out.push_back('_');
    } else if (c == ']') {
      return unmatched();
    } else if (c == '[') {
      // A bracket expression is a character class for fnmatch(); rewriting a
      // '-' inside it would turn a range into a literal.
      while (i < kMaxNameLength && i < alias.size() && alias[i] != ']') out.push_back(alias[i++]);
      if (i >= kMaxNameLength || i >= alias.size()) return unmatched();
      out.push_back(']');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<void> underscores(std::string& s) {
  std::size_t end = s.find('\0');
  if (end == std::string::npos) end = s.size();
  for (std::size_t i = 0; i < end; ++i) {
    if (s[i] == '-') {
      s[i] = '_';
    } else if (s[i] == ']') {
      return make_error(EINVAL, "Unmatched bracket in " + s.substr(0, end));
    } else if (s[i] == '[') {
      std::size_t close = s.find(']', i);
      if (close == std::string::npos || close >= end)
        return make_error(EINVAL, "Unmatched bracket in " + s.substr(0, end));
      i = close;
    }
  }
  return {};
}

bool has_module_extension(std::string_view name) {
  for (std::string_view ext : {".ko", ".ko.gz", ".ko.xz", ".ko.zst"})
    if (name.size() > ext.size() && name.ends_with(ext)) return true;
  return false;
}

}  // namespace kmodx
