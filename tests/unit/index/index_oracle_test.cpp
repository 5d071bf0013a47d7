// SPDX-License-Identifier: LGPL-2.1-or-later
// Checks against files written by a real kmod, hidden from the default run
// ([.]): tests/cli/index-oracle.sh builds a module tree, lets kmod's depmod
// index it and runs them by name with their environment; selected without
// it they fail.
//   KMODX_ORACLE_TREE        the module directory kmod's depmod has indexed
//   KMODX_ORACLE_MODPROBE_C  output of `modprobe -c` for that tree
//   KMODX_ORACLE_RESOLVE     lines "<query>\t<modprobe -R output, space-separated>"
//   KMODX_ORACLE_ORDER       "pre" when the oracle is kmod 34+ (default "post")
//
// The byte-for-byte test needs depmod's (key, value, priority) triples in
// depmod's insertion order. They are recovered from the text files, which
// depmod writes from the same loops: modules.dep has one line per module in
// module-array order, so a module's priority (its array index) is its line
// number; modules.alias lists aliases per module in that order and in
// .modinfo order; modules.symbols lists symbols in the same hash order the
// .bin writer inserts them.

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "index/trie_writer.hpp"
#include "kmodx/index.hpp"
#include "kmodx/module_lookup.hpp"
#include "util/names.hpp"

using kmodx::Index;
using kmodx::index::Order;
using kmodx::index::TrieBuilder;

namespace {

struct Triple {
  std::string key, value;
  std::uint32_t priority;
};

/// The environment variable \p name, which index-oracle.sh sets; a test
/// selected without it fails here.
const char* oracle_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) FAIL(name << " is not set: run tests/cli/index-oracle.sh");
  return value;
}

const char* oracle_tree() { return oracle_env("KMODX_ORACLE_TREE"); }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Lines with their '\n' removed; keep_newline keeps it (fgets-style).
std::vector<std::string> lines_of(const std::string& text, bool keep_newline = false) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    std::size_t end = nl == std::string::npos ? text.size() : nl + (keep_newline ? 1 : 0);
    out.push_back(text.substr(start, end - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

Index open_index(const std::string& dir, const std::string& name) {
  auto r = Index::open(dir + "/" + name);
  INFO(name);
  REQUIRE(r.ok());
  return std::move(r).value();
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

struct Tree {
  std::string dir;
  std::vector<std::string> dep_lines;
  std::map<std::string, std::uint32_t> index_of;  // module name -> array index
};

Tree load_tree(const std::string& dir) {
  Tree t;
  t.dir = dir;
  t.dep_lines = lines_of(slurp(dir + "/modules.dep"));
  for (std::uint32_t i = 0; i < t.dep_lines.size(); ++i) {
    const std::string& line = t.dep_lines[i];
    t.index_of[*kmodx::path_to_modname(line.substr(0, line.find(':')))] = i;
  }
  return t;
}

std::vector<Triple> dep_triples(const Tree& t) {
  std::vector<Triple> out;
  for (std::uint32_t i = 0; i < t.dep_lines.size(); ++i) {
    const std::string& line = t.dep_lines[i];
    out.push_back({*kmodx::path_to_modname(line.substr(0, line.find(':'))), line, i});
  }
  return out;
}

// "alias <raw> <module>" lines after the header; the raw alias may not be a
// valid key, exactly as depmod lists it.
std::vector<std::pair<std::string, std::string>> alias_lines(const std::string& file) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& line : lines_of(slurp(file))) {
    if (line.rfind("alias ", 0) != 0) continue;
    std::size_t space = line.rfind(' ');
    out.emplace_back(line.substr(6, space - 6), line.substr(space + 1));
  }
  return out;
}

std::vector<Triple> alias_triples(const Tree& t) {
  std::vector<Triple> out;
  for (const auto& [raw, mod] : alias_lines(t.dir + "/modules.alias")) {
    kmodx::Result<std::string> key = kmodx::alias_normalize(raw);
    if (key.ok()) out.push_back({*key, mod, t.index_of.at(mod)});
  }
  return out;
}

std::vector<Triple> symbol_triples(const Tree& t) {
  std::vector<Triple> out;
  for (const auto& [key, mod] : alias_lines(t.dir + "/modules.symbols"))
    out.push_back({key, mod, t.index_of.at(mod)});
  return out;
}

std::vector<Triple> builtin_triples(const Tree& t) {
  std::vector<Triple> out;
  // fgets() lines, newline included, as depmod passes them on.
  for (const std::string& line : lines_of(slurp(t.dir + "/modules.builtin"), true)) {
    if (line.empty() || !std::isalpha(static_cast<unsigned char>(line[0]))) continue;
    out.push_back({*kmodx::path_to_modname(line), "", 0});
  }
  return out;
}

// Well-formed "<module>.<key>=<value>" records only; the fixture has no
// malformed ones.
std::vector<Triple> builtin_alias_triples(const Tree& t) {
  std::vector<Triple> out;
  const std::string data = slurp(t.dir + "/modules.builtin.modinfo");
  std::size_t start = 0;
  while (start < data.size()) {
    std::size_t end = data.find('\0', start);
    if (end == std::string::npos) end = data.size();
    std::string record = data.substr(start, end - start);
    start = end + 1;
    std::size_t dot = record.find('.'), eq = record.find('=');
    if (dot == std::string::npos || eq == std::string::npos || dot > eq) continue;
    if (record.compare(dot + 1, eq - dot - 1, "alias") != 0 || eq + 1 == record.size()) continue;
    kmodx::Result<std::string> key = kmodx::alias_normalize(record.substr(eq + 1));
    if (key.ok()) out.push_back({*key, record.substr(0, dot), 0});
  }
  return out;
}

std::string build(const std::vector<Triple>& triples, Order order) {
  TrieBuilder b;
  for (const Triple& t : triples) REQUIRE(b.insert(t.key, t.value, t.priority).ok());
  return b.serialize(order);
}

Order oracle_order() {
  const char* o = std::getenv("KMODX_ORACLE_ORDER");
  return o != nullptr && std::string(o) == "pre" ? Order::pre_order : Order::post_order;
}

}  // namespace

