// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// One streaming decompressor per format, each in its own file. They share one
// signature so compression.cpp can keep them in a table. A backend reports the
// reason only; the caller adds the file name.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "io/byte_buffer.hpp"

#include "kmodx/result.hpp"

namespace kmodx::io {

using Decompressor = Result<void> (*)(std::span<const std::byte> input, std::uint64_t limit,
                                      ByteBuffer& out);

Result<void> decompress_zstd(std::span<const std::byte> input, std::uint64_t limit,
                             ByteBuffer& out);
Result<void> decompress_xz(std::span<const std::byte> input, std::uint64_t limit,
                           ByteBuffer& out);
Result<void> decompress_gzip(std::span<const std::byte> input, std::uint64_t limit,
                             ByteBuffer& out);

/// Grows \p out for the next chunk of output, or fails with EFBIG once \p limit
/// bytes are already there. Returns the writable tail.
Result<std::span<std::byte>> grow_output(ByteBuffer& out, std::size_t used,
                                         std::uint64_t limit);

}  // namespace kmodx::io
