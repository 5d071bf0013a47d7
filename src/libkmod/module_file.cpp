// SPDX-License-Identifier: LGPL-2.1-or-later
// libkmod.so.2: what a module's file holds — .modinfo and the signature,
// __versions, exported and needed symbols — read by libkmodx's ELF reader,
// handed out in libkmod's entry layouts (kmod_objects.hpp).
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kmodx/module_elf.hpp"
#include "kmodx/module_image.hpp"
#include "kmodx/module_info.hpp"
#include "libkmod/kmod_objects.hpp"
#include "libkmod/libkmod.h"

using kmodx::libkmod::list_append;
using kmodx::libkmod::Lock;

namespace {

// Reads the module's file and hands its ELF to \p use; a negative errno when
// there is no file or it cannot be read (reported as libkmod does not:
// libkmod returns errno silently here too).
template <class Use>
int with_elf(const kmod_module* mod, Use use) {
  const std::optional<std::string>& path = mod->ctx->resolver->path(mod->id);
  if (!path) return -ENOENT;
  // Mapped, not read into the thread's reused buffer: a client process
  // (dracut-install forks cp for every file) stays small.
  kmodx::OpenOptions options;
  options.map_file = true;
  auto image = kmodx::ModuleImage::open(*path, options);
  if (!image) return -image.error().code;
  auto elf = kmodx::ModuleElf::parse(image->bytes(), *path);
  if (!elf) return -elf.error().code;
  return use(*elf, image->bytes());
}

template <class Entry>
Entry* new_entry(std::size_t extra) {
  return static_cast<Entry*>(std::calloc(1, sizeof(Entry) + extra + 1));
}

// The appenders leave the list as it was and return false when memory
// runs out; the caller then frees it and fails with ENOMEM.
bool append_info(kmod_list*& list, const std::string& key, const std::string& value) {
  auto* info = new_entry<kmod_module_info>(value.size() + key.size() + 1);
  if (info == nullptr) return false;
  std::memcpy(info->value, value.data(), value.size());
  info->value[value.size()] = '\0';
  info->key = info->value + value.size() + 1;
  std::memcpy(info->key, key.data(), key.size());
  info->key[key.size()] = '\0';
  list = list_append(list, info);
  return true;
}

template <class Entry>
bool append_symbol(kmod_list*& list, std::string_view name, std::uint64_t crc) {
  auto* e = new_entry<Entry>(name.size());
  if (e == nullptr) return false;
  e->crc = crc;
  std::memcpy(e->symbol, name.data(), name.size());
  list = list_append(list, e);
  return true;
}

int out_of_memory(kmod_list** list) {
  kmodx::libkmod::list_free(*list, true);
  *list = nullptr;
  return -ENOMEM;
}

// libkmod reports a missing section as ENOENT where libkmodx says ENODATA.
int missing_is_enoent(int code) { return code == ENODATA ? ENOENT : code; }

char bind_char(kmodx::SymbolBind bind) {
  switch (bind) {
    case kmodx::SymbolBind::undefined: return KMOD_SYMBOL_UNDEF;
    case kmodx::SymbolBind::global: return KMOD_SYMBOL_GLOBAL;
    case kmodx::SymbolBind::weak: return KMOD_SYMBOL_WEAK;
    case kmodx::SymbolBind::local: return KMOD_SYMBOL_LOCAL;
  }
  return KMOD_SYMBOL_NONE;
}

template <class Entry>
const Entry* data_of(const kmod_list* entry) {
  return entry == nullptr ? nullptr : static_cast<const Entry*>(entry->data);
}

}  // namespace

