// SPDX-License-Identifier: LGPL-2.1-or-later
#include "config/config_files.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

namespace kmodx {

void ConfigFileList::insert(std::string name, std::string path) {
  auto it = std::lower_bound(files_.begin(), files_.end(), name,
                             [](const ConfigFileEntry& f, const std::string& n) { return f.name < n; });
  if (it != files_.end() && it->name == name) return;
  files_.insert(it, ConfigFileEntry{std::move(name), std::move(path)});
}

void ConfigFileList::add_path(const std::string& path, const Reporter& report) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;
  if (!S_ISDIR(st.st_mode)) {
    std::size_t slash = path.rfind('/');
    insert(slash == std::string::npos ? path : path.substr(slash + 1), path);
    return;
  }
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) {
    report(ConfigListEvent::unreadable_directory, path, {}, errno);
    return;
  }
  while (const dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name.empty() || name.front() == '.') continue;
    if (name.size() < 6 || !name.ends_with(".conf")) {
      report(ConfigListEvent::not_conf, path, name, 0);
      continue;
    }
    struct stat entry_st {};
    if (::fstatat(::dirfd(dir), entry->d_name, &entry_st, 0) == 0 && S_ISDIR(entry_st.st_mode)) {
      report(ConfigListEvent::nested_directory, path, name, 0);
      continue;
    }
    insert(std::string(name), path + "/" + std::string(name));
  }
  ::closedir(dir);
}

}  // namespace kmodx
