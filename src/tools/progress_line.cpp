// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/progress_line.hpp"

#include <unistd.h>

#include <cstdio>

namespace kmodx::tools {

ProgressLine::ProgressLine(std::string label, bool enabled)
    : label_(std::move(label)), enabled_(enabled && ::isatty(STDERR_FILENO) == 1) {}

void ProgressLine::update(std::size_t done, std::size_t total) {
  if (!enabled_ || total <= kMinItems) return;
  const auto now = std::chrono::steady_clock::now();
  if (shown_ && done < total && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  std::fprintf(stderr, "\r%s %zu/%zu", label_.c_str(), done, total);
  std::fflush(stderr);
  shown_ = true;
}

void ProgressLine::finish() {
  if (!shown_) return;
  std::fputs("\r\033[K", stderr);  // back to the line's start, erase it
  std::fflush(stderr);
  shown_ = false;
}

}  // namespace kmodx::tools