extern "C" {

KMOD_EXPORT int kmod_module_get_info(const kmod_module* mod, kmod_list** list) {
  if (mod == nullptr || list == nullptr) return -ENOENT;
  Lock lock(mod->ctx->mutex);
  kmodx::Result<std::vector<kmodx::InfoField>> fields = kmodx::make_error(ENOENT, "");
  if (mod->ctx->resolver->is_builtin(mod->id)) {
    fields = kmodx::read_builtin_info(mod->ctx->dirname + "/modules.builtin.modinfo", mod->ctx->resolver->name(mod->id));
    // kmod 30: a built-in module without records is ENOSYS.
    if (fields && fields->empty()) return -ENOSYS;
  } else {
    int err = with_elf(mod, [&](const kmodx::ModuleElf&, std::span<const std::byte> bytes) {
      fields = kmodx::read_module_info(bytes, *mod->ctx->resolver->path(mod->id));
      return 0;
    });
    if (err < 0) return err;
  }
  if (!fields) return -fields.error().code;
  int count = 0;
  for (const kmodx::InfoField& f : *fields) {
    if (f.key == "build-id") continue;  // kmodx's modinfo -F build-id; not in libkmod's list
    if (!append_info(*list, f.key, f.value)) return out_of_memory(list);
    ++count;
  }
  return count;
}

KMOD_EXPORT const char* kmod_module_info_get_key(const kmod_list* entry) {
  auto* info = data_of<kmod_module_info>(entry);
  return info ? info->key : nullptr;
}

KMOD_EXPORT const char* kmod_module_info_get_value(const kmod_list* entry) {
  auto* info = data_of<kmod_module_info>(entry);
  return info ? info->value : nullptr;
}

KMOD_EXPORT void kmod_module_info_free_list(kmod_list* list) { kmodx::libkmod::list_free(list, true); }

KMOD_EXPORT int kmod_module_get_versions(const kmod_module* mod, kmod_list** list) {
  if (mod == nullptr || list == nullptr) return -ENOENT;
  Lock lock(mod->ctx->mutex);
  return with_elf(mod, [&](const kmodx::ModuleElf& elf, std::span<const std::byte>) {
    auto versions = elf.versions();
    if (!versions) return -missing_is_enoent(versions.error().code);
    for (const kmodx::ModVersion& v : *versions)
      if (!append_symbol<kmod_module_version>(*list, v.name, v.crc)) return out_of_memory(list);
    return static_cast<int>(versions->size());
  });
}

KMOD_EXPORT const char* kmod_module_version_get_symbol(const kmod_list* entry) {
  auto* e = data_of<kmod_module_version>(entry);
  return e ? e->symbol : nullptr;
}

KMOD_EXPORT uint64_t kmod_module_version_get_crc(const kmod_list* entry) {
  auto* e = data_of<kmod_module_version>(entry);
  return e ? e->crc : 0;
}

KMOD_EXPORT void kmod_module_versions_free_list(kmod_list* list) { kmodx::libkmod::list_free(list, true); }

KMOD_EXPORT int kmod_module_get_symbols(const kmod_module* mod, kmod_list** list) {
  if (mod == nullptr || list == nullptr) return -ENOENT;
  Lock lock(mod->ctx->mutex);
  return with_elf(mod, [&](const kmodx::ModuleElf& elf, std::span<const std::byte>) {
    auto symbols = elf.exports();
    if (!symbols) return -missing_is_enoent(symbols.error().code);
    for (const kmodx::ModuleSymbol& s : *symbols)
      if (!append_symbol<kmod_module_symbol>(*list, s.name, s.crc)) return out_of_memory(list);
    return static_cast<int>(symbols->size());
  });
}

// Also reads dependency-symbol entries as libkmod does (the bytes after the
// CRC): dracut-install relies on it.
KMOD_EXPORT const char* kmod_module_symbol_get_symbol(const kmod_list* entry) {
  auto* e = data_of<kmod_module_symbol>(entry);
  return e ? e->symbol : nullptr;
}

KMOD_EXPORT uint64_t kmod_module_symbol_get_crc(const kmod_list* entry) {
  auto* e = data_of<kmod_module_symbol>(entry);
  return e ? e->crc : 0;
}

KMOD_EXPORT void kmod_module_symbols_free_list(kmod_list* list) { kmodx::libkmod::list_free(list, true); }

KMOD_EXPORT int kmod_module_get_dependency_symbols(const kmod_module* mod, kmod_list** list) {
  if (mod == nullptr || list == nullptr) return -ENOENT;
  Lock lock(mod->ctx->mutex);
  return with_elf(mod, [&](const kmodx::ModuleElf& elf, std::span<const std::byte>) {
    auto needs = elf.dependencies();
    if (!needs) return -needs.error().code;
    for (const kmodx::ModuleSymbol& s : *needs) {
      auto* e = new_entry<kmod_module_dependency_symbol>(s.name.size());
      if (e == nullptr) return out_of_memory(list);
      e->crc = s.crc;
      e->bind = static_cast<std::uint8_t>(bind_char(s.bind));
      std::memcpy(e->symbol, s.name.data(), s.name.size());
      *list = list_append(*list, e);
    }
    return static_cast<int>(needs->size());
  });
}

KMOD_EXPORT const char* kmod_module_dependency_symbol_get_symbol(const kmod_list* entry) {
  auto* e = data_of<kmod_module_dependency_symbol>(entry);
  return e ? e->symbol : nullptr;
}

KMOD_EXPORT uint64_t kmod_module_dependency_symbol_get_crc(const kmod_list* entry) {
  auto* e = data_of<kmod_module_dependency_symbol>(entry);
  return e ? e->crc : 0;
}

KMOD_EXPORT int kmod_module_dependency_symbol_get_bind(const kmod_list* entry) {
  auto* e = data_of<kmod_module_dependency_symbol>(entry);
  return e ? e->bind : 0;
}

KMOD_EXPORT void kmod_module_dependency_symbols_free_list(kmod_list* list) { kmodx::libkmod::list_free(list, true); }

}  // extern "C"
