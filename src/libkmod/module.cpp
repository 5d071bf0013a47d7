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

// A string kept in the handle for as long as it lives; null for none.
const char* keep(std::optional<std::string>& slot, const std::optional<std::string>& value) {
  slot = value;
  return slot ? slot->c_str() : nullptr;
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
// binaries linked against that library ask for this version.
KMOD_EXPORT int kmodx_new_from_name_lookup_libkmod5(kmod_ctx* ctx, const char* modname, kmod_module** mod) {
  return new_from_name_lookup(ctx, modname, mod);
}
__asm__(".symver kmodx_new_from_name_lookup_libkmod5,kmod_module_new_from_name_lookup@LIBKMOD_5");
__asm__(".symver kmod_module_new_from_name_lookup,kmod_module_new_from_name_lookup@@LIBKMOD_30");

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
    if (id.error().code == EEXIST)
      ctx->sink.report_from(kmodx::Severity::error, kmodx::libkmod_site::new_from_path,
                            id.error().detail);
    return -id.error().code;
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

KMOD_EXPORT int kmod_module_apply_filter(const kmod_ctx* c, enum kmod_filter filter_type, const kmod_list* input,
                                         kmod_list** output) {
  if (c == nullptr || output == nullptr) return -ENOENT;
  auto* ctx = const_cast<kmod_ctx*>(c);
  Lock lock(ctx->mutex);
  *output = nullptr;
  for (const kmod_list* l = input; l != nullptr; l = kmod_list_next(input, l)) {
    auto* mod = static_cast<kmod_module*>(l->data);
    const std::string& name = ctx->resolver->name(mod->id);
    if ((filter_type & KMOD_FILTER_BLACKLIST) && ctx->config.is_blacklisted(name)) continue;
    if ((filter_type & KMOD_FILTER_BUILTIN) && ctx->resolver->is_builtin(mod->id)) continue;
    *output = list_append(*output, kmod_module_ref(mod));
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
  return keep(m->install, mod->ctx->resolver->install_command(mod->id));
}

KMOD_EXPORT const char* kmod_module_get_remove_commands(const kmod_module* mod) {
  if (mod == nullptr) return nullptr;
  Lock lock(mod->ctx->mutex);
  auto* m = const_cast<kmod_module*>(mod);
  return keep(m->remove, mod->ctx->resolver->remove_command(mod->id));
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
  return keep(m->options, mod->ctx->resolver->options(mod->id));
}

KMOD_EXPORT const char* kmod_module_get_path(const kmod_module* mod) {
  if (mod == nullptr) return nullptr;
  Lock lock(mod->ctx->mutex);
  auto* m = const_cast<kmod_module*>(mod);
  return keep(m->path, mod->ctx->resolver->path(mod->id));
}

}  // extern "C"
