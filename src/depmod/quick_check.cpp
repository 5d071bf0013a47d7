// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/quick_check.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "util/names.hpp"

namespace kmodx::depmod {
namespace {

// kmod master compares in microseconds; kmod 30 in whole seconds, which
// misses a module replaced within the second modules.dep was written.
bool newer(const timespec& a, const timespec& b) {
  const long a_us = a.tv_nsec / 1000, b_us = b.tv_nsec / 1000;
  return a.tv_sec != b.tv_sec ? a.tv_sec > b.tv_sec : a_us > b_us;
}

// True as soon as one module below \p fd is newer than \p ref.
bool any_newer(int fd, const timespec& ref, unsigned depth) {
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    close(fd);
    return false;
  }
  bool found = false;
  while (!found) {
    dirent* e = readdir(d);
    if (e == nullptr) break;
    std::string_view name = e->d_name;
    if (name == "." || name == ".." || name == "build" || name == "source") continue;
    // Only module files and directories count: no stat for other files.
    if (e->d_type == DT_REG && !has_module_extension(name)) continue;
    struct stat st {};
    if (fstatat(dirfd(d), e->d_name, &st, 0) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      // A bound on depth keeps a symlink loop from recursing forever.
      if (depth >= 64) continue;
      int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (sub >= 0) found = any_newer(sub, ref, depth + 1);
    } else if (S_ISREG(st.st_mode) && has_module_extension(name) && newer(st.st_mtim, ref)) {
      found = true;
    }
  }
  closedir(d);
  return found;
}

}  // namespace

bool depmod_is_up_to_date(const std::string& dirname, DiagnosticSink& sink) {
  int fd = open(dirname.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    sink.report(Severity::error, "could not open directory " + dirname + ": " + std::strerror(errno));
    return false;
  }
  struct stat dep {};
  if (fstatat(fd, "modules.dep", &dep, 0) != 0) {
    sink.report(Severity::error,
                "could not fstatat(" + dirname + ", modules.dep): " + std::strerror(errno));
    close(fd);
    return false;
  }
  return !any_newer(fd, dep.st_mtim, 0);
}

}  // namespace kmodx::depmod
