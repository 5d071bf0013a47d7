// SPDX-License-Identifier: LGPL-2.1-or-later
#include <algorithm>
#include <cerrno>
#include <string>

#include "io/decompressors.hpp"

namespace kmodx::io {

Result<std::span<std::byte>> grow_output(ByteBuffer& out, std::size_t used,
                                         std::uint64_t limit) {
  if (used >= limit)
    return make_error(EFBIG, "decompressed size exceeds the limit of " + std::to_string(limit) +
                                 " bytes");
  // Doubling keeps the number of copies logarithmic; the cap keeps a bomb
  // from allocating more than the limit.
  // Memory already there (a reused block) is used before anything grows.
  std::uint64_t want = std::max<std::uint64_t>({out.size() * 2, 256 * 1024, out.capacity()});
  want = std::min<std::uint64_t>(want, limit);
  if (want > out.size()) out.resize(static_cast<std::size_t>(want));
  return std::span<std::byte>(out.data() + used, out.size() - used);
}

}  // namespace kmodx::io
