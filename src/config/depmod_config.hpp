// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// depmod.d (KMOD-SPEC §4.2): which directories are searched, in which
// priority, which copies of a module override others, and which directory
// names are never entered.
//
// kmod builds every list by prepending, and the duplicate-module rule (§4.3)
// depends on that order, so the vectors here hold kmod's internal order: the
// reverse of the order in the configuration files.

#include <string>
#include <string_view>
#include <vector>

#include "kmodx/diag.hpp"

namespace kmodx::depmod {

struct SearchEntry {
  enum class Kind { directory, builtin, external };
  Kind kind = Kind::directory;
  std::string path;  ///< directory below the module directory (Kind::directory only)
};

struct DepmodConfig {
  std::vector<SearchEntry> search;     ///< `search`; just "updates" when no file has one
  std::vector<std::string> overrides;  ///< `override`: "<subdir>/<modname>"
  std::vector<std::string> externals;  ///< `external`: absolute directories
  std::vector<std::string> excludes;   ///< `exclude`: directory entry names to skip
};

/// Parses one file's text (\p path names it in messages), appending entries
/// in file order; load_depmod_config() turns the lists into kmod's order.
void parse_depmod_config_text(std::string_view text, const std::string& path, const std::string& kernel_version,
                              DepmodConfig& config, DiagnosticSink& sink);

/// kmod master's search path: /etc, /run, /usr/local/lib, /usr/lib, /lib.
std::vector<std::string> default_depmod_config_paths();

/// Collects the `*.conf` files of \p paths (a path that is a file counts as
/// one), sorted by file name with earlier paths shadowing later ones, and
/// parses them for kernel version \p kernel_version. Problems are reported
/// to \p sink with kmod's texts and never stop depmod.
DepmodConfig load_depmod_config(const std::vector<std::string>& paths, const std::string& kernel_version,
                                DiagnosticSink& sink);

}  // namespace kmodx::depmod
