// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kmodx/static_nodes.hpp"

#include <cstdint>
#include <limits>

namespace kmodx {
namespace {

// fgets(buf, 4096, f): at most 4095 bytes, up to and including a newline.
constexpr std::size_t kPieceMax = 4095;

bool is_c_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

// A cursor over one piece's C string, with sscanf's conversions.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  void skip_blanks() {
    while (pos_ < s_.size() && is_c_space(s_[pos_])) ++pos_;
  }
  // %s: blanks skipped, then a non-empty run of non-blanks.
  bool word(std::string& out) {
    skip_blanks();
    std::size_t start = pos_;
    while (pos_ < s_.size() && !is_c_space(s_[pos_])) ++pos_;
    out.assign(s_.substr(start, pos_ - start));
    return pos_ > start;
  }
  // %c: any one byte.
  bool any_char(char& out) {
    if (pos_ >= s_.size()) return false;
    out = s_[pos_++];
    return true;
  }
  // %u: blanks, an optional sign, decimal digits; strtoul's value (clamped
  // at ULONG_MAX, negated for '-') stored into an unsigned int.
  bool number(unsigned& out) {
    skip_blanks();
    std::size_t p = pos_;
    bool negative = false;
    if (p < s_.size() && (s_[p] == '+' || s_[p] == '-')) negative = s_[p++] == '-';
    std::size_t digits = p;
    std::uint64_t v = 0;
    bool overflow = false;
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    while (p < s_.size() && s_[p] >= '0' && s_[p] <= '9') {
      unsigned d = static_cast<unsigned>(s_[p++] - '0');
      if (v > (kMax - d) / 10) overflow = true;
      else v = v * 10 + d;
    }
    if (p == digits) return false;
    pos_ = p;
    if (overflow) v = kMax;
    else if (negative) v = ~v + 1;
    out = static_cast<unsigned>(v);
    return true;
  }
  bool literal(char c) {
    if (pos_ >= s_.size() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

// sscanf(piece, "%s %s %c%u:%u") == 5 and a type of 'c' or 'b'.
bool parse_entry(std::string_view text, StaticNode& node) {
  Scanner in(text);
  if (!in.word(node.module) || !in.word(node.devname)) return false;
  in.skip_blanks();
  return in.any_char(node.type) && in.number(node.major) && in.literal(':') && in.number(node.minor) &&
         (node.type == 'c' || node.type == 'b');
}

void append_human(std::string& out, const StaticNode& n) {
  out += "Module: " + n.module + "\n\tDevice node: /dev/" + n.devname + "\n\t\tType: " +
         (n.type == 'c' ? "character" : "block") + " device\n\t\tMajor: " + std::to_string(n.major) +
         "\n\t\tMinor: " + std::to_string(n.minor) + "\n";
}

void append_tmpfiles(std::string& out, const StaticNode& n) {
  if (auto slash = n.devname.rfind('/'); slash != std::string::npos)
    out += "d /dev/" + n.devname.substr(0, slash) + " 0755 - - -\n";
  out += std::string(1, n.type) + "! /dev/" + n.devname + " 0600 - - - " + std::to_string(n.major) + ":" +
         std::to_string(n.minor) + "\n";
}

void append_devname(std::string& out, const StaticNode& n) {
  out += n.module + " " + n.devname + " " + std::string(1, n.type) + std::to_string(n.major) + ":" +
         std::to_string(n.minor) + "\n";
}

}  // namespace

StaticNodes parse_modules_devname(std::string_view content) {
  StaticNodes result;
  std::size_t pos = 0;
  while (pos < content.size()) {
    std::size_t len = std::min(kPieceMax, content.size() - pos);
    if (auto nl = content.substr(pos, len).find('\n'); nl != std::string_view::npos) len = nl + 1;
    std::string_view piece = content.substr(pos, len);
    pos += len;
    // The buffer is a C string from here on: a NUL ends it.
    piece = piece.substr(0, piece.find('\0'));
    if (!piece.empty() && piece[0] == '#') continue;
    StaticNode node;
    if (parse_entry(piece, node)) result.nodes.push_back(std::move(node));
    else result.invalid.emplace_back(piece);
  }
  return result;
}

const std::vector<StaticNodesFormatInfo>& static_nodes_formats() {
  static const std::vector<StaticNodesFormatInfo> formats{
      {StaticNodesFormat::human, "human", "(default) a human readable format. Do not parse."},
      {StaticNodesFormat::tmpfiles, "tmpfiles", "the tmpfiles.d(5) format used by systemd-tmpfiles."},
      {StaticNodesFormat::devname, "devname", "the modules.devname format."},
  };
  return formats;
}

std::optional<StaticNodesFormat> static_nodes_format_named(std::string_view name) {
  for (const auto& f : static_nodes_formats())
    if (f.name == name) return f.format;
  return std::nullopt;
}

std::string format_static_nodes(const std::vector<StaticNode>& nodes, StaticNodesFormat format) {
  std::string out;
  for (const StaticNode& n : nodes) {
    switch (format) {
      case StaticNodesFormat::human: append_human(out, n); break;
      case StaticNodesFormat::tmpfiles: append_tmpfiles(out, n); break;
      case StaticNodesFormat::devname: append_devname(out, n); break;
    }
  }
  return out;
}

}  // namespace kmodx
