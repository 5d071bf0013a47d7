// SPDX-License-Identifier: LGPL-2.1-or-later
// modprobe -r: each argument looked up, and each module it names removed by
// the library's ModuleRemoval (kmodx/removal.hpp); kmod's messages here.
#include <cerrno>

#include "kmodx/removal.hpp"
#include "tools/modprobe_session.hpp"

namespace kmodx::tools {
namespace {

// The session's backend, opened at its first use as before: a built-in
// module, or one with a remove command, never opens it.
class SessionBackend final : public LoaderBackend {
 public:
  explicit SessionBackend(ModprobeSession& session) : session_(session) {}
  std::string_view kind() const override { return session_.backend().kind(); }
  Result<void> insert(const InsertRequest& request) override { return session_.backend().insert(request); }
  Result<void> remove(std::string_view name, bool force) override { return session_.backend().remove(name, force); }
  Result<InitState> initstate(std::string_view name) override { return session_.backend().initstate(name); }
  Result<long> refcnt(std::string_view name) override { return session_.backend().refcnt(name); }
  Result<std::vector<std::string>> holders(std::string_view name) override { return session_.backend().holders(name); }
  Result<long> size(std::string_view name) override { return session_.backend().size(name); }
  Result<std::vector<ProcModule>> loaded_modules() override { return session_.backend().loaded_modules(); }

 private:
  ModprobeSession& session_;
};

}  // namespace

int modprobe_remove_all(ModprobeSession& session, const std::vector<std::string>& args) {
  const ModprobeSettings& s = session.settings();
  RemovalFlags flags;
  flags.remove_holders = s.remove_holders;
  flags.ignore_commands = s.ignore_commands;
  flags.ignore_loaded = s.show_depends;
  flags.dry_run = s.dry_run;
  flags.first_time = s.first_time;
  flags.force = s.force;
  flags.wait_msec = s.wait_msec;
  RemovalHooks hooks;
  hooks.print = [&session](const RemovalStep& step) {
    const bool rmmod = step.action == RemovalStep::Action::rmmod;
    session.show({rmmod ? "rmmod" : "remove", step.module, {}, {}, step.command}, step.describe());
  };
  // kmod's LOG(): the end of the run, or a warning with -a.
  hooks.notice = [&session](const std::string& message) { session.log_level_message(message); };

  SessionBackend backend(session);
  ModuleRemoval removal(session.resolver(), backend, flags, hooks, session.log());
  int err = 0;
  for (const std::string& arg : args) {
    auto found = session.resolver().lookup(arg);
    if (!found) {
      err = -found.error().code;
      continue;
    }
    int r = 0;
    if (found->empty()) {
      session.log_level_message("Module " + arg + " not found.");
      r = -ENOENT;
    }
    for (ModuleId id : *found) {
      auto removed = removal.remove(id);
      r = removed ? 0 : -removed.error().code;
      if (r < 0) break;
    }
    if (r < 0) err = r;
  }
  return err;
}

}  // namespace kmodx::tools
