// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/module_search.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "util/names.hpp"

namespace kmodx::depmod {
namespace {

std::string errno_text(int code) { return std::strerror(code); }

class ModuleSearch {
 public:
  ModuleSearch(const std::string& dirname, const DepmodConfig& config, DiagnosticSink& sink,
               const std::function<void(const std::string&)>& on_accepted, std::vector<std::string>* shadowed)
      : dirname_(dirname), config_(config), sink_(sink), on_accepted_(on_accepted), shadowed_(shadowed) {}

  /// Walks one top directory; the errno when it cannot be opened.
  int walk_top(const std::string& path) {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) {
      int code = errno;
      sink_.report(Severity::error, "could not open directory " + path + ": " + errno_text(code));
      return code;
    }
    std::string buffer = path;
    struct stat st {};
    if (::fstat(::dirfd(dir), &st) == 0) ancestors_.emplace_back(st.st_dev, st.st_ino);
    walk(dir, buffer);
    ancestors_.clear();
    ::closedir(dir);
    return 0;
  }

  std::vector<ModuleRecord> take() {
    std::vector<ModuleRecord> result;
    result.reserve(by_name_.size());
    for (auto& slot : found_)
      if (slot) result.push_back(std::move(*slot));
    return result;
  }

 private:
  bool skipped(std::string_view name) const {
    if (name == "." || name == ".." || name == "build" || name == "source") return true;
    return std::find(config_.excludes.begin(), config_.excludes.end(), name) != config_.excludes.end();
  }

  // Whether the directory \p st is one the walk is inside already.
  bool on_walk(const struct stat& st) const {
    return std::find(ancestors_.begin(), ancestors_.end(), std::pair{st.st_dev, st.st_ino}) != ancestors_.end();
  }

  void walk(DIR* dir, std::string& path) {
    path.push_back('/');
    const std::size_t base = path.size();
    const int dfd = ::dirfd(dir);
    while (const dirent* entry = ::readdir(dir)) {
      const std::string_view name = entry->d_name;
      if (skipped(name)) continue;
      path.resize(base);
      path.append(name);
      bool is_dir = false;
      if (entry->d_type == DT_REG) {
        is_dir = false;
      } else if (entry->d_type == DT_DIR) {
        is_dir = true;
      } else {
        struct stat st {};
        if (::fstatat(dfd, entry->d_name, &st, 0) < 0) {
          sink_.report(Severity::error, "fstatat(" + std::to_string(dfd) + ", " + std::string(name) +
                                            "): " + errno_text(errno));
          continue;
        }
        if (S_ISREG(st.st_mode)) {
          is_dir = false;
        } else if (S_ISDIR(st.st_mode)) {
          is_dir = true;
        } else {
          char bits[16];
          std::snprintf(bits, sizeof bits, "%o", static_cast<unsigned>(st.st_mode & S_IFMT));
          sink_.report(Severity::error, "unsupported file type " + path + ": " + bits);
          continue;
        }
      }
      if (is_dir) {
        int fd = ::openat(dfd, entry->d_name, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
          sink_.report(Severity::error, "openat(" + std::to_string(dfd) + ", " + std::string(name) +
                                            ", O_RDONLY): " + errno_text(errno));
          continue;
        }
        // A symlink back up the tree (kernel/loop -> ..) would be walked
        // until the path outgrows PATH_MAX, finding every module again on
        // the way, or until the stack gives out.
        struct stat dir_st {};
        if (::fstat(fd, &dir_st) == 0 && on_walk(dir_st)) {
          sink_.report(Severity::error, "could not open directory " + path + ": " + errno_text(ELOOP));
          ::close(fd);
          continue;
        }
        DIR* sub = ::fdopendir(fd);
        if (sub == nullptr) {
          sink_.report(Severity::error, "fdopendir(" + std::to_string(fd) + "): " + errno_text(errno));
          ::close(fd);
          continue;
        }
        ancestors_.emplace_back(dir_st.st_dev, dir_st.st_ino);
        walk(sub, path);
        ancestors_.pop_back();
        ::closedir(sub);
      } else if (has_module_extension(name)) {
        add_file(path, base);
      }
    }
  }

