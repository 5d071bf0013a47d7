// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kmodx/module_lookup.hpp"

#include <cerrno>
#include <filesystem>
#include <initializer_list>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "index/trie_writer.hpp"
#include "kmodx/modprobe_config.hpp"
#include "support/temp_dir.hpp"

using kmodx::ModuleDirectory;
using kmodx::ModuleRef;
using kmodx::index::Order;
using kmodx::index::TrieBuilder;
using kmodx::test::TempDir;

namespace {

using Entry = std::tuple<std::string, std::string, std::uint32_t>;

void write_index(const TempDir& dir, std::string_view name, std::initializer_list<Entry> entries) {
  TrieBuilder trie;
  for (const auto& [key, value, priority] : entries) REQUIRE(trie.insert(key, value, priority).ok());
  dir.write(name, trie.serialize(Order::pre_order));
}

// A module directory as depmod would index it (insertion in depmod's order).
void make_tree(const TempDir& dir) {
  write_index(dir, "modules.dep.bin",
              {{"kx_a", "kernel/a/kx_a.ko: kernel/b/kx_b.ko.xz", 0},
               {"kx_b", "kernel/b/kx_b.ko.xz:", 1},
               {"ext", "/opt/ext/ext.ko:", 2}});
  write_index(dir, "modules.alias.bin",
              {{"pci:v00001234d*", "kx_a", 0}, {"pci:v*", "kx_b", 1}, {"kx_alias", "kx_a", 0}});
  write_index(dir, "modules.symbols.bin", {{"symbol:kx_b_func", "kx_b", 1}});
  write_index(dir, "modules.builtin.bin", {{"unix", "", 0}, {"aaa", "", 0}, {"bbb", "", 0}, {"ccc", "", 0}});
  write_index(dir, "modules.builtin.alias.bin",
              {{"net_pf_1", "unix", 0}, {"shared_x", "aaa", 0}, {"shared_*", "bbb", 0}, {"shared_x", "ccc", 0}});
}

std::vector<std::string> names(const std::vector<ModuleRef>& modules) {
  std::vector<std::string> out;
  for (const ModuleRef& m : modules) out.push_back(m.name);
  return out;
}

}  // namespace

TEST_CASE("lookup: a module name is found through modules.dep.bin, with its path", "[query]") {
  TempDir dir;
  make_tree(dir);
  ModuleDirectory moddir(dir.path().string());
  auto found = moddir.lookup("kx-a");
  REQUIRE(found.ok());
  REQUIRE(found->size() == 1);
  CHECK((*found)[0].name == "kx_a");
  CHECK((*found)[0].path == dir.path().string() + "/kernel/a/kx_a.ko");
  CHECK_FALSE((*found)[0].builtin);

  auto external = moddir.lookup("ext");
  REQUIRE(external.ok());
  REQUIRE(external->size() == 1);
  CHECK((*external)[0].path == "/opt/ext/ext.ko");
}

TEST_CASE("lookup: aliases come in module-index order with their paths", "[query]") {
  TempDir dir;
  make_tree(dir);
  ModuleDirectory moddir(dir.path().string());
  auto found = moddir.lookup("pci:v00001234d00005678");
  REQUIRE(found.ok());
  CHECK(names(*found) == std::vector<std::string>{"kx_a", "kx_b"});
  CHECK((*found)[1].path == dir.path().string() + "/kernel/b/kx_b.ko.xz");
  CHECK((*found)[0].alias == "pci:v00001234d00005678");
}

TEST_CASE("lookup: symbol: names use modules.symbols.bin", "[query]") {
  TempDir dir;
  make_tree(dir);
  auto found = ModuleDirectory(dir.path().string()).lookup("symbol:kx_b_func");
  REQUIRE(found.ok());
  CHECK(names(*found) == std::vector<std::string>{"kx_b"});
}

