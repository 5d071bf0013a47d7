// SPDX-License-Identifier: LGPL-2.1-or-later
// libkmod.so.2: the kernel's side — loaded modules, their state, and
// insert, remove and probe — through the context's loader backend
// (KMODX_BACKEND=sim:DIR makes a client load into the simulated kernel).
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "kmodx/probe.hpp"
#include "libkmod/kmod_objects.hpp"
#include "libkmod/libkmod.h"
#include "util/libkmod_sites.hpp"

using kmodx::ModuleId;
using kmodx::libkmod::list_append;
using kmodx::libkmod::Lock;

namespace {

const std::string& name_of(const kmod_module* mod) { return mod->ctx->resolver->name(mod->id); }


}  // namespace

extern "C" {

KMOD_EXPORT int kmod_module_new_from_loaded(kmod_ctx* ctx, kmod_list** list) {
  if (ctx == nullptr || list == nullptr) return -ENOENT;
  Lock lock(ctx->mutex);
  kmodx::LoaderBackend* backend = ctx->loader();
  if (backend == nullptr) return -ENOSYS;
  auto loaded = backend->loaded_modules();
  if (!loaded) {
    ctx->sink.report_from(kmodx::Severity::error, kmodx::libkmod_site::new_from_loaded,
                          "could not open /proc/modules: " + std::string(std::strerror(loaded.error().code)));
    return -loaded.error().code;
  }
  kmod_list* out = nullptr;
  for (const kmodx::ProcModule& m : *loaded) out = list_append(out, ctx->handle(ctx->resolver->from_name(m.name)));
  *list = out;
  return 0;
}

KMOD_EXPORT const char* kmod_module_initstate_str(enum kmod_module_initstate state) {
  switch (state) {
    case KMOD_MODULE_BUILTIN: return "builtin";
    case KMOD_MODULE_LIVE: return "live";
    case KMOD_MODULE_COMING: return "coming";
    case KMOD_MODULE_GOING: return "going";
    default: return nullptr;
  }
}

KMOD_EXPORT int kmod_module_get_initstate(const kmod_module* mod) {
  if (mod == nullptr) return -ENOENT;
  Lock lock(mod->ctx->mutex);
  if (mod->ctx->resolver->is_builtin(mod->id)) return KMOD_MODULE_BUILTIN;
  kmodx::LoaderBackend* backend = mod->ctx->loader();
  if (backend == nullptr) return -ENOSYS;
  auto state = backend->initstate(name_of(mod));
  if (!state) {
    if (state.error().code == EINVAL)
      mod->ctx->sink.report_from(kmodx::Severity::error, kmodx::libkmod_site::get_initstate, state.error().detail);
    return -state.error().code;
  }
  switch (*state) {
    case kmodx::InitState::live: return KMOD_MODULE_LIVE;
    case kmodx::InitState::coming: return KMOD_MODULE_COMING;
    case kmodx::InitState::going: return KMOD_MODULE_GOING;
  }
  return -EINVAL;
}

KMOD_EXPORT long kmod_module_get_size(const kmod_module* mod) {
  if (mod == nullptr) return -ENOENT;
  Lock lock(mod->ctx->mutex);
  kmodx::LoaderBackend* backend = mod->ctx->loader();
  if (backend == nullptr) return -ENOSYS;
  auto size = backend->size(name_of(mod));
  return size ? *size : -size.error().code;
}

KMOD_EXPORT int kmod_module_get_refcnt(const kmod_module* mod) {
  if (mod == nullptr) return -ENOENT;
  Lock lock(mod->ctx->mutex);
  kmodx::LoaderBackend* backend = mod->ctx->loader();
  if (backend == nullptr) return -ENOSYS;
  auto count = backend->refcnt(name_of(mod));
  return count ? static_cast<int>(*count) : -count.error().code;
}

KMOD_EXPORT kmod_list* kmod_module_get_holders(const kmod_module* mod) {
  if (mod == nullptr) return nullptr;
  Lock lock(mod->ctx->mutex);
  kmodx::LoaderBackend* backend = mod->ctx->loader();
  if (backend == nullptr) return nullptr;
  auto holders = backend->holders(name_of(mod));
  if (!holders) {
    mod->ctx->sink.report_from(kmodx::Severity::error, kmodx::libkmod_site::get_holders, holders.error().detail);
    return nullptr;
  }
  kmod_list* out = nullptr;
  for (const std::string& h : *holders) out = list_append(out, mod->ctx->handle(mod->ctx->resolver->from_name(h)));
  return out;
}

KMOD_EXPORT kmod_list* kmod_module_get_sections(const kmod_module* mod) {
  if (mod == nullptr) return nullptr;
  Lock lock(mod->ctx->mutex);
  kmodx::LoaderBackend* backend = mod->ctx->loader();
  if (backend == nullptr) return nullptr;
  auto sections = backend->sections(name_of(mod));
  if (!sections) {
    mod->ctx->sink.report_from(kmodx::Severity::error, kmodx::libkmod_site::get_sections,
                               sections.error().detail);
    return nullptr;
  }
  kmod_list* out = nullptr;
  for (const kmodx::ModuleSection& s : *sections) {
    auto* e = static_cast<kmod_module_section*>(std::calloc(1, sizeof(kmod_module_section) + s.name.size() + 1));
    if (e == nullptr) {
      kmodx::libkmod::list_free(out, true);
      return nullptr;
    }
    e->address = s.address;
    std::memcpy(e->name, s.name.data(), s.name.size());
    out = list_append(out, e);
  }
  return out;
}

KMOD_EXPORT const char* kmod_module_section_get_name(const kmod_list* entry) {
  if (entry == nullptr) return nullptr;
  return static_cast<const kmod_module_section*>(entry->data)->name;
}

KMOD_EXPORT unsigned long kmod_module_section_get_address(const kmod_list* entry) {
  if (entry == nullptr) return static_cast<unsigned long>(-1);
  return static_cast<const kmod_module_section*>(entry->data)->address;
}

KMOD_EXPORT void kmod_module_section_free_list(kmod_list* list) { kmodx::libkmod::list_free(list, true); }

KMOD_EXPORT int kmod_module_insert_module(kmod_module* mod, unsigned int flags, const char* options) {
  if (mod == nullptr) return -ENOENT;
  Lock lock(mod->ctx->mutex);
  kmodx::ProbeStep step;
  step.module = mod->id;
  step.name = name_of(mod);
  step.action = kmodx::ProbeStep::Action::insmod;
  if (const auto& path = mod->ctx->resolver->path(mod->id)) step.path = *path;
  step.options = options != nullptr ? options : "";
  kmodx::ProbeFlags probe;
  probe.force_vermagic = (flags & KMOD_INSERT_FORCE_VERMAGIC) != 0;
  probe.force_modversion = (flags & KMOD_INSERT_FORCE_MODVERSION) != 0;
  auto inserted = kmodx::run_probe_step(step, mod->ctx->loader(), probe, mod->ctx->sink);
  return inserted ? 0 : -inserted.error().code;
}

KMOD_EXPORT int kmod_module_remove_module(kmod_module* mod, unsigned int flags) {
  if (mod == nullptr) return -ENOENT;
  Lock lock(mod->ctx->mutex);
  kmodx::LoaderBackend* backend = mod->ctx->loader();
  if (backend == nullptr) return -ENOSYS;
  auto removed = backend->remove(name_of(mod), (flags & KMOD_REMOVE_FORCE) != 0);
  if (removed) return 0;
  if (!(flags & KMOD_REMOVE_NOLOG))
    mod->ctx->sink.report_from(kmodx::Severity::error, kmodx::libkmod_site::remove_module,
                               "could not remove '" + name_of(mod) + "': " + std::strerror(removed.error().code));
  return -removed.error().code;
}

KMOD_EXPORT int kmod_module_probe_insert_module(kmod_module* mod, unsigned int flags, const char* extra_options,
                                                int (*run_install)(kmod_module* m, const char* cmdline, void* data),
                                                const void* data,
                                                void (*print_action)(kmod_module* m, bool install,
                                                                     const char* options)) {
  if (mod == nullptr) return -ENOENT;
  kmod_ctx* ctx = mod->ctx;
  Lock lock(ctx->mutex);
  kmodx::ModuleResolver& resolver = *ctx->resolver;
  kmodx::LoaderBackend* backend = ctx->loader();
  if (!(flags & KMOD_PROBE_IGNORE_LOADED) && kmodx::module_in_kernel(resolver, backend, mod->id, ctx->sink))
    return (flags & KMOD_PROBE_FAIL_ON_LOADED) ? -EEXIST : 0;
  kmodx::ProbeFlags probe;
  probe.ignore_commands = (flags & KMOD_PROBE_IGNORE_COMMAND) != 0;
  probe.ignore_loaded = (flags & KMOD_PROBE_IGNORE_LOADED) != 0;
  probe.dry_run = (flags & KMOD_PROBE_DRY_RUN) != 0;
  probe.first_time = (flags & KMOD_PROBE_FAIL_ON_LOADED) != 0;
  probe.force_vermagic = (flags & KMOD_PROBE_FORCE_VERMAGIC) != 0;
  probe.force_modversion = (flags & KMOD_PROBE_FORCE_MODVERSION) != 0;
  probe.blacklist_aliases = (flags & KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY) != 0;
  probe.use_blacklist = (flags & KMOD_PROBE_APPLY_BLACKLIST) != 0;
  probe.blacklist_all = (flags & KMOD_PROBE_APPLY_BLACKLIST_ALL) != 0;
  kmodx::ProbePlan plan = kmodx::plan_probe(resolver, mod->id, probe,
                                            extra_options != nullptr ? std::optional<std::string>(extra_options)
                                                                     : std::nullopt);
  // A probe the blacklist stopped returns the flag of the rule, positive.
  switch (plan.blacklisted) {
    case kmodx::ProbePlan::Blacklisted::no: break;
    case kmodx::ProbePlan::Blacklisted::alias: return KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY;
    case kmodx::ProbePlan::Blacklisted::all: return KMOD_PROBE_APPLY_BLACKLIST_ALL;
    case kmodx::ProbePlan::Blacklisted::named: return KMOD_PROBE_APPLY_BLACKLIST;
  }
  kmodx::ProbeHooks hooks;
  hooks.print_every_step = true;
  // The callbacks' handles are held until the probe ends, as libkmod's probe
  // list holds its modules: a last unref in between would reset the object
  // (ModuleResolver::forget) in the middle of the probe.
  std::vector<kmod_module*> held;
  struct Release {
    std::vector<kmod_module*>& handles;
    ~Release() {
      for (kmod_module* m : handles) kmod_module_unref(m);
    }
  } release{held};
  auto handle = [&](kmodx::ModuleId id) {
    kmod_module* m = ctx->handle(id);
    held.push_back(m);
    return m;
  };
  if (print_action != nullptr)
    hooks.print = [&](const kmodx::ProbeStep& step) {
      print_action(handle(step.module), step.action == kmodx::ProbeStep::Action::install, step.options.c_str());
    };
  if (run_install != nullptr)
    hooks.run_install = [&](const kmodx::ProbeStep& step, const std::string& command) {
      return run_install(handle(step.module), command.c_str(), const_cast<void*>(data));
    };
  // 0, or what run_install gave the last module, positive values too.
  auto probed = kmodx::execute_probe(plan, resolver, backend, probe, hooks, ctx->sink);
  return probed ? *probed : -probed.error().code;
}

}  // extern "C"
