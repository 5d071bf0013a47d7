// SPDX-License-Identifier: LGPL-2.1-or-later
// libkmod.so.2: iterators over the context's configuration, in the order
// libkmod keeps each kind (the order `modprobe -c` prints).
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "libkmod/kmod_objects.hpp"
#include "libkmod/libkmod.h"

extern "C" {

// A snapshot of one kind of entry: key and value strings that live as long
// as the iterator. `position` is 0 before the first kmod_config_iter_next().
struct kmod_config_iter {
  std::vector<std::pair<std::string, std::optional<std::string>>> entries;
  std::size_t position = 0;
};

}  // extern "C"

namespace {

enum class Kind { blacklist, install, remove, alias, option, softdep, weakdep };

kmod_config_iter* make_iter(const kmod_ctx* c, Kind kind) {
  if (c == nullptr) return nullptr;
  auto* ctx = const_cast<kmod_ctx*>(c);
  kmodx::libkmod::Lock lock(ctx->mutex);
  const kmodx::ModprobeConfig& config = ctx->config;
  auto* iter = new kmod_config_iter;
  auto& out = iter->entries;
  switch (kind) {
    case Kind::blacklist:
      for (const std::string& m : config.blacklist) out.emplace_back(m, std::nullopt);
      break;
    case Kind::install:
      for (const kmodx::ConfigText& t : config.install) out.emplace_back(t.module, t.text);
      break;
    case Kind::remove:
      for (const kmodx::ConfigText& t : config.remove) out.emplace_back(t.module, t.text);
      break;
    case Kind::alias:
      for (const kmodx::ConfigAlias& a : config.aliases) out.emplace_back(a.pattern, a.module);
      break;
    case Kind::option:
      for (const kmodx::ConfigText& t : config.options) out.emplace_back(t.module, t.text);
      break;
    case Kind::softdep:
      for (const kmodx::ConfigDependencies& d : config.softdeps) out.emplace_back(d.module, d.rendered);
      break;
    case Kind::weakdep:
      for (const kmodx::ConfigDependencies& d : config.weakdeps) out.emplace_back(d.module, d.rendered);
      break;
  }
  return iter;
}

}  // namespace

extern "C" {

KMOD_EXPORT kmod_config_iter* kmod_config_get_blacklists(const kmod_ctx* ctx) {
  return make_iter(ctx, Kind::blacklist);
}
KMOD_EXPORT kmod_config_iter* kmod_config_get_install_commands(const kmod_ctx* ctx) {
  return make_iter(ctx, Kind::install);
}
KMOD_EXPORT kmod_config_iter* kmod_config_get_remove_commands(const kmod_ctx* ctx) {
  return make_iter(ctx, Kind::remove);
}
KMOD_EXPORT kmod_config_iter* kmod_config_get_aliases(const kmod_ctx* ctx) { return make_iter(ctx, Kind::alias); }
KMOD_EXPORT kmod_config_iter* kmod_config_get_options(const kmod_ctx* ctx) { return make_iter(ctx, Kind::option); }
KMOD_EXPORT kmod_config_iter* kmod_config_get_softdeps(const kmod_ctx* ctx) { return make_iter(ctx, Kind::softdep); }
KMOD_EXPORT kmod_config_iter* kmod_config_get_weakdeps(const kmod_ctx* ctx) { return make_iter(ctx, Kind::weakdep); }

KMOD_EXPORT const char* kmod_config_iter_get_key(const kmod_config_iter* iter) {
  if (iter == nullptr || iter->position == 0) return nullptr;
  return iter->entries[iter->position - 1].first.c_str();
}

KMOD_EXPORT const char* kmod_config_iter_get_value(const kmod_config_iter* iter) {
  if (iter == nullptr || iter->position == 0) return nullptr;
  const auto& value = iter->entries[iter->position - 1].second;
  return value ? value->c_str() : nullptr;
}

// Recycles: after the end, the next call starts over, as libkmod's does.
KMOD_EXPORT bool kmod_config_iter_next(kmod_config_iter* iter) {
  if (iter == nullptr) return false;
  if (iter->position == 0) iter->position = iter->entries.empty() ? 0 : 1;
  else iter->position = iter->position < iter->entries.size() ? iter->position + 1 : 0;
  return iter->position != 0;
}

KMOD_EXPORT void kmod_config_iter_free_iter(kmod_config_iter* iter) { delete iter; }

}  // extern "C"
