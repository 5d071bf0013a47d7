// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// One modprobe run: its settings, the configuration and module lookup it
// works with, the loader backend (opened only when a mode needs the kernel's
// state), and kmod's printing rules. Insert mode and the query modes live in
// modprobe.cpp, remove mode in modprobe_remove.cpp.

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kmodx/loader.hpp"
#include "kmodx/modprobe_config.hpp"
#include "kmodx/module_resolver.hpp"
#include "tools/log.hpp"

namespace kmodx::tools {

struct ModprobeSettings {
  bool all = false, remove = false, remove_holders = false, first_time = false;
  bool ignore_commands = false, use_blacklist = false, force = false;
  bool force_modversion = false, force_vermagic = false;
  bool show_depends = false, lookup_only = false, show_config = false;
  bool show_modversions = false, show_exports = false, dry_run = false;
  unsigned long wait_msec = 0;
  std::vector<std::string> config_paths;  ///< -C, in order; empty: the defaults
  std::optional<std::string> root, version, backend;
  bool use_syslog = false;
  int verbose = static_cast<int>(Severity::warning);
};

class ModprobeSession {
 public:
  ModprobeSession(ModprobeSettings settings, ToolLog& log, std::string dirname);

  const ModprobeSettings& settings() const { return s_; }
  ToolLog& log() { return log_; }
  ModuleResolver& resolver() { return *resolver_; }
  const ModprobeConfig& config() const { return config_; }
  /// The backend, opened on first use; a failure to open it is FATAL.
  LoaderBackend& backend();

  /// kmod's LOG(): FATAL (exits) normally, WARNING with -a.
  void log_level_message(const std::string& message);
  /// Whether action lines are printed (-D, or -v).
  bool printing() const { return s_.show_depends || s_.verbose > static_cast<int>(Severity::warning); }
  /// SHOW(): printed when printing(), and flushed.
  void show(const std::string& line);

  /// Looks up an argument as modprobe does: a module file for "/…" and
  /// "./…", otherwise the full lookup. An empty list: nothing found; an
  /// error: the file is missing or the name is not a valid alias.
  Result<std::vector<ModuleId>> resolve_argument(const std::string& arg);

 private:
  ModprobeSettings s_;
  ToolLog& log_;
  std::string dirname_;
  ModprobeConfig config_;
  std::unique_ptr<ModuleResolver> resolver_;
  std::unique_ptr<LoaderBackend> backend_;
};

/// `modprobe -r`: every argument removed with its unused dependencies.
int modprobe_remove_all(ModprobeSession& session, const std::vector<std::string>& args);

}  // namespace kmodx::tools
