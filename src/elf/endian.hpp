// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Alignment-1 integers stored in a fixed byte order. ELF structures are read
// straight out of the file image through these, so a field is correct on any
// host and at any (mis)alignment; there is no per-read branch on byte order,
// the order is part of the type.

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace kmodx::elf {

template <class T>
constexpr T byteswap(T v) {
  static_assert(std::is_unsigned_v<T>);
  if constexpr (sizeof(T) == 1) return v;
  else if constexpr (sizeof(T) == 2) return static_cast<T>(__builtin_bswap16(v));
  else if constexpr (sizeof(T) == 4) return static_cast<T>(__builtin_bswap32(v));
  else return static_cast<T>(__builtin_bswap64(v));
}

template <class T, bool IsLittleEndian>
struct Integer {
  unsigned char bytes[sizeof(T)];

  constexpr operator T() const {  // NOLINT(google-explicit-constructor)
    T v;
    std::memcpy(&v, bytes, sizeof(T));
    constexpr bool host_le = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
    return host_le == IsLittleEndian ? v : byteswap(v);
  }
};

static_assert(sizeof(Integer<std::uint64_t, false>) == 8 && alignof(Integer<std::uint64_t, false>) == 1);

}  // namespace kmodx::elf
