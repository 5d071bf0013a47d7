// SPDX-License-Identifier: LGPL-2.1-or-later
// kmodx-index-tool: what the differential tests need to compare .bin indexes.
//
//   kmodx-index-tool dump FILE           one "<key>\t<priority>\t<value>" line per
//                                        stored value, in trie order (logical content)
//   kmodx-index-tool reorder FILE OUT    rewrites FILE's entries in kmod 34+'s
//                                        pre-order layout (kmod 30 writes post-order)
//   kmodx-index-tool build DUMP OUT      writes the pre-order index holding the
//                                        entries of a dump (as printed by `dump`)
//   kmodx-index-tool verify FILE         structural check of the whole trie
//
// Exit status 0 on success, 1 with a message on stderr otherwise.
#include <cstdio>
#include <cstdlib>
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

// Inserts entries listed in stored order. Among equal priorities the writer
// puts the newest value first, so each key's values go in last to first.
int write_pre_order(const std::vector<Entry>& entries, const char* out_path) {
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
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) return fail(std::string("cannot write ") + out_path);
  return 0;
}

int build_from_dump(const char* dump_path, const char* out_path) {
  std::ifstream in(dump_path, std::ios::binary);
  if (!in) return fail(std::string("cannot read ") + dump_path);
  std::vector<Entry> entries;
  std::string line;
  while (std::getline(in, line)) {
    std::size_t t1 = line.find('\t');
    std::size_t t2 = t1 == std::string::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string::npos) return fail(std::string(dump_path) + ": bad line: " + line);
    entries.push_back({line.substr(0, t1),
                       static_cast<std::uint32_t>(std::strtoul(line.c_str() + t1 + 1, nullptr, 10)),
                       line.substr(t2 + 1)});
  }
  return write_pre_order(entries, out_path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return fail("usage: kmodx-index-tool dump|reorder|verify FILE [OUT] | build DUMP OUT");
  const std::string command = argv[1];
  if (command == "build") return argc == 4 ? build_from_dump(argv[2], argv[3]) : fail("build DUMP OUT");
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
  if (command == "reorder" && argc == 4) return write_pre_order(entries, argv[3]);
  return fail("unknown command " + command);
}
