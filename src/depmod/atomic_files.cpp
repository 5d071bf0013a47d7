// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/atomic_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kmodx::depmod {
namespace {

constexpr std::string_view kTempMarker = ".kmodx-";

Result<void> make_directories(const std::string& dir) {
  std::string partial;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (partial.empty()) continue;
    if (mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST)
      return make_error(errno, "could not create directory " + dir + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    int err = errno != 0 ? errno : ENOTDIR;
    if (stat(dir.c_str(), &st) == 0) err = ENOTDIR;
    return make_error(err, "could not create directory " + dir + ": " + std::strerror(err));
  }
  return {};
}

// Temporary files of runs that were killed before they could rename or
// remove them. Only called while holding the directory lock, so no live
// publisher owns one.
void remove_stale_temporaries(int dirfd) {
  int fd = dup(dirfd);
  if (fd < 0) return;
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    close(fd);
    return;
  }
  std::vector<std::string> stale;
  while (dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (name.starts_with(".modules.") && name.find(kTempMarker) != std::string_view::npos)
      stale.emplace_back(name);
  }
  for (const std::string& name : stale) unlinkat(dirfd, name.c_str(), 0);
  closedir(d);
}

bool write_all(int fd, const std::string& content) {
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

Result<void> publish_files(const std::string& dir, const std::vector<PendingFile>& files) {
  if (auto r = make_directories(dir); !r) return r;
  int dirfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return make_error(errno, "could not open directory " + dir + ": " + std::strerror(errno));
  flock(dirfd, LOCK_EX);
  remove_stale_temporaries(dirfd);

  std::vector<std::string> temps;
  auto fail = [&](Error e) {
    for (const std::string& t : temps) unlinkat(dirfd, t.c_str(), 0);
    close(dirfd);  // also drops the lock
    return e;
  };

  for (const PendingFile& f : files) {
    std::string tmpl = dir + "/." + f.name + std::string(kTempMarker) + "XXXXXX";
    int fd = mkstemp(tmpl.data());
    if (fd < 0) return fail(make_error(errno, "Could not create temporary file at '" + dir + "': " + std::strerror(errno)));
    temps.push_back(tmpl.substr(dir.size() + 1));
    // 0644 whatever the umask, like kmod master.
    const bool ok = fchmod(fd, 0644) == 0 && write_all(fd, f.content);
    const int err = errno;
    if (close(fd) != 0 || !ok)
      return fail(make_error(ok ? errno : err, "Could not create index '" + f.name +
                                                   "'. Output is truncated: " + std::strerror(ok ? errno : err)));
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (renameat(dirfd, temps[i].c_str(), dirfd, files[i].name.c_str()) != 0) {
      const int err = errno;
      Error e = make_error(err, "publish temporary from " + temps[i] + " to " + files[i].name);
      temps.erase(temps.begin(), temps.begin() + static_cast<std::ptrdiff_t>(i));
      return fail(e);
    }
  }
  close(dirfd);
  return {};
}

}  // namespace kmodx::depmod
