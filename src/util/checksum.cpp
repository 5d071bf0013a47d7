// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/checksum.hpp"

#include <algorithm>
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

// Blocks of 16 bytes, two lanes so that the multiplies of neighbouring words
// overlap; the last, partial block is zero-padded; then the length.
void Checksum64::update(std::span<const std::byte> bytes) {
  total_ += bytes.size();
  std::size_t i = 0;
  if (pending_size_ > 0) {
    const std::size_t n = std::min(bytes.size(), sizeof pending_ - pending_size_);
    std::memcpy(pending_ + pending_size_, bytes.data(), n);
    pending_size_ += n;
    i = n;
    if (pending_size_ < sizeof pending_) return;
    a_ = mix(a_, load_le64(pending_));
    b_ = mix(b_, load_le64(pending_ + 8));
    pending_size_ = 0;
  }
  for (; i + 16 <= bytes.size(); i += 16) {
    a_ = mix(a_, load_le64(bytes.data() + i));
    b_ = mix(b_, load_le64(bytes.data() + i + 8));
  }
  if (i < bytes.size()) {
    pending_size_ = bytes.size() - i;
    std::memcpy(pending_, bytes.data() + i, pending_size_);
  }
}

std::uint64_t Checksum64::value() const {
  std::byte tail[16] = {};
  std::memcpy(tail, pending_, pending_size_);
  const std::uint64_t a = mix(a_, load_le64(tail));
  const std::uint64_t b = mix(b_, load_le64(tail + 8));
  return mix(mix(a, b), total_);
}

std::uint64_t checksum64(std::span<const std::byte> bytes) {
  Checksum64 sum;
  sum.update(bytes);
  return sum.value();
}

}  // namespace kmodx
