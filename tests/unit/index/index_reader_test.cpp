// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kmodx/index.hpp"

#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "index/trie_writer.hpp"

using kmodx::Error;
using kmodx::Index;
using kmodx::IndexValue;
using kmodx::index::Order;
using kmodx::index::TrieBuilder;

namespace {

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}
const std::string kHead = be32(0xB007F457) + be32(0x00020001);
const std::string kNul(1, '\0');
constexpr std::uint32_t P = 0x80000000, V = 0x40000000, C = 0x20000000;

Index load(const std::string& file) {
  auto r = Index::from_bytes(std::string_view(file), "test.bin");
  REQUIRE(r.ok());
  return std::move(r).value();
}

std::string build(const std::vector<std::tuple<std::string, std::string, std::uint32_t>>& entries,
                  Order order) {
  TrieBuilder b;
  for (const auto& [k, v, p] : entries) REQUIRE(b.insert(k, v, p).ok());
  return b.serialize(order);
}

std::vector<std::string> values_of(const std::vector<IndexValue>& r) {
  std::vector<std::string> out;
  for (const IndexValue& v : r) out.push_back(v.value);
  return out;
}

// Everything a reader can be asked, as one comparable string.
std::string all_answers(const Index& index, const std::vector<std::string>& queries, bool* corrupt) {
  std::string out;
  Error err;
  for (const std::string& q : queries) {
    out += "exact " + q + " = " + index.lookup_exact(q, &err).value_or("<none>") + "\n";
    for (const IndexValue& v : index.search_wildcard(q, &err))
      out += "wild " + q + " = " + std::to_string(v.priority) + " " + v.value + "\n";
  }
  index.dump("alias ", out, &err);
  *corrupt = err.code != 0;
  return out;
}

}  // namespace

TEST_CASE("header checks: size, magic, major version", "[index]") {
  const std::string empty = kHead + be32(12);
  CHECK(Index::from_bytes(std::string_view(empty)).ok());

  for (std::size_t n = 0; n < 12; ++n) {
    auto r = Index::from_bytes(std::string_view(empty).substr(0, n), "short.bin");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == EINVAL);
    CHECK(r.error().detail.find("short.bin") == 0);
  }
  auto magic = Index::from_bytes(be32(0xDEADBEEF) + be32(0x00020001) + be32(12), "m.bin");
  REQUIRE_FALSE(magic.ok());
  CHECK(magic.error().code == EINVAL);
  CHECK(magic.error().detail == "m.bin: magic check fail: deadbeef instead of b007f457");
  // module-init-tools' pre-versioning magic is refused too.
  CHECK_FALSE(Index::from_bytes(be32(0xB007FA57) + be32(0x00020001) + be32(12)).ok());

  auto major = Index::from_bytes(be32(0xB007F457) + be32(0x00030001) + be32(12), "v.bin");
  REQUIRE_FALSE(major.ok());
  CHECK(major.error().detail == "v.bin: major version check fail: 3 instead of 2");
  CHECK_FALSE(Index::from_bytes(be32(0xB007F457) + be32(0x00010000) + be32(12)).ok());
  // The minor version is ignored.
  auto minor = Index::from_bytes(be32(0xB007F457) + be32(0x0002FFFF) + be32(12));
  REQUIRE(minor.ok());
  CHECK(minor->version() == 0x0002FFFF);
}

TEST_CASE("open() maps a file and reports errno and the path", "[index]") {
  char dir_template[] = "/tmp/kmodx-index-XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  const std::string dir = dir_template;
  const std::string path = dir + "/modules.dep.bin";
  const std::string file = build({{"mod_a", "kernel/a.ko:", 0}}, Order::pre_order);
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  std::fwrite(file.data(), 1, file.size(), f);
  std::fclose(f);

  auto index = Index::open(path);
  REQUIRE(index.ok());
  CHECK(index->name() == path);
  CHECK(index->lookup_exact("mod_a") == "kernel/a.ko:");
  Index moved = std::move(index).value();
  CHECK(moved.lookup_exact("mod_a") == "kernel/a.ko:");

  auto missing = Index::open(dir + "/nope.bin");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ENOENT);
  CHECK(missing.error().detail.find(dir + "/nope.bin") == 0);

  auto directory = Index::open(dir);
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.error().code == EISDIR);

  const std::string small = dir + "/small.bin";
  f = std::fopen(small.c_str(), "wb");
  REQUIRE(f != nullptr);
  std::fwrite(file.data(), 1, 11, f);
  std::fclose(f);
  auto too_small = Index::open(small);
  REQUIRE_FALSE(too_small.ok());
  CHECK(too_small.error().code == EINVAL);

  unlink(small.c_str());
  unlink(path.c_str());
  rmdir(dir.c_str());
}

