// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// A module directory for library tests: modules.dep.bin from modules.dep
// lines (with an empty file for every module path they name, but those
// listed as deleted, so a stale modules.dep can be made), and the builtin and
// alias indexes, in a private temporary directory.

#include <algorithm>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "index/trie_writer.hpp"
#include "kmodx/module_lookup.hpp"
#include "support/temp_dir.hpp"

namespace kmodx::test {

struct IndexTree {
  TempDir dir;
  IndexTree(std::initializer_list<std::pair<std::string, std::string>> deps,
            std::initializer_list<std::string> builtin = {},
            std::initializer_list<std::pair<std::string, std::string>> aliases = {},
            std::initializer_list<std::string> deleted = {}) {
    index::TrieBuilder dep, alias, built;
    unsigned priority = 0;
    for (const auto& [name, line] : deps) {
      (void)dep.insert(name, line, priority++);
      const DepLine parsed = split_dep_line(line);
      std::vector<std::string_view> paths = parsed.dependencies;
      paths.push_back(parsed.path);
      for (std::string_view p : paths)
        if (!p.empty() && std::find(deleted.begin(), deleted.end(), p) == deleted.end()) dir.write(p, "");
    }
    for (const auto& b : builtin) (void)built.insert(b, "", 0);
    for (const auto& [a, m] : aliases) (void)alias.insert(a, m, priority++);
    dir.write("modules.dep.bin", dep.serialize(index::Order::pre_order));
    dir.write("modules.builtin.bin", built.serialize(index::Order::pre_order));
    dir.write("modules.alias.bin", alias.serialize(index::Order::pre_order));
  }
  std::string root() const { return dir.path().string(); }
};

}  // namespace kmodx::test
