// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/outputs.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "depmod/atomic_files.hpp"
#include "index/trie_writer.hpp"
#include "util/names.hpp"

namespace kmodx::depmod {

struct RenderContext {
  const DepmodState& state;
  DiagnosticSink& sink;
  const std::vector<std::string>& dep_lines;  ///< modules.dep line of each module, no '\n'
  const std::vector<std::pair<std::string_view, SymbolEntry>>& module_symbols;  ///< hash order
};

namespace {

using index::Order;
using index::TrieBuilder;

constexpr Order kIndexOrder = Order::pre_order;

const std::string& shown_path(const ModuleRecord& m) { return m.relpath ? *m.relpath : m.path; }

std::vector<std::string> dep_lines(const DepmodState& s) {
  std::vector<std::string> lines(s.modules.size());
  for (std::uint32_t m = 0; m < s.modules.size(); ++m) {
    std::string& line = lines[m];
    line = shown_path(s.modules[m]) + ":";
    for (std::uint32_t d : s.graph.all_dependencies(m)) {
      line += ' ';
      line += shown_path(s.modules[d]);
    }
  }
  return lines;
}

// Inserts into a trie; -w reports a value stored twice under one key.
Result<void> insert(TrieBuilder& trie, const RenderContext& c, std::string_view key, std::string_view value,
                    std::uint32_t priority, std::string_view what, std::string_view dup_text) {
  auto dup = trie.insert(key, value, priority);
  if (!dup) return std::move(dup).take_error();
  if (*dup && c.state.warn_duplicates)
    c.sink.report(Severity::warning, "duplicate module " + std::string(what) + ":\n" + std::string(dup_text));
  return {};
}

Result<void> render_dep(const RenderContext& c, std::string& out) {
  for (const std::string& line : c.dep_lines) {
    out += line;
    out += '\n';
  }
  return {};
}

Result<void> render_dep_bin(const RenderContext& c, std::string& out) {
  const DepmodState& s = c.state;
  TrieBuilder trie;
  for (std::uint32_t m = 0; m < s.modules.size(); ++m) {
    const std::string& line = c.dep_lines[m];
    if (auto r = insert(trie, c, s.modules[m].name, line, m, "deps", line); !r) return r;
  }
  out = trie.serialize(kIndexOrder);
  return {};
}

Result<void> render_alias(const RenderContext& c, std::string& out) {
  const DepmodState& s = c.state;
  out = "# Aliases extracted from modules themselves.\n";
  for (const ModuleRecord& m : s.modules)
    for (const std::string& a : m.aliases) out += "alias " + a + " " + m.name + "\n";
  return {};
}

Result<void> render_alias_bin(const RenderContext& c, std::string& out) {
  const DepmodState& s = c.state;
  TrieBuilder trie;
  for (std::uint32_t i = 0; i < s.modules.size(); ++i) {
    const ModuleRecord& m = s.modules[i];
    for (const std::string& a : m.aliases) {
      auto key = alias_normalize(a);
      if (!key) {
        c.sink.report(Severity::warning, "Unmatched bracket in " + a);
        continue;
      }
      if (auto r = insert(trie, c, *key, m.name, i, "alias", a + " " + m.name); !r) return r;
    }
  }
  out = trie.serialize(kIndexOrder);
  return {};
}

Result<void> render_key_values(const RenderContext& c, std::string& out, std::string_view header,
                               std::string_view word, std::vector<std::string> ModuleRecord::*field) {
  out = header;
  for (const ModuleRecord& m : c.state.modules)
    for (const std::string& v : m.*field) out += std::string(word) + " " + m.name + " " + v + "\n";
  return {};
}

Result<void> render_softdep(const RenderContext& c, std::string& out) {
  return render_key_values(c, out, "# Soft dependencies extracted from modules themselves.\n",
                           "softdep", &ModuleRecord::softdeps);
}

Result<void> render_weakdep(const RenderContext& c, std::string& out) {
  return render_key_values(c, out, "# Weak dependencies extracted from modules themselves.\n",
                           "weakdep", &ModuleRecord::weakdeps);
}

Result<void> render_symbols(const RenderContext& c, std::string& out) {
  out = "# Aliases for symbols, used by symbol_request().\n";
  for (const auto& [name, entry] : c.module_symbols)
    out += "alias symbol:" + std::string(name) + " " + c.state.modules[entry.owner].name + "\n";
  return {};
}

Result<void> render_symbols_bin(const RenderContext& c, std::string& out) {
  TrieBuilder trie;
  for (const auto& [name, entry] : c.module_symbols) {
    const std::string key = "symbol:" + std::string(name);
    const std::string& owner = c.state.modules[entry.owner].name;
    if (auto r = insert(trie, c, key, owner, static_cast<std::uint32_t>(entry.owner), "syms", key + " " + owner); !r)
      return r;
  }
  out = trie.serialize(kIndexOrder);
  return {};
}

// Reads an input file of the module directory; a missing one is a warning
// and yields an empty (0-byte) index, as kmod does.
bool read_input(const RenderContext& c, std::string_view name, std::string& content) {
  const std::string& dirname = c.state.dirname;
  std::ifstream in(dirname + "/" + std::string(name), std::ios::binary);
  if (!in) {
    c.sink.report(Severity::warning, "could not open " + std::string(name) + " at " + dirname + ": " +
                                         std::strerror(errno));
    return false;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  content = buffer.str();
  return true;
}

Result<void> render_builtin_bin(const RenderContext& c, std::string& out) {
  std::string content;
  if (!read_input(c, "modules.builtin", content)) return {};
  TrieBuilder trie;
  for (std::size_t pos = 0; pos < content.size();) {
    std::size_t nl = content.find('\n', pos);
    std::size_t end = nl == std::string::npos ? content.size() : nl + 1;
    std::string_view line(content.data() + pos, end - pos);  // newline kept, as fgets()
    pos = end;
    if (!std::isalpha(static_cast<unsigned char>(line.front()))) {
      c.sink.report(Severity::error, "Invalid modules.builtin line: " + std::string(line));
      continue;
    }
    std::string_view base = line.substr(line.rfind('/') == std::string_view::npos ? 0 : line.rfind('/') + 1);
    if (auto r = trie.insert(modname_normalize(base), "", 0); !r) return std::move(r).take_error();
  }
  out = trie.serialize(kIndexOrder);
  return {};
}

// modules.builtin.modinfo is a stream of "<module>.<key>=<value>\0" records;
// only alias records count. The field reader stops at its delimiter, at a
// NUL or at the end; a field not ended by its delimiter reads as empty. A
// record with '.' but no '=' thus hides the record after it, as in kmod.
Result<void> render_builtin_alias_bin(const RenderContext& c, std::string& out) {
  std::string content;
  if (!read_input(c, "modules.builtin.modinfo", content)) return {};
  std::size_t pos = 0;
  auto read_to = [&](char delimiter) -> std::string_view {
    const std::size_t start = pos;
    while (pos < content.size() && content[pos] != delimiter && content[pos] != '\0') ++pos;
    const bool found = pos < content.size() && content[pos] == delimiter;
    std::string_view field(content.data() + start, pos - start);
    if (pos < content.size()) ++pos;  // the stop character is consumed
    return found ? field : std::string_view();
  };
  TrieBuilder trie;
  while (pos < content.size()) {
    std::string_view module = read_to('.');
    if (module.empty()) continue;
    if (read_to('=') != "alias") {
      read_to('\0');
      continue;
    }
    std::string_view value = read_to('\0');
    if (value.empty()) continue;
    auto key = alias_normalize(value);
    if (!key) {
      c.sink.report(Severity::warning, "Unmatched bracket in " + std::string(value));
      continue;
    }
    if (auto r = trie.insert(*key, module, 0); !r) return std::move(r).take_error();
  }
  out = trie.serialize(kIndexOrder);
  return {};
}

Result<void> render_devname(const RenderContext& c, std::string& out) {
  for (const ModuleRecord& m : c.state.modules) {
    const std::string* devname = nullptr;
    char type = '\0';
    unsigned major = 0, minor = 0;
    for (const std::string& a : m.aliases) {
      unsigned maj = 0, min = 0;
      if (a.starts_with("devname:")) {
        devname = &a;
      } else if (std::sscanf(a.c_str(), "char-major-%u-%u", &maj, &min) == 2) {
        type = 'c', major = maj, minor = min;
      } else if (std::sscanf(a.c_str(), "block-major-%u-%u", &maj, &min) == 2) {
        type = 'b', major = maj, minor = min;
      }
      if (type != '\0' && devname != nullptr) break;
    }
    if (devname == nullptr) continue;
    const std::string name = devname->substr(std::strlen("devname:"));
    if (type == '\0') {
      c.sink.report(Severity::error, "Module '" + m.name + "' has devname (" + name +
                                         ") but lacks major and minor information. Ignoring.");
      continue;
    }
    if (out.empty()) out = "# Device nodes to trigger on-demand module loading.\n";
    out += m.name + " " + name + " " + type + std::to_string(major) + ":" + std::to_string(minor) + "\n";
  }
  return {};
}

}  // namespace

const std::array<OutputFile, 11> kOutputFiles{{
    {"modules.dep", true, &render_dep},
    {"modules.dep.bin", false, &render_dep_bin},
    {"modules.alias", true, &render_alias},
    {"modules.alias.bin", false, &render_alias_bin},
    {"modules.softdep", true, &render_softdep},
    {"modules.weakdep", true, &render_weakdep},
    {"modules.symbols", true, &render_symbols},
    {"modules.symbols.bin", false, &render_symbols_bin},
    {"modules.builtin.bin", false, &render_builtin_bin},
    {"modules.builtin.alias.bin", false, &render_builtin_alias_bin},
    {"modules.devname", true, &render_devname},
}};

namespace {

// Keeps one writer's messages until they can be passed on in table order.
class BufferedSink final : public DiagnosticSink {
 public:
  void report(Severity severity, std::string_view message) override {
    messages_.emplace_back(severity, std::string(message));
  }
  void replay(DiagnosticSink& to) const {
    for (const auto& [severity, text] : messages_) to.report(severity, text);
  }

