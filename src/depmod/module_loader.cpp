// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/module_loader.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <system_error>
#include <thread>

#include "io/byte_buffer.hpp"
#include "kmodx/module_elf.hpp"
#include "kmodx/module_image.hpp"

namespace kmodx::depmod {

void load_module(ModuleRecord& module) {
  OpenOptions options;
  options.only_module_sections = true;
  auto image = ModuleImage::open(module.path, options);
  if (!image) {
    module.symbols_error = std::move(image).take_error();
    return;
  }
  auto elf = ModuleElf::parse(image->bytes(), module.path);
  if (!elf) {
    module.symbols_error = std::move(elf).take_error();
    return;
  }
  if (auto exports = elf->exports()) {
    for (const ModuleSymbol& s : *exports) module.exports.push_back({std::string(s.name), s.crc});
  } else if (exports.error().code != ENODATA && exports.error().code != ENOENT) {
    module.symbols_error = std::move(exports).take_error();
  }
  if (auto info = elf->modinfo()) {
    for (const ModinfoEntry& e : *info) {
      if (e.key == "alias") module.aliases.emplace_back(e.value);
      else if (e.key == "softdep") module.softdeps.emplace_back(e.value);
      else if (e.key == "weakdep") module.weakdeps.emplace_back(e.value);
    }
  }
  if (auto needs = elf->dependencies()) {
    for (const ModuleSymbol& s : *needs)
      module.needs.push_back({std::string(s.name), s.crc, s.bind == SymbolBind::weak});
  }
}

ModuleLoadQueue::ModuleLoadQueue(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  // A thread that cannot be started (a tight task limit) only means fewer
  // workers: fill() does the rest on the calling thread.
  try {
    for (unsigned t = 1; t < threads; ++t) workers_.emplace_back([this] { work(); });
  } catch (const std::system_error&) {
  }
}

ModuleLoadQueue::~ModuleLoadQueue() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}  // the jthreads join here

void ModuleLoadQueue::submit(const std::string& path) {
  {
    std::lock_guard lock(mutex_);
    ModuleRecord& slot = slots_.emplace_back();
    slot.path = path;
    slot_of_path_[path] = slots_.size() - 1;
    queue_.push_back(slots_.size() - 1);
    ++pending_;
  }
  ready_.notify_one();
}

void ModuleLoadQueue::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ready_.wait(lock, [&] { return !queue_.empty() || closed_; });
    if (queue_.empty()) return;
    ModuleRecord& slot = slots_[queue_.front()];
    queue_.pop_front();
    lock.unlock();
    load_module(slot);
    lock.lock();
    if (--pending_ == 0) all_done_.notify_all();
  }
}

void ModuleLoadQueue::fill(std::vector<ModuleRecord>& modules, const Progress& progress) {
  {
    // Help with what is queued, then wait for the workers' last loads.
    std::unique_lock lock(mutex_);
    auto report = [&] {
      if (!progress) return;
      const std::size_t loaded = slots_.size() - pending_, total = slots_.size();
      lock.unlock();
      progress(loaded, total);
      lock.lock();
    };
    while (!queue_.empty()) {
      ModuleRecord& slot = slots_[queue_.front()];
      queue_.pop_front();
      lock.unlock();
      load_module(slot);
      lock.lock();
      --pending_;
      report();
    }
    while (!all_done_.wait_for(lock, std::chrono::milliseconds(100), [&] { return pending_ == 0; })) report();
    report();
    closed_ = true;
  }
  // The workers are done for good: let them go, and with them their read
  // buffers and decoder contexts, before the outputs need memory.
  ready_.notify_all();
  workers_.clear();  // joins
  io::ByteBuffer::release_thread_cache();
  for (ModuleRecord& m : modules) {
    auto it = slot_of_path_.find(m.path);
    if (it == slot_of_path_.end()) {
      load_module(m);
      continue;
    }
    ModuleRecord& loaded = slots_[it->second];
    m.aliases = std::move(loaded.aliases);
    m.softdeps = std::move(loaded.softdeps);
    m.weakdeps = std::move(loaded.weakdeps);
    m.exports = std::move(loaded.exports);
    m.needs = std::move(loaded.needs);
    m.symbols_error = std::move(loaded.symbols_error);
  }
}

}  // namespace kmodx::depmod
