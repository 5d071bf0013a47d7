// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/kmod_hash.hpp"

#include <algorithm>
#include <numeric>

namespace kmodx {
namespace {

std::uint32_t le16(const unsigned char* p) { return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8); }

// libkmod reads single bytes through a plain char, signed on x86: bytes of
// 0x80 and above are sign-extended.
std::uint32_t signed_byte(unsigned char c) {
  return static_cast<std::uint32_t>(static_cast<std::int32_t>(static_cast<signed char>(c)));
}

}  // namespace

std::uint32_t kmod_hash(std::string_view key) {
  const auto* p = reinterpret_cast<const unsigned char*>(key.data());
  std::uint32_t len = static_cast<std::uint32_t>(key.size());
  std::uint32_t h = len;
  const std::uint32_t rem = len & 3;
  for (std::uint32_t n = len >> 2; n > 0; --n, p += 4) {
    h += le16(p);
    const std::uint32_t t = (le16(p + 2) << 11) ^ h;
    h = (h << 16) ^ t;
    h += h >> 11;
  }
  switch (rem) {
    case 3:
      h += le16(p);
      h ^= h << 16;
      h ^= signed_byte(p[2]) << 18;
      h += h >> 11;
      break;
    case 2:
      h += le16(p);
      h ^= h << 11;
      h += h >> 17;
      break;
    case 1:
      h += signed_byte(*p);
      h ^= h << 10;
      h += h >> 1;
      break;
  }
  h ^= h << 3;
  h += h >> 5;
  h ^= h << 4;
  h += h >> 17;
  h ^= h << 25;
  h += h >> 6;
  return h;
}

std::uint32_t kmod_hash_buckets(std::uint32_t requested) {
  std::uint32_t n = 1;
  while (n < requested) n <<= 1;
  return n;
}

std::vector<std::uint32_t> kmod_hash_order(const std::vector<std::string_view>& keys,
                                           std::uint32_t requested_buckets) {
  const std::uint32_t mask = kmod_hash_buckets(requested_buckets) - 1;
  std::vector<std::uint32_t> bucket(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) bucket[i] = kmod_hash(keys[i]) & mask;
  std::vector<std::uint32_t> order(keys.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    if (bucket[a] != bucket[b]) return bucket[a] < bucket[b];
    return keys[a] < keys[b];  // bytewise, as strcmp on NUL-free keys
  });
  return order;
}

}  // namespace kmodx
