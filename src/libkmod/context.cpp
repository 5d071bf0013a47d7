// SPDX-License-Identifier: LGPL-2.1-or-later
// libkmod.so.2: the library context (kmod_new ... kmod_dump_index), its log
// and its lists.
#include <sys/stat.h>
#include <sys/utsname.h>
#include <syslog.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <map>
#include <optional>
#include <new>

#include "kmodx/index.hpp"
#include "libkmod/kmod_objects.hpp"
#include "libkmod/libkmod.h"

using kmodx::libkmod::Lock;

namespace kmodx::libkmod {
namespace {

// libkmod's log_priority(): a number, or the start of a priority name.
int priority_from_text(const char* text) {
  char* end = nullptr;
  long n = std::strtol(text, &end, 10);
  if (end != text && (*end == '\0' || std::isspace(static_cast<unsigned char>(*end)))) return static_cast<int>(n);
  if (std::strncmp(text, "err", 3) == 0) return LOG_ERR;
  if (std::strncmp(text, "info", 4) == 0) return LOG_INFO;
  if (std::strncmp(text, "debug", 5) == 0) return LOG_DEBUG;
  return 0;
}

// Debian's libkmod is built with debugging: its default log names the
// source line.
void log_to_stderr(void*, int priority, const char* file, int line, const char* fn, const char* format,
                   va_list args) {
  static const char* const kNames[] = {"EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG"};
  char buf[16];
  const char* name = kNames[0];
  if (priority >= 0 && priority < 8) name = kNames[priority];
  else {
    std::snprintf(buf, sizeof buf, "L:%d", priority);
    name = buf;
  }
  std::fprintf(stderr, "libkmod: %s %s:%d %s: ", name, file, line, fn);
  std::vfprintf(stderr, format, args);
}

void call_log(kmod_log_fn fn, void* data, int priority, const char* file, int line, const char* function,
              const char* format, ...) {
  va_list args;
  va_start(args, format);
  fn(data, priority, file, line, function, format, args);
  va_end(args);
}

}  // namespace

void log(kmod_ctx& ctx, int priority, std::string_view site, std::string_view message) {
  if (priority > ctx.log_priority) return;
  // site: "<file>:<line> <function>"
  std::string file, function;
  int line = 0;
  if (auto space = site.find(' '); space != std::string_view::npos) {
    function = std::string(site.substr(space + 1));
    std::string_view where = site.substr(0, space);
    auto colon = where.rfind(':');
    file = "../libkmod/" + std::string(where.substr(0, colon));
    if (colon != std::string_view::npos) line = std::atoi(std::string(where.substr(colon + 1)).c_str());
  }
  const std::string text(message);
  if (ctx.log_fn == nullptr) return;  // kmod_set_log_fn(ctx, NULL, ...) silences it
  kmod_log_fn fn = ctx.log_fn;
  call_log(fn, const_cast<void*>(ctx.log_data), priority, file.c_str(), line, function.c_str(), "%s\n", text.c_str());
}

namespace {

std::optional<long long> stamp_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<long long>(st.st_mtim.tv_sec) * 1000000 + st.st_mtim.tv_nsec / 1000;
}

bool changed(const std::map<std::string, long long>& stamps) {
  for (const auto& [path, stamp] : stamps)
    if (stamp_of(path) != stamp) return true;
  return false;
}

constexpr const char* kIndexFiles[] = {"modules.dep", "modules.alias", "modules.symbols", "modules.builtin.alias",
                                       "modules.builtin"};

}  // namespace

int resources_state(kmod_ctx& ctx) {
  if (changed(ctx.config_stamps)) return KMOD_RESOURCES_MUST_RECREATE;
  if (ctx.resources_loaded && changed(ctx.index_stamps)) return KMOD_RESOURCES_MUST_RELOAD;
  return KMOD_RESOURCES_OK;
}

void ContextSink::report(Severity severity, std::string_view message) {
  log(ctx_, static_cast<int>(severity), {}, message);
}

void ContextSink::report_from(Severity severity, std::string_view site, std::string_view message) {
  log(ctx_, static_cast<int>(severity), site, message);
}

