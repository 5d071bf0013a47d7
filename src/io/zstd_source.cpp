// SPDX-License-Identifier: LGPL-2.1-or-later
#include <zstd.h>

#include <cerrno>
#include <memory>
#include <string>

#include "io/decompressors.hpp"

namespace kmodx::io {

Result<void> decompress_zstd(std::span<const std::byte> input, std::uint64_t limit,
                             std::vector<std::byte>& out) {
  std::unique_ptr<ZSTD_DStream, decltype(&ZSTD_freeDStream)> stream(ZSTD_createDStream(),
                                                                    &ZSTD_freeDStream);
  if (!stream) return make_error(ENOMEM, "zstd: cannot allocate a decompression stream");
  // A frame that declares its size lets us allocate once.
  unsigned long long declared = ZSTD_getFrameContentSize(input.data(), input.size());
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR &&
      declared <= limit)
    out.reserve(static_cast<std::size_t>(declared) + 1);

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
    last = ZSTD_decompressStream(stream.get(), &o, &in);
    if (ZSTD_isError(last)) return make_error(EINVAL, std::string("zstd: ") + ZSTD_getErrorName(last));
    bool progressed = o.pos != used || in.pos != before_in;
    used = o.pos;
    if (in.pos == in.size && last != 0 && !progressed && used < out.size())
      return make_error(EINVAL, "zstd: truncated input (frame not complete)");
  }
  out.resize(used);
  return {};
}

}  // namespace kmodx::io
