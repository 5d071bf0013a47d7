// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// In-memory compressors for tests: the three formats kernels compress modules
/// with. Each throws std::runtime_error if the library reports a failure.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace kmodx::test {

/// .xz stream (liblzma) with a CRC32 check, as the kernel's `xz --check=crc32`.
std::vector<std::byte> xz_compress(std::span<const std::byte> data, std::uint32_t preset = 6);

/// One zstd frame (libzstd). \p checksum adds the frame's XXH64 checksum;
/// \p content_size records the decompressed size in the frame header.
std::vector<std::byte> zstd_compress(std::span<const std::byte> data, int level = 3,
                                     bool checksum = true, bool content_size = true);

/// One gzip member (zlib deflate with the gzip wrapper).
std::vector<std::byte> gzip_compress(std::span<const std::byte> data, int level = 6);

}  // namespace kmodx::test
