// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// A one-line progress indicator on stderr for long work ("depmod: reading
// modules 1234/4023"), redrawn in place at most ten times a second and
// erased when done. It shows only on a terminal, and only for work of more
// than kMinItems items: logs, pipes and test comparisons never see it.

#include <chrono>
#include <cstddef>
#include <string>

namespace kmodx::tools {

class ProgressLine {
 public:
  static constexpr std::size_t kMinItems = 1000;

  /// \p enabled: the caller's own conditions (e.g. not -n, not -v); the
  /// terminal test is added here.
  ProgressLine(std::string label, bool enabled);
  ~ProgressLine() { finish(); }

  void update(std::size_t done, std::size_t total);
  /// Erases the line (once).
  void finish();

 private:
  std::string label_;
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace kmodx::tools
