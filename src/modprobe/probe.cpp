// SPDX-License-Identifier: LGPL-2.1-or-later
// Probe planning and execution, following libkmod's
// kmod_module_probe_insert_module() (KMOD-SPEC §8.5).
#include "kmodx/probe.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string_view>
#include <vector>

#include "util/libkmod_sites.hpp"

namespace kmodx {
namespace {

/// The probe list of libkmod: dependencies first, each module surrounded by
/// its softdeps; `visited` stops recursion through visit() only, so a module
/// can be listed more than once.
class ProbeListBuilder {
 public:
  explicit ProbeListBuilder(ModuleResolver& resolver) : resolver_(resolver) {}

  void visit(ModuleId m, bool required, bool ignorecmd) {
    if (visited_[m]) return;
    visited_[m] = true;
    std::vector<ModuleId> deps = resolver_.dependencies(m);
    if (required) {
      required_[m] = true;
      for (ModuleId d : deps) required_[d] = true;
    }
    for (ModuleId d : deps) with_softdeps(d);
    if (ignorecmd) {
      list_.push_back(m);
      resolver_.object(m).ignorecmd = true;
    } else {
      with_softdeps(m);
    }
  }

  const std::vector<ModuleId>& list() const { return list_; }
  bool required(ModuleId m) const {
    auto it = required_.find(m);
    return it != required_.end() && it->second;
  }

 private:
  void with_softdeps(ModuleId m) {
    auto [pre, post] = resolver_.softdeps(m);
    for (ModuleId s : pre) visit(s, false, false);
    list_.push_back(m);
    resolver_.object(m).ignorecmd = !pre.empty() || !post.empty();
    for (ModuleId s : post) visit(s, false, false);
  }

