// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/symbol_table.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/kmod_hash.hpp"
#include "util/line_reader.hpp"
#include "util/mapped_file.hpp"

namespace kmodx::depmod {
namespace {

constexpr std::uint32_t kSymbolHashBuckets = 2048;

// Lines as fgets() hands them out: newline kept, the last one may lack it.
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t nl = text.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return lines;
}


}  // namespace

void SymbolTable::add(std::string_view name, bool prefix_already_skipped, std::uint64_t crc,
                      std::int32_t owner) {
  if (!prefix_already_skipped && !name.empty() && name.front() == prefix_) name.remove_prefix(1);
  if (auto it = symbols_.find(name); it != symbols_.end())
    it->second = SymbolEntry{owner, crc};
  else
    symbols_.emplace(std::string(name), SymbolEntry{owner, crc});
}

void SymbolTable::add_fake_kernel_symbols() {
  // __this_module is made by the kernel's loader; _GLOBAL_OFFSET_TABLE_ is
  // faked on s390 and TOC. on PowerPC64 ELFv2, as in libkmod.
  add("__this_module", true, 0, SymbolEntry::kKernel);
  add("_GLOBAL_OFFSET_TABLE_", true, 0, SymbolEntry::kKernel);
  if (find("TOC.") == nullptr) add("TOC.", true, 0, SymbolEntry::kKernel);
}

Result<void> SymbolTable::load_symvers(const std::string& path, DiagnosticSink& sink, int leftover_errno) {
  auto text = read_text_file(path);
  if (!text) return make_error(text.error().code, path + ": " + std::strerror(text.error().code));
  unsigned lineno = 0;
  for (std::string_view line : lines_of(*text)) {
    ++lineno;
    auto tokens = split_blanks(line);
    if (tokens.size() < 3 || tokens[2] != "vmlinux") continue;
    const std::string crc_text(tokens[0]);
    char* end = nullptr;
    const std::uint64_t crc = std::strtoull(crc_text.c_str(), &end, 16);
    if (*end != '\0') {
      sink.report(Severity::error, path + ":" + std::to_string(lineno) + " Invalid symbol version " +
                                       crc_text + ": " + std::strerror(leftover_errno));
      continue;
    }
    add(tokens[1], false, crc, SymbolEntry::kKernel);
  }
  add_fake_kernel_symbols();
  return {};
}

Result<void> SymbolTable::load_system_map(const std::string& path, DiagnosticSink& sink) {
  constexpr std::string_view kKsymtab = "__ksymtab_";
  auto text = read_text_file(path);
  if (!text) return make_error(text.error().code, path + ": " + std::strerror(text.error().code));
  unsigned lineno = 0;
  for (std::string_view line : lines_of(*text)) {
    ++lineno;
    std::size_t first = line.find(' ');
    std::size_t second = first == std::string::npos ? first : line.find(' ', first + 1);
    if (second == std::string::npos) {
      // The line keeps its newline, so kmod's message ends in a blank line.
      sink.report(Severity::error, path + ":" + std::to_string(lineno) + ": invalid line: " + std::string(line));
      continue;
    }
    std::string_view name = std::string_view(line).substr(second + 1);
    if (!name.empty() && name.front() == prefix_) name.remove_prefix(1);
    if (!name.starts_with(kKsymtab)) continue;
    name.remove_prefix(kKsymtab.size());
    if (auto nl = name.find('\n'); nl != std::string_view::npos) name = name.substr(0, nl);
    add(name, true, 0, SymbolEntry::kKernel);
  }
  add_fake_kernel_symbols();
  return {};
}

void SymbolTable::add_module_exports(const std::vector<ModuleRecord>& modules) {
  for (std::size_t i = 0; i < modules.size(); ++i)
    for (const ExportedSymbol& s : modules[i].exports) add(s.name, false, s.crc, static_cast<std::int32_t>(i));
}

std::string_view SymbolTable::key_of(std::string_view name) const {
  if (!name.empty() && name.front() == '.') name.remove_prefix(1);
  if (!name.empty() && name.front() == prefix_) name.remove_prefix(1);
  return name;
}

const SymbolEntry* SymbolTable::find(std::string_view name) const {
  auto it = symbols_.find(key_of(name));
  return it == symbols_.end() ? nullptr : &it->second;
}

std::vector<std::pair<std::string_view, SymbolEntry>> SymbolTable::module_symbols_in_hash_order() const {
  std::vector<std::string_view> names;
  std::vector<const SymbolEntry*> entries;
  for (const auto& [name, entry] : symbols_) {
    if (entry.owner == SymbolEntry::kKernel) continue;
    names.push_back(name);
    entries.push_back(&entry);
  }
  std::vector<std::pair<std::string_view, SymbolEntry>> out;
  out.reserve(names.size());
  for (std::uint32_t i : kmod_hash_order(names, kSymbolHashBuckets)) out.emplace_back(names[i], *entries[i]);
  return out;
}

}  // namespace kmodx::depmod
