// SPDX-License-Identifier: LGPL-2.1-or-later
// Reading modprobe.d: which files, in which order, and the line grammar
// (KMOD-SPEC §7.1, §7.2). The format is documented in
// include/kmodx/modprobe_config.hpp.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "config/config_files.hpp"
#include "kmodx/modprobe_config.hpp"
#include "util/libkmod_sites.hpp"
#include "util/line_reader.hpp"
#include "util/mapped_file.hpp"
#include "util/names.hpp"

namespace kmodx {
namespace {

/// glibc strtok_r() over a string_view: skips leading delimiters, returns the
/// token and leaves \p rest just after the one delimiter that ended it.
std::optional<std::string> next_token(std::string_view& rest, std::string_view delimiters) {
  std::size_t start = rest.find_first_not_of(delimiters);
  if (start == std::string_view::npos) {
    rest = {};
    return std::nullopt;
  }
  std::size_t end = rest.find_first_of(delimiters, start);
  std::string token(rest.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
  rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  return token;
}

constexpr std::string_view kBlanks = "\t ";

/// strtok_r(NULL, "\0", ...): the rest of the line, or nothing when empty.
std::optional<std::string> remainder(std::string_view rest) {
  if (rest.empty()) return std::nullopt;
  return std::string(rest);
}

bool normalised(std::optional<std::string>& name) { return name && underscores(*name).ok(); }

/// kmod's softdep/weakdep tokeniser with its quirks (a single leading blank
/// sticks to the first token; tokens before `pre:`/`post:` are dropped). The
/// kept tokens are numbered in order of appearance because `modprobe -c`
/// prints spans of them.
struct DependencyTokens {
  enum class List { pre, post };
  std::vector<std::pair<List, std::string>> tokens;
};

DependencyTokens tokenize_dependencies(std::string_view rest, bool with_keywords) {
  DependencyTokens out;
  enum class Mode { none, pre, post } mode = with_keywords ? Mode::none : Mode::post;
  std::size_t p = 0;
  bool was_space = false;
  for (std::size_t s = 0;; ++s) {
    bool at_end = s == rest.size();
    if (!at_end) {
      if (!std::isspace(static_cast<unsigned char>(rest[s]))) {
        was_space = false;
        continue;
      }
      if (was_space) {
        p = s + 1;
        continue;
      }
      was_space = true;
      if (p >= s) continue;
    }
    std::string_view token = rest.substr(p, s - p);
    if (with_keywords && token == "pre:") {
      mode = Mode::pre;
    } else if (with_keywords && token == "post:") {
      mode = Mode::post;
    } else if (!at_end || !was_space) {
      if (mode == Mode::pre) out.tokens.emplace_back(DependencyTokens::List::pre, token);
      if (mode == Mode::post) out.tokens.emplace_back(DependencyTokens::List::post, token);
    }
    p = s + 1;
    if (at_end) break;
  }
  return out;
}

/// The span of kept tokens from the first to the last one of \p list, joined
/// by spaces: kmod prints its NUL-separated buffer that way.
std::string token_span(const DependencyTokens& deps, DependencyTokens::List list) {
  auto is_member = [list](const auto& t) { return t.first == list; };
  auto first = std::find_if(deps.tokens.begin(), deps.tokens.end(), is_member);
  if (first == deps.tokens.end()) return {};
  auto last = std::find_if(deps.tokens.rbegin(), deps.tokens.rend(), is_member).base();
  std::string span;
  for (auto it = first; it != last; ++it) {
    if (it != first) span += ' ';
    span += it->second;
  }
  return span;
}

ConfigDependencies make_softdep(std::string module, std::string_view rest) {
  DependencyTokens deps = tokenize_dependencies(rest, true);
  ConfigDependencies entry;
  entry.module = std::move(module);
  for (auto& [list, token] : deps.tokens)
    (list == DependencyTokens::List::pre ? entry.pre : entry.post).push_back(token);
  if (!entry.pre.empty()) entry.rendered = "pre: " + token_span(deps, DependencyTokens::List::pre);
  if (!entry.post.empty()) entry.rendered += "post: " + token_span(deps, DependencyTokens::List::post);
  return entry;
}

ConfigDependencies make_weakdep(std::string module, std::string_view rest) {
  DependencyTokens deps = tokenize_dependencies(rest, false);
  ConfigDependencies entry;
  entry.module = std::move(module);
  for (auto& token : deps.tokens) entry.post.push_back(token.second);
  entry.rendered = token_span(deps, DependencyTokens::List::post);
  return entry;
}

void add_options(ModprobeConfig& config, std::string module, std::string text) {
  std::replace(text.begin(), text.end(), '\t', ' ');
  config.options.push_back({std::move(module), std::move(text)});
}

/// Parses one logical line; false when it is a bad line.
bool parse_line(std::string_view line, const std::string& file_name, ModprobeConfig& config,
                DiagnosticSink& messages, const std::string& command) {
  std::string_view rest = line;
  next_token(rest, kBlanks);  // the command itself
  if (command == "alias") {
    auto pattern = next_token(rest, kBlanks);
    auto module = next_token(rest, kBlanks);
    if (!normalised(pattern) || !normalised(module)) return false;
    config.aliases.push_back({std::move(*pattern), std::move(*module)});
    return true;
  }
  if (command == "blacklist") {
    auto module = next_token(rest, kBlanks);
    if (!normalised(module)) return false;
    config.blacklist.push_back(std::move(*module));
    return true;
  }
  if (command == "options" || command == "install" || command == "remove" || command == "softdep" ||
      command == "weakdep") {
    auto module = next_token(rest, kBlanks);
    auto text = remainder(rest);
    if (!normalised(module) || !text) return false;
    if (command == "options") add_options(config, std::move(*module), std::move(*text));
    else if (command == "install") config.install.push_back({std::move(*module), std::move(*text)});
    else if (command == "remove") config.remove.push_back({std::move(*module), std::move(*text)});
    else if (command == "softdep") config.softdeps.push_back(make_softdep(std::move(*module), *text));
    else config.weakdeps.push_back(make_weakdep(std::move(*module), *text));
    return true;
  }
  if (command == "include" || command == "config") {
    messages.report_from(Severity::error, libkmod_site::config_parse_deprecated,
                         file_name + ": command " + command + " is deprecated and not parsed anymore");
    return true;
  }
  return false;
}

/// libkmod's words for the config entries it skips (names that are not
/// *.conf are skipped silently).
void report_skipped(DiagnosticSink& messages, ConfigListEvent event, const std::string& dir, std::string_view name,
                    int err) {
  switch (event) {
    case ConfigListEvent::unreadable_directory:
      messages.report_from(Severity::error, libkmod_site::conf_files_list,
                           "opendir(" + dir + "): " + std::strerror(err));
      break;
    case ConfigListEvent::not_conf: break;
    case ConfigListEvent::nested_directory:
      messages.report_from(Severity::error, libkmod_site::conf_files_filter_out,
                           "Directories inside directories are not supported: " + dir + "/" + std::string(name));
      break;
  }
}

}  // namespace

std::vector<std::string> default_modprobe_config_paths() {
  return {"/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d",
          "/lib/modprobe.d"};
}

void parse_modprobe_config_text(std::string_view text, const std::string& file_name, ModprobeConfig& config,
                                DiagnosticSink& messages) {
  LogicalLineReader reader(text);
  while (auto raw = reader.next()) {
    std::string_view line = c_string_view(*raw);
    if (line.empty() || line[0] == '#') continue;
    std::string_view probe = line;
    auto command = next_token(probe, kBlanks);
    if (!command) continue;
    if (!parse_line(line, file_name, config, messages, *command))
      messages.report_from(Severity::error, libkmod_site::config_parse_bad_line,
                           file_name + " line " + std::to_string(reader.line_number()) +
                               ": ignoring bad line starting with '" + *command + "'");
  }
}

ModprobeConfig load_modprobe_config(const ConfigSources& sources, DiagnosticSink& messages) {
  ConfigFileList files;
  if (!sources.module_dir.empty()) {
    files.insert("modules.softdep", sources.module_dir + "/modules.softdep");
    files.insert("modules.weakdep", sources.module_dir + "/modules.weakdep");
  }
  auto report = [&messages](ConfigListEvent e, const std::string& dir, std::string_view name, int err) {
    report_skipped(messages, e, dir, name, err);
  };
  for (const std::string& path : sources.paths) files.add_path(path, report);

  ModprobeConfig config;
  for (const ConfigFileEntry& file : files.files()) {
    auto text = read_text_file(file.path);
    if (!text) continue;  // libkmod skips files it cannot open or read
    parse_modprobe_config_text(*text, file.path, config, messages);
  }
  if (sources.kernel_cmdline) parse_kernel_cmdline(*sources.kernel_cmdline, config, messages);
  return config;
}

}  // namespace kmodx
