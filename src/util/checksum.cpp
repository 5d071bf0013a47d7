// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/checksum.hpp"

#include <bit>
#include <cstring>

namespace kmodx {
namespace {

constexpr std::uint64_t kMultiplier = 0x9E3779B97F4A7C15ull;

// Little-endian word, so the value is the same on every host.
std::uint64_t load_le64(const std::byte* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

std::uint64_t mix(std::uint64_t h, std::uint64_t word) {
  h = (h ^ word) * kMultiplier;
  return h ^ (h >> 29);
}

}  // namespace

std::uint64_t checksum64(std::span<const std::byte> bytes) {
  // Two lanes, so the multiplies of neighbouring words overlap.
  std::uint64_t a = 0x243F6A8885A308D3ull, b = 0x13198A2E03707344ull;
  std::size_t i = 0;
  for (; i + 16 <= bytes.size(); i += 16) {
    a = mix(a, load_le64(bytes.data() + i));
    b = mix(b, load_le64(bytes.data() + i + 8));
  }
  std::byte tail[16] = {};
  if (bytes.size() > i) std::memcpy(tail, bytes.data() + i, bytes.size() - i);
  a = mix(a, load_le64(tail));
  b = mix(b, load_le64(tail + 8));
  return mix(mix(a, b), static_cast<std::uint64_t>(bytes.size()));
}

}  // namespace kmodx
