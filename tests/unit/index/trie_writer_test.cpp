// SPDX-License-Identifier: LGPL-2.1-or-later
#include "index/trie_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "kmodx/index.hpp"

using kmodx::Index;
using kmodx::index::Order;
using kmodx::index::TrieBuilder;

namespace {

// Big-endian words and raw bytes, to spell expected files out in the tests.
std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}
std::string bytes(std::initializer_list<int> list) {
  std::string s;
  for (int b : list) s.push_back(static_cast<char>(b));
  return s;
}
const std::string kHead = be32(0xB007F457) + be32(0x00020001);
constexpr std::uint32_t P = 0x80000000, V = 0x40000000, C = 0x20000000;

std::uint32_t root_ref(const std::string& file) {
  return (std::uint32_t(std::uint8_t(file[8])) << 24) | (std::uint32_t(std::uint8_t(file[9])) << 16) |
         (std::uint32_t(std::uint8_t(file[10])) << 8) | std::uint32_t(std::uint8_t(file[11]));
}

void insert_ok(TrieBuilder& b, std::string_view key, std::string_view value, std::uint32_t prio) {
  kmodx::Result<bool> r = b.insert(key, value, prio);
  REQUIRE(r.ok());
}

std::vector<std::string> random_keys(std::mt19937& rng, std::size_t count) {
  const std::string alphabet = "abcdefghij_:*?0123";
  std::uniform_int_distribution<std::size_t> len(0, 14), pick(0, alphabet.size() - 1);
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < count; ++i) {
    std::string k;
    for (std::size_t n = len(rng); n > 0; --n) k.push_back(alphabet[pick(rng)]);
    keys.push_back(k);
  }
  return keys;
}

// Values of one key as stored in the file, via the reader's pre-order walk.
std::vector<std::pair<std::uint32_t, std::string>> stored_values(const std::string& file,
                                                                 const std::string& key) {
  auto index = Index::from_bytes(std::string_view(file));
  REQUIRE(index.ok());
  std::vector<std::pair<std::uint32_t, std::string>> out;
  index->for_each([&](std::string_view k, std::uint32_t prio, std::string_view v) {
    if (k == key) out.emplace_back(prio, std::string(v));
  });
  return out;
}

}  // namespace

TEST_CASE("an empty index is exactly the 12-byte header in both orders", "[index]") {
  TrieBuilder b;
  const std::string expected =
      bytes({0xB0, 0x07, 0xF4, 0x57, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0C});
  CHECK(b.serialize(Order::post_order) == expected);
  CHECK(b.serialize(Order::pre_order) == expected);
}

TEST_CASE("a single key, byte for byte", "[index]") {
  TrieBuilder b;
  insert_ok(b, "a", "x", 7);
  // root: child table 'a'..'a' (6 bytes); leaf: empty prefix, one value (10 bytes).
  const std::string leaf = be32(1) + be32(7) + "x" + std::string(1, '\0');
  CHECK(b.serialize(Order::pre_order) == kHead + be32(12 | C) + "aa" + be32(18 | V) + leaf);
  CHECK(b.serialize(Order::post_order) == kHead + be32(22 | C) + leaf + "aa" + be32(12 | V));
}

TEST_CASE("the split rule and both layouts, byte for byte", "[index]") {
  TrieBuilder b;
  insert_ok(b, "abc", "1", 0);
  insert_ok(b, "abd", "2", 0);
  // "abd" splits the leaf "a"+"bc" into "a"+"b" with children 'c' (the old
  // values, empty prefix) and 'd' (new leaf).
  CHECK(b.node_count() == 4);
  const std::string nul(1, '\0');
  const std::string c_leaf = be32(1) + be32(0) + "1" + nul;
  const std::string d_leaf = be32(1) + be32(0) + "2" + nul;
  // pre-order: root@12 (6 bytes), "b"-node@18 (12 bytes), c@30, d@40.
  CHECK(b.serialize(Order::pre_order) == kHead + be32(12 | C) + "aa" + be32(18 | P | C) + "b" + nul + "cd" +
                                             be32(30 | V) + be32(40 | V) + c_leaf + d_leaf);
  // post-order: c@12, d@22, "b"-node@32, root@44.
  CHECK(b.serialize(Order::post_order) == kHead + be32(44 | C) + c_leaf + d_leaf + "b" + nul + "cd" +
                                              be32(12 | V) + be32(22 | V) + "aa" + be32(32 | P | C));
}