TEST_CASE("lookup: built-in modules and built-in aliases", "[query]") {
  TempDir dir;
  make_tree(dir);
  ModuleDirectory moddir(dir.path().string());
  auto by_name = moddir.lookup("unix");
  REQUIRE(by_name.ok());
  REQUIRE(by_name->size() == 1);
  CHECK((*by_name)[0].builtin);
  CHECK_FALSE((*by_name)[0].path.has_value());

  auto by_alias = moddir.lookup("net-pf-1");
  REQUIRE(by_alias.ok());
  CHECK(names(*by_alias) == std::vector<std::string>{"unix"});
  CHECK((*by_alias)[0].builtin);
}

// Order checked against Debian's kmod 30 modinfo on a tree depmod indexed from
// modules.builtin.modinfo records aaa.alias=shared-x, bbb.alias=shared-*,
// ccc.alias=shared-x: it prints ccc, aaa, bbb.
TEST_CASE("lookup: equal-priority builtin aliases follow libkmod's file reader", "[query]") {
  TempDir dir;
  make_tree(dir);
  auto found = ModuleDirectory(dir.path().string()).lookup("shared-x");
  REQUIRE(found.ok());
  CHECK(names(*found) == std::vector<std::string>{"ccc", "aaa", "bbb"});
}

TEST_CASE("lookup: bad alias syntax is EINVAL, unknown names and missing indexes give nothing",
          "[query]") {
  TempDir dir;
  make_tree(dir);
  ModuleDirectory moddir(dir.path().string());
  auto bad = moddir.lookup("ab]");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == EINVAL);
  auto none = moddir.lookup("no_such_module");
  REQUIRE(none.ok());
  CHECK(none->empty());
  auto empty_dir = ModuleDirectory(dir.file("nonexistent")).lookup("kx_a");
  REQUIRE(empty_dir.ok());
  CHECK(empty_dir->empty());
}

TEST_CASE("lookup_name: names only, no module aliases", "[query]") {
  TempDir dir;
  make_tree(dir);
  ModuleDirectory moddir(dir.path().string());
  auto a = moddir.lookup_name("kx-a");
  REQUIRE(a.has_value());
  CHECK(a->name == "kx_a");
  CHECK_FALSE(moddir.lookup_name("kx_alias").has_value());
  auto builtin = moddir.lookup_name("net-pf-1");
  REQUIRE(builtin.has_value());
  CHECK(builtin->name == "unix");
  CHECK(builtin->builtin);
}

TEST_CASE("from_path: name from the file name, path made absolute as given", "[query]") {
  ModuleRef m = ModuleDirectory::from_path("/lib/modules/x/kernel/snd-hda-intel.ko.zst");
  CHECK(m.name == "snd_hda_intel");
  CHECK(m.path == "/lib/modules/x/kernel/snd-hda-intel.ko.zst");
  ModuleRef rel = ModuleDirectory::from_path("./a/mod-x.ko");
  CHECK(rel.name == "mod_x");
  REQUIRE(rel.path.has_value());
  CHECK(rel.path->ends_with("/./a/mod-x.ko"));
  CHECK(rel.path->front() == '/');
}

