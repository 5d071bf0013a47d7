// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// kmod's logical line reader for configuration files (KMOD-SPEC §1.3), shared
// by depmod.d and modprobe.d. A backslash escapes the next byte, a backslash
// before a newline joins the two physical lines, and the line counter tells
// the last physical line a logical line used, as kmod's messages report it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kmodx/result.hpp"

namespace kmodx {

class LogicalLineReader {
 public:
  explicit LogicalLineReader(std::string_view text) : text_(text) {}

  /// The next logical line without its newline; nullopt at the end of the
  /// text when nothing is left to read. A trailing backslash at the very end
  /// is dropped (kmod 33+; kmod 30 appended a 0xFF byte there).
  std::optional<std::string> next();

  /// Physical lines consumed so far.
  unsigned line_number() const { return line_number_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  unsigned line_number_ = 0;
};

/// strtok(s, " \t") tokens: blanks separate, a newline stays inside a token.
std::vector<std::string_view> split_blanks(std::string_view s);

/// The text up to the first NUL: configuration parsers work on C strings.
inline std::string_view c_string_view(const std::string& s) {
  return std::string_view(s.c_str());
}

}  // namespace kmodx