  // Path minus "<dirname>/" when it starts with dirname (a byte prefix test,
  // as kmod's), else nullopt.
  std::optional<std::string_view> relative(std::string_view p) const {
    if (p.size() <= dirname_.size() || p.compare(0, dirname_.size(), dirname_) != 0) return std::nullopt;
    return p.substr(dirname_.size() + 1);
  }

  static bool starts_with_dir(std::string_view p, std::string_view dir) {
    return p.size() > dir.size() && p[dir.size()] == '/' && p.compare(0, dir.size(), dir) == 0;
  }

  // kmod's rule (§4.3) on the paths cut after the module-name-length stem
  // of the file name; true when the module already found stays.
  bool keep_old(const ModuleRecord& old, std::string_view new_stem) const {
    const std::size_t old_base = old.path.rfind('/') + 1;
    const std::string_view old_stem = std::string_view(old.path).substr(0, old_base + old.name.size());
    const auto rel_new = relative(new_stem);
    const auto rel_old = relative(old_stem);
    for (const std::string& ov : config_.overrides) {
      if (rel_new && *rel_new == ov) return false;
      if (rel_old && *rel_old == ov) return true;
    }
    int builtin_prio = -1, old_prio = -1, new_prio = -1, i = 0;
    for (const SearchEntry& se : config_.search) {
      if (se.kind == SearchEntry::Kind::builtin) {
        builtin_prio = i;
      } else if (se.kind == SearchEntry::Kind::external) {
        for (const std::string& ext : config_.externals) {
          if (starts_with_dir(new_stem, ext)) new_prio = i;
          if (starts_with_dir(old_stem, ext)) old_prio = i;
          ++i;
        }
      } else if (rel_new && starts_with_dir(*rel_new, se.path)) {
        new_prio = i;
      } else if (rel_old && starts_with_dir(*rel_old, se.path)) {
        old_prio = i;  // not looked at when the new path matched: kmod's quirk
      }
      ++i;
    }
    if (new_prio < 0) new_prio = builtin_prio;
    if (old_prio < 0) old_prio = builtin_prio;
    return new_prio <= old_prio;
  }

  void add_file(const std::string& path, std::size_t base) {
    auto name = path_to_modname(path);
    if (!name) {
      sink_.report(Severity::error, "could not get modname from path " + path);
      sink_.report(Severity::error, "failed " + path + ": " + errno_text(EINVAL));
      return;
    }
    ModuleRecord module = ModuleRecord::for_file(*name, path, dirname_);
    auto it = by_name_.find(module.name);
    if (it == by_name_.end()) {
      if (on_accepted_) on_accepted_(module.path);
      by_name_.emplace(module.name, found_.size());
      found_.emplace_back(std::move(module));
      return;
    }
    const std::string_view new_stem = std::string_view(path).substr(0, base + module.name.size());
    if (keep_old(*found_[it->second], new_stem)) {
      if (shadowed_) shadowed_->push_back(module.path);
      return;
    }
    // kmod deletes the old module and adds the new one at the end.
    if (shadowed_) shadowed_->push_back(found_[it->second]->path);
    if (on_accepted_) on_accepted_(module.path);
    found_[it->second].reset();
    it->second = found_.size();
    found_.emplace_back(std::move(module));
  }

  const std::string& dirname_;
  const DepmodConfig& config_;
  DiagnosticSink& sink_;
  const std::function<void(const std::string&)>& on_accepted_;
  std::vector<std::string>* shadowed_;
  std::vector<std::optional<ModuleRecord>> found_;
  std::unordered_map<std::string, std::size_t> by_name_;
  std::vector<std::pair<dev_t, ino_t>> ancestors_;  // directories the walk is inside
};

}  // namespace

Result<std::vector<ModuleRecord>> find_modules(const std::string& dirname, const DepmodConfig& config,
                                              DiagnosticSink& sink,
                                              const std::function<void(const std::string&)>& on_accepted,
                                              std::vector<std::string>* shadowed) {
  ModuleSearch search(dirname, config, sink, on_accepted, shadowed);
  if (int code = search.walk_top(dirname); code != 0)
    return make_error(code, "could not open directory " + dirname);
  // An external directory that cannot be walked is reported and skipped, as
  // kmod does whatever the error.
  for (const std::string& ext : config.externals) search.walk_top(ext);
  return search.take();
}

}  // namespace kmodx::depmod