TEST_CASE("exact lookups return the first stored value", "[index]") {
  for (Order order : {Order::post_order, Order::pre_order}) {
    Index index = load(build({{"snd", "kernel/snd.ko:", 3},
                              {"snd_hda_intel", "kernel/snd-hda-intel.ko: kernel/snd.ko", 1},
                              {"snd_hda_codec", "kernel/snd-hda-codec.ko:", 2},
                              {"dup", "second", 9},
                              {"dup", "first", 4}},
                             order));
    Error err;
    CHECK(index.lookup_exact("snd", &err) == "kernel/snd.ko:");
    CHECK(index.lookup_exact("snd_hda_intel", &err) == "kernel/snd-hda-intel.ko: kernel/snd.ko");
    CHECK(index.lookup_exact("snd_hda_codec", &err) == "kernel/snd-hda-codec.ko:");
    CHECK(index.lookup_exact("dup", &err) == "first");
    CHECK(index.lookup_exact("snd_hda", &err) == std::nullopt);  // inner node without values
    CHECK(index.lookup_exact("snd_hda_intel_x", &err) == std::nullopt);
    CHECK(index.lookup_exact("", &err) == std::nullopt);
    CHECK(index.lookup_exact("s\xe9", &err) == std::nullopt);
    CHECK(index.lookup_exact(std::string("snd\0junk", 8), &err) == "kernel/snd.ko:");  // C string semantics
    CHECK(err.code == 0);
  }
}

TEST_CASE("the empty index answers nothing and is not corrupt", "[index]") {
  Index index = load(kHead + be32(12));
  Error err;
  CHECK(index.lookup_exact("x", &err) == std::nullopt);
  CHECK(index.search_wildcard("x", &err).empty());
  std::string out;
  index.dump("alias ", out, &err);
  CHECK(out.empty());
  CHECK(err.code == 0);
  CHECK(index.verify().ok());
}

TEST_CASE("wildcard results: ascending priority, ties latest-found first", "[index]") {
  for (Order order : {Order::post_order, Order::pre_order}) {
    Index index = load(build({{"pci:v*", "generic", 5},
                              {"pci:v00001234*", "vendor", 2},
                              {"pci:v00001234d*", "device", 2},
                              {"pci:v00001234d00005678", "exact", 7},
                              {"usb:*", "usb", 1},
                              {"usb:v1p2", "usb_exact", 0}},
                             order));
    Error err;
    // Found in the order generic, vendor, device, exact; the two priority-2
    // hits come out latest first.
    std::vector<IndexValue> r = index.search_wildcard("pci:v00001234d00005678", &err);
    CHECK(r == std::vector<IndexValue>{{2, "device"}, {2, "vendor"}, {5, "generic"}, {7, "exact"}});
    CHECK(values_of(index.search_wildcard("pci:v00001234d0000", &err)) ==
          std::vector<std::string>{"device", "vendor", "generic"});
    CHECK(values_of(index.search_wildcard("pci:v00009999", &err)) == std::vector<std::string>{"generic"});
    CHECK(values_of(index.search_wildcard("usb:v1p2", &err)) == std::vector<std::string>{"usb_exact", "usb"});
    CHECK(values_of(index.search_wildcard("usb:", &err)) == std::vector<std::string>{"usb"});
    CHECK(index.search_wildcard("pci", &err).empty());
    CHECK(index.search_wildcard("", &err).empty());
    CHECK(err.code == 0);
  }
}

