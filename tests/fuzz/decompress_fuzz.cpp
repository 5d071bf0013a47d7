// SPDX-License-Identifier: LGPL-2.1-or-later
// One streaming decompressor, chosen at build time (KMODX_FUZZ_FORMAT is
// xz, zstd or gzip; CMake builds this file once per format).
//
// An input whose first byte is even is fed to the decompressor as it is. An
// odd first byte makes the rest of the input the *plain* data: it is
// compressed with the format's own library, and decompressing must give it
// back exactly, and must fail with EFBIG when the limit is one byte short.

#include <cerrno>
#include <cstring>

#include "fuzz_support.hpp"
#include "io/decompressors.hpp"
#include "support/compress.hpp"

#define KMODX_CONCAT2(a, b) a##b
#define KMODX_CONCAT(a, b) KMODX_CONCAT2(a, b)

namespace {

using namespace kmodx;

constexpr io::Decompressor kDecompress = KMODX_CONCAT(io::decompress_, KMODX_FUZZ_FORMAT);
constexpr std::uint64_t kLimit = std::uint64_t{16} << 20;

// The fastest settings: the property is about decoding, not ratio (xz's
// default preset alone would allocate ~100 MiB per input).
std::vector<std::byte> compress(std::span<const std::byte> plain) {
  if constexpr (kDecompress == io::decompress_xz) return test::xz_compress(plain, 0);
  else if constexpr (kDecompress == io::decompress_zstd) return test::zstd_compress(plain, 1);
  else return test::gzip_compress(plain, 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto rest = fuzz::bytes_of(data + 1, size - 1);
  if ((data[0] & 1) == 0) {
    io::ByteBuffer out;
    auto r = kDecompress(rest, kLimit, out);
    if (r) FUZZ_EXPECT(out.size() <= kLimit);
    return 0;
  }
  const std::vector<std::byte> packed = compress(rest);
  io::ByteBuffer out;
  auto r = kDecompress(packed, kLimit, out);
  FUZZ_EXPECT(r.ok());
  FUZZ_EXPECT(out.size() == rest.size());
  FUZZ_EXPECT(rest.empty() || std::memcmp(out.data(), rest.data(), rest.size()) == 0);
  if (!rest.empty()) {
    io::ByteBuffer short_out;
    auto capped = kDecompress(packed, rest.size() - 1, short_out);
    FUZZ_EXPECT(!capped.ok() && capped.error().code == EFBIG);
  }
  return 0;
}
