// SPDX-License-Identifier: LGPL-2.1-or-later
#include <lzma.h>

#include <cerrno>
#include <optional>
#include <string>

#include "io/decompressors.hpp"
#include "util/shared_library.hpp"

namespace kmodx::io {
namespace {

#define KMODX_LZMA_FUNCTIONS(X) \
  X(lzma_code) X(lzma_end) X(lzma_index_buffer_decode) X(lzma_index_end) X(lzma_index_stream_size) \
  X(lzma_index_uncompressed_size) X(lzma_stream_decoder) X(lzma_stream_footer_decode)

// liblzma, opened the first time a .xz file is read.
KMODX_LIBRARY_API(LzmaApi, lzma_api, KMODX_LZMA_SONAME, KMODX_LZMA_FUNCTIONS)
// Only after the entry point has checked that lzma_api() loaded.
const LzmaApi& lzma() { return *lzma_api(); }

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
  ~ThreadDecoder() { lzma().lzma_end(&stream); }
};

// The uncompressed size of one .xz stream ending at \p end, from its index,
// and where that stream starts; nullopt when its footer or index does not
// decode.
struct StreamExtent {
  std::uint64_t uncompressed;
  std::size_t start;
};
std::optional<StreamExtent> stream_ending_at(const uint8_t* bytes, std::size_t end) {
  if (end < 2 * LZMA_STREAM_HEADER_SIZE) return std::nullopt;
  lzma_stream_flags footer;
  if (lzma().lzma_stream_footer_decode(&footer, bytes + end - LZMA_STREAM_HEADER_SIZE) != LZMA_OK) return std::nullopt;
  const std::uint64_t index_size = footer.backward_size;
  if (index_size > end - 2 * LZMA_STREAM_HEADER_SIZE) return std::nullopt;
  lzma_index* index = nullptr;
  std::uint64_t memlimit = std::uint64_t{1} << 24;
  std::size_t pos = end - LZMA_STREAM_HEADER_SIZE - index_size;
  if (lzma().lzma_index_buffer_decode(&index, &memlimit, nullptr, bytes, &pos, end - LZMA_STREAM_HEADER_SIZE) != LZMA_OK)
    return std::nullopt;
  const std::uint64_t size = lzma().lzma_index_uncompressed_size(index);
  const std::uint64_t stream_size = lzma().lzma_index_stream_size(index);
  lzma().lzma_index_end(index, nullptr);
  if (stream_size > end) return std::nullopt;
  return StreamExtent{size, static_cast<std::size_t>(end - stream_size)};
}

// The uncompressed size the indexes of the concatenated .xz streams of
// \p input declare (kbuild writes one stream), or 0 when one of them does
// not decode. Only a hint: decoding checks everything. It sizes the first
// allocation, and lets a bomb (a small file declaring gigabytes) fail at
// once instead of after decompressing up to the limit.
std::uint64_t declared_size(std::span<const std::byte> input) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(input.data());
  std::size_t end = input.size();
  std::uint64_t total = 0;
  while (end > 0) {
    // Stream padding: zero bytes in multiples of four.
    while (end >= 4 && bytes[end - 1] == 0 && bytes[end - 2] == 0 && bytes[end - 3] == 0 && bytes[end - 4] == 0)
      end -= 4;
    const std::optional<StreamExtent> stream = stream_ending_at(bytes, end);
    if (!stream || stream->start >= end) return 0;
    total += stream->uncompressed;
    end = stream->start;
  }
  return total;
}

}  // namespace

Result<void> decompress_xz(std::span<const std::byte> input, std::uint64_t limit,
                           ByteBuffer& out) {
  if (!lzma_api()) return lzma_api().error();
  thread_local ThreadDecoder decoder;
  lzma_stream& strm = decoder.stream;
  // LZMA_CONCATENATED as libkmod: several .xz streams back to back are one file.
  lzma_ret r = lzma().lzma_stream_decoder(&strm, UINT64_MAX, LZMA_CONCATENATED);
  if (r != LZMA_OK) return make_error(EINVAL, std::string("xz: ") + lzma_reason(r));
  if (const std::uint64_t hint = declared_size(input); hint > limit)
    return make_error(EFBIG, "xz: the streams declare " + std::to_string(hint) + " bytes, more than the " +
                                 std::to_string(limit) + "-byte limit");
  else if (hint > 0)
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
    r = lzma().lzma_code(&strm, LZMA_FINISH);
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
