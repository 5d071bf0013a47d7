// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/file_writes.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace kmodx {
namespace {

Error errno_error(int err, const std::string& what, const std::string& path) {
  return make_error(err, path + ": " + what + ": " + std::strerror(err));
}

Result<void> fail(OutputFailure* failure, OutputFailure::Step step, int err, const std::string& path) {
  if (failure != nullptr) *failure = OutputFailure{step, err};
  return errno_error(err, step == OutputFailure::create ? "cannot create" : "cannot write", path);
}

// Writes and closes \p fd; the failure is a write failure.
Result<void> write_and_close(int fd, std::string_view data, const std::string& path, OutputFailure* failure) {
  auto ok = write_all(fd, data, path);
  int err = ok ? 0 : ok.error().code;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) return fail(failure, OutputFailure::write, err, path);
  return {};
}

Result<void> write_in_place(const std::string& path, std::string_view data, OutputFailure* failure) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) return fail(failure, OutputFailure::create, errno, path);
  return write_and_close(fd, data, path, failure);
}

}  // namespace

Result<void> write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, "cannot write", path);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<void> make_directories(const std::string& dir) {
  for (std::size_t pos = dir.find('/', 1);; pos = dir.find('/', pos + 1)) {
    const std::string partial = dir.substr(0, pos);
    if (!partial.empty() && ::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST)
      return errno_error(errno, "cannot create directory", partial);
    if (pos == std::string::npos) break;
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return errno_error(errno, "cannot create directory", dir);
  if (!S_ISDIR(st.st_mode)) return errno_error(ENOTDIR, "cannot create directory", dir);
  return {};
}

Result<void> write_whole_file(const std::string& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_error(errno, "cannot create", path);
  auto ok = write_all(fd, data, path);
  ::close(fd);
  return ok;
}

Result<void> write_file_atomic(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_error(errno, "cannot create", tmp);
  auto ok = write_all(fd, data, tmp);
  if (ok && ::fsync(fd) != 0) ok = errno_error(errno, "cannot sync", tmp);
  if (::close(fd) != 0 && ok) ok = errno_error(errno, "cannot close", tmp);
  if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) ok = errno_error(errno, "cannot rename to " + path, tmp);
  if (!ok) ::unlink(tmp.c_str());
  return ok;
}

Result<void> replace_output(const std::string& path, std::string_view data, OutputFailure* failure) {
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && !S_ISREG(st.st_mode)) return write_in_place(path, data, failure);

  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  // Created with mode 0666 like fopen's file, so that the kernel applies
  // the umask (mkstemp's 0600 would need umask(), which is process-wide).
  static std::atomic<unsigned> serial{0};
  int fd = -1;
  std::string tmp;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    tmp = dir + "/." + base + "." + std::to_string(::getpid()) + "." + std::to_string(serial++);
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    // No temporary here (a read-only or foreign directory, a name too long
    // for the suffix): fopen's way, when it works, is better than nothing.
    if (errno == EACCES || errno == EPERM || errno == EROFS || errno == ENAMETOOLONG)
      return write_in_place(path, data, failure);
    return fail(failure, OutputFailure::create, errno, path);
  }
  if (auto ok = write_and_close(fd, data, path, failure); !ok) {
    ::unlink(tmp.c_str());
    return ok;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return fail(failure, OutputFailure::create, err, path);
  }
  return {};
}

}  // namespace kmodx
