// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// modprobe.d configuration and the kernel command line (KMOD-SPEC §7).
///
/// ## Sources and precedence
/// The default search path is, in order, /etc/modprobe.d, /run/modprobe.d,
/// /usr/local/lib/modprobe.d, /usr/lib/modprobe.d and /lib/modprobe.d
/// (kmod master); `modprobe -C` replaces it. Every `*.conf` file of every
/// directory (a path naming a file is taken as is) goes into one list sorted by
/// file name; a name already in the list is dropped, so /etc shadows /run
/// shadows /usr/local/lib and so on. The module directory's `modules.softdep`
/// and `modules.weakdep` are put in the list first, so they shadow config files
/// of the same name. Files are parsed in list order, then the kernel command
/// line, whose entries therefore come last.
///
/// ## Line grammar
/// Logical lines as in src/util/line_reader.hpp. Commands: `alias PATTERN
/// MODULE`, `blacklist MODULE`, `options MODULE REST`, `install MODULE REST`,
/// `remove MODULE REST`, `softdep MODULE REST`, `weakdep MODULE REST`; module
/// names and alias patterns have `-` turned into `_` outside brackets. REST
/// starts right after the one blank that ended the module name. `include` and
/// `config` are reported as deprecated; anything else is a bad line, reported
/// with file and line, and parsing goes on.
///
/// ## The kernel command line
/// `module.param[=value]` words become `options module param[=value]`;
/// `modprobe.blacklist=a,b` adds blacklist entries (§7.4 has the exact state
/// machine, including bootloader quoting).
///
/// Thread safety: a loaded ModprobeConfig is a plain value; its const
/// queries may run on several threads. Loading calls the message sink from
/// the loading thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kmodx/export.hpp"
#include "kmodx/diag.hpp"
#include "kmodx/result.hpp"

namespace kmodx {

struct KMODX_API ConfigAlias {
  std::string pattern;  ///< fnmatch() pattern, normalised
  std::string module;   ///< normalised module name
};

/// `options`, `install` and `remove` entries: a module name and its text.
struct KMODX_API ConfigText {
  std::string module;
  std::string text;  ///< options (tabs made spaces, leading blanks kept) or shell command
};

/// A `softdep` or `weakdep` line. Dependency names are stored as written;
/// they are normalised when they are looked up.
struct KMODX_API ConfigDependencies {
  std::string module;
  std::vector<std::string> pre;   ///< softdep pre: list; empty for weakdep
  std::vector<std::string> post;  ///< softdep post: list; the list of a weakdep
  /// What `modprobe -c` prints after the module name. kmod renders it from
  /// the span of its token buffer, which mixes the two lists; see render().
  std::string rendered;
};

struct KMODX_API ModprobeConfig {
  std::vector<ConfigAlias> aliases;
  std::vector<std::string> blacklist;
  std::vector<ConfigText> options;
  std::vector<ConfigText> install;
  std::vector<ConfigText> remove;
  std::vector<ConfigDependencies> softdeps;
  std::vector<ConfigDependencies> weakdeps;

  bool is_blacklisted(std::string_view module) const;
  /// All options entries for \p module or \p alias (string equality), joined
  /// with single spaces; empty texts skipped (libkmod's get_options()).
  std::optional<std::string> options_for(std::string_view module, std::string_view alias) const;
  /// First install/remove entry whose pattern fnmatch()es the name.
  const ConfigText* install_for(std::string_view module) const;
  const ConfigText* remove_for(std::string_view module) const;
  /// First softdep/weakdep entry whose pattern matches (later ones are
  /// ignored, as in kmod).
  const ConfigDependencies* softdep_for(std::string_view module) const;
  const ConfigDependencies* weakdep_for(std::string_view module) const;

  /// `modprobe -c` text up to, not including, the index dump (§7.3).
  std::string render() const;
};

/// What goes wrong while reading configuration is reported to a
/// DiagnosticSink with report_from(Severity::error, <libkmod's site>, text),
/// as libkmod logs it (before a tool's own logging is set up, so tools print
/// these in libkmod's format):
///   "<file> line <n>: ignoring bad line starting with '<cmd>'"
///   "<file>: command <cmd> is deprecated and not parsed anymore"
///   "Directories inside directories are not supported: <dir>/<name>"
///   "opendir(<dir>): <strerror>"
///   "Ignoring bad option on kernel command line while parsing module name: '<m>'"

/// kmod master's default modprobe.d search path.
KMODX_API std::vector<std::string> default_modprobe_config_paths();

struct KMODX_API ConfigSources {
  std::vector<std::string> paths;  ///< directories or files, in precedence order
  std::string module_dir;          ///< where modules.softdep/modules.weakdep live; empty: none
  /// Kernel command line text; nullopt: none (missing /proc/cmdline).
  std::optional<std::string> kernel_cmdline;
};

/// Reads every source. Never fails: unreadable files are skipped and bad
/// lines reported, as libkmod does.
KMODX_API ModprobeConfig load_modprobe_config(const ConfigSources& sources, DiagnosticSink& messages);

/// Parses one file's text into \p config (exposed for tests and fuzzing).
KMODX_API void parse_modprobe_config_text(std::string_view text, const std::string& file_name, ModprobeConfig& config,
                                DiagnosticSink& messages);

/// Applies a kernel command line (§7.4) to \p config.
KMODX_API void parse_kernel_cmdline(std::string_view cmdline, ModprobeConfig& config, DiagnosticSink& messages);

/// The kernel command line as libkmod reads it: at most 4095 bytes of
/// /proc/cmdline (or of the file named by KMODX_PROC_CMDLINE, for tests);
/// nullopt when it cannot be read.
KMODX_API std::optional<std::string> read_kernel_cmdline();

}  // namespace kmodx
