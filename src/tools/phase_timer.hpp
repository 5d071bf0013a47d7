// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Phase timing for benchmarks: with KMODX_TIMING set, mark() prints how
// long the phase that just ended took, on stderr (depmod, check).

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace kmodx::tools {

class PhaseTimer {
 public:
  PhaseTimer() : enabled_(std::getenv("KMODX_TIMING") != nullptr), last_(std::chrono::steady_clock::now()) {}
  void mark(const char* phase) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    std::fprintf(stderr, "timing: %-8s %7.1f ms\n", phase,
                 std::chrono::duration<double, std::milli>(now - last_).count());
    last_ = now;
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace kmodx::tools
