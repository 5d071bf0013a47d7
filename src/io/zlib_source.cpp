// SPDX-License-Identifier: LGPL-2.1-or-later
#include <zlib.h>

#include <cerrno>
#include <string>

#include "io/decompressors.hpp"
#include "util/shared_library.hpp"

namespace kmodx::io {
namespace {

#define KMODX_ZLIB_FUNCTIONS(X) X(inflate) X(inflateEnd) X(inflateInit2_) X(inflateReset)

// zlib, opened the first time a .gz file is read.
KMODX_LIBRARY_API(ZlibApi, zlib_api, KMODX_ZLIB_SONAME, KMODX_ZLIB_FUNCTIONS)
// Only after decompress_gzip() has checked that zlib_api() loaded.
const ZlibApi& zlib() { return *zlib_api(); }

// One inflater per thread, reset for every file instead of rebuilt.
struct ThreadInflater {
  z_stream z{};
  bool ready = false;
  ~ThreadInflater() {
    if (ready) zlib().inflateEnd(&z);
  }
};

}  // namespace

Result<void> decompress_gzip(std::span<const std::byte> input, std::uint64_t limit,
                             ByteBuffer& out) {
  if (!zlib_api()) return zlib_api().error();
  thread_local ThreadInflater inflater;
  z_stream& z = inflater.z;
  // 16 + MAX_WBITS: gzip wrapper only (we get here on the 1F 8B magic).
  if (!inflater.ready) {
    // inflateInit2() is a macro over inflateInit2_().
    if (zlib().inflateInit2_(&z, 16 + MAX_WBITS, ZLIB_VERSION, static_cast<int>(sizeof(z_stream))) != Z_OK)
      return make_error(ENOMEM, "gzip: inflateInit2 failed");
    inflater.ready = true;
  } else {
    zlib().inflateReset(&z);
  }
  // The gzip trailer's ISIZE (size mod 4 GiB) is a good first guess.
  if (input.size() >= 18) {
    const auto* t = reinterpret_cast<const unsigned char*>(input.data() + input.size() - 4);
    const std::uint64_t isize = t[0] | (t[1] << 8) | (t[2] << 16) | (std::uint64_t{t[3]} << 24);
    if (isize < limit) out.reserve(static_cast<std::size_t>(isize) + 1);
  }
  const auto* next = reinterpret_cast<const Bytef*>(input.data());
  std::size_t left = input.size();
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
    // zlib counts in uInt; feed huge inputs in slices.
    uInt in_chunk = static_cast<uInt>(std::min<std::size_t>(left, 1u << 30));
    uInt out_chunk = static_cast<uInt>(std::min<std::size_t>(out.size() - used, 1u << 30));
    z.next_in = const_cast<Bytef*>(next);
    z.avail_in = in_chunk;
    z.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    z.avail_out = out_chunk;
    int r = zlib().inflate(&z, Z_NO_FLUSH);
    std::size_t consumed = in_chunk - z.avail_in;
    next += consumed;
    left -= consumed;
    used += out_chunk - z.avail_out;
    if (r == Z_STREAM_END) {
      // Like gzread(): another member may follow; anything else is ignored.
      if (left >= 2 && next[0] == 0x1f && next[1] == 0x8b) {
        zlib().inflateReset(&z);
        continue;
      }
      break;
    }
    if (r == Z_BUF_ERROR && left == 0 && z.avail_out != 0) {
      result = make_error(EINVAL, "gzip: unexpected end of compressed data");
      break;
    }
    if (r != Z_OK && r != Z_BUF_ERROR) {
      result = make_error(EINVAL, std::string("gzip: ") + (z.msg ? z.msg : "corrupt data"));
      break;
    }
  }
  out.resize(used);
  return result;
}

}  // namespace kmodx::io
