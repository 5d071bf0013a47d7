// SPDX-License-Identifier: LGPL-2.1-or-later
// modprobe -r (KMOD-SPEC §9.5): post-softdeps, holders (--remove-holders),
// the module or its remove command, the dependencies that became unused,
// then pre-softdeps.
//
// One deliberate difference from kmod: kmod checks the dependencies once,
// deepest first, and removes those whose refcount is 0 at that moment, so a
// dependency still held by a shallower one that is removed later stays
// loaded (after `modprobe -r iptable_filter`, x_tables). kmodx repeats the
// pass while it removes something, so every dependency left unused goes.
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "kmodx/probe.hpp"
#include "tools/modprobe_session.hpp"
#include "util/libkmod_sites.hpp"

namespace kmodx::tools {
namespace {

constexpr int kRemoveHolders = 1;
constexpr int kIgnoreBuiltin = 2;

unsigned long long now_msec() {
  timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<unsigned long long>(ts.tv_sec) * 1000 + static_cast<unsigned long long>(ts.tv_nsec) / 1000000;
}

void sleep_msec(unsigned long long ms) {
  timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>((ms % 1000) * 1000000)};
  while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

class Remover {
 public:
  explicit Remover(ModprobeSession& session) : session_(session), s_(session.settings()) {}

  int remove_argument(const std::string& arg) {
    auto found = session_.resolver().lookup(arg);
    if (!found) return -found.error().code;
    int err = 0;
    if (found->empty()) {
      session_.log_level_message("Module " + arg + " not found.");
      err = -ENOENT;
    }
    for (ModuleId id : *found) {
      err = remove_module(id, s_.remove_holders ? kRemoveHolders : 0);
      if (err < 0) break;
    }
    return err;
  }

 private:
  ModuleResolver& resolver() { return session_.resolver(); }
  LoaderBackend& backend() { return session_.backend(); }
  const std::string& name(ModuleId id) { return resolver().name(id); }

  /// refcnt minus the holders this run has already removed (they are still
  /// listed in a dry run).
  long effective_refcnt(ModuleId id) {
    auto count = backend().refcnt(name(id));
    if (!count) return -count.error().code;
    long value = *count;
    if (value > 0 && !removed_.empty())
      if (auto holders = backend().holders(name(id)))
        for (const std::string& h : *holders)
          if (removed_.count(h) != 0) --value;
    return value;
  }

  int remove_list(const std::vector<ModuleId>& list, bool stop_on_errors) {
    for (auto it = list.rbegin(); it != list.rend(); ++it) {
      int r = remove_module(*it, kIgnoreBuiltin);
      if (r < 0 && stop_on_errors) return r;
    }
    return 0;
  }

  int remove_module(ModuleId id, int flags) {
    // A softdep cycle (a post: b, b post: a) would recurse forever.
    if (!in_progress_.insert(name(id)).second) return 0;
    int err = remove_module_once(id, flags);
    in_progress_.erase(name(id));
    return err;
  }

  int remove_module_once(ModuleId id, int flags) {
    std::vector<ModuleId> pre, post;
    std::optional<std::string> cmd;
    if (!s_.ignore_commands) {
      std::tie(pre, post) = resolver().softdeps(id);
      cmd = resolver().remove_command(id);
    }
    // -D: like kmod, neither the loaded state nor the refcount is checked.
    const bool check_loaded = !s_.show_depends;
    if (!cmd && check_loaded) {
      if (resolver().is_builtin(id)) {
        if (flags & kIgnoreBuiltin) return 0;
        session_.log_level_message("Module " + name(id) + " is builtin.");
        return -ENOENT;
      }
      auto state = backend().initstate(name(id));
      if (!state && state.error().code == EINVAL)
        session_.log().report_from(Severity::error, libkmod_site::get_initstate,
                                   state.error().detail);
      else if (!state && state.error().code != ENOENT) {
        session_.log().error(state.error().detail);  // the backend itself failed
        return -state.error().code;
      }
      if (!state || removed_.count(name(id)) != 0) {
        if (!s_.first_time) return 0;
        session_.log_level_message("Module " + name(id) + " is not in kernel.");
        return -ENOENT;
      }
    }
    remove_list(post, false);
    if (flags & kRemoveHolders) {
      auto holders = backend().holders(name(id));
      std::vector<ModuleId> holder_ids;
      if (!holders)
        session_.log().report_from(Severity::error, libkmod_site::get_holders,
                                   holders.error().detail);
      else
        for (const std::string& h : *holders) holder_ids.push_back(resolver().from_name(h));
      if (int r = remove_list(holder_ids, true); r < 0) return r;
    }
    if (!cmd && check_loaded && s_.wait_msec == 0 && effective_refcnt(id) > 0) {
      session_.log_level_message("Module " + name(id) + " is in use.");
      return -EBUSY;
    }
    int err = cmd ? run_remove_command(id, *cmd) : remove_from_kernel(id);
    if (err < 0) return err;
    if (!cmd) remove_unused_dependencies(id);
    remove_list(pre, false);
    return 0;
  }