namespace {

using Step = kmodx::LookupHit::Step;

/// lookup_module() over \p dir's indexes (preloaded, as modprobe reads them)
/// with the configuration \p config_text: "step name alias" per hit.
std::vector<std::string> hits(const TempDir& dir, std::string_view config_text, std::string_view name,
                              kmodx::LookupIndexes::Loading loading = kmodx::LookupIndexes::Loading::preloaded) {
  struct Quiet final : kmodx::DiagnosticSink {
  void report(kmodx::Severity, std::string_view) override {}
} quiet;
  kmodx::ModprobeConfig config;
  kmodx::parse_modprobe_config_text(config_text, "t.conf", config, quiet);
  const kmodx::LookupIndexes indexes(dir.path().string(), loading, nullptr);
  auto found = kmodx::lookup_module(name, indexes, &config);
  REQUIRE(found.ok());
  static const char* const kSteps[] = {"config_alias", "dep", "symbol", "install", "remove", "alias", "builtin",
                                       "builtin_alias"};
  std::vector<std::string> out;
  for (const kmodx::LookupHit& h : *found) {
    std::string line = std::string(kSteps[static_cast<int>(h.step)]) + " " + h.name + " " + h.alias;
    if (h.step == Step::dep) line += " [" + h.dep_line + "]";
    if (h.command != nullptr) line += " [" + h.command->text + "]";
    out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("lookup_module: configuration aliases come first, every match, the pattern as alias", "[query]") {
  TempDir dir;
  make_tree(dir);
  // Even a real module name is taken by a matching config alias.
  CHECK(hits(dir, "alias kx-* kx_b\nalias kx_a ext\n", "kx-a") ==
        std::vector<std::string>{"config_alias kx_b kx_*", "config_alias ext kx_a"});
  CHECK(hits(dir, "", "kx-a") == std::vector<std::string>{"dep kx_a  [kernel/a/kx_a.ko: kernel/b/kx_b.ko.xz]"});
}

TEST_CASE("lookup_module: commands after modules.dep and symbol:, before the alias index", "[query]") {
  TempDir dir;
  make_tree(dir);
  const std::string config = "install kx_alias echo I\nremove kx_alias echo R\nremove only_remove echo R2\n"
                             "install kx_a echo never\n";
  CHECK(hits(dir, config, "kx_alias") == std::vector<std::string>{"install kx_alias  [echo I]"});
  CHECK(hits(dir, config, "only-remove") == std::vector<std::string>{"remove only_remove  [echo R2]"});
  CHECK(hits(dir, config, "kx_a") == std::vector<std::string>{"dep kx_a  [kernel/a/kx_a.ko: kernel/b/kx_b.ko.xz]"});
  CHECK(hits(dir, config, "symbol:kx_b_func") == std::vector<std::string>{"symbol kx_b symbol:kx_b_func"});
  // A name with ':' skips modules.dep.bin.
  CHECK(hits(dir, "", "pci:v00001234d00005678") ==
        std::vector<std::string>{"alias kx_a pci:v00001234d00005678", "alias kx_b pci:v00001234d00005678"});
  CHECK(hits(dir, "", "unix") == std::vector<std::string>{"builtin unix "});
  CHECK(hits(dir, "", "net-pf-1") == std::vector<std::string>{"builtin_alias unix net_pf_1"});
}

TEST_CASE("lookup_module: the index set's loading picks libkmod's reader", "[query]") {
  TempDir dir;
  make_tree(dir);
  // modinfo (per call: the file reader) and modprobe (preloaded: the
  // mapping) read equal-priority values in the orders Index::ReadMode gives.
  auto index = kmodx::Index::open(dir.file("modules.builtin.alias.bin"));
  REQUIRE(index.ok());
  for (auto [loading, mode] : {std::pair{kmodx::LookupIndexes::Loading::per_call, kmodx::Index::ReadMode::stream},
                               std::pair{kmodx::LookupIndexes::Loading::preloaded, kmodx::Index::ReadMode::mapped}}) {
    std::vector<std::string> expected;
    for (const auto& v : index->search_wildcard("shared_x", nullptr, mode))
      expected.push_back("builtin_alias " + v.value + " shared_x");
    CHECK(hits(dir, "", "shared-x", loading) == expected);
  }
  // A preloaded set keeps what it read; a per-call one sees a new file.
  const kmodx::LookupIndexes preloaded(dir.path().string(), kmodx::LookupIndexes::Loading::preloaded, nullptr);
  const kmodx::LookupIndexes per_call(dir.path().string(), kmodx::LookupIndexes::Loading::per_call, nullptr);
  // (Replaced by rename, as depmod does: the preloaded file stays mapped.)
  write_index(dir, "new.bin", {{"later", "", 0}});
  std::filesystem::rename(dir.file("new.bin"), dir.file("modules.builtin.bin"));
  CHECK_FALSE(preloaded.exact(kmodx::LookupIndex::builtin, "later"));
  CHECK(per_call.exact(kmodx::LookupIndex::builtin, "later"));
  CHECK(preloaded.preloaded(kmodx::LookupIndex::alias) != nullptr);
  CHECK(per_call.preloaded(kmodx::LookupIndex::alias) == nullptr);
}

TEST_CASE("lookup_module: per call, the kept mapping gives way to whatever file is at the path now", "[query]") {
  TempDir dir;
  make_tree(dir);
  const kmodx::LookupIndexes per_call(dir.path().string(), kmodx::LookupIndexes::Loading::per_call, nullptr);
  CHECK(per_call.exact(kmodx::LookupIndex::builtin, "unix"));
  CHECK(per_call.exact(kmodx::LookupIndex::builtin, "unix"));  // the same file: its mapping is used again
  // Replaced by rename, as depmod does.
  write_index(dir, "new.bin", {{"later", "", 0}});
  std::filesystem::rename(dir.file("new.bin"), dir.file("modules.builtin.bin"));
  CHECK(per_call.exact(kmodx::LookupIndex::builtin, "later"));
  CHECK_FALSE(per_call.exact(kmodx::LookupIndex::builtin, "unix"));
  // Rewritten in place (the same inode, another size).
  write_index(dir, "modules.builtin.bin", {{"unix", "", 0}, {"again", "", 0}});
  CHECK(per_call.exact(kmodx::LookupIndex::builtin, "again"));
  CHECK_FALSE(per_call.exact(kmodx::LookupIndex::builtin, "later"));
  // Removed: nothing is found.
  std::filesystem::remove(dir.file("modules.builtin.bin"));
  CHECK_FALSE(per_call.exact(kmodx::LookupIndex::builtin, "unix"));
}

namespace {

// A sink that several threads may report to.
struct LockedSink final : kmodx::DiagnosticSink {
  void report(kmodx::Severity, std::string_view message) override {
    std::lock_guard lock(mutex);
    messages.emplace_back(message);
  }
  std::mutex mutex;
  std::vector<std::string> messages;
};

}  // namespace

TEST_CASE("ModuleDirectory: lookups from several threads at once, damage reported once", "[query][threads]") {
  TempDir dir;
  make_tree(dir);
  // A modules.alias.bin whose root's children point outside the file.
  std::string damaged("\xB0\x07\xF4\x57\x00\x02\x00\x01\x20\x00\x00\x0C" "az", 14);
  for (int i = 0; i < 26; ++i) damaged += std::string("\x4F\xFF\xFF\x00", 4);
  dir.write("modules.alias.bin", damaged);
  LockedSink sink;
  const ModuleDirectory shared(dir.path().string(), &sink);
  constexpr int kThreads = 4, kRounds = 200;
  std::vector<std::vector<std::string>> seen(kThreads);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < kRounds; ++i) {
          auto dep = shared.lookup(i % 2 ? "kx-a" : "kx_b");
          auto alias = shared.lookup("pci:v00001234d00000001");  // reads the damaged index
          auto builtin = shared.lookup("net-pf-1");
          if (!dep || !alias || !builtin) continue;
          std::string line = names(*dep).front() + " " + std::to_string(alias->size()) + " " + names(*builtin).front();
          seen[t].push_back(line);
        }
      });
  }
  for (int t = 0; t < kThreads; ++t) {
    REQUIRE(seen[t].size() == kRounds);
    for (int i = 0; i < kRounds; ++i) CHECK(seen[t][i] == (i % 2 ? "kx_a 0 unix" : "kx_b 0 unix"));
  }
  // Every lookup of the alias index met the damage; one warning names it.
  // (kx_a's dependency has no file here: libkmod reports that at every read.)
  std::vector<std::string> damage;
  for (const std::string& m : sink.messages)
    if (m.find("damaged index") != std::string::npos) damage.push_back(m);
    else CHECK(m.find("kernel/b/kx_b.ko.xz error=No such file or directory") != std::string::npos);
  REQUIRE(damage.size() == 1);
  CHECK(damage[0].find("modules.alias.bin") != std::string::npos);
  CHECK(sink.messages.size() == 1 + kThreads * kRounds / 2);
}
