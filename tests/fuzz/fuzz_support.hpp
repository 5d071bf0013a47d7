// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Shared by the libFuzzer targets: views of the input, sinks that drop
// messages, and FUZZ_EXPECT for properties. A broken property aborts with
// a message, which libFuzzer records as a crash with its input.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

#include "kmodx/diag.hpp"
#include "kmodx/modprobe_config.hpp"

namespace kmodx::fuzz {

inline std::span<const std::byte> bytes_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const std::byte*>(data), size};
}

inline std::string_view text_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

class NullConfigSink final : public DiagnosticSink {
 public:
  void report(Severity, std::string_view) override {}
};

[[noreturn]] inline void property_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: property failed: %s\n", file, line, what);
  std::abort();
}

}  // namespace kmodx::fuzz

#define FUZZ_EXPECT(cond) \
  do {                    \
    if (!(cond)) ::kmodx::fuzz::property_failed(#cond, __FILE__, __LINE__); \
  } while (0)
