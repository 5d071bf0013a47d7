// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// kmod's configuration file list, shared by depmod.d and modprobe.d: every
// `*.conf` file of the given directories (or a given file) in one list sorted
// by file name with strcmp, where a name already present keeps its first
// file — so earlier directories shadow later ones. The tools report the
// skipped entries in their own words, hence the callback.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kmodx {

struct ConfigFileEntry {
  std::string name;  ///< sort key: the file name
  std::string path;  ///< what is opened
};

enum class ConfigListEvent {
  unreadable_directory,  ///< opendir() failed (errno given)
  not_conf,              ///< a name not ending in ".conf" (or too short)
  nested_directory,      ///< a "*.conf" that is a directory
};

class ConfigFileList {
 public:
  using Reporter = std::function<void(ConfigListEvent, const std::string& dir, std::string_view name, int err)>;

  /// Adds \p path: a file under its base name, or a directory's entries.
  /// Paths that cannot be stat()ed are skipped silently, as kmod does. A
  /// directory entry that cannot be stat()ed (a dangling symlink, a loop)
  /// is listed like a file: kmod 30 does not look at fstatat()'s result
  /// there, so the entry fails where it is opened (silently for modprobe.d,
  /// "file parse …" for depmod.d).
  void add_path(const std::string& path, const Reporter& report);
  /// Adds one file under the sort key \p name.
  void insert(std::string name, std::string path);

  const std::vector<ConfigFileEntry>& files() const { return files_; }

 private:
  std::vector<ConfigFileEntry> files_;
};

}  // namespace kmodx