TEST_CASE("a key ending inside a prefix splits the node and takes its values", "[index]") {
  TrieBuilder b;
  insert_ok(b, "abc", "long", 1);
  insert_ok(b, "a", "short", 2);
  const std::string file = b.serialize(Order::pre_order);
  auto index = Index::from_bytes(std::string_view(file));
  REQUIRE(index.ok());
  CHECK(index->lookup_exact("a") == "short");
  CHECK(index->lookup_exact("abc") == "long");
  CHECK(index->lookup_exact("ab") == std::nullopt);
  // root -> 'a' (empty prefix, value "short") -> 'b' (prefix "c", value "long")
  CHECK(b.node_count() == 3);
  const std::string nul(1, '\0');
  CHECK(file == kHead + be32(12 | C) + "aa" + be32(18 | V | C) + "bb" + be32(38 | P | V) + be32(1) + be32(2) +
                    "short" + nul + "c" + nul + be32(1) + be32(1) + "long" + nul);
}

TEST_CASE("values: ascending priority, the later of equal priorities first", "[index]") {
  TrieBuilder b;
  const std::pair<std::uint32_t, const char*> inserts[] = {{5, "a"}, {1, "b"}, {5, "c"},
                                                           {3, "d"}, {1, "e"}, {0, "f"}};
  for (const auto& [prio, value] : inserts) insert_ok(b, "key", value, prio);
  const std::vector<std::pair<std::uint32_t, std::string>> expected = {{0, "f"}, {1, "e"}, {1, "b"},
                                                                       {3, "d"}, {5, "c"}, {5, "a"}};
  CHECK(stored_values(b.serialize(Order::pre_order), "key") == expected);
  CHECK(stored_values(b.serialize(Order::post_order), "key") == expected);
}

TEST_CASE("insert reports duplicate values but stores them again", "[index]") {
  TrieBuilder b;
  CHECK(*b.insert("k", "v", 1) == false);
  CHECK(*b.insert("k", "w", 1) == false);
  CHECK(*b.insert("k", "v", 2) == true);
  CHECK(*b.insert("other", "v", 1) == false);
  CHECK(stored_values(b.serialize(Order::pre_order), "k").size() == 3);
}

TEST_CASE("non-ASCII bytes are refused with kmod master's message", "[index]") {
  TrieBuilder b;
  const std::string key = "caf\xc3\xa9";
  kmodx::Result<bool> r = b.insert(key, "v", 0);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == EINVAL);
  CHECK(r.error().detail ==
        "Module index: bad character '\xc3'=0xc3 - only 7-bit ASCII is supported:\ncaf\xc3\xa9");
  kmodx::Result<bool> rv = b.insert("ok", "\x80x", 0);
  REQUIRE_FALSE(rv.ok());
  CHECK(rv.error().detail ==
        "Module index: bad character '\x80'=0x80 - only 7-bit ASCII is supported:\n\x80x");
  CHECK_FALSE(b.insert(std::string("a\0b", 3), "v", 0).ok());
  CHECK(TrieBuilder::validate("plain ascii ~\x7f").ok());
  // Nothing was stored by the failed inserts.
  CHECK(b.serialize(Order::pre_order).size() == 12);
}

