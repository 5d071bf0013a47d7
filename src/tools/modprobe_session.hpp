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
  bool json = false, graph = false;  ///< --json (with -D or -n), --graph (with -D)
  unsigned long wait_msec = 0;
  unsigned parallel = 0;  ///< --parallel[=N]: jobs for loading (0: sequential)
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
  /// Another backend of the same kind and state, with messages to \p sink
  /// (one per --parallel worker).
  Result<std::unique_ptr<LoaderBackend>> open_backend(DiagnosticSink& sink) const;

  /// kmod's LOG(): FATAL (exits) normally, WARNING with -a.
  void log_level_message(const std::string& message);
  /// Whether action lines are printed (-D, or -v).
  bool printing() const { return s_.show_depends || s_.verbose > static_cast<int>(Severity::warning); }
  /// One action of a plan (-D, -n, -v): `kind` is "insmod", "install",
  /// "builtin", "rmmod" or "remove"; \p line is kmod's text for it.
  struct Action {
    std::string kind;
    ModuleId module = 0;
    std::string path, options, command;
  };
  /// SHOW(): \p line printed when printing(), and flushed; with --json or
  /// --graph the action is recorded instead, for finish_output().
  void show(const Action& action, const std::string& line);
  /// Whether actions are wanted at all: printing(), --json or --graph.
  bool recording() const { return printing() || s_.json || s_.graph; }
  /// Prints the --json document or the --graph DOT of what show() recorded.
  void finish_output();

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
  std::vector<Action> recorded_;
};

/// `modprobe -r`: every argument removed with its unused dependencies.
int modprobe_remove_all(ModprobeSession& session, const std::vector<std::string>& args);

}  // namespace kmodx::tools
