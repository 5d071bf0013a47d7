// SPDX-License-Identifier: LGPL-2.1-or-later
// modules.dep text as depmod indexes it and modprobe reads it back: each
// line is stored in a trie under its module's name, the trie is written in
// both layouts, and the reader must accept what the writer wrote and find
// every line again. Each line is also split as modprobe splits the values.

#include <map>
#include <string>

#include "fuzz_support.hpp"
#include "index/trie_writer.hpp"
#include "kmodx/index.hpp"
#include "kmodx/module_lookup.hpp"
#include "util/names.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kmodx;
  const std::string_view text = fuzz::text_of(data, size);
  index::TrieBuilder trie;
  std::map<std::string, std::string> first_line;
  std::uint32_t priority = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;

    const DepLine dep = split_dep_line(line);
    FUZZ_EXPECT(line.starts_with(dep.path));
    FUZZ_EXPECT(dep.path.empty() || line[dep.path.size()] == ':');
    for (std::string_view d : dep.dependencies) (void)module_file_path(d, "/lib/modules/fuzz");
    auto name = path_to_modname(line.substr(0, line.find(':')));
    if (!name || name->empty()) continue;
    auto inserted = trie.insert(*name, line, priority++);
    if (inserted) first_line.emplace(*name, std::string(line));
  }

  for (index::Order order : {index::Order::pre_order, index::Order::post_order}) {
    auto index = Index::from_bytes(trie.serialize(order), "fuzz.dep.bin");
    FUZZ_EXPECT(index.ok());
    FUZZ_EXPECT(index->verify().ok());
    for (const auto& [name, line] : first_line) {
      auto found = index->lookup_exact(name);
      FUZZ_EXPECT(found && *found == line);
    }
  }
  return 0;
}