  ModuleResolver& resolver_;
  std::map<ModuleId, bool> visited_;
  std::map<ModuleId, bool> required_;
  std::vector<ModuleId> list_;
};

/// libkmod's module_options_concat(): config options get a trailing space
/// whether or not command-line options follow.
std::string concat_options(const std::optional<std::string>& config, const std::optional<std::string>& extra) {
  std::string out;
  if (config) out = *config + " ";
  if (extra) out += *extra;
  return out;
}

int do_install(const ProbeStep& step, DiagnosticSink& sink) {
  std::string command = substitute_cmdline_opts(step.command, step.options);
  int status = run_shell_command(command, step.name);
  if (status == -1) {
    sink.report_from(Severity::error, libkmod_site::command_do_exec,
                     "Could not run install command '" + command + "' for module " + step.name + ": " +
                         std::strerror(errno));
    return -EINVAL;
  }
  if (WEXITSTATUS(status) != 0) {
    sink.report_from(Severity::error, libkmod_site::command_do_status,
                     "Error running install command '" + command + "' for module " + step.name + ": retcode " +
                         std::to_string(WEXITSTATUS(status)));
    return -EINVAL;
  }
  return 0;
}

int do_insert(const ProbeStep& step, LoaderBackend& backend, const ProbeFlags& flags, DiagnosticSink& sink) {
  if (step.path.empty()) {
    sink.report_from(Severity::error, libkmod_site::insert_module_no_path,
                     "could not find module by name='" + step.name + "'");
    return -ENOENT;
  }
  InsertRequest request{step.path, step.options, flags.force_modversion, flags.force_vermagic};
  auto inserted = backend.insert(request);
  if (inserted) return 0;
  int code = inserted.error().code;
  sink.report_from(Severity::info, libkmod_site::insert_module_failed,
                   "Failed to insert module '" + step.path + "': " + std::strerror(code));
  return -code;
}

}  // namespace

std::string ProbeStep::describe() const {
  switch (action) {
    case Action::install: return "install " + command + " " + options + "\n";
    case Action::insmod: return "insmod " + path + " " + options + "\n";
    case Action::builtin: return "builtin " + name + "\n";
    case Action::none: return {};
  }
  return {};
}

ProbePlan plan_probe(ModuleResolver& resolver, ModuleId target, const ProbeFlags& flags,
                     const std::optional<std::string>& extra_options) {
  ProbePlan plan;
  plan.target = target;
  // The rule libkmod picks for the target (its flags, in its order), then
  // whether the target is listed; dependencies and softdeps only with
  // blacklist_all, below.
  const ModuleObject& object = resolver.object(target);
  using Blacklisted = ProbePlan::Blacklisted;
  const Blacklisted rule = !object.alias.empty() && flags.blacklist_aliases ? Blacklisted::alias
                           : flags.blacklist_all                             ? Blacklisted::all
                           : flags.use_blacklist                             ? Blacklisted::named
                                                                             : Blacklisted::no;
  if (rule != Blacklisted::no && resolver.config().is_blacklisted(object.name)) {
    plan.blacklisted = rule;
    return plan;
  }
  ProbeListBuilder builder(resolver);
  builder.visit(target, true, flags.ignore_commands);
  for (ModuleId m : builder.list()) {
    ProbeStep step;
    step.module = m;
    step.name = resolver.name(m);
    step.required = builder.required(m);
    step.is_target = m == target;
    step.options = concat_options(resolver.options(m), step.is_target ? extra_options : std::nullopt);
    auto command = resolver.install_command(m);
    if (command && !resolver.object(m).ignorecmd) {
      step.action = ProbeStep::Action::install;
      step.command = *command;
    } else if (const auto& path = resolver.path(m)) {
      step.action = ProbeStep::Action::insmod;
      step.path = *path;
    } else if (resolver.is_builtin(m)) {
      step.action = ProbeStep::Action::builtin;
    }
    plan.steps.push_back(std::move(step));
  }
  if (flags.blacklist_all) {
    std::erase_if(plan.steps, [&](const ProbeStep& s) { return resolver.config().is_blacklisted(s.name); });
    if (plan.steps.empty()) plan.blacklisted = Blacklisted::all;
  }
  return plan;
}

bool module_in_kernel(ModuleResolver& resolver, LoaderBackend* backend, ModuleId id, DiagnosticSink& sink) {
  if (resolver.is_builtin(id)) return true;
  return module_live(backend, resolver.name(id), sink);
}

bool module_live(LoaderBackend* backend, const std::string& name, DiagnosticSink& sink) {
  if (backend == nullptr) return false;
  auto state = backend->initstate(name);
  if (!state) {
    if (state.error().code == EINVAL)
      sink.report_from(Severity::error, libkmod_site::get_initstate, state.error().detail);
    else if (state.error().code != ENOENT)
      sink.report(Severity::error, state.error().detail);  // the backend itself failed (sim: locked, corrupt)
    return false;
  }
  return *state == InitState::live;
}

namespace {

// The error of a step or plan that failed with \p err (a negative errno);
// its messages went to the sink already.
Result<void> probe_result(int err, const std::string& name) {
  if (err >= 0) return {};
  return Error{-err, "could not insert " + name};
}

int run_step(const ProbeStep& step, LoaderBackend* backend, const ProbeFlags& flags, DiagnosticSink& sink) {
  if (step.action == ProbeStep::Action::install) return do_install(step, sink);
  return backend ? do_insert(step, *backend, flags, sink) : -ENOSYS;
}

int execute(const ProbePlan& plan, ModuleResolver& resolver, LoaderBackend* backend, const ProbeFlags& flags,
            const ProbeHooks& hooks, DiagnosticSink& sink) {
  if (plan.blacklisted != ProbePlan::Blacklisted::no) return 0;
  int err = 0;
  for (const ProbeStep& step : plan.steps) {
    if (!flags.ignore_loaded && module_in_kernel(resolver, backend, step.module, sink)) {
      err = -EEXIST;
    } else {
      if (hooks.print && (step.action != ProbeStep::Action::none || hooks.print_every_step)) hooks.print(step);
      if (flags.dry_run) {
      } else if (step.action == ProbeStep::Action::install && hooks.run_install) {
        err = hooks.run_install(step, substitute_cmdline_opts(step.command, step.options));
      } else {
        err = run_step(step, backend, flags, sink);
      }
    }
    if (err == -EEXIST && step.is_target && flags.first_time) break;
    if (err == -EEXIST || !step.required) err = 0;
    else if (err < 0) break;
  }
  return err;
}

}  // namespace

Result<int> execute_probe(const ProbePlan& plan, ModuleResolver& resolver, LoaderBackend* backend,
                          const ProbeFlags& flags, const ProbeHooks& hooks, DiagnosticSink& sink) {
  const int err = execute(plan, resolver, backend, flags, hooks, sink);
  if (auto failed = probe_result(err, resolver.name(plan.target)); !failed) return std::move(failed).take_error();
  return err;
}

Result<void> run_probe_step(const ProbeStep& step, LoaderBackend* backend, const ProbeFlags& flags,
                            DiagnosticSink& sink) {
  return probe_result(run_step(step, backend, flags, sink), step.name);
}

Result<void> probe_module(ModuleResolver& resolver, LoaderBackend* backend, ModuleId target, const ProbeFlags& flags,
                          const std::optional<std::string>& extra_options, const ProbeHooks& hooks,
                          DiagnosticSink& sink) {
  if (!flags.ignore_loaded && module_in_kernel(resolver, backend, target, sink))
    return flags.first_time ? Result<void>(Error{EEXIST, resolver.name(target) + " is already loaded"})
                            : Result<void>();
  ProbePlan plan = plan_probe(resolver, target, flags, extra_options);
  if (auto probed = execute_probe(plan, resolver, backend, flags, hooks, sink); !probed)
    return std::move(probed).take_error();
  return {};
}

std::string substitute_cmdline_opts(const std::string& command, const std::string& options) {
  static constexpr std::string_view kVariable = "$CMDLINE_OPTS";
  std::string out = command;
  // kmod rescans from the start after each replacement, so options that
  // themselves contain the variable would loop; it substitutes left to right
  // and so do we, without rescanning the inserted text.
  std::size_t at = 0;
  while ((at = out.find(kVariable, at)) != std::string::npos) {
    out.replace(at, kVariable.size(), options);
    at += options.size();
  }
  return out;
}

int run_shell_command(const std::string& command, const std::string& module) {
  // libkmod calls setenv() and system(); the variable goes into the child's
  // environment alone here, so the process's own is never written (no race
  // with threads that read it).
  static constexpr std::string_view kVariable = "MODPROBE_MODULE=";
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e)
    if (!std::string_view(*e).starts_with(kVariable)) env_strings.emplace_back(*e);
  env_strings.push_back(std::string(kVariable) + module);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string sh = "sh", dash_c = "-c", cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  pid_t pid = 0;
  if (::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv, envp.data()) != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

}  // namespace kmodx
