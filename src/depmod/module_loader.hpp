// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Reads, decompresses and parses modules on a pool of threads.
//
// Loading starts while the module directory is still being walked: every
// file the walk accepts is queued at once, and the records are matched to
// the walk's final list by path afterwards, so a file the walk later
// replaced by a higher-priority copy was read for nothing but changes
// nothing. Each load fills its own slot; the result never depends on timing.

#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "depmod/module_cache.hpp"
#include "depmod/module_record.hpp"
#include "util/thread_pool.hpp"

namespace kmodx::depmod {

/// How a run uses the depmod cache (module_cache.hpp).
struct CacheUse {
  const ModuleCache* cache = nullptr;  ///< records to reuse, if any
  bool record = false;                 ///< set cache_key for the next cache
  timespec cutoff{};                   ///< racy_cutoff() at the start of the run
  CtimeFilesystems* filesystems = nullptr;  ///< where records may be made (required with record)
  /// Contents the caller has read already (kmodx check reads every module
  /// for itself), by path: moved out instead of opening the file. Each path
  /// is loaded once, so each entry is taken by one thread.
  PreloadedContents* preloaded = nullptr;
};

class ModuleLoadQueue {
 public:
  /// \p threads == 0 means one per online CPU. The thread that calls
  /// fill() works too, so threads - 1 workers start at once. Each load
  /// takes the module from \p cache when it has the file unchanged.
  explicit ModuleLoadQueue(unsigned threads, CacheUse cache = {});
  ~ModuleLoadQueue();
  ModuleLoadQueue(const ModuleLoadQueue&) = delete;
  ModuleLoadQueue& operator=(const ModuleLoadQueue&) = delete;

  /// Queues the module file \p path.
  void submit(const std::string& path);

  /// Files loaded so far and files queued in all; called on fill()'s thread,
  /// after each file it loads itself and every 100 ms while it waits.
  using Progress = std::function<void(std::size_t loaded, std::size_t total)>;

  /// Helps until every queued file is loaded, ends the workers, then fills
  /// aliases, softdeps, weakdeps, exports, needs and symbols_error of each
  /// record from the load of its path. A record whose path was never
  /// submitted is loaded here. Call once.
  void fill(std::vector<ModuleRecord>& modules, const Progress& progress = {});

 private:
  std::mutex mutex_;                               // guards the two below
  std::deque<ModuleRecord> slots_;                 // stable addresses
  std::unordered_map<std::string, std::size_t> slot_of_path_;
  CacheUse cache_;
  ThreadPool pool_;                                // last: gone before the slots
};

/// Reads one module: fills the loaded fields of \p module from its path.
void load_module(ModuleRecord& module);

/// The same from the (decompressed) image of the file \p path, already in
/// memory: what a caller that reads modules anyway hands to depmod.
void read_module_contents(std::span<const std::byte> image, const std::string& path, ModuleContents& module);

/// load_module(), or the module's record in \p cache when its file is
/// unchanged; sets cache_key as \p cache asks.
void load_or_reuse(ModuleRecord& module, const CacheUse& cache);

}  // namespace kmodx::depmod
