// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// The objects behind libkmod.so.2's opaque pointers (include/libkmod/libkmod.h):
// a context owns a ModuleResolver (libkmodx's module pool, lookup and
// configuration) and a loader backend; a kmod_module is the C handle of one
// resolver object, reference counted; a kmod_list is libkmod's circular
// doubly linked list, whose entries point at modules or at the entry structs
// below.
//
// Entry layouts are libkmod's, because clients depend on them: dracut-install
// reads a dependency-symbol list with kmod_module_symbol_get_symbol(), which
// returns the bytes after the CRC of whatever entry it gets.
//
// Thread safety: every C entry point takes the context's lock (Lock below)
// before it touches the context, its modules or their objects, so several
// threads may share one context.

#include <cstdarg>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "kmodx/diag.hpp"
#include "kmodx/loader.hpp"
#include "kmodx/modprobe_config.hpp"
#include "kmodx/module_resolver.hpp"

/// What libkmod.so.2 exports; packaging/libkmod.map gives each symbol kmod's
/// version node.
#define KMOD_EXPORT __attribute__((visibility("default")))

extern "C" {

struct kmod_ctx;
struct kmod_module;

struct kmod_list {
  kmod_list* prev;
  kmod_list* next;
  void* data;
};

struct kmod_module_info {
  char* key;
  char value[];
};

struct kmod_module_version {
  std::uint64_t crc;
  char symbol[];
};

struct kmod_module_symbol {
  std::uint64_t crc;
  char symbol[];
};

struct kmod_module_dependency_symbol {
  std::uint64_t crc;
  std::uint8_t bind;
  char symbol[];
};

struct kmod_module_section {
  unsigned long address;
  char name[];
};

using kmod_log_fn = void (*)(void* data, int priority, const char* file, int line, const char* fn,
                             const char* format, va_list args);

}  // extern "C"

namespace kmodx::libkmod {

/// Passes libkmodx's messages to the context's log function, with libkmod's
/// priority threshold and source location.
class ContextSink final : public DiagnosticSink {
 public:
  explicit ContextSink(kmod_ctx& ctx) : ctx_(ctx) {}
  void report(Severity severity, std::string_view message) override;
  void report_from(Severity severity, std::string_view site, std::string_view message) override;

 private:
  kmod_ctx& ctx_;
};

/// Logs \p message (no newline) at \p priority from "file:line function".
void log(kmod_ctx& ctx, int priority, std::string_view site, std::string_view message);

/// libkmod's kmod_validate_resources(): KMOD_RESOURCES_MUST_RECREATE when a
/// configuration file or directory changed (by modification time, as
/// libkmod compares), MUST_RELOAD when a loaded index did, else OK.
int resources_state(kmod_ctx& ctx);

/// Appends \p data to \p list (null: a new list); returns the list.
kmod_list* list_append(kmod_list* list, void* data);
/// Frees the entries, and with \p free_data each entry's malloc'ed data.
void list_free(kmod_list* list, bool free_data);

}  // namespace kmodx::libkmod

struct kmod_ctx {
  explicit kmod_ctx(std::string dirname);

  std::recursive_mutex mutex;
  int refcount = 1;
  std::string dirname;
  kmodx::ModprobeConfig config;
  kmodx::libkmod::ContextSink sink{*this};
  std::unique_ptr<kmodx::ModuleResolver> resolver;
  std::unique_ptr<kmodx::LoaderBackend> backend;  // opened on first use
  std::map<kmodx::ModuleId, kmod_module*> handles;
  int log_priority = 3;  // LOG_ERR
  kmod_log_fn log_fn = nullptr;
  const void* log_data = nullptr;
  const void* userdata = nullptr;
  bool resources_loaded = false;
  /// Modification times (microseconds) of the configuration paths that
  /// existed at kmod_new(), and of the indexes at kmod_load_resources().
  std::map<std::string, long long> config_stamps, index_stamps;

  /// The backend, opened on first use; null (and logged) when it cannot be.
  kmodx::LoaderBackend* loader();
  /// The handle of resolver object \p id, with a new reference.
  kmod_module* handle(kmodx::ModuleId id);
};

struct kmod_module {
  kmod_module(kmod_ctx* c, kmodx::ModuleId i) : ctx(c), id(i) {}
  kmod_ctx* ctx;
  kmodx::ModuleId id;
  int refcount = 1;
  /// A string handed out, computed once and kept for the handle's lifetime.
  struct Cached {
    bool done = false;
    std::optional<std::string> value;
  };
  Cached options, install, remove, path;
};

namespace kmodx::libkmod {

/// Holds a context's lock for the duration of one C call.
using Lock = std::lock_guard<std::recursive_mutex>;

}  // namespace kmodx::libkmod
