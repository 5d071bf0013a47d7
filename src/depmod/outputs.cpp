// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/outputs.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "depmod/atomic_files.hpp"
#include "index/trie_writer.hpp"
#include "util/names.hpp"

namespace kmodx::depmod {
namespace {

using index::Order;
using index::TrieBuilder;

constexpr Order kIndexOrder = Order::pre_order;

const std::string& shown_path(const ModuleRecord& m) { return m.relpath ? *m.relpath : m.path; }

std::string dep_line(const DepmodState& s, std::uint32_t m) {
  std::string line = shown_path(s.modules[m]) + ":";
  for (std::uint32_t d : s.graph.all_dependencies(m)) line += " " + shown_path(s.modules[d]);
  return line;
}

// Inserts into a trie; -w reports a value stored twice under one key.
Result<void> insert(TrieBuilder& trie, const DepmodState& s, std::string_view key, std::string_view value,
                    std::uint32_t priority, std::string_view what, std::string_view dup_text) {
  auto dup = trie.insert(key, value, priority);
  if (!dup) return std::move(dup).take_error();
  if (*dup && s.warn_duplicates)
    s.sink.report(Severity::warning, "duplicate module " + std::string(what) + ":\n" + std::string(dup_text));
  return {};
}

Result<void> render_dep(const DepmodState& s, std::string& out) {
  for (std::uint32_t m = 0; m < s.modules.size(); ++m) out += dep_line(s, m) + "\n";
  return {};
}

Result<void> render_dep_bin(const DepmodState& s, std::string& out) {
  TrieBuilder trie;
  for (std::uint32_t m = 0; m < s.modules.size(); ++m) {
    const std::string line = dep_line(s, m);
    if (auto r = insert(trie, s, s.modules[m].name, line, m, "deps", line); !r) return r;
  }
  out = trie.serialize(kIndexOrder);
  return {};
}

Result<void> render_alias(const DepmodState& s, std::string& out) {
  out = "# Aliases extracted from modules themselves.\n";
  for (const ModuleRecord& m : s.modules)
    for (const std::string& a : m.aliases) out += "alias " + a + " " + m.name + "\n";
  return {};
}

Result<void> render_alias_bin(const DepmodState& s, std::string& out) {
  TrieBuilder trie;
  for (std::uint32_t i = 0; i < s.modules.size(); ++i) {
    const ModuleRecord& m = s.modules[i];
    for (const std::string& a : m.aliases) {
      auto key = alias_normalize(a);
      if (!key) {
        s.sink.report(Severity::warning, "Unmatched bracket in " + a);
        continue;
      }
      if (auto r = insert(trie, s, *key, m.name, i, "alias", a + " " + m.name); !r) return r;
    }
  }
  out = trie.serialize(kIndexOrder);
  return {};
}

Result<void> render_key_values(const DepmodState& s, std::string& out, std::string_view header,
                               std::string_view word, std::vector<std::string> ModuleRecord::*field) {
  out = header;
  for (const ModuleRecord& m : s.modules)
    for (const std::string& v : m.*field) out += std::string(word) + " " + m.name + " " + v + "\n";
  return {};
}

Result<void> render_softdep(const DepmodState& s, std::string& out) {
  return render_key_values(s, out, "# Soft dependencies extracted from modules themselves.\n",
                           "softdep", &ModuleRecord::softdeps);
}

Result<void> render_weakdep(const DepmodState& s, std::string& out) {
  return render_key_values(s, out, "# Weak dependencies extracted from modules themselves.\n",
                           "weakdep", &ModuleRecord::weakdeps);
}

Result<void> render_symbols(const DepmodState& s, std::string& out) {
  out = "# Aliases for symbols, used by symbol_request().\n";
  for (const auto& [name, entry] : s.symbols.module_symbols_in_hash_order())
    out += "alias symbol:" + std::string(name) + " " + s.modules[entry.owner].name + "\n";
  return {};
}

Result<void> render_symbols_bin(const DepmodState& s, std::string& out) {
  TrieBuilder trie;
  for (const auto& [name, entry] : s.symbols.module_symbols_in_hash_order()) {
    const std::string key = "symbol:" + std::string(name);
    const std::string& owner = s.modules[entry.owner].name;
    if (auto r = insert(trie, s, key, owner, static_cast<std::uint32_t>(entry.owner), "syms", key + " " + owner); !r)
      return r;
  }
  out = trie.serialize(kIndexOrder);
  return {};
}

// Reads an input file of the module directory; a missing one is a warning
// and yields an empty (0-byte) index, as kmod does.
bool read_input(const DepmodState& s, std::string_view name, std::string& content) {
  std::ifstream in(s.dirname + "/" + std::string(name), std::ios::binary);
  if (!in) {
    s.sink.report(Severity::warning, "could not open " + std::string(name) + " at " + s.dirname + ": " +
                                         std::strerror(errno));
    return false;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  content = buffer.str();
  return true;
}

Result<void> render_builtin_bin(const DepmodState& s, std::string& out) {
  std::string content;
  if (!read_input(s, "modules.builtin", content)) return {};
  TrieBuilder trie;
  for (std::size_t pos = 0; pos < content.size();) {
    std::size_t nl = content.find('\n', pos);
    std::size_t end = nl == std::string::npos ? content.size() : nl + 1;
    std::string_view line(content.data() + pos, end - pos);  // newline kept, as fgets()
    pos = end;
    if (!std::isalpha(static_cast<unsigned char>(line.front()))) {
      s.sink.report(Severity::error, "Invalid modules.builtin line: " + std::string(line));
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
Result<void> render_builtin_alias_bin(const DepmodState& s, std::string& out) {
  std::string content;
  if (!read_input(s, "modules.builtin.modinfo", content)) return {};
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
      s.sink.report(Severity::warning, "Unmatched bracket in " + std::string(value));
      continue;
    }
    if (auto r = trie.insert(*key, module, 0); !r) return std::move(r).take_error();
  }
  out = trie.serialize(kIndexOrder);
  return {};
}

Result<void> render_devname(const DepmodState& s, std::string& out) {
  for (const ModuleRecord& m : s.modules) {
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
      s.sink.report(Severity::error, "Module '" + m.name + "' has devname (" + name +
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

Result<void> print_text_outputs(const DepmodState& state, std::FILE* out) {
  for (const OutputFile& f : kOutputFiles) {
    if (!f.text) continue;
    std::string content;
    if (auto r = f.render(state, content); !r) return r;
    std::fwrite(content.data(), 1, content.size(), out);
  }
  return {};
}

Result<void> write_outputs(const DepmodState& state, const std::string& outdir) {
  std::vector<PendingFile> files;
  files.reserve(kOutputFiles.size());
  for (const OutputFile& f : kOutputFiles) {
    PendingFile p{std::string(f.name), {}};
    if (auto r = f.render(state, p.content); !r) {
      Error e = std::move(r).take_error();
      // Writer errors carry kmod's message when there is one (bad
      // character); otherwise name the file.
      if (e.detail.rfind("Module index:", 0) != 0)
        e.detail = "Could not write index '" + p.name + "': " + std::strerror(e.code);
      return e;
    }
    files.push_back(std::move(p));
  }
  return publish_files(outdir, files);
}

}  // namespace kmodx::depmod