 private:
  std::vector<std::pair<Severity, std::string>> messages_;
};

// A writer that fails: the index's own FATAL text for a bad character
// (kmod master's), kmod's ERROR naming the file otherwise.
void report_render_error(const Error& e, std::string_view file, DiagnosticSink& sink) {
  if (e.detail.rfind("Module index:", 0) == 0)
    sink.report(Severity::fatal, e.detail);
  else
    sink.report(Severity::error, "Could not write index '" + std::string(file) + "': " + std::strerror(e.code));
}

}  // namespace

bool print_text_outputs(const DepmodState& state, std::FILE* out) {
  const std::vector<std::string> lines = dep_lines(state);
  const auto symbols = state.symbols.module_symbols_in_hash_order();
  const RenderContext context{state, state.sink, lines, symbols};
  for (const OutputFile& f : kOutputFiles) {
    if (!f.text) continue;
    std::string content;
    if (auto r = f.render(context, content); !r) {
      report_render_error(r.error(), f.name, state.sink);
      return false;
    }
    std::fwrite(content.data(), 1, content.size(), out);
  }
  return true;
}

bool write_outputs(const DepmodState& state, const std::string& outdir, unsigned threads) {
  const std::vector<std::string> lines = dep_lines(state);
  const auto symbols = state.symbols.module_symbols_in_hash_order();

  struct Job {
    BufferedSink sink;
    std::string content;
    Result<void> status;
  };
  std::vector<Job> jobs(kOutputFiles.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < jobs.size(); i = next++) {
      const RenderContext context{state, jobs[i].sink, lines, symbols};
      jobs[i].status = kOutputFiles[i].render(context, jobs[i].content);
    }
  };
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  {
    std::vector<std::jthread> pool;
    for (unsigned t = 1; t < std::min<std::size_t>(threads, jobs.size()); ++t) pool.emplace_back(worker);
    worker();
  }

  std::vector<PendingFile> files;
  files.reserve(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    jobs[i].sink.replay(state.sink);
    if (!jobs[i].status) {
      report_render_error(jobs[i].status.error(), kOutputFiles[i].name, state.sink);
      return false;
    }
    files.push_back(PendingFile{std::string(kOutputFiles[i].name), std::move(jobs[i].content)});
  }
  return publish_files(outdir, files, state.sink) != PublishOutcome::failed;
}

}  // namespace kmodx::depmod
