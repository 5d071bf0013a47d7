// SPDX-License-Identifier: LGPL-2.1-or-later
// libkmod.so.2: module handles, lookups, dependencies, softdeps, filters and
// the configuration each module gets. Every answer comes from the
// context's ModuleResolver.
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kmodx/module_lookup.hpp"
#include "libkmod/kmod_objects.hpp"
#include "libkmod/libkmod.h"
#include "util/libkmod_sites.hpp"

using kmodx::ModuleId;
using kmodx::libkmod::list_append;
using kmodx::libkmod::Lock;

namespace {

kmod_list* append_handles(kmod_ctx& ctx, kmod_list* list, const std::vector<ModuleId>& ids) {
  for (ModuleId id : ids) list = list_append(list, ctx.handle(id));
  return list;
}

// A value computed once per handle, as libkmod computes each attribute
// once: the pointer handed out stays valid and unchanged while the handle
// lives, whichever thread asks.
template <class Compute>
const char* once(kmod_module::Cached& slot, Compute compute) {
  if (!slot.done) {
    slot.value = compute();
    slot.done = true;
  }
  return slot.value ? slot.value->c_str() : nullptr;
}

}  // namespace

extern "C" {

KMOD_EXPORT int kmod_module_new_from_lookup(kmod_ctx* ctx, const char* given_alias, kmod_list** list) {
  if (ctx == nullptr || given_alias == nullptr) return -ENOENT;
  Lock lock(ctx->mutex);
  if (list == nullptr || *list != nullptr) {
    ctx->sink.report_from(kmodx::Severity::error, kmodx::libkmod_site::new_from_lookup_list,
                          "An empty list is needed to create lookup");
    return -ENOSYS;
  }
  auto found = ctx->resolver->lookup(given_alias);
  if (!found) return -found.error().code;
  *list = append_handles(*ctx, nullptr, *found);
  return 0;
}

}  // extern "C"

namespace {

int new_from_name_lookup(kmod_ctx* ctx, const char* modname, kmod_module** mod) {
  if (ctx == nullptr || modname == nullptr || mod == nullptr) return -ENOENT;
  Lock lock(ctx->mutex);
  if (auto id = ctx->resolver->lookup_name(modname)) *mod = ctx->handle(*id);
  return 0;
}

}  // namespace

