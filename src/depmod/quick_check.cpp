// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/quick_check.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "util/names.hpp"

namespace kmodx::depmod {
namespace {

// kmod master compares in microseconds; kmod 30 in whole seconds, which
// misses a module replaced within the second modules.dep was written.
bool newer(const timespec& a, const timespec& b) {
  const long a_us = a.tv_nsec / 1000, b_us = b.tv_nsec / 1000;
  return a.tv_sec != b.tv_sec ? a.tv_sec > b.tv_sec : a_us > b_us;
}

// The walk over the module tree, on a few threads: a stack of directories
// still to read, shared by the workers, and a flag that stops them all at
// the first module newer than modules.dep. Every entry costs a system call
// (a directory is opened, a module file stat'ed), so two cores halve it.
class NewerSearch {
 public:
  explicit NewerSearch(const timespec& ref) : ref_(ref) {}

  // Takes ownership of \p root_fd.
  bool run(int root_fd) {
    root_fd_ = root_fd;
    push(".", 0);
    const unsigned n = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
    std::vector<std::thread> helpers;
    for (unsigned i = 1; i < n; ++i) helpers.emplace_back([this] { work(); });
    work();
    for (std::thread& t : helpers) t.join();
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
    {
      std::lock_guard lock(mutex_);
      stack_.push_back({std::move(path), depth});
      ++pending_;
    }
    wake_.notify_one();
  }

  void work() {
    for (;;) {
      Pending dir{};
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return !stack_.empty() || pending_ == 0 || found_.load(); });
        if (stack_.empty()) return;  // all done, or found (the rest is dropped below)
        dir = std::move(stack_.back());
        stack_.pop_back();
      }
      if (!found_.load()) scan(dir);
      std::lock_guard lock(mutex_);
      if (--pending_ == 0 || found_.load()) wake_.notify_all();
      if (found_.load()) {
        pending_ -= static_cast<long>(stack_.size());
        stack_.clear();
      }
    }
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
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Pending> stack_;
  long pending_ = 0;  // directories pushed and not finished
  std::atomic<bool> found_{false};
};

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
  return !NewerSearch(dep.st_mtim).run(fd);
}

}  // namespace kmodx::depmod
