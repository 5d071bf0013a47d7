// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// A 64-bit checksum for kmodx's own binary files (the depmod cache): not
// cryptographic, made to catch a torn, truncated or bit-flipped file, and
// fast enough to run over a few MiB on every start (about 8 bytes per
// multiply). The value depends only on the bytes, never on the host.
//
// Thread safety: a pure function.

#include <cstddef>
#include <cstdint>
#include <span>

namespace kmodx {

std::uint64_t checksum64(std::span<const std::byte> bytes);

}  // namespace kmodx