kmod_list* list_append(kmod_list* list, void* data) {
  auto* entry = static_cast<kmod_list*>(std::malloc(sizeof(kmod_list)));
  if (entry == nullptr) return list;  // (the entry is lost, as in libkmod, which logs "out of memory")
  entry->data = data;
  if (list == nullptr) {
    entry->prev = entry->next = entry;
    return entry;
  }
  entry->prev = list->prev;
  entry->next = list;
  list->prev->next = entry;
  list->prev = entry;
  return list;
}

void list_free(kmod_list* list, bool free_data) {
  if (list == nullptr) return;
  kmod_list* entry = list;
  do {
    kmod_list* next = entry->next;
    if (free_data) std::free(entry->data);
    std::free(entry);
    entry = next;
  } while (entry != list);
}

}  // namespace kmodx::libkmod

kmod_ctx::kmod_ctx(std::string dir) : dirname(std::move(dir)) {}

kmodx::LoaderBackend* kmod_ctx::loader() {
  if (backend) return backend.get();
  auto spec = kmodx::select_backend(std::nullopt);
  if (!spec) {
    sink.report(kmodx::Severity::error, spec.error().detail);
    return nullptr;
  }
  auto opened = kmodx::open_backend(*spec, dirname, sink);
  if (!opened) {
    sink.report(kmodx::Severity::error, opened.error().detail);
    return nullptr;
  }
  backend = std::move(opened).value();
  return backend.get();
}

kmod_module* kmod_ctx::handle(kmodx::ModuleId id) {
  if (auto it = handles.find(id); it != handles.end()) {
    ++it->second->refcount;
    return it->second;
  }
  auto* mod = new kmod_module(this, id);
  ++refcount;  // a module holds its context
  handles.emplace(id, mod);
  return mod;
}

