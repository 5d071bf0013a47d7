// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// What `modprobe <module>` does, as a value and its execution (KMOD-SPEC
/// §8.5): plan_probe() lists every step in kmod's order — dependencies
/// deepest first, softdeps around their module, the same module possibly
/// several times — with the action and the option string each step will
/// use; execute_probe() carries the plan out against a loader backend,
/// skipping what is already loaded and applying kmod's error rules. The
/// `--show-depends`, `-n` and `-v` lines are printed from the plan.
///
/// Thread safety: as the ModuleResolver and LoaderBackend passed in (one
/// thread at a time for each); run_shell_command() touches no process-wide
/// state and may run on any thread.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kmodx/export.hpp"
#include "kmodx/diag.hpp"
#include "kmodx/loader.hpp"
#include "kmodx/module_resolver.hpp"
#include "kmodx/result.hpp"

namespace kmodx {

struct KMODX_API ProbeFlags {
  bool ignore_commands = false;  ///< -i: the module's own install command and softdeps are ignored
  bool ignore_loaded = false;    ///< -D: plan and print as if nothing were loaded
  bool dry_run = false;          ///< -n / -D
  bool first_time = false;       ///< --first-time: EEXIST when already loaded
  bool force_modversion = false;
  bool force_vermagic = false;
  /// Where the blacklist applies (libkmod's KMOD_PROBE_APPLY_BLACKLIST*
  /// flags; modprobe: to aliases always, to the named module with -b).
  bool blacklist_aliases = true;  ///< ALIAS_ONLY: to a module found through an alias
  bool use_blacklist = false;     ///< -b / APPLY_BLACKLIST: to the module itself
  bool blacklist_all = false;     ///< APPLY_BLACKLIST_ALL: to every module of the plan
};

struct KMODX_API ProbeStep {
  enum class Action {
    install,  ///< run the install command
    insmod,   ///< load the module file
    builtin,  ///< built into the kernel: nothing to load
    none,     ///< no file and not built-in (e.g. an alias to a missing module)
  };
  ModuleId module = 0;
  std::string name;
  Action action = Action::none;
  std::string command;  ///< install: the command as configured ($CMDLINE_OPTS not substituted)
  std::string path;     ///< insmod: absolute path
  std::string options;  ///< the option string (config options, then command-line ones)
  bool required = false;  ///< the module or one of its dependencies (errors count)
  bool is_target = false; ///< the module that was asked for

  /// The line kmod prints for this step (`insmod <path> <options>`,
  /// `install <command> <options>`, `builtin <name>`), with its newline; empty
  /// for Action::none.
  std::string describe() const;
};

struct KMODX_API ProbePlan {
  /// Which rule of ProbeFlags stopped the probe (libkmod's order: alias,
  /// all, named); then nothing is done, and that is success.
  enum class Blacklisted { no, alias, all, named };
  ModuleId target = 0;
  Blacklisted blacklisted = Blacklisted::no;
  std::vector<ProbeStep> steps;
};

/// Builds the plan. \p extra_options are the command-line options that apply
/// to the target only.
KMODX_API ProbePlan plan_probe(ModuleResolver& resolver, ModuleId target, const ProbeFlags& flags,
                     const std::optional<std::string>& extra_options);

/// "In kernel" as libkmod decides it: built-in, or live per the backend.
/// The backend pointers below may be null only for a dry run that ignores
/// what is loaded (-D): then nothing asks the kernel.
KMODX_API bool module_in_kernel(ModuleResolver& resolver, LoaderBackend* backend, ModuleId id, DiagnosticSink& sink);
/// The part of module_in_kernel() that asks the backend: whether module
/// \p name is live there (false without a backend).
KMODX_API bool module_live(LoaderBackend* backend, const std::string& name, DiagnosticSink& sink);

struct KMODX_API ProbeHooks {
  /// Called with each step about to be carried out, when printing is on.
  std::function<void(const ProbeStep&)> print;
  /// Also for steps with Action::none (libkmod's print_action sees those;
  /// modprobe prints nothing for them).
  bool print_every_step = false;
  /// Runs an install command (\p command has $CMDLINE_OPTS substituted)
  /// instead of the shell: 0 or a negative errno (libkmod's run_install).
  std::function<int(const ProbeStep& step, const std::string& command)> run_install;
};

/// libkmod's kmod_module_probe_insert_module(): nothing when the target is
/// already in kernel (EEXIST with --first-time), else plan_probe() and carry
/// the plan out. Succeeds also when the module was already loaded or is
/// blacklisted; the error carries the errno of the first failure of a
/// required step (the kernel's, EINVAL for a failed install command, ENOSYS
/// without a backend), whose messages went to \p sink already.
KMODX_API Result<void> probe_module(ModuleResolver& resolver, LoaderBackend* backend, ModuleId target, const ProbeFlags& flags,
                          const std::optional<std::string>& extra_options, const ProbeHooks& hooks,
                          DiagnosticSink& sink);

/// Carries out one step of a plan, without asking whether it is loaded: its
/// install command, or the insertion of its file.
KMODX_API Result<void> run_probe_step(const ProbeStep& step, LoaderBackend* backend, const ProbeFlags& flags,
                            DiagnosticSink& sink);

/// Carries out a plan (the part of probe_module() after planning). On
/// success, the status libkmod's probe returns: 0, or the positive value a
/// run_install hook gave for the plan's last step when that step is
/// required.
KMODX_API Result<int> execute_probe(const ProbePlan& plan, ModuleResolver& resolver, LoaderBackend* backend,
                           const ProbeFlags& flags, const ProbeHooks& hooks, DiagnosticSink& sink);

/// `command` with every `$CMDLINE_OPTS` replaced by \p options.
KMODX_API std::string substitute_cmdline_opts(const std::string& command, const std::string& options);

/// Runs \p command with `/bin/sh -c` and MODPROBE_MODULE=\p module in its
/// environment, as libkmod's setenv() and system() do, but without writing
/// the process's own environment (so it may run beside other threads) and
/// without system()'s ignoring of SIGINT and SIGQUIT meanwhile. Returns the
/// wait status, or -1 when it could not run.
KMODX_API int run_shell_command(const std::string& command, const std::string& module);

}  // namespace kmodx
