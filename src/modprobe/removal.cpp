// SPDX-License-Identifier: LGPL-2.1-or-later
// ModuleRemoval (kmodx/removal.hpp): modprobe -r's order and kmod's error
// rules, against a loader backend.
#include "kmodx/removal.hpp"

#include <sys/wait.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <tuple>

#include "kmodx/probe.hpp"
#include "util/libkmod_sites.hpp"

namespace kmodx {
namespace {

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

}  // namespace

std::string RemovalStep::describe() const {
  return action == Action::rmmod ? "rmmod " + name + "\n" : "remove " + command + "\n";
}

ModuleRemoval::ModuleRemoval(ModuleResolver& resolver, LoaderBackend& backend, RemovalFlags flags,
                             RemovalHooks hooks, DiagnosticSink& sink)
    : resolver_(resolver), backend_(backend), flags_(flags), hooks_(std::move(hooks)), sink_(sink) {}

Result<void> ModuleRemoval::remove(ModuleId id) {
  const int err = remove_module(id, flags_.remove_holders ? kRemoveHolders : 0);
  if (err < 0) return Error{-err, "could not remove " + name(id)};
  return {};
}

void ModuleRemoval::notice(const std::string& message) {
  if (hooks_.notice) hooks_.notice(message);
}

long ModuleRemoval::effective_refcnt(ModuleId id) {
  auto count = backend_.refcnt(name(id));
  if (!count) return -count.error().code;
  long value = *count;
  if (value > 0 && !removed_.empty())
    if (auto holders = backend_.holders(name(id)))
      for (const std::string& h : *holders)
        if (removed_.count(h) != 0) --value;
  return value;
}

int ModuleRemoval::remove_list(const std::vector<ModuleId>& list, bool stop_on_errors) {
  for (auto it = list.rbegin(); it != list.rend(); ++it) {
    int r = remove_module(*it, kIgnoreBuiltin);
    if (r < 0 && stop_on_errors) return r;
  }
  return 0;
}

int ModuleRemoval::remove_module(ModuleId id, int flags) {
  // A softdep cycle (a post: b, b post: a) would recurse forever.
  if (!in_progress_.insert(name(id)).second) return 0;
  int err = remove_module_once(id, flags);
  in_progress_.erase(name(id));
  return err;
}

int ModuleRemoval::remove_module_once(ModuleId id, int flags) {
  std::vector<ModuleId> pre, post;
  std::optional<std::string> cmd;
  if (!flags_.ignore_commands) {
    std::tie(pre, post) = resolver_.softdeps(id);
    cmd = resolver_.remove_command(id);
  }
  // -D: like kmod, neither the loaded state nor the refcount is checked.
  const bool check_loaded = !flags_.ignore_loaded;
  if (!cmd && check_loaded) {
    if (resolver_.is_builtin(id)) {
      if (flags & kIgnoreBuiltin) return 0;
      notice("Module " + name(id) + " is builtin.");
      return -ENOENT;
    }
    auto state = backend_.initstate(name(id));
    if (!state && state.error().code == EINVAL)
      sink_.report_from(Severity::error, libkmod_site::get_initstate,
                                 state.error().detail);
    else if (!state && state.error().code != ENOENT) {
      sink_.report(Severity::error, state.error().detail);  // the backend itself failed
      return -state.error().code;
    }
    if (!state || removed_.count(name(id)) != 0) {
      if (!flags_.first_time) return 0;
      notice("Module " + name(id) + " is not in kernel.");
      return -ENOENT;
    }
  }
  remove_list(post, false);
  if (flags & kRemoveHolders) {
    auto holders = backend_.holders(name(id));
    std::vector<ModuleId> holder_ids;
    if (!holders)
      sink_.report_from(Severity::error, libkmod_site::get_holders,
                                 holders.error().detail);
    else
      for (const std::string& h : *holders) holder_ids.push_back(resolver_.from_name(h));
    if (int r = remove_list(holder_ids, true); r < 0) return r;
  }
  if (!cmd && check_loaded && flags_.wait_msec == 0 && effective_refcnt(id) > 0) {
    notice("Module " + name(id) + " is in use.");
    return -EBUSY;
  }
  int err = cmd ? run_remove_command(id, *cmd) : remove_from_kernel(id);
  if (err < 0) return err;
  if (!cmd) remove_unused_dependencies(id);
  remove_list(pre, false);
  return 0;
}

// kmod's single pass over the dependencies (deepest first), repeated while
// it removes something.
void ModuleRemoval::remove_unused_dependencies(ModuleId id) {
  std::vector<ModuleId> deps = resolver_.dependencies(id);
  for (bool progress = true; progress;) {
    progress = false;
    for (ModuleId dep : deps) {
      if (removed_.count(name(dep)) != 0 || failed_.count(name(dep)) != 0 || effective_refcnt(dep) != 0) continue;
      if (remove_from_kernel(dep) == 0) progress = true;
      else failed_.insert(name(dep));  // one attempt (and one message) per dependency
    }
  }
}

int ModuleRemoval::run_remove_command(ModuleId id, const std::string& command) {
  std::string cmd = substitute_cmdline_opts(command, "");
  if (hooks_.print) hooks_.print({RemovalStep::Action::remove, id, name(id), cmd});
  if (flags_.dry_run) return 0;
  int status = run_shell_command(cmd, name(id));
  if (status == -1 || WEXITSTATUS(status) != 0) {
    notice("Error running remove command for " + name(id));
    if (status != -1) return -WEXITSTATUS(status);
    return -1;
  }
  return 0;
}

int ModuleRemoval::remove_from_kernel(ModuleId id) {
  const std::string& n = name(id);
  if (hooks_.print) hooks_.print({RemovalStep::Action::rmmod, id, n, {}});
  if (flags_.dry_run) {
    removed_.insert(n);
    return 0;
  }
  int err = 0;
  unsigned long long deadline = 0;
  unsigned long long step = 1;
  for (;;) {
    auto removed = backend_.remove(n, flags_.force);
    err = removed ? 0 : -removed.error().code;
    if (err != 0 && flags_.wait_msec == 0)
      sink_.report_from(Severity::error, libkmod_site::remove_module,
                                 "could not remove '" + n + "': " + std::strerror(-err));
    if (err != -EAGAIN || flags_.wait_msec == 0) break;
    // --wait: exponential back-off until the deadline, then give up and
    // say so (kmod 30 could spin, or report a busy module as removed).
    unsigned long long now = now_msec();
    if (deadline == 0) deadline = now + std::min<unsigned long long>(flags_.wait_msec, ~0ULL - now);
    if (now >= deadline) break;
    step = std::min(step * 2, deadline - now);
    sleep_msec(step);
  }
  if (err == -EEXIST) {
    if (!flags_.first_time) return 0;
    notice("Module " + n + " is not in kernel.");
  }
  if (err < 0 && flags_.wait_msec != 0)
    sink_.report(Severity::error, "could not remove '" + n + "': " + std::strerror(-err));
  if (err == 0) removed_.insert(n);
  return err;
}

}  // namespace kmodx
