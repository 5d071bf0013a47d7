// SPDX-License-Identifier: LGPL-2.1-or-later
#include "loader/sysfs_state.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/line_reader.hpp"
#include "util/mapped_file.hpp"

namespace kmodx::loader {
namespace {

/// strtol() of the text, as libkmod reads refcnt/coresize.
Result<long> read_number(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return std::move(text).take_error();
  errno = 0;
  char* end = nullptr;
  long value = std::strtol(text->c_str(), &end, 10);
  if (end == text->c_str() || errno != 0) return make_error(EINVAL, path + ": not a number");
  return value;
}

}  // namespace

Result<InitState> SysfsState::initstate(std::string_view name) const {
  std::string path = module_dir(name) + "/initstate";
  auto text = read_text_file(path);
  if (!text) {
    // No initstate file but the module directory exists: the kernel is still
    // creating it.
    struct stat st {};
    if (::stat(module_dir(name).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return InitState::coming;
    return make_error(ENOENT, path + ": " + std::strerror(text.error().code));
  }
  if (*text == "live\n") return InitState::live;
  if (*text == "coming\n") return InitState::coming;
  if (*text == "going\n") return InitState::going;
  return make_error(EINVAL, "unknown " + path + ": '" + *text + "'");
}

Result<long> SysfsState::refcnt(std::string_view name) const {
  auto value = read_number(module_dir(name) + "/refcnt");
  if (!value && value.error().code != EINVAL) return make_error(ENOENT, value.error().detail);
  return value;
}

Result<std::vector<std::string>> SysfsState::holders(std::string_view name) const {
  std::string path = module_dir(name) + "/holders";
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return make_error(errno, "could not open '" + path + "': " + std::strerror(errno));
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    names.emplace_back(entry->d_name);
  }
  ::closedir(dir);
  return names;
}

Result<std::vector<ModuleSection>> SysfsState::sections(std::string_view name) const {
  std::string path = module_dir(name) + "/sections";
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return make_error(errno, "could not open '" + path + "': " + std::strerror(errno));
  std::vector<ModuleSection> out;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view n = entry->d_name;
    if (n == "." || n == "..") continue;
    const std::string file = path + "/" + std::string(n);
    auto text = read_text_file(file);
    if (!text) {
      ::closedir(dir);
      return make_error(text.error().code, "could not open '" + file + "': " + std::strerror(text.error().code));
    }
    errno = 0;
    char* end = nullptr;
    unsigned long address = std::strtoul(text->c_str(), &end, 16);
    if (end == text->c_str() || errno != 0) {
      ::closedir(dir);
      return make_error(EINVAL, "could not read long from '" + file + "': " + std::strerror(EINVAL));
    }
    out.push_back({std::string(n), address});
  }
  ::closedir(dir);
  return out;
}

Result<long> SysfsState::size(std::string_view name) const {
  struct stat st {};
  if (::stat(module_dir(name).c_str(), &st) != 0) return make_error(errno, module_dir(name) + ": " + std::strerror(errno));
  if (auto coresize = read_number(module_dir(name) + "/coresize")) return coresize;
  auto modules = loaded_modules();
  if (!modules) return std::move(modules).take_error();
  for (const ProcModule& m : *modules)
    if (m.name == name) return m.size;
  return make_error(ENOENT, std::string(name) + ": not in " + proc_modules_);
}

Result<std::vector<ProcModule>> SysfsState::loaded_modules() const {
  auto text = read_text_file(proc_modules_);
  if (!text) return make_error(text.error().code, "could not open " + proc_modules_ + ": " +
                                                      std::strerror(text.error().code));
  return parse_proc_modules(*text);
}

std::vector<ProcModule> parse_proc_modules(std::string_view text) {
  std::vector<ProcModule> out;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    std::vector<std::string_view> fields = split_blanks(line);
    if (fields.size() < 2) continue;
    ProcModule m;
    m.name = fields[0];
    m.size = std::strtol(std::string(fields[1]).c_str(), nullptr, 10);
    if (fields.size() > 2) m.refcnt = fields[2] == "-" ? -1 : std::strtol(std::string(fields[2]).c_str(), nullptr, 10);
    if (fields.size() > 3) m.holders = fields[3];
    if (fields.size() > 4) m.state = fields[4];
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace kmodx::loader
