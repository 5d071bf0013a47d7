// SPDX-License-Identifier: LGPL-2.1-or-later
#include <zstd.h>

#include <cerrno>
#include <memory>
#include <string>

#include "io/decompressors.hpp"
#include "util/shared_library.hpp"

namespace kmodx::io {
namespace {

#define KMODX_ZSTD_FUNCTIONS(X)                                                                            \
  X(ZSTD_DCtx_reset) X(ZSTD_createDCtx) X(ZSTD_decompressDCtx) X(ZSTD_decompressStream)                    \
  X(ZSTD_findFrameCompressedSize) X(ZSTD_freeDCtx) X(ZSTD_getErrorName) X(ZSTD_getFrameContentSize)        \
  X(ZSTD_isError)

// libzstd, opened the first time a .zst file is read.
KMODX_LIBRARY_API(ZstdApi, zstd_api, KMODX_ZSTD_SONAME, KMODX_ZSTD_FUNCTIONS)
// Only after decompress_zstd() has checked that zstd_api() loaded.
const ZstdApi& zstd() { return *zstd_api(); }

// One decompression context per thread, reused: creating one per module
// means allocating (and faulting in) its window buffers thousands of times.
ZSTD_DCtx* thread_context() {
  thread_local std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> context(zstd().ZSTD_createDCtx(),
                                                                            zstd().ZSTD_freeDCtx);
  return context.get();
}

Error zstd_error(std::size_t code) { return make_error(EINVAL, std::string("zstd: ") + zstd().ZSTD_getErrorName(code)); }

// The sum of the content sizes the frames of \p input declare, as far as
// they declare one and can be walked (a hint, never trusted for decoding).
std::uint64_t declared_size(std::span<const std::byte> input) {
  std::uint64_t total = 0;
  for (std::size_t pos = 0; pos < input.size();) {
    const unsigned long long content = zstd().ZSTD_getFrameContentSize(input.data() + pos, input.size() - pos);
    const std::size_t frame = zstd().ZSTD_findFrameCompressedSize(input.data() + pos, input.size() - pos);
    if (content == ZSTD_CONTENTSIZE_UNKNOWN || content == ZSTD_CONTENTSIZE_ERROR || zstd().ZSTD_isError(frame)) break;
    total += content;
    pos += frame;
  }
  return total;
}

}  // namespace

Result<void> decompress_zstd(std::span<const std::byte> input, std::uint64_t limit, ByteBuffer& out) {
  if (!zstd_api()) return zstd_api().error();
  ZSTD_DCtx* dctx = thread_context();
  if (dctx == nullptr) return make_error(ENOMEM, "zstd: cannot allocate a decompression context");
  zstd().ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);

  // Frames that declare more than the limit altogether: a bomb, refused
  // before anything is decompressed.
  if (const std::uint64_t total = declared_size(input); total > limit)
    return make_error(EFBIG, "zstd: the frames declare " + std::to_string(total) + " bytes, more than the " +
                                 std::to_string(limit) + "-byte limit");

  // The usual case, one frame that declares its size (zstd's CLI and kbuild
  // write one): decode in one call straight into a buffer of that size.
  const unsigned long long declared = zstd().ZSTD_getFrameContentSize(input.data(), input.size());
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR && declared <= limit &&
      zstd().ZSTD_findFrameCompressedSize(input.data(), input.size()) == input.size()) {
    out.resize(static_cast<std::size_t>(declared));
    const std::size_t n = zstd().ZSTD_decompressDCtx(dctx, out.data(), out.size(), input.data(), input.size());
    if (zstd().ZSTD_isError(n)) {
      zstd().ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
      return zstd_error(n);
    }
    if (n != declared) return make_error(EINVAL, "zstd: frame shorter than its declared size");
    return {};
  }

  // Otherwise stream: unknown sizes, several frames, or a size past the cap
  // (which then fails with EFBIG when the output reaches it).
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  std::size_t used = 0;
  std::size_t last = 1;  // non-zero: a frame is not finished yet
  while (in.pos < in.size || last != 0) {
    if (used == out.size()) {
      auto tail = grow_output(out, used, limit);
      if (!tail) return std::move(tail).take_error();
    }
    ZSTD_outBuffer o{out.data(), out.size(), used};
    std::size_t before_in = in.pos;
    last = zstd().ZSTD_decompressStream(dctx, &o, &in);
    if (zstd().ZSTD_isError(last)) {
      zstd().ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
      return zstd_error(last);
    }
    bool progressed = o.pos != used || in.pos != before_in;
    used = o.pos;
    if (in.pos == in.size && last != 0 && !progressed && used < out.size())
      return make_error(EINVAL, "zstd: truncated input (frame not complete)");
  }
  out.resize(used);
  return {};
}

}  // namespace kmodx::io
