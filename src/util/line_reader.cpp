// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/line_reader.hpp"

#include <cerrno>
#include <cstring>

namespace kmodx {

std::optional<std::string> LogicalLineReader::next() {
  if (pos_ >= text_.size()) return std::nullopt;
  std::string line;
  while (pos_ < text_.size()) {
    char c = text_[pos_++];
    if (c == '\n') {
      ++line_number_;
      return line;
    }
    if (c == '\\') {
      if (pos_ >= text_.size()) break;  // backslash at the end: dropped
      c = text_[pos_++];
      if (c == '\n') {
        ++line_number_;
        continue;
      }
    }
    line.push_back(c);
  }
  // The text ended without a newline: kmod ends the line there, unless
  // nothing was kept (only joined or trailing backslashes), which is EOF.
  if (line.empty()) return std::nullopt;
  ++line_number_;
  return line;
}

std::vector<std::string_view> split_blanks(std::string_view s) {
  std::vector<std::string_view> tokens;
  std::size_t pos = 0;
  while (pos < s.size()) {
    pos = s.find_first_not_of(" \t", pos);
    if (pos == std::string_view::npos) break;
    std::size_t end = s.find_first_of(" \t", pos);
    if (end == std::string_view::npos) end = s.size();
    tokens.push_back(s.substr(pos, end - pos));
    pos = end;
  }
  return tokens;
}

}  // namespace kmodx