TEST_CASE("oracle: TrieBuilder reproduces kmod's .bin files byte for byte", "[.][index][oracle]") {
  const char* dir = oracle_tree();
  Tree t = load_tree(dir);
  const std::pair<const char*, std::vector<Triple>> files[] = {
      {"modules.dep.bin", dep_triples(t)},
      {"modules.alias.bin", alias_triples(t)},
      {"modules.symbols.bin", symbol_triples(t)},
      {"modules.builtin.bin", builtin_triples(t)},
      {"modules.builtin.alias.bin", builtin_alias_triples(t)},
  };
  for (const auto& [name, triples] : files) {
    INFO(name << " (" << triples.size() << " entries)");
    const std::string kmod_file = slurp(t.dir + "/" + name);
    REQUIRE(kmod_file.size() >= 12);
    CHECK(build(triples, oracle_order()) == kmod_file);
    // The other order holds the same content.
    Order other = oracle_order() == Order::post_order ? Order::pre_order : Order::post_order;
    const std::string rebuilt = build(triples, other);
    CHECK(rebuilt.size() == kmod_file.size());
    std::string a, b;
    open_index(t.dir, name).dump("", a);
    auto r = Index::from_bytes(std::string_view(rebuilt));
    REQUIRE(r.ok());
    r->dump("", b);
    CHECK(a == b);
  }
}

TEST_CASE("oracle: alias and symbol dumps equal modprobe -c", "[.][index][oracle]") {
  const char* dir = oracle_tree();
  const char* modprobe_c = oracle_env("KMODX_ORACLE_MODPROBE_C");
  const std::string text = slurp(modprobe_c);
  const std::string banner = "\n# End of configuration files. Dumping indexes now:\n\n";
  std::size_t at = text.find(banner);
  REQUIRE(at != std::string::npos);
  std::string ours;
  Index alias = open_index(dir, "modules.alias.bin");
  Index symbols = open_index(dir, "modules.symbols.bin");
  kmodx::Error err;
  alias.dump("alias ", ours, &err);
  symbols.dump("alias ", ours, &err);
  CHECK(err.code == 0);
  CHECK(ours == text.substr(at + banner.size()));
}

TEST_CASE("oracle: modules.dep.bin agrees with modules.dep", "[.][index][oracle]") {
  const char* dir = oracle_tree();
  Tree t = load_tree(dir);
  Index dep = open_index(dir, "modules.dep.bin");
  REQUIRE(dep.verify().ok());
  std::vector<std::string> expected;
  for (const Triple& tr : dep_triples(t)) {
    CHECK(dep.lookup_exact(tr.key) == tr.value);
    expected.push_back(tr.key + " " + tr.value);
  }
  std::string dump;
  dep.dump("", dump);
  CHECK(lines_of(dump) == sorted(expected));
  CHECK(dep.lookup_exact("no_such_module") == std::nullopt);
}

TEST_CASE("oracle: alias and symbol indexes agree with the text files", "[.][index][oracle]") {
  const char* dir = oracle_tree();
  Tree t = load_tree(dir);
  for (const auto& [bin, triples] : {std::pair{"modules.alias.bin", alias_triples(t)},
                                     std::pair{"modules.symbols.bin", symbol_triples(t)}}) {
    INFO(bin);
    Index index = open_index(dir, bin);
    REQUIRE(index.verify().ok());
    std::vector<std::string> expected;
    for (const Triple& tr : triples) expected.push_back(tr.key + " " + tr.value);
    std::string dump;
    index.dump("", dump);
    CHECK(sorted(lines_of(dump)) == sorted(expected));
  }
}

TEST_CASE("oracle: builtin indexes", "[.][index][oracle]") {
  const char* dir = oracle_tree();
  Tree t = load_tree(dir);
  Index builtin = open_index(dir, "modules.builtin.bin");
  for (const Triple& tr : builtin_triples(t)) CHECK(builtin.lookup_exact(tr.key) == std::string());
  CHECK(builtin.lookup_exact("not_builtin") == std::nullopt);
  Index alias = open_index(dir, "modules.builtin.alias.bin");
  REQUIRE(alias.verify().ok());
}

TEST_CASE("oracle: lookups give modprobe -R's answers in its order", "[.][index][oracle]") {
  const char* dir = oracle_tree();
  const char* resolve = oracle_env("KMODX_ORACLE_RESOLVE");
  // The lookup modprobe ships, without configuration (modprobe -R -C
  // /dev/null) and over preloaded indexes, as modprobe reads them.
  const kmodx::LookupIndexes indexes(dir, kmodx::LookupIndexes::Loading::preloaded, nullptr);
  auto lookup = [&](const std::string& input) {
    std::vector<std::string> out;
    auto hits = kmodx::lookup_module(input, indexes, nullptr);
    if (hits)
      for (const kmodx::LookupHit& hit : *hits) out.push_back(hit.name);
    return out;
  };
  int checked = 0;
  for (const std::string& line : lines_of(slurp(resolve))) {
    std::size_t tab = line.find('\t');
    REQUIRE(tab != std::string::npos);
    const std::string query = line.substr(0, tab);
    std::string got;
    for (const std::string& name : lookup(query)) got += (got.empty() ? "" : " ") + name;
    INFO("query " << query);
    CHECK(got == line.substr(tab + 1));
    ++checked;
  }
  CHECK(checked > 0);
}
