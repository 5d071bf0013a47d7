// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/module_array.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <unordered_map>

#include "depmod/text_inputs.hpp"
#include "util/kmod_hash.hpp"
#include "util/mapped_file.hpp"

namespace kmodx::depmod {
namespace {

constexpr std::uint32_t kModuleHashBuckets = 512;

// Indexes of \p modules in libkmod's hash-table order.
std::vector<std::uint32_t> hash_order(const std::vector<ModuleRecord>& modules) {
  std::vector<std::string_view> names;
  names.reserve(modules.size());
  for (const ModuleRecord& m : modules) names.push_back(m.name);
  return kmod_hash_order(names, kModuleHashBuckets);
}

// Moves the records into the order of the indexes \p order (each record
// moved once: they are large).
void permute(std::vector<ModuleRecord>& modules, const std::vector<std::uint32_t>& order) {
  std::vector<ModuleRecord> sorted;
  sorted.reserve(modules.size());
  for (std::uint32_t i : order) sorted.push_back(std::move(modules[i]));
  modules = std::move(sorted);
}

}  // namespace

void order_module_array(std::vector<ModuleRecord>& modules, const std::string& dirname,
                        DiagnosticSink& sink) {
  std::vector<std::uint32_t> order = hash_order(modules);

  auto content = read_text_file(dirname + "/modules.order");
  if (!content) {
    sink.report(Severity::warning,
                "could not open modules.order at " + dirname + ": " + std::strerror(content.error().code));
    permute(modules, order);
    return;
  }
  // As depmod: a line that misses its newline voids the file.
  const ModulesOrder order_file = parse_modules_order(*content);
  if (order_file.corrupted_line != 0) {
    sink.report(Severity::error, dirname + "/modules.order:" + std::to_string(order_file.corrupted_line) +
                                     " corrupted line misses '\\n'");
    permute(modules, order);
    return;
  }
  const std::vector<std::string_view>& lines = order_file.lines;

  std::unordered_map<std::string_view, std::uint32_t> by_relpath;
  by_relpath.reserve(modules.size());
  for (std::uint32_t i = 0; i < modules.size(); ++i)
    if (modules[i].relpath) by_relpath.emplace(modules[i].uncompressed_relpath(), i);

  // Rank of the first occurrence (kmod master; kmod 30 let the last one win).
  // Unranked modules sort after all ranked ones and keep their hash order.
  constexpr std::size_t kUnranked = SIZE_MAX;
  std::vector<std::size_t> rank(modules.size(), kUnranked);
  for (std::size_t line = 0; line < lines.size(); ++line) {
    auto it = by_relpath.find(lines[line]);
    if (it != by_relpath.end() && rank[it->second] == kUnranked) rank[it->second] = line;
  }
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return rank[a] < rank[b]; });
  permute(modules, order);
}

}  // namespace kmodx::depmod
