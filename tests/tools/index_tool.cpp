// SPDX-License-Identifier: LGPL-2.1-or-later
// kmodx-index-tool: what the differential tests need to compare .bin indexes.
//
//   kmodx-index-tool dump FILE           one "<key>\t<priority>\t<value>" line per
//                                        stored value, in trie order (logical content)
//   kmodx-index-tool reorder FILE OUT    rewrites FILE's entries in kmod 34+'s
//                                        pre-order layout (kmod 30 writes post-order)
//   kmodx-index-tool verify FILE         structural check of the whole trie
//
// Exit status 0 on success, 1 with a message on stderr otherwise.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "index/trie_writer.hpp"
#include "kmodx/index.hpp"

namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "kmodx-index-tool: %s\n", message.c_str());
  return 1;
}

struct Entry {
  std::string key;
  std::uint32_t priority;
  std::string value;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return fail("usage: kmodx-index-tool dump|reorder|verify FILE [OUT]");
  const std::string command = argv[1];
  auto index = kmodx::Index::open(argv[2]);
  if (!index) return fail(index.error().detail);
  if (command == "verify") {
    if (auto r = index->verify(); !r) return fail(r.error().detail);
    return 0;
  }
  std::vector<Entry> entries;
  kmodx::Error corruption;
  index->for_each(
      [&](std::string_view key, std::uint32_t priority, std::string_view value) {
        entries.push_back({std::string(key), priority, std::string(value)});
      },
      &corruption);
  if (corruption.code != 0) return fail(corruption.detail);

  if (command == "dump") {
    std::string out;
    for (const Entry& e : entries) out += e.key + "\t" + std::to_string(e.priority) + "\t" + e.value + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  if (command == "reorder" && argc == 4) {
    // Among equal priorities the writer puts the newest value first, so a
    // key's values are inserted last to first to keep their stored order.
    kmodx::index::TrieBuilder trie;
    for (std::size_t end = entries.size(); end > 0;) {
      std::size_t begin = end - 1;
      while (begin > 0 && entries[begin - 1].key == entries[end - 1].key) --begin;
      for (std::size_t i = end; i > begin; --i) {
        const Entry& e = entries[i - 1];
        if (auto r = trie.insert(e.key, e.value, e.priority); !r) return fail(r.error().detail);
      }
      end = begin;
    }
    const std::string bytes = trie.serialize(kmodx::index::Order::pre_order);
    std::ofstream out(argv[3], std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) return fail(std::string("cannot write ") + argv[3]);
    return 0;
  }
  return fail("unknown command " + command);
}