  /// kmod's single pass over the dependencies (deepest first), repeated
  /// while it removes something.
  void remove_unused_dependencies(ModuleId id) {
    std::vector<ModuleId> deps = resolver().dependencies(id);
    for (bool progress = true; progress;) {
      progress = false;
      for (ModuleId dep : deps) {
        if (removed_.count(name(dep)) != 0 || failed_.count(name(dep)) != 0 || effective_refcnt(dep) != 0) continue;
        if (remove_from_kernel(dep) == 0) progress = true;
        else failed_.insert(name(dep));  // one attempt (and one message) per dependency
      }
    }
  }

  int run_remove_command(ModuleId id, const std::string& command) {
    std::string cmd = substitute_cmdline_opts(command, "");
    session_.show({"remove", id, {}, {}, cmd}, "remove " + cmd + "\n");
    if (s_.dry_run) return 0;
    int status = run_shell_command(cmd, name(id));
    if (status == -1 || WEXITSTATUS(status) != 0) {
      session_.log_level_message("Error running remove command for " + name(id));
      if (status != -1) return -WEXITSTATUS(status);
      return -1;
    }
    return 0;
  }

  int remove_from_kernel(ModuleId id) {
    const std::string& n = name(id);
    session_.show({"rmmod", id, {}, {}, {}}, "rmmod " + n + "\n");
    if (s_.dry_run) {
      removed_.insert(n);
      return 0;
    }
    int err = 0;
    unsigned long long deadline = 0;
    unsigned long long step = 1;
    for (;;) {
      auto removed = backend().remove(n, s_.force);
      err = removed ? 0 : -removed.error().code;
      if (err != 0 && s_.wait_msec == 0)
        session_.log().report_from(Severity::error, libkmod_site::remove_module,
                                   "could not remove '" + n + "': " + std::strerror(-err));
      if (err != -EAGAIN || s_.wait_msec == 0) break;
      // --wait: exponential back-off until the deadline, then give up and
      // say so (kmod 30 could spin, or report a busy module as removed).
      unsigned long long now = now_msec();
      if (deadline == 0) deadline = now + std::min<unsigned long long>(s_.wait_msec, ~0ULL - now);
      if (now >= deadline) break;
      step = std::min(step * 2, deadline - now);
      sleep_msec(step);
    }
    if (err == -EEXIST) {
      if (!s_.first_time) return 0;
      session_.log_level_message("Module " + n + " is not in kernel.");
    }
    if (err < 0 && s_.wait_msec != 0)
      session_.log().error("could not remove '" + n + "': " + std::strerror(-err));
    if (err == 0) removed_.insert(n);
    return err;
  }

  ModprobeSession& session_;
  const ModprobeSettings& s_;
  std::set<std::string> removed_;      // gone (or, in a dry run, would be)
  std::set<std::string> failed_;       // dependencies that could not be removed
  std::set<std::string> in_progress_;  // modules on the current removal path
};

}  // namespace

int modprobe_remove_all(ModprobeSession& session, const std::vector<std::string>& args) {
  Remover remover(session);
  int err = 0;
  for (const std::string& arg : args)
    if (int r = remover.remove_argument(arg); r < 0) err = r;
  return err;
}

}  // namespace kmodx::tools
