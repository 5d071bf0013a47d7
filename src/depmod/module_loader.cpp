// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/module_loader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "io/byte_buffer.hpp"
#include "kmodx/module_elf.hpp"
#include "kmodx/module_image.hpp"

namespace kmodx::depmod {

namespace {

// Copies the strings the views of \p m point to (into the module image) into
// one block that \p m owns, and points the views there.
void own_strings(ModuleContents& m) {
  std::size_t total = 0;
  for (const auto* list : {&m.aliases, &m.softdeps, &m.weakdeps})
    for (std::string_view v : *list) total += v.size();
  for (const ExportedSymbol& e : m.exports) total += e.name.size();
  for (const NeededSymbol& n : m.needs) total += n.name.size();
  auto block = std::make_shared_for_overwrite<char[]>(total);
  char* p = block.get();
  auto take = [&p](std::string_view& v) {
    if (!v.empty()) std::memcpy(p, v.data(), v.size());
    v = std::string_view(p, v.size());
    p += v.size();
  };
  for (auto* list : {&m.aliases, &m.softdeps, &m.weakdeps})
    for (std::string_view& v : *list) take(v);
  for (ExportedSymbol& e : m.exports) take(e.name);
  for (NeededSymbol& n : m.needs) take(n.name);
  m.storage = std::move(block);
}

}  // namespace

void load_module(ModuleRecord& module) {
  OpenOptions options;
  options.only_module_sections = true;
  auto image = ModuleImage::open(module.path, options);
  if (!image) {
    module.symbols_error = std::move(image).take_error();
    return;
  }
  read_module_contents(image->bytes(), module.path, module);
}

void read_module_contents(std::span<const std::byte> image, const std::string& path, ModuleContents& module) {
  auto elf = ModuleElf::parse(image, path);
  if (!elf) {
    module.symbols_error = std::move(elf).take_error();
    return;
  }
  if (auto exports = elf->exports()) {
    for (const ModuleSymbol& s : *exports) module.exports.push_back({s.name, s.crc});
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
      module.needs.push_back({s.name, s.crc, s.bind == SymbolBind::weak});
  }
  own_strings(module);
}

void load_or_reuse(ModuleRecord& module, const CacheUse& cache) {
  if (cache.preloaded != nullptr) {
    if (auto it = cache.preloaded->find(module.path); it != cache.preloaded->end()) {
      static_cast<ModuleContents&>(module) = std::move(it->second);
      return;
    }
  }
  if (!cache.record && cache.cache == nullptr) {
    load_module(module);
    return;
  }
  // stat() before reading: a change after it gives the next run another key.
  std::optional<FileKey> key = file_key(module.path);
  if (key && cache.cache != nullptr && cache.cache->fill(module.path, *key, module)) {
    module.from_cache = true;
    if (cache.record) module.cache_key = key;
    return;
  }
  load_module(module);
  if (cache.record && key && !module.symbols_error && old_enough(*key, cache.cutoff) &&
      cache.filesystems->trusted(key->dev, module.path))
    module.cache_key = key;
}

ModuleLoadQueue::ModuleLoadQueue(unsigned threads, CacheUse cache) : cache_(cache), pool_(threads) {}

ModuleLoadQueue::~ModuleLoadQueue() = default;  // the pool drops what no thread started

void ModuleLoadQueue::submit(const std::string& path) {
  ModuleRecord* slot = nullptr;
  {
    std::lock_guard lock(mutex_);
    slot = &slots_.emplace_back();
    slot->path = path;
    slot_of_path_[path] = slots_.size() - 1;
  }
  pool_.submit([this, slot] { load_or_reuse(*slot, cache_); });
}

void ModuleLoadQueue::fill(std::vector<ModuleRecord>& modules, const Progress& progress) {
  // Helps with what is queued, waits for the workers' last loads and lets
  // them go, and with them their read buffers and decoder contexts, before
  // the outputs need memory.
  pool_.wait([&](std::size_t finished, std::size_t submitted) {
    if (progress) progress(finished, submitted);
  });
  io::ByteBuffer::release_thread_cache();
  for (ModuleRecord& m : modules) {
    auto it = slot_of_path_.find(m.path);
    if (it == slot_of_path_.end()) {
      load_or_reuse(m, cache_);
      continue;
    }
    static_cast<ModuleContents&>(m) = std::move(static_cast<ModuleContents&>(slots_[it->second]));
  }
}

}  // namespace kmodx::depmod
