// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/module_loader.hpp"

#include <atomic>
#include <cerrno>
#include <thread>

#include "kmodx/module_elf.hpp"
#include "kmodx/module_image.hpp"

namespace kmodx::depmod {

std::string ModuleRecord::uncompressed_relpath() const {
  if (!relpath) return {};
  // libkmod's arithmetic: directory part, '/', as many bytes as the module
  // name has, then ".ko".
  const std::size_t slash = relpath->rfind('/');
  const std::size_t dir_len = slash == std::string::npos ? 0 : slash + 1;
  return relpath->substr(0, std::min(relpath->size(), dir_len + name.size() + 3));
}

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

void load_modules(std::vector<ModuleRecord>& modules, unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min<unsigned>(threads, static_cast<unsigned>(std::max<std::size_t>(modules.size(), 1)));
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < modules.size(); i = next++) load_module(modules[i]);
  };
  std::vector<std::jthread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
}

}  // namespace kmodx::depmod
