// SPDX-License-Identifier: LGPL-2.1-or-later
#include <lzma.h>

#include <cerrno>
#include <string>

#include "io/decompressors.hpp"

namespace kmodx::io {
namespace {

const char* lzma_reason(lzma_ret r) {
  switch (r) {
    case LZMA_MEM_ERROR: return "memory allocation failed";
    case LZMA_FORMAT_ERROR: return "file format not recognized";
    case LZMA_OPTIONS_ERROR: return "unsupported compression options";
    case LZMA_DATA_ERROR: return "file is corrupt";
    case LZMA_BUF_ERROR: return "unexpected end of input";
    case LZMA_UNSUPPORTED_CHECK: return "unsupported integrity check";
    default: return "unknown error";
  }
}

// One decoder per thread: re-initialising an lzma_stream reuses the memory
// it already has (the dictionary above all) instead of allocating it anew
// for every module.
struct ThreadDecoder {
  lzma_stream stream = LZMA_STREAM_INIT;
  ~ThreadDecoder() { lzma_end(&stream); }
};

// The uncompressed size of the last .xz stream in \p input, read from its
// index (kbuild writes one stream), or 0 when the footer or index does not
// decode. Only a hint for the first allocation: decoding checks everything.
std::uint64_t declared_size(std::span<const std::byte> input) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(input.data());
  if (input.size() < 2 * LZMA_STREAM_HEADER_SIZE) return 0;
  lzma_stream_flags footer;
  if (lzma_stream_footer_decode(&footer, bytes + input.size() - LZMA_STREAM_HEADER_SIZE) != LZMA_OK) return 0;
  const std::uint64_t index_size = footer.backward_size;
  if (index_size > input.size() - 2 * LZMA_STREAM_HEADER_SIZE) return 0;
  lzma_index* index = nullptr;
  std::uint64_t memlimit = std::uint64_t{1} << 24;
  std::size_t pos = input.size() - LZMA_STREAM_HEADER_SIZE - index_size;
  if (lzma_index_buffer_decode(&index, &memlimit, nullptr, bytes, &pos, input.size() - LZMA_STREAM_HEADER_SIZE) !=
      LZMA_OK)
    return 0;
  const std::uint64_t size = lzma_index_uncompressed_size(index);
  lzma_index_end(index, nullptr);
  return size;
}

}  // namespace

Result<void> decompress_xz(std::span<const std::byte> input, std::uint64_t limit,
                           ByteBuffer& out) {
  thread_local ThreadDecoder decoder;
  lzma_stream& strm = decoder.stream;
  // LZMA_CONCATENATED as libkmod: several .xz streams back to back are one file.
  lzma_ret r = lzma_stream_decoder(&strm, UINT64_MAX, LZMA_CONCATENATED);
  if (r != LZMA_OK) return make_error(EINVAL, std::string("xz: ") + lzma_reason(r));
  if (const std::uint64_t hint = declared_size(input); hint > 0 && hint < limit)
    out.reserve(static_cast<std::size_t>(hint) + 1);
  strm.next_in = reinterpret_cast<const uint8_t*>(input.data());
  strm.avail_in = input.size();
  std::size_t used = 0;
  Result<void> result;
  for (;;) {
    if (used == out.size()) {
      auto tail = grow_output(out, used, limit);
      if (!tail) {
        result = std::move(tail).take_error();
        break;
      }
    }
    strm.next_out = reinterpret_cast<uint8_t*>(out.data() + used);
    strm.avail_out = out.size() - used;
    r = lzma_code(&strm, LZMA_FINISH);
    used = out.size() - strm.avail_out;
    if (r == LZMA_STREAM_END) break;
    if (r != LZMA_OK) {
      result = make_error(EINVAL, std::string("xz: ") + lzma_reason(r));
      break;
    }
  }
  out.resize(used);
  return result;
}

}  // namespace kmodx::io
