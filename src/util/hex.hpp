// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Offsets and sizes in error details: "0x1f40". Pure; thread-safe.

#include <cstdint>
#include <cstdio>
#include <string>

namespace kmodx {

inline std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace kmodx
