// SPDX-License-Identifier: LGPL-2.1-or-later
#include "config/depmod_config.hpp"

#include <dirent.h>
#include <regex.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "config/config_files.hpp"
#include "util/line_reader.hpp"
#include "util/mapped_file.hpp"

namespace kmodx::depmod {
namespace {

/// depmod's words for the config entries it skips.
void report_skipped(DiagnosticSink& sink, ConfigListEvent event, const std::string& dir, std::string_view name,
                    int err) {
  switch (event) {
    case ConfigListEvent::unreadable_directory:
      sink.report(Severity::error, "files list " + dir + ": " + std::strerror(err));
      break;
    case ConfigListEvent::not_conf:
      sink.report(Severity::info, "All cfg files need .conf: " + dir + "/" + std::string(name));
      break;
    case ConfigListEvent::nested_directory:
      sink.report(Severity::error, "Directories inside directories are not supported: " + dir + "/" + std::string(name));
      break;
  }
}

// glibc's regcomp() expands repetitions by copying the expression tree, so
// a short hostile pattern ("a**+++..." or "a{255}{255}{255}") takes
// gigabytes. A kernel version pattern never needs that: the product of the
// counts its repetitions allow (2 for *, + and ?, the bound + 1 for an
// interval) must stay below kMaxRepetitionProduct, and its length below
// kMaxPatternLength.
constexpr std::size_t kMaxPatternLength = 256;
constexpr double kMaxRepetitionProduct = 256;

bool pattern_too_complex(std::string_view pattern) {
  if (pattern.size() > kMaxPatternLength) return true;
  double product = 1;
  bool in_bracket = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      ++i;
    } else if (in_bracket) {
      if (c == ']') in_bracket = false;
    } else if (c == '[') {
      in_bracket = true;
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') ++i;  // "[]...]"
    } else if (c == '*' || c == '+' || c == '?') {
      product *= 2;
    } else if (c == '{') {
      std::size_t close = pattern.find('}', i);
      std::string_view body = pattern.substr(i + 1, close == std::string_view::npos ? 0 : close - i - 1);
      double bound = 0;
      for (char d : body) bound = (d >= '0' && d <= '9') ? bound * 10 + (d - '0') : 0;
      product *= bound + 1;
      if (close != std::string_view::npos) i = close;
    }
    if (product > kMaxRepetitionProduct) return true;
  }
  return false;
}

// "*" matches every version; anything else is an unanchored POSIX extended
// regular expression, and one that does not compile matches nothing, as
// does one too complex to compile safely (reported).
bool kernel_matches(const std::string& pattern, const std::string& kernel_version, DiagnosticSink& sink,
                    const std::string& where) {
  if (pattern == "*") return true;
  if (pattern_too_complex(pattern)) {
    sink.report(Severity::error, where + "kernel version pattern too complex, matches nothing: " +
                                     pattern.substr(0, 64) + (pattern.size() > 64 ? "..." : ""));
    return false;
  }
  regex_t re;
  if (::regcomp(&re, pattern.c_str(), REG_EXTENDED | REG_NOSUB) != 0) return false;
  bool match = ::regexec(&re, kernel_version.c_str(), 0, nullptr, 0) == 0;
  ::regfree(&re);
  return match;
}

// strtok_r(" \t") over a C string.
std::vector<std::string> tokens_of(std::string_view line) {
  std::vector<std::string> tokens;
  std::size_t pos = 0;
  while ((pos = line.find_first_not_of(" \t", pos)) != std::string_view::npos) {
    std::size_t end = std::min(line.find_first_of(" \t", pos), line.size());
    tokens.emplace_back(line.substr(pos, end - pos));
    pos = end;
  }
  return tokens;
}

SearchEntry search_entry(const std::string& token) {
  if (token == "built-in") return {SearchEntry::Kind::builtin, {}};
  if (token == "external") return {SearchEntry::Kind::external, {}};
  return {SearchEntry::Kind::directory, token};
}

void parse_file(const std::string& path, const std::string& kernel_version, DepmodConfig& config,
                DiagnosticSink& sink) {
  auto text = read_text_file(path);
  if (!text) {
    sink.report(Severity::error, "file parse " + path + ": " + std::strerror(text.error().code));
    return;
  }
  parse_depmod_config_text(*text, path, kernel_version, config, sink);
}

}  // namespace

void parse_depmod_config_text(std::string_view text, const std::string& path, const std::string& kernel_version,
                              DepmodConfig& config, DiagnosticSink& sink) {
  LogicalLineReader reader(text);
  while (auto raw = reader.next()) {
    std::string_view line = c_string_view(*raw);
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> t = tokens_of(line);
    if (t.empty()) continue;
    const std::string where = path + ":" + std::to_string(reader.line_number()) + ": ";
    const std::string& cmd = t[0];
    bool syntax_error = false;
    if (cmd == "search") {
      for (std::size_t i = 1; i < t.size(); ++i) config.search.push_back(search_entry(t[i]));
    } else if (cmd == "override") {
      if (t.size() < 4) {
        syntax_error = true;
      } else if (!kernel_matches(t[2], kernel_version, sink, where)) {
        sink.report(Severity::info, where + "override kernel did not match " + t[2]);
      } else {
        config.overrides.push_back(t[3] + "/" + t[1]);
      }
    } else if (cmd == "external") {
      if (t.size() < 3) {
        syntax_error = true;
      } else if (!kernel_matches(t[1], kernel_version, sink, where)) {
        sink.report(Severity::info, where + "external directory did not match " + t[1]);
      } else {
        config.externals.push_back(t[2]);
      }
    } else if (cmd == "exclude") {
      for (std::size_t i = 1; i < t.size(); ++i) config.excludes.push_back(t[i]);
    } else if (cmd == "include" || cmd == "make_map_files") {
      sink.report(Severity::info, where + "command " + cmd + " not implemented yet");
    } else {
      syntax_error = true;
    }
    if (syntax_error) sink.report(Severity::error, where + "ignoring bad line starting with '" + cmd + "'");
  }
}

std::vector<std::string> default_depmod_config_paths() {
  return {"/etc/depmod.d", "/run/depmod.d", "/usr/local/lib/depmod.d", "/usr/lib/depmod.d", "/lib/depmod.d"};
}

DepmodConfig load_depmod_config(const std::vector<std::string>& paths, const std::string& kernel_version,
                                DiagnosticSink& sink) {
  ConfigFileList files;
  auto report = [&sink](ConfigListEvent e, const std::string& dir, std::string_view name, int err) {
    report_skipped(sink, e, dir, name, err);
  };
  for (const std::string& p : paths) files.add_path(p, report);
  DepmodConfig config;
  for (const ConfigFileEntry& f : files.files()) parse_file(f.path, kernel_version, config, sink);
  // kmod prepends every entry; reversing once at the end gives its order
  // without the quadratic cost of prepending (a 1 MiB "search a a a ..."
  // line must not take minutes).
  std::reverse(config.search.begin(), config.search.end());
  std::reverse(config.overrides.begin(), config.overrides.end());
  std::reverse(config.externals.begin(), config.externals.end());
  std::reverse(config.excludes.begin(), config.excludes.end());
  if (config.search.empty()) config.search.push_back({SearchEntry::Kind::directory, "updates"});
  return config;
}

}  // namespace kmodx::depmod
