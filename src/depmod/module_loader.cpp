// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/module_loader.hpp"

#include <algorithm>
#include <cerrno>

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

ModuleLoadQueue::ModuleLoadQueue(unsigned threads) : pool_(threads) {}

ModuleLoadQueue::~ModuleLoadQueue() = default;  // the pool drops what no thread started

void ModuleLoadQueue::submit(const std::string& path) {
  ModuleRecord* slot = nullptr;
  {
    std::lock_guard lock(mutex_);
    slot = &slots_.emplace_back();
    slot->path = path;
    slot_of_path_[path] = slots_.size() - 1;
  }
  pool_.submit([slot] { load_module(*slot); });
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
      load_module(m);
      continue;
    }
    static_cast<ModuleContents&>(m) = std::move(static_cast<ModuleContents&>(slots_[it->second]));
  }
}

}  // namespace kmodx::depmod
