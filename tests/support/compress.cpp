// SPDX-License-Identifier: LGPL-2.1-or-later
#include "support/compress.hpp"

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace kmodx::test {

std::vector<std::byte> xz_compress(std::span<const std::byte> data, std::uint32_t preset) {
  lzma_stream strm = LZMA_STREAM_INIT;
  if (lzma_easy_encoder(&strm, preset, LZMA_CHECK_CRC32) != LZMA_OK)
    throw std::runtime_error("lzma_easy_encoder failed");
  std::vector<std::byte> out(lzma_stream_buffer_bound(data.size()));
  strm.next_in = reinterpret_cast<const std::uint8_t*>(data.data());
  strm.avail_in = data.size();
  strm.next_out = reinterpret_cast<std::uint8_t*>(out.data());
  strm.avail_out = out.size();
  lzma_ret r;
  do {
    r = lzma_code(&strm, LZMA_FINISH);
  } while (r == LZMA_OK && strm.avail_out > 0);
  const std::size_t produced = out.size() - strm.avail_out;
  lzma_end(&strm);
  if (r != LZMA_STREAM_END) throw std::runtime_error("lzma_code failed: " + std::to_string(r));
  out.resize(produced);
  return out;
}

std::vector<std::byte> zstd_compress(std::span<const std::byte> data, int level, bool checksum,
                                     bool content_size) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  if (!cctx) throw std::runtime_error("ZSTD_createCCtx failed");
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, checksum ? 1 : 0);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, content_size ? 1 : 0);
  std::vector<std::byte> out(ZSTD_compressBound(data.size()));
  const std::size_t n = ZSTD_compress2(cctx, out.data(), out.size(), data.data(), data.size());
  ZSTD_freeCCtx(cctx);
  if (ZSTD_isError(n))
    throw std::runtime_error(std::string("ZSTD_compress2: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

std::vector<std::byte> gzip_compress(std::span<const std::byte> data, int level) {
  z_stream zs{};
  // 15 window bits + 16 selects the gzip wrapper.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::vector<std::byte> out;
  std::vector<std::byte> chunk(1 << 16);
  const auto* in = reinterpret_cast<const Bytef*>(data.data());
  std::size_t remaining = data.size();
  int r = Z_OK;
  do {
    // avail_in is a uInt: feed large inputs in pieces.
    if (zs.avail_in == 0 && remaining > 0) {
      const std::size_t n = std::min<std::size_t>(remaining, 1u << 30);
      zs.next_in = const_cast<Bytef*>(in);
      zs.avail_in = static_cast<uInt>(n);
      in += n;
      remaining -= n;
    }
    zs.next_out = reinterpret_cast<Bytef*>(chunk.data());
    zs.avail_out = static_cast<uInt>(chunk.size());
    r = deflate(&zs, remaining == 0 ? Z_FINISH : Z_NO_FLUSH);
    if (r == Z_STREAM_ERROR) break;
    out.insert(out.end(), chunk.begin(), chunk.end() - zs.avail_out);
  } while (r != Z_STREAM_END);
  deflateEnd(&zs);
  if (r != Z_STREAM_END) throw std::runtime_error("deflate failed");
  return out;
}

}  // namespace kmodx::test