extern "C" {

KMOD_EXPORT kmod_ctx* kmod_new(const char* dirname, const char* const* config_paths) {
  std::string dir;
  if (dirname != nullptr) {
    dir = dirname;
    if (dir.empty() || dir.front() != '/') {
      std::error_code ec;
      dir = std::filesystem::current_path(ec).string() + "/" + dir;
    }
  } else {
    utsname u {};
    if (::uname(&u) < 0) return nullptr;
    dir = std::string(KMODX_MODULE_DIRECTORY "/") + u.release;
  }
  auto* ctx = new (std::nothrow) kmod_ctx(dir);
  if (ctx == nullptr) return nullptr;
  ctx->log_fn = &kmodx::libkmod::log_to_stderr;
  if (const char* env = ::secure_getenv("KMOD_LOG"); env != nullptr)
    ctx->log_priority = kmodx::libkmod::priority_from_text(env);
  kmodx::ConfigSources sources;
  if (config_paths != nullptr)
    for (const char* const* p = config_paths; *p != nullptr; ++p) sources.paths.emplace_back(*p);
  else
    sources.paths = kmodx::default_modprobe_config_paths();
  sources.module_dir = dir;
  sources.kernel_cmdline = kmodx::read_kernel_cmdline();
  ctx->config = kmodx::load_modprobe_config(sources, ctx->sink);
  // (Only the configuration paths: like libkmod, not modules.softdep,
  // which every depmod run rewrites.)
  for (const std::string& path : sources.paths)
    if (auto stamp = kmodx::libkmod::stamp_of(path)) ctx->config_stamps.emplace(path, *stamp);
  ctx->resolver = std::make_unique<kmodx::ModuleResolver>(dir, ctx->config, ctx->sink,
                                                          kmodx::LookupIndexes::Loading::per_call);
  return ctx;
}

KMOD_EXPORT kmod_ctx* kmod_ref(kmod_ctx* ctx) {
  if (ctx == nullptr) return nullptr;
  Lock lock(ctx->mutex);
  ++ctx->refcount;
  return ctx;
}

KMOD_EXPORT kmod_ctx* kmod_unref(kmod_ctx* ctx) {
  if (ctx == nullptr) return nullptr;
  {
    Lock lock(ctx->mutex);
    if (--ctx->refcount > 0) return ctx;
  }
  delete ctx;
  return nullptr;
}

KMOD_EXPORT int kmod_load_resources(kmod_ctx* ctx) {
  if (ctx == nullptr) return -ENOENT;
  Lock lock(ctx->mutex);
  // libkmod fails with the first index (in its order) that cannot be
  // mapped, but modules.builtin.alias.bin, which older trees lack.
  const std::map<kmodx::LookupIndex, int> failed =
      ctx->resolver->indexes().set_loading(kmodx::LookupIndexes::Loading::preloaded);
  for (kmodx::LookupIndex which : {kmodx::LookupIndex::dep, kmodx::LookupIndex::alias, kmodx::LookupIndex::symbols,
                                   kmodx::LookupIndex::builtin})
    if (auto it = failed.find(which); it != failed.end()) {
      kmod_unload_resources(ctx);
      return -it->second;
    }
  ctx->resources_loaded = true;
  ctx->index_stamps.clear();
  for (const char* file : kmodx::libkmod::kIndexFiles) {
    const std::string path = ctx->dirname + "/" + file + ".bin";
    if (auto stamp = kmodx::libkmod::stamp_of(path)) ctx->index_stamps.emplace(path, *stamp);
  }
  return 0;
}

KMOD_EXPORT void kmod_unload_resources(kmod_ctx* ctx) {
  if (ctx == nullptr) return;
  Lock lock(ctx->mutex);
  ctx->resolver->indexes().set_loading(kmodx::LookupIndexes::Loading::per_call);
  ctx->resources_loaded = false;
}

KMOD_EXPORT int kmod_validate_resources(kmod_ctx* ctx) {
  if (ctx == nullptr) return KMOD_RESOURCES_MUST_RECREATE;
  Lock lock(ctx->mutex);
  return kmodx::libkmod::resources_state(*ctx);
}

KMOD_EXPORT int kmod_dump_index(kmod_ctx* ctx, enum kmod_index type, int fd) {
  if (ctx == nullptr) return -ENOSYS;
  if (static_cast<unsigned>(type) >= std::size(kmodx::libkmod::kIndexFiles)) return -ENOENT;
  // libkmod's line prefixes: modules.alias and modules.symbols read as
  // configuration.
  const char* prefix = type == KMOD_INDEX_MODULES_ALIAS || type == KMOD_INDEX_MODULES_SYMBOL ? "alias " : "";
  Lock lock(ctx->mutex);
  auto index = kmodx::Index::open(ctx->dirname + "/" + kmodx::libkmod::kIndexFiles[type] + ".bin");
  if (!index) return -ENOSYS;
  std::string text;
  index->dump(prefix, text);
  // Like libkmod, a failed write is not an error of the call.
  for (std::size_t done = 0; done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

KMOD_EXPORT void kmod_set_log_priority(kmod_ctx* ctx, int priority) {
  if (ctx == nullptr) return;
  Lock lock(ctx->mutex);
  ctx->log_priority = priority;
}

KMOD_EXPORT int kmod_get_log_priority(const kmod_ctx* ctx) {
  if (ctx == nullptr) return -1;
  Lock lock(const_cast<kmod_ctx*>(ctx)->mutex);
  return ctx->log_priority;
}

KMOD_EXPORT void kmod_set_log_fn(kmod_ctx* ctx, kmod_log_fn log_fn, const void* data) {
  if (ctx == nullptr) return;
  Lock lock(ctx->mutex);
  ctx->log_fn = log_fn;
  ctx->log_data = data;
}

KMOD_EXPORT void kmod_set_userdata(kmod_ctx* ctx, const void* userdata) {
  if (ctx == nullptr) return;
  Lock lock(ctx->mutex);
  ctx->userdata = userdata;
}

KMOD_EXPORT void* kmod_get_userdata(const kmod_ctx* ctx) {
  if (ctx == nullptr) return nullptr;
  Lock lock(const_cast<kmod_ctx*>(ctx)->mutex);
  return const_cast<void*>(ctx->userdata);
}

KMOD_EXPORT const char* kmod_get_dirname(const kmod_ctx* ctx) {
  if (ctx == nullptr) return nullptr;
  return ctx->dirname.c_str();
}

KMOD_EXPORT kmod_list* kmod_list_last(const kmod_list* list) {
  if (list == nullptr) return nullptr;
  return list->prev;
}

KMOD_EXPORT kmod_list* kmod_list_next(const kmod_list* list, const kmod_list* curr) {
  if (list == nullptr || curr == nullptr) return nullptr;
  if (curr->next == list) return nullptr;
  return curr->next;
}

KMOD_EXPORT kmod_list* kmod_list_prev(const kmod_list* list, const kmod_list* curr) {
  if (list == nullptr || curr == nullptr) return nullptr;
  if (curr == list) return nullptr;
  return curr->prev;
}

}  // extern "C"
