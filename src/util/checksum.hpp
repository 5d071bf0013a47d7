// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// A 64-bit checksum for kmodx's own binary files (the depmod cache): not
// cryptographic, made to catch a torn, truncated or bit-flipped file, and
// fast enough to run over a few MiB on every start (about 8 bytes per
// multiply). The value depends only on the bytes, never on the host, nor on
// how they were split between update() calls.
//
// Thread safety: checksum64() is a pure function; a Checksum64 is a value
// owned by one thread.

#include <cstddef>
#include <cstdint>
#include <span>

namespace kmodx {

class Checksum64 {
 public:
  void update(std::span<const std::byte> bytes);
  /// The checksum of every byte given so far.
  std::uint64_t value() const;

 private:
  std::uint64_t a_ = 0x243F6A8885A308D3ull, b_ = 0x13198A2E03707344ull;
  std::byte pending_[16] = {};  // a started block
  std::size_t pending_size_ = 0;
  std::uint64_t total_ = 0;
};

std::uint64_t checksum64(std::span<const std::byte> bytes);

}  // namespace kmodx
