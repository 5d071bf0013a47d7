// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kmodx/depmod.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

#include "util/names.hpp"
#include "util/thread_pool.hpp"

namespace kmodx {
namespace {

// kmod master compares in microseconds; kmod 30 in whole seconds, which
// misses a module replaced within the second modules.dep was written.
bool newer(const timespec& a, const timespec& b) {
  const long a_us = a.tv_nsec / 1000, b_us = b.tv_nsec / 1000;
  return a.tv_sec != b.tv_sec ? a.tv_sec > b.tv_sec : a_us > b_us;
}

// The walk over the module tree, on a few threads of the pool: each
// directory is a task that queues its subdirectories first (depth first, so
// few wait at a time), and a flag makes every task a no-op after the first
// module newer than modules.dep. Every entry costs a system call (a
// directory is opened, a module file stat'ed), so two cores halve it.
class NewerSearch {
 public:
  explicit NewerSearch(const timespec& ref) : ref_(ref) {}

  // Takes ownership of \p root_fd.
  bool run(int root_fd) {
    root_fd_ = root_fd;
    ThreadPool pool(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
    pool_ = &pool;
    push(".", 0);
    pool.wait();
    ::close(root_fd_);
    return found_.load();
  }

 private:
  // A directory still to read, by its path below the root: opened only
  // when it is read, so that a wide tree does not hold a descriptor per
  // waiting directory.
  struct Pending {
    std::string path;
    unsigned depth;
  };

  void push(std::string path, unsigned depth) {
    pool_->submit([this, dir = Pending{std::move(path), depth}] {
      if (!found_.load()) scan(dir);
    }, true);
  }

  void scan(const Pending& dir) {
    const int fd = ::openat(root_fd_, dir.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    DIR* d = ::fdopendir(fd);
    if (d == nullptr) {
      ::close(fd);
      return;
    }
    while (!found_.load(std::memory_order_relaxed)) {
      dirent* e = ::readdir(d);
      if (e == nullptr) break;
      std::string_view name = e->d_name;
      if (name == "." || name == ".." || name == "build" || name == "source") continue;
      // Only module files and directories count: no stat for other files,
      // none for a directory the entry already says is one.
      const bool is_module_name = has_module_extension(name);
      if (e->d_type == DT_REG && !is_module_name) continue;
      bool is_dir = e->d_type == DT_DIR;
      if (!is_dir) {
        struct stat st {};
        if (::fstatat(::dirfd(d), e->d_name, &st, 0) != 0) continue;
        if (S_ISREG(st.st_mode)) {
          if (is_module_name && newer(st.st_mtim, ref_)) found_.store(true);
          continue;
        }
        is_dir = S_ISDIR(st.st_mode);
      }
      // A bound on depth keeps a symlink loop from recursing forever.
      if (!is_dir || dir.depth >= 64) continue;
      push(dir.path + "/" + e->d_name, dir.depth + 1);
    }
    ::closedir(d);
  }

  const timespec ref_;
  int root_fd_ = -1;
  ThreadPool* pool_ = nullptr;
  std::atomic<bool> found_{false};
};

}  // namespace

bool module_database_is_current(const std::string& dirname, DiagnosticSink& sink) {
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
  return !NewerSearch(dep.st_mtim).run(fd);
}

}  // namespace kmodx
