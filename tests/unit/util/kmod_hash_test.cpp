// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/kmod_hash.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

using namespace kmodx;

TEST_CASE("kmod_hash equals libkmod's hash_superfast", "[util][hash]") {
  // Expected values printed by kmod v30's shared/hash.c hash_superfast(),
  // compiled with gcc on x86-64 (plain char is signed there, which shows in
  // the last four keys).
  struct Case {
    std::string key;
    std::uint32_t hash;
  };
  const std::vector<Case> cases = {
      {"", 0x00000000u},
      {"a", 0x115ea782u},
      {"ab", 0x516b8b44u},
      {"abc", 0xd2be198au},
      {"abcd", 0xdad8b8dbu},
      {"snd_hda_intel", 0x6e4028a1u},
      {"usbcore", 0x923b1427u},
      {"e1000e", 0x4225eedbu},
      {"__this_module", 0xe5771e51u},
      {"xfrm_state_lookup_byspi", 0xadc610a6u},
      {"A very long key with odd length!", 0x82073671u},
      {"\xc3\xa9x", 0x0260cf35u},
      {"\xff", 0x00000000u},
      {"ab\xfe", 0x3568c260u},
      {"\x80\x81", 0xfb1b8d10u},
  };
  for (const Case& c : cases) {
    INFO(c.key);
    CHECK(kmod_hash(c.key) == c.hash);
  }
}

TEST_CASE("bucket counts round up to a power of two", "[util][hash]") {
  CHECK(kmod_hash_buckets(1) == 1);
  CHECK(kmod_hash_buckets(512) == 512);
  CHECK(kmod_hash_buckets(513) == 1024);
  CHECK(kmod_hash_buckets(2000) == 2048);
}

TEST_CASE("iteration order: buckets ascending, strcmp order inside a bucket", "[util][hash]") {
  // With 4 buckets: "abc" -> 0xd2be198a & 3 = 2, "ab" -> 0, "a" -> 2,
  // "abcd" -> 3, "e1000e" -> 3, "usbcore" -> 3 (from the values above).
  const std::vector<std::string_view> keys = {"abcd", "abc", "usbcore", "a", "e1000e", "ab"};
  const std::vector<std::uint32_t> order = kmod_hash_order(keys, 4);
  std::vector<std::string_view> got;
  for (std::uint32_t i : order) got.push_back(keys[i]);
  CHECK(got == std::vector<std::string_view>{"ab", "a", "abc", "abcd", "e1000e", "usbcore"});
}

TEST_CASE("iteration order does not depend on insertion order", "[util][hash]") {
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) names.push_back("mod_" + std::to_string(i * 7919 % 1000));
  std::vector<std::string_view> forward(names.begin(), names.end());
  std::vector<std::string_view> backward(names.rbegin(), names.rend());
  std::vector<std::string_view> a, b;
  for (std::uint32_t i : kmod_hash_order(forward, 512)) a.push_back(forward[i]);
  for (std::uint32_t i : kmod_hash_order(backward, 512)) b.push_back(backward[i]);
  CHECK(a == b);
}