TEST_CASE("wildcard ties follow the traversal: wildcard children, then the literal path", "[index]") {
  // All priority 0, like modules.builtin.alias.bin: the result is the reverse
  // of the order in which the search meets the patterns.
  for (Order order : {Order::post_order, Order::pre_order}) {
    Index index = load(build({{"a*", "m1", 0},
                              {"a?c", "m2", 0},
                              {"a[bc]c", "m3", 0},
                              {"abc", "m4", 0},
                              {"*c", "m5", 0},
                              {"b*", "m6", 0}},
                             order));
    CHECK(values_of(index.search_wildcard("abc")) == std::vector<std::string>{"m4", "m3", "m2", "m1", "m5"});
    CHECK(values_of(index.search_wildcard("ab")) == std::vector<std::string>{"m1"});
    CHECK(values_of(index.search_wildcard("bc")) == std::vector<std::string>{"m6", "m5"});
  }
}

TEST_CASE("wildcard: equal priorities inside one node come out reversed", "[index]") {
  // The values of a node are re-inserted one by one with the ordered insert.
  Index index = load(build({{"x*", "first", 1}, {"x*", "second", 1}, {"x*", "zero", 0}}, Order::pre_order));
  CHECK(index.lookup_exact("x*") == "zero");
  CHECK(values_of(index.search_wildcard("xyz")) == std::vector<std::string>{"zero", "first", "second"});
}

TEST_CASE("wildcard: a query containing wildcard characters", "[index]") {
  Index index = load(build({{"a*", "star", 0}, {"ab", "ab", 3}, {"a*b", "star_b", 1}}, Order::post_order));
  Error err;
  // The '*' child is searched as a pattern and then followed literally too,
  // so "a*b" is found twice.
  CHECK(values_of(index.search_wildcard("a*b", &err)) ==
        std::vector<std::string>{"star", "star_b", "star_b"});
  CHECK(err.code == 0);
}

TEST_CASE("dump prints pre-order, sorted keys, values in stored order", "[index]") {
  for (Order order : {Order::post_order, Order::pre_order}) {
    Index index = load(build({{"symbol:b_fn", "mod_b", 1},
                              {"char_major_10_123", "mod_a", 0},
                              {"symbol:a_fn", "mod_a", 0},
                              {"symbol:a", "mod_c", 2},
                              {"symbol:a", "mod_d", 1}},
                             order));
    std::string out = "keep:";
    index.dump("alias ", out);
    CHECK(out ==
          "keep:alias char_major_10_123 mod_a\n"
          "alias symbol:a mod_d\n"
          "alias symbol:a mod_c\n"
          "alias symbol:a_fn mod_a\n"
          "alias symbol:b_fn mod_b\n");
    std::vector<std::string> seen;
    index.for_each([&](std::string_view k, std::uint32_t p, std::string_view v) {
      seen.push_back(std::string(k) + "/" + std::to_string(p) + "/" + std::string(v));
    });
    CHECK(seen.front() == "char_major_10_123/0/mod_a");
    CHECK(seen.size() == 5);
  }
}

