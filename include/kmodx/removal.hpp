// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// What `modprobe -r <module>` does (KMOD-SPEC §9.5), as a library object:
/// post-softdeps, holders (with remove_holders), the module itself or its
/// remove command, the dependencies that became unused, then pre-softdeps.
///
/// One deliberate difference from kmod: kmod checks the dependencies once,
/// deepest first, and removes those whose refcount is 0 at that moment, so a
/// dependency still held by a shallower one that is removed later stays
/// loaded (after `modprobe -r iptable_filter`, x_tables). kmodx repeats the
/// pass while it removes something, so every dependency left unused goes.
///
/// Thread safety: one ModuleRemoval, with its resolver and backend, is used
/// by one thread at a time; it calls the hooks and the sink from that thread.

#include <functional>
#include <set>
#include <string>

#include "kmodx/export.hpp"
#include "kmodx/diag.hpp"
#include "kmodx/loader.hpp"
#include "kmodx/module_resolver.hpp"
#include "kmodx/result.hpp"

namespace kmodx {

struct KMODX_API RemovalFlags {
  bool remove_holders = false;   ///< --remove-holders: the modules that use it go first
  bool ignore_commands = false;  ///< -i: remove commands and softdeps are ignored
  bool ignore_loaded = false;    ///< -D: neither the loaded state nor the refcount is checked
  bool dry_run = false;          ///< -n / -D: nothing is removed
  bool first_time = false;       ///< --first-time: a module not loaded is an error
  bool force = false;            ///< -f: delete_module with O_TRUNC
  unsigned long wait_msec = 0;   ///< -w: retry a busy module this long (exponential back-off)
};

/// One step, as it is about to be carried out.
struct KMODX_API RemovalStep {
  enum class Action {
    rmmod,   ///< remove the module from the kernel
    remove,  ///< run its remove command
  };
  Action action = Action::rmmod;
  ModuleId module = 0;
  std::string name;
  std::string command;  ///< remove: the command, $CMDLINE_OPTS substituted

  /// The line kmod prints for it: "rmmod <name>\n" or "remove <command>\n".
  std::string describe() const;
};

struct KMODX_API RemovalHooks {
  /// Each step about to be carried out (kmod prints it with -v, -n, -D).
  std::function<void(const RemovalStep&)> print;
  /// kmod's LOG() lines that explain a failed removal ("Module x is not in
  /// kernel.", "... is in use.", "... is builtin.", "Error running remove
  /// command for x"). The removal goes on by its own rules (those of
  /// `modprobe -a`) when the hook returns; modprobe without -a ends there.
  std::function<void(const std::string&)> notice;
};

/// The removals of one run: what was removed is remembered across the
/// modules asked for, so a dependency shared by two is removed once.
class KMODX_API ModuleRemoval {
 public:
  ModuleRemoval(ModuleResolver& resolver, LoaderBackend& backend, RemovalFlags flags, RemovalHooks hooks,
                DiagnosticSink& sink);

  /// Removes \p id with its holders (if asked), softdeps and the
  /// dependencies left unused. Errors carry the errno of the failure that
  /// stopped it (ENOENT: not loaded or built in, EBUSY: in use, else the
  /// kernel's, or the exit status of a remove command); their messages went
  /// to the notice hook or the sink already.
  Result<void> remove(ModuleId id);

  /// Modules removed so far (in a dry run: that would have been).
  const std::set<std::string>& removed() const { return removed_; }

 private:
  enum Flag { kRemoveHolders = 1, kIgnoreBuiltin = 2 };
  const std::string& name(ModuleId id) { return resolver_.name(id); }
  long effective_refcnt(ModuleId id);
  int remove_list(const std::vector<ModuleId>& list, bool stop_on_errors);
  int remove_module(ModuleId id, int flags);
  int remove_module_once(ModuleId id, int flags);
  void remove_unused_dependencies(ModuleId id);
  int run_remove_command(ModuleId id, const std::string& command);
  int remove_from_kernel(ModuleId id);
  void notice(const std::string& message);

  ModuleResolver& resolver_;
  LoaderBackend& backend_;
  RemovalFlags flags_;
  RemovalHooks hooks_;
  DiagnosticSink& sink_;
  std::set<std::string> removed_;      // gone (or, in a dry run, would be)
  std::set<std::string> failed_;       // dependencies that could not be removed
  std::set<std::string> in_progress_;  // modules on the current removal path
};

}  // namespace kmodx
