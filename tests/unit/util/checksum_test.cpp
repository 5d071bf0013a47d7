// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/checksum.hpp"

#include <cstddef>
#include <vector>

#include <catch2/catch.hpp>

using kmodx::Checksum64;
using kmodx::checksum64;

namespace {

std::vector<std::byte> bytes(std::size_t n) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>((i * 131 + 7) & 0xff);
  return v;
}

}  // namespace

TEST_CASE("the checksum does not depend on how the bytes are split") {
  const auto data = bytes(100);
  const std::span<const std::byte> all(data);
  for (std::size_t len : {0u, 1u, 15u, 16u, 17u, 32u, 100u}) {
    const auto whole = checksum64(all.first(len));
    for (std::size_t a = 0; a <= len; ++a)
      for (std::size_t b = a; b <= len; b += 7) {
        Checksum64 sum;
        sum.update(all.subspan(0, a));
        sum.update(all.subspan(a, b - a));
        sum.update(all.subspan(b, len - b));
        CHECK(sum.value() == whole);
      }
  }
}

TEST_CASE("the checksum sees every byte, its position and the length") {
  const auto data = bytes(64);
  const auto base = checksum64(data);
  for (std::size_t i = 0; i < data.size(); ++i) {
    auto changed = data;
    changed[i] ^= std::byte{1};
    CHECK(checksum64(changed) != base);
  }
  auto longer = data;
  longer.push_back(std::byte{0});  // a zero byte more: only the length tells
  CHECK(checksum64(longer) != base);
  CHECK(checksum64({}) != checksum64(std::vector<std::byte>(1)));
}
