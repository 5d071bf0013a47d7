// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/atomic_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "util/file_writes.hpp"

namespace kmodx::depmod {
namespace {

std::string errno_text(int code) { return std::strerror(code); }

// "<name>.<pid>.<usec>.<sec>" whose pid is not a live process: left behind
// by a depmod that was killed. Only called under the directory lock, which
// every kmodx depmod holds while its temporaries exist (in any pid
// namespace: the lock is on the directory), so a temporary seen here is
// either abandoned or kmod's own depmod's, whose pid is alive. (A kmod
// depmod of another pid namespace writing the same directory at the same
// moment is not protected; two kmod depmods racing there tear files anyway.)
bool is_stale_temporary(int dirfd, std::string_view name) {
  if (!name.starts_with("modules.")) return false;
  std::size_t dots[3];
  std::size_t end = name.size();
  for (std::size_t& d : dots) {
    d = name.rfind('.', end - 1);
    if (d == std::string_view::npos || d + 1 >= end) return false;
    for (std::size_t i = d + 1; i < end; ++i)
      if (name[i] < '0' || name[i] > '9') return false;
    end = d;
  }
  const pid_t pid = static_cast<pid_t>(std::strtol(std::string(name.substr(dots[2] + 1)).c_str(), nullptr, 10));
  if (pid <= 0 || ::kill(pid, 0) == 0 || errno != ESRCH) return false;
  struct stat st {};
  return ::fstatat(dirfd, std::string(name).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

void remove_stale_temporaries(int dirfd) {
  int fd = ::dup(dirfd);
  if (fd < 0) return;
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    ::close(fd);
    return;
  }
  std::vector<std::string> stale;
  while (const dirent* e = ::readdir(d))
    if (is_stale_temporary(dirfd, e->d_name)) stale.emplace_back(e->d_name);
  for (const std::string& name : stale) ::unlinkat(dirfd, name.c_str(), 0);
  ::closedir(d);
}

}  // namespace

Result<PublishOutcome> publish_files(const std::string& dir, const std::vector<PendingFile>& files,
                                     DiagnosticSink& sink) {
  if (auto made = make_directories(dir); !made)
    return make_error(made.error().code, "could not create directory " + dir + ": " + errno_text(made.error().code));
  const int dirfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) {
    const int code = errno;
    return make_error(code, "could not open directory " + dir + ": " + errno_text(code));
  }
  ::flock(dirfd, LOCK_EX);
  remove_stale_temporaries(dirfd);

  timeval now {};
  ::gettimeofday(&now, nullptr);
  const std::string suffix = "." + std::to_string(::getpid()) + "." + std::to_string(now.tv_usec) + "." +
                             std::to_string(now.tv_sec);
  std::vector<std::string> temps;  // created so far
  auto discard = [&](PublishOutcome outcome) {
    for (const std::string& t : temps) ::unlinkat(dirfd, t.c_str(), 0);
    ::close(dirfd);  // also drops the lock
    return outcome;
  };

  bool all_created = true;
  for (const PendingFile& f : files) {
    const std::string temp = f.name + suffix;
    constexpr int kFlags = O_CREAT | O_EXCL | O_WRONLY;
    int fd = ::openat(dirfd, temp.c_str(), kFlags | O_CLOEXEC, 0644);
    if (fd < 0) {
      // kmod 30 reports each file it cannot create and goes on.
      char flags[64];
      std::snprintf(flags, sizeof flags, ", %o, %o): ", static_cast<unsigned>(kFlags), 0644u);
      sink.report(Severity::error, "openat(" + dir + ", " + temp + flags + errno_text(errno));
      all_created = false;
      continue;
    }
    temps.push_back(temp);
    // 0644 whatever the umask, like kmod master.
    bool ok = ::fchmod(fd, 0644) == 0;
    if (f.pieces.empty()) ok = ok && write_all(fd, f.content, temp).ok();
    for (std::span<const std::byte> piece : f.pieces)
      ok = ok && write_all(fd, {reinterpret_cast<const char*>(piece.data()), piece.size()}, temp).ok();
    if (::close(fd) != 0 || !ok) {
      // kmod's text names ENOSPC whatever the error was.
      sink.report(Severity::error,
                  "Could not create index '" + f.name + "'. Output is truncated: " + errno_text(ENOSPC));
      return discard(PublishOutcome::failed);
    }
  }
  if (!all_created) return discard(PublishOutcome::skipped);

  // A directory in the way is the one rename failure that can be seen
  // coming; checking first keeps the old set whole in that case.
  for (const PendingFile& f : files) {
    struct stat st {};
    if (::fstatat(dirfd, f.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
      const std::string message = "renameat(" + dir + ", " + f.name + suffix + ", " + dir + ", " + f.name +
                                  "): " + errno_text(EISDIR);
      discard(PublishOutcome::failed);
      return make_error(EISDIR, message);
    }
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (::renameat(dirfd, temps[i].c_str(), dirfd, files[i].name.c_str()) != 0) {
      // The files before this one are already new (kmod stops here too).
      const int code = errno;
      const std::string message = "renameat(" + dir + ", " + temps[i] + ", " + dir + ", " + files[i].name +
                                  "): " + errno_text(code);
      temps.erase(temps.begin(), temps.begin() + static_cast<std::ptrdiff_t>(i));
      discard(PublishOutcome::failed);
      return make_error(code, message);
    }
  }
  ::close(dirfd);
  return PublishOutcome::published;
}

}  // namespace kmodx::depmod