extern "C" {

KMOD_EXPORT int kmod_module_new_from_name_lookup(kmod_ctx* ctx, const char* modname, kmod_module** mod) {
  return new_from_name_lookup(ctx, modname, mod);
}

// Debian's kmod 30 exported it as kmod_module_new_from_name_lookup@LIBKMOD_5:
// binaries linked against that library ask for this version. (Only in the
// shared library: the fuzz target links these sources into a program.)
#ifdef KMODX_LIBKMOD_SHARED
KMOD_EXPORT int kmodx_new_from_name_lookup_libkmod5(kmod_ctx* ctx, const char* modname, kmod_module** mod) {
  return new_from_name_lookup(ctx, modname, mod);
}
__asm__(".symver kmodx_new_from_name_lookup_libkmod5,kmod_module_new_from_name_lookup@LIBKMOD_5");
__asm__(".symver kmod_module_new_from_name_lookup,kmod_module_new_from_name_lookup@@LIBKMOD_30");
#endif

KMOD_EXPORT int kmod_module_new_from_name(kmod_ctx* ctx, const char* name, kmod_module** mod) {
  if (ctx == nullptr || name == nullptr || mod == nullptr) return -ENOENT;
  Lock lock(ctx->mutex);
  *mod = ctx->handle(ctx->resolver->from_name(name));
  return 0;
}

KMOD_EXPORT int kmod_module_new_from_path(kmod_ctx* ctx, const char* path, kmod_module** mod) {
  if (ctx == nullptr || path == nullptr || mod == nullptr) return -ENOENT;
  Lock lock(ctx->mutex);
  struct stat st {};
  if (::stat(path, &st) != 0) return -errno;
  auto id = ctx->resolver->from_path(path);
  if (!id) {
    if (id.error().code != EEXIST) return -ENOENT;  // no module name in the path
    ctx->sink.report_from(kmodx::Severity::error, kmodx::libkmod_site::new_from_path, id.error().detail);
    return -EEXIST;
  }
  *mod = ctx->handle(*id);
  return 0;
}

KMOD_EXPORT kmod_module* kmod_module_ref(kmod_module* mod) {
  if (mod == nullptr) return nullptr;
  Lock lock(mod->ctx->mutex);
  ++mod->refcount;
  return mod;
}

KMOD_EXPORT kmod_module* kmod_module_unref(kmod_module* mod) {
  if (mod == nullptr) return nullptr;
  kmod_ctx* ctx = mod->ctx;
  {
    Lock lock(ctx->mutex);
    if (--mod->refcount > 0) return mod;
    ctx->handles.erase(mod->id);
    ctx->resolver->forget(mod->id);
    delete mod;
  }
  kmod_unref(ctx);
  return nullptr;
}

KMOD_EXPORT int kmod_module_unref_list(kmod_list* list) {
  for (const kmod_list* l = list; l != nullptr; l = kmod_list_next(list, l))
    kmod_module_unref(static_cast<kmod_module*>(l->data));
  kmodx::libkmod::list_free(list, false);
  return 0;
}

KMOD_EXPORT kmod_module* kmod_module_get_module(const kmod_list* entry) {
  if (entry == nullptr) return nullptr;
  return kmod_module_ref(static_cast<kmod_module*>(entry->data));
}

KMOD_EXPORT kmod_list* kmod_module_get_dependencies(const kmod_module* mod) {
  if (mod == nullptr) return nullptr;
  Lock lock(mod->ctx->mutex);
  return append_handles(*mod->ctx, nullptr, mod->ctx->resolver->dependencies(mod->id));
}

KMOD_EXPORT int kmod_module_get_softdeps(const kmod_module* mod, kmod_list** pre, kmod_list** post) {
  if (mod == nullptr || pre == nullptr || post == nullptr) return -ENOENT;
  Lock lock(mod->ctx->mutex);
  auto [before, after] = mod->ctx->resolver->softdeps(mod->id);
  *pre = append_handles(*mod->ctx, nullptr, before);
  *post = append_handles(*mod->ctx, nullptr, after);
  return 0;
}

KMOD_EXPORT int kmod_module_get_weakdeps(const kmod_module* mod, kmod_list** weak) {
  if (mod == nullptr || weak == nullptr) return -ENOENT;
  Lock lock(mod->ctx->mutex);
  *weak = append_handles(*mod->ctx, nullptr, mod->ctx->resolver->weakdeps(mod->id));
  return 0;
}

KMOD_EXPORT int kmod_module_apply_filter(const kmod_ctx* ctx, enum kmod_filter filter_type, const kmod_list* input,
                                         kmod_list** output) {
  if (ctx == nullptr || output == nullptr) return -ENOENT;
  *output = nullptr;
  // Each module is judged by its own context, as libkmod does.
  for (const kmod_list* l = input; l != nullptr; l = kmod_list_next(input, l)) {
    auto* mod = static_cast<kmod_module*>(l->data);
    bool keep = true;
    {
      Lock lock(mod->ctx->mutex);
      const std::string& name = mod->ctx->resolver->name(mod->id);
      if ((filter_type & KMOD_FILTER_BLACKLIST) && mod->ctx->config.is_blacklisted(name)) keep = false;
      if ((filter_type & KMOD_FILTER_BUILTIN) && mod->ctx->resolver->is_builtin(mod->id)) keep = false;
    }
    if (keep) *output = list_append(*output, kmod_module_ref(mod));
  }
  return 0;
}

KMOD_EXPORT int kmod_module_get_filtered_blacklist(const kmod_ctx* ctx, const kmod_list* input, kmod_list** output) {
  return kmod_module_apply_filter(ctx, KMOD_FILTER_BLACKLIST, input, output);
}

KMOD_EXPORT const char* kmod_module_get_install_commands(const kmod_module* mod) {
  if (mod == nullptr) return nullptr;
  Lock lock(mod->ctx->mutex);
  auto* m = const_cast<kmod_module*>(mod);
  return once(m->install, [&] { return mod->ctx->resolver->install_command(mod->id); });
}

KMOD_EXPORT const char* kmod_module_get_remove_commands(const kmod_module* mod) {
  if (mod == nullptr) return nullptr;
  Lock lock(mod->ctx->mutex);
  auto* m = const_cast<kmod_module*>(mod);
  return once(m->remove, [&] { return mod->ctx->resolver->remove_command(mod->id); });
}

KMOD_EXPORT const char* kmod_module_get_name(const kmod_module* mod) {
  if (mod == nullptr) return nullptr;
  Lock lock(mod->ctx->mutex);
  return mod->ctx->resolver->name(mod->id).c_str();
}

KMOD_EXPORT const char* kmod_module_get_options(const kmod_module* mod) {
  if (mod == nullptr) return nullptr;
  Lock lock(mod->ctx->mutex);
  auto* m = const_cast<kmod_module*>(mod);
  return once(m->options, [&] { return mod->ctx->resolver->options(mod->id); });
}

KMOD_EXPORT const char* kmod_module_get_path(const kmod_module* mod) {
  if (mod == nullptr) return nullptr;
  Lock lock(mod->ctx->mutex);
  // Looked up until known (libkmod's lazy path), then fixed.
  auto* m = const_cast<kmod_module*>(mod);
  if (m->path.done && !m->path.value) m->path.done = false;
  return once(m->path, [&] { return mod->ctx->resolver->path(mod->id); });
}

}  // extern "C"