TEST_CASE("round trip: random keys, both orders, exact + wildcard + dump", "[index]") {
  std::mt19937 rng(0x6b6d6f64);
  const std::string alphabet = "abc:0_*?[]";
  std::uniform_int_distribution<int> len(0, 9), prio(0, 6);
  auto random_string = [&](const std::string& chars, int n) {
    std::string s;
    std::uniform_int_distribution<int> c(0, static_cast<int>(chars.size()) - 1);
    for (int i = 0; i < n; ++i) s.push_back(chars[c(rng)]);
    return s;
  };

  std::vector<std::tuple<std::string, std::string, std::uint32_t>> entries;
  // key -> values in the order the builder must store them
  std::map<std::string, std::vector<std::pair<std::uint32_t, std::string>>> model;
  for (int i = 0; i < 3000; ++i) {
    std::string key = random_string(alphabet, len(rng));
    std::string value = "v" + std::to_string(i);
    auto p = static_cast<std::uint32_t>(prio(rng));
    entries.emplace_back(key, value, p);
    auto& vals = model[key];
    auto pos = std::find_if(vals.begin(), vals.end(), [&](const auto& e) { return e.first >= p; });
    vals.insert(pos, {p, value});
  }

  const std::string post_file = build(entries, Order::post_order);
  const std::string pre_file = build(entries, Order::pre_order);
  REQUIRE(post_file.size() == pre_file.size());
  Index post = load(post_file);
  Index pre = load(pre_file);
  REQUIRE(post.verify().ok());
  REQUIRE(pre.verify().ok());

  std::string expected_dump;
  for (const auto& [key, vals] : model)
    for (const auto& [p, v] : vals) expected_dump += "alias " + key + " " + v + "\n";
  std::string post_dump, pre_dump;
  post.dump("alias ", post_dump);
  pre.dump("alias ", pre_dump);
  CHECK(post_dump == expected_dump);
  CHECK(pre_dump == expected_dump);

  for (const auto& [key, vals] : model) {
    CHECK(post.lookup_exact(key) == vals.front().second);
    CHECK(pre.lookup_exact(key) == vals.front().second);
  }

  std::vector<std::string> queries;
  for (int i = 0; i < 400; ++i) queries.push_back(random_string("abc:0_", len(rng)));
  for (int i = 0; i < 40; ++i) queries.push_back(random_string(alphabet, len(rng)));
  for (const std::string& q : queries) {
    if (model.count(q) == 0) {
      CHECK(post.lookup_exact(q) == std::nullopt);
    }
    std::vector<IndexValue> a = post.search_wildcard(q);
    std::vector<IndexValue> b = pre.search_wildcard(q);
    CHECK(a == b);
    // A query with wildcard characters also follows them literally and may
    // find a pattern twice; brute force does not model that.
    if (q.find_first_of("*?[") != std::string::npos) continue;
    // Same multiset as brute force over every stored pattern (no '\\' in the
    // keys, so matching the literal head separately changes nothing).
    std::vector<std::pair<std::uint32_t, std::string>> brute, got;
    for (const auto& [key, vals] : model)
      if (fnmatch(key.c_str(), q.c_str(), 0) == 0) brute.insert(brute.end(), vals.begin(), vals.end());
    for (const IndexValue& v : a) got.emplace_back(v.priority, v.value);
    CHECK(std::is_sorted(got.begin(), got.end(),
                         [](const auto& x, const auto& y) { return x.first < y.first; }));
    std::sort(brute.begin(), brute.end());
    std::sort(got.begin(), got.end());
    CHECK(got == brute);
  }
}

// ---- hostile input -------------------------------------------------------

TEST_CASE("every truncation of a valid index: no crash, correct or flagged", "[index]") {
  const std::vector<std::tuple<std::string, std::string, std::uint32_t>> entries = {
      {"pci:v*", "generic", 5},
      {"pci:v00001234*", "vendor", 2},
      {"usb:*", "usb", 1},
      {"mod_a", "kernel/a.ko:", 0},
      {"mod_ab", "kernel/ab.ko: kernel/a.ko", 3}};
  const std::vector<std::string> queries = {"pci:v00001234", "usb:x", "mod_a", "mod_ab", "zzz"};
  for (Order order : {Order::post_order, Order::pre_order}) {
    const std::string full = build(entries, order);
    bool full_corrupt = true;
    const std::string truth = all_answers(load(full), queries, &full_corrupt);
    REQUIRE_FALSE(full_corrupt);
    for (std::size_t n = 0; n < full.size(); ++n) {
      auto r = Index::from_bytes(std::string_view(full).substr(0, n), "cut.bin");
      if (n < 12) {
        CHECK_FALSE(r.ok());
        continue;
      }
      REQUIRE(r.ok());
      bool corrupt = false;
      std::string answers = all_answers(*r, queries, &corrupt);
      CHECK((corrupt || answers == truth));
      CHECK(corrupt);  // something is always missing from a cut file
      CHECK_FALSE(r->verify().ok());
    }
  }
}

TEST_CASE("a reference past the end of the file", "[index]") {
  // root: child table 'a'..'b'; 'a' points far beyond EOF, 'b' to a valid leaf.
  const std::string file =
      kHead + be32(12 | C) + "ab" + be32(0x0FFFFFF0 | V) + be32(22 | V) + be32(1) + be32(0) + "leaf" + kNul;
  Index index = load(file);
  Error err;
  CHECK(index.lookup_exact("b", &err) == "leaf");
  CHECK(err.code == 0);
  CHECK(index.lookup_exact("a", &err) == std::nullopt);
  CHECK(err.code == EBADMSG);
  CHECK(err.detail.find("test.bin: node at 0xffffff0") == 0);

  Error dump_err;
  std::string out;
  index.dump("", out, &dump_err);
  CHECK(out == "b leaf\n");  // the rest of the trie is still listed
  CHECK(dump_err.code == EBADMSG);
  CHECK_FALSE(index.verify().ok());

  // A root reference into the header is refused as well.
  Error root_err;
  Index bad_root = load(kHead + be32(4 | V));
  CHECK(bad_root.search_wildcard("x", &root_err).empty());
  CHECK(root_err.code == EBADMSG);
}