TEST_CASE("pre-order puts the root at 12, post-order puts it last; sizes agree", "[index]") {
  std::mt19937 rng(20240601);
  for (int round = 0; round < 20; ++round) {
    TrieBuilder b;
    std::vector<std::string> keys = random_keys(rng, 1 + round * 37);
    for (std::size_t i = 0; i < keys.size(); ++i) insert_ok(b, keys[i], "v" + std::to_string(i), i % 5);
    const std::string pre = b.serialize(Order::pre_order);
    const std::string post = b.serialize(Order::post_order);
    REQUIRE(pre.size() == post.size());
    CHECK((root_ref(pre) & 0x0FFFFFFF) == 12);
    // The root is the last node: it ends exactly at the end of the file. Its
    // size is the same in both files, so measure it in the pre-order one,
    // where its first child (or the end of file) follows it.
    auto index = Index::from_bytes(std::string_view(post));
    REQUIRE(index.ok());
    REQUIRE(index->verify().ok());
    std::uint32_t post_root = root_ref(post) & 0x0FFFFFFF;
    CHECK(post_root > 12);
    CHECK(post_root < post.size());
    CHECK((root_ref(pre) & 0xF0000000) == (root_ref(post) & 0xF0000000));
    // Same multiset of bytes: only reference words differ, never the length.
    auto pre_index = Index::from_bytes(std::string_view(pre));
    REQUIRE(pre_index.ok());
    REQUIRE(pre_index->verify().ok());
    std::string a, c;
    pre_index->dump("", a);
    index->dump("", c);
    CHECK(a == c);
  }
}

TEST_CASE("the post-order root is the last node in the file", "[index]") {
  TrieBuilder b;
  insert_ok(b, "alpha", "1", 0);
  insert_ok(b, "beta", "2", 0);
  insert_ok(b, "alps", "3", 0);
  const std::string post = b.serialize(Order::post_order);
  // root has children 'a'..'b': 2 + 2 * 4 bytes and nothing else.
  CHECK((root_ref(post) & 0x0FFFFFFF) == post.size() - 10);
  CHECK((root_ref(post) & 0xF0000000) == C);
}

TEST_CASE("the shape and the bytes do not depend on insertion order", "[index]") {
  std::mt19937 rng(7);
  std::vector<std::string> keys = random_keys(rng, 300);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::vector<std::string> shuffled = keys;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  TrieBuilder sorted_builder, shuffled_builder;
  for (const std::string& k : keys) insert_ok(sorted_builder, k, "=" + k, 1);
  for (const std::string& k : shuffled) insert_ok(shuffled_builder, k, "=" + k, 1);
  CHECK(sorted_builder.serialize(Order::pre_order) == shuffled_builder.serialize(Order::pre_order));
  CHECK(sorted_builder.serialize(Order::post_order) == shuffled_builder.serialize(Order::post_order));
}

TEST_CASE("30k module-like keys are fast", "[index]") {
  auto start = std::chrono::steady_clock::now();
  TrieBuilder b;
  for (std::uint32_t i = 0; i < 30000; ++i) {
    std::string name = "mod_" + std::to_string(i * 7919u % 30011u) + "_drv";
    insert_ok(b, "pci:v0000" + std::to_string(i % 97) + "d*sv*sd*bc*sc*i*" + std::to_string(i), name, i);
  }
  std::string file = b.serialize(Order::pre_order);
  std::string file2 = b.serialize(Order::post_order);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(file.size() == file2.size());
  CHECK(seconds < 5.0);
}

// Resource bound: node references hold 28-bit offsets, so an index cannot
// pass 256 MiB. The writer refuses the value that could cross it, before
// storing anything of it, and the index stays usable.
TEST_CASE("an index that would outgrow the 28-bit offsets is EFBIG", "[index]") {
  TrieBuilder b;
  const std::string big(std::size_t{100} << 20, 'v');
  REQUIRE(b.insert("a", big, 0).ok());
  REQUIRE(b.insert("b", big, 0).ok());
  auto third = b.insert("c", big, 0);
  REQUIRE_FALSE(third.ok());
  CHECK(third.error().code == EFBIG);
  auto index = Index::from_bytes(b.serialize(Order::pre_order), "big.bin");
  REQUIRE(index.ok());
  CHECK(index->lookup_exact("b") == big);
  CHECK_FALSE(index->lookup_exact("c"));
}