TEST_CASE("a child referring to its parent (loop) terminates", "[index]") {
  // root@12 with children '*' and 'a', both pointing back at the root.
  const std::string file = kHead + be32(12 | C | V) + "*a" + std::string(4 * ('a' - '*' + 1), '\0');
  std::string looped = file;
  looped.replace(14, 4, be32(12 | C | V));
  looped.replace(14 + 4 * ('a' - '*'), 4, be32(12 | C | V));
  looped += be32(1) + be32(0) + "v" + kNul;
  Index index = load(looped);

  auto start = std::chrono::steady_clock::now();
  Error exact_err;
  CHECK(index.lookup_exact("aaaa", &exact_err) == "v");  // consumes the key, ends
  Error wild_err;
  std::vector<IndexValue> r = index.search_wildcard("aaa", &wild_err);
  CHECK(wild_err.code == EBADMSG);
  Error dump_err;
  std::string out;
  index.dump("", out, &dump_err);
  CHECK(dump_err.code == EBADMSG);
  auto verified = index.verify();
  REQUIRE_FALSE(verified.ok());
  CHECK(verified.error().detail.find("reachable more than once") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

TEST_CASE("shared subtrees cannot blow up a traversal", "[index]") {
  // 24 levels, each node's 26 children all pointing at the next level: a
  // naive walk would visit 26^24 nodes.
  const int levels = 24;
  const std::size_t node_size = 2 + 4 * 26;
  std::string file = kHead + be32(12 | C);
  for (int level = 0; level < levels; ++level) {
    file += "az";
    std::uint32_t next = static_cast<std::uint32_t>(12 + (level + 1) * node_size);
    std::uint32_t ref = level + 1 == levels ? (next | V) : (next | C);
    for (int c = 0; c < 26; ++c) file += be32(ref);
  }
  file += be32(1) + be32(0) + "deep" + kNul;
  Index index = load(file);

  auto start = std::chrono::steady_clock::now();
  Error dump_err;
  std::string out;
  index.dump("", out, &dump_err);
  CHECK(dump_err.code == EBADMSG);
  Error wild_err;
  index.search_wildcard("*", &wild_err);
  Error exact_err;
  CHECK(index.lookup_exact(std::string(levels, 'q'), &exact_err) == "deep");
  CHECK_FALSE(index.verify().ok());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

TEST_CASE("a prefix without NUL before EOF", "[index]") {
  Index index = load(kHead + be32(12 | P | V) + "abcdef");
  Error err;
  CHECK(index.lookup_exact("abcdef", &err) == std::nullopt);
  CHECK(err.code == EBADMSG);
  CHECK(err.detail.find("prefix has no NUL") != std::string::npos);
  Error wild_err;
  CHECK(index.search_wildcard("abcdef", &wild_err).empty());
  CHECK(wild_err.code == EBADMSG);
  CHECK_FALSE(index.verify().ok());
}

TEST_CASE("broken child tables and value lists", "[index]") {
  Error err;
  // first > last
  CHECK(load(kHead + be32(12 | C) + "ba" + be32(0)).lookup_exact("a", &err) == std::nullopt);
  CHECK(err.detail.find("invalid child range") != std::string::npos);
  // last >= 128
  err = {};
  CHECK(load(kHead + be32(12 | C) + "a\x80" + std::string(4 * 32, '\0')).search_wildcard("a", &err).empty());
  CHECK(err.code == EBADMSG);
  // a child table running past EOF
  err = {};
  CHECK(load(kHead + be32(12 | C) + "az" + be32(0)).lookup_exact("a", &err) == std::nullopt);
  CHECK(err.detail.find("child table runs past end of file") != std::string::npos);
  // a huge value count
  err = {};
  Index huge = load(kHead + be32(12 | V) + be32(0xFFFFFFFF) + be32(0) + "x" + kNul);
  CHECK(huge.lookup_exact("", &err) == std::nullopt);
  CHECK(err.code == EBADMSG);
  // a value without NUL
  err = {};
  CHECK(load(kHead + be32(12 | V) + be32(1) + be32(0) + "xyz").search_wildcard("", &err).empty());
  CHECK(err.detail.find("has no NUL") != std::string::npos);
  // a root reference of 0
  err = {};
  CHECK(load(kHead + be32(0)).lookup_exact("", &err) == std::nullopt);
  CHECK(err.code == EBADMSG);
}

TEST_CASE("verify() accepts what the writer produces", "[index]") {
  for (Order order : {Order::post_order, Order::pre_order}) {
    CHECK(load(build({{"a", "1", 0}, {"ab", "2", 1}, {"b*", "3", 2}}, order)).verify().ok());
  }
}

// Found by tests/fuzz/index_reader: a key through a NUL label is listed by
// for_each() but no lookup can reach it.
TEST_CASE("verify() refuses a child under NUL", "[index]") {
  // root: child table for labels 0..0 -> node at 18 holding one value "v".
  const std::string file = kHead + be32(12 | C) + std::string(2, '\0') + be32(18 | V) + be32(1) + be32(0) + "v" + kNul;
  Index index = load(file);
  std::vector<std::string> keys;
  index.for_each([&](std::string_view key, std::uint32_t, std::string_view) { keys.emplace_back(key); });
  CHECK(keys == std::vector<std::string>{std::string(1, '\0')});
  auto verified = index.verify();
  REQUIRE_FALSE(verified.ok());
  CHECK(verified.error().detail.find("child for the NUL character") != std::string::npos);
}

TEST_CASE("random byte corruption never crashes or hangs", "[index]") {
  std::vector<std::tuple<std::string, std::string, std::uint32_t>> entries;
  for (int i = 0; i < 60; ++i) {
    entries.emplace_back("pci:v" + std::to_string(i * 37 % 11) + "d*" + std::to_string(i),
                         "mod" + std::to_string(i), static_cast<std::uint32_t>(i % 4));
  }
  const std::vector<std::string> queries = {"pci:v3d17", "pci:v", "pci:v1d*2", ""};
  std::mt19937 rng(99);
  auto start = std::chrono::steady_clock::now();
  for (Order order : {Order::post_order, Order::pre_order}) {
    const std::string full = build(entries, order);
    std::uniform_int_distribution<std::size_t> where(12, full.size() - 1);
    std::uniform_int_distribution<int> byte(0, 255), flips(1, 4);
    for (int round = 0; round < 1500; ++round) {
      std::string mutated = full;
      for (int n = flips(rng); n > 0; --n) mutated[where(rng)] = static_cast<char>(byte(rng));
      Index index = load(mutated);
      bool corrupt = false;
      all_answers(index, queries, &corrupt);
      (void)index.verify();
    }
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
}

TEST_CASE("a trie as deep as the longest kmod key works; deeper is flagged", "[index]") {
  // Keys x, xx, xxx, ...: one node per character, each with a value.
  auto chain = [](std::size_t longest) {
    TrieBuilder b;
    for (std::size_t n = 1; n <= longest; ++n) REQUIRE(b.insert(std::string(n, 'x'), "v", 0).ok());
    return b.serialize(Order::pre_order);
  };
  Index ok = load(chain(Index::kMaxDepth - 1));  // root + 4095 levels
  Error err;
  std::string out;
  ok.dump("", out, &err);
  CHECK(err.code == 0);
  CHECK(std::count(out.begin(), out.end(), '\n') == static_cast<long>(Index::kMaxDepth - 1));
  CHECK(ok.search_wildcard(std::string(100, 'x'), &err).size() == 1);
  CHECK(ok.verify().ok());

  Index deep = load(chain(Index::kMaxDepth + 10));
  Error deep_err;
  std::string deep_out;
  deep.dump("", deep_out, &deep_err);
  CHECK(deep_err.code == EBADMSG);
  CHECK(deep_err.detail.find("deeper than 4096 levels") != std::string::npos);
  CHECK(deep.lookup_exact(std::string(Index::kMaxDepth + 10, 'x')) == "v");  // exact lookups need no limit
}
