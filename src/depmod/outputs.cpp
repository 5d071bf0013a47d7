// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/outputs.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "depmod/atomic_files.hpp"
#include "depmod/text_inputs.hpp"
#include "index/trie_writer.hpp"
#include "util/mapped_file.hpp"
#include "util/names.hpp"
#include "util/thread_pool.hpp"

namespace kmodx::depmod {

namespace {
std::vector<std::string> compute_dep_lines(const DepmodState& s, ThreadPool* pool);
}  // namespace

// Results more than one writer needs, computed by whichever asks first.
class SharedResults {
 public:
  /// \p pool, if any, is the one the writers run on.
  SharedResults(const DepmodState& state, ThreadPool* pool) : state_(state), pool_(pool) {}
  /// modules.dep line of each module, no '\n'. Needs state.graph.
  const std::vector<std::string>& dep_lines() {
    std::call_once(dep_once_, [&] { dep_lines_ = compute_dep_lines(state_, pool_); });
    return dep_lines_;
  }
  /// Module-owned symbols in kmod's hash order.
  const std::vector<std::pair<std::string_view, SymbolEntry>>& module_symbols() {
    std::call_once(symbols_once_, [&] { symbols_ = state_.symbols.module_symbols_in_hash_order(); });
    return symbols_;
  }

 private:
  const DepmodState& state_;
  ThreadPool* pool_;
  std::once_flag dep_once_, symbols_once_;
  std::vector<std::string> dep_lines_;
  std::vector<std::pair<std::string_view, SymbolEntry>> symbols_;
};

struct RenderContext {
  const DepmodState& state;
  DiagnosticSink& sink;
  SharedResults& shared;
};

namespace {

using index::Order;
using index::TrieBuilder;

constexpr Order kIndexOrder = Order::pre_order;

const std::string& shown_path(const ModuleRecord& m) { return m.relpath ? *m.relpath : m.path; }

std::vector<std::string> compute_dep_lines(const DepmodState& s, ThreadPool* pool) {
  std::vector<std::string> lines(s.modules.size());
  auto fill = [&](std::size_t begin, std::size_t end) {
    for (std::size_t m = begin; m < end; ++m) {
      std::string& line = lines[m];
      line = shown_path(s.modules[m]) + ":";
      for (std::uint32_t d : s.graph->all_dependencies(static_cast<std::uint32_t>(m))) {
        line += ' ';
        line += shown_path(s.modules[d]);
      }
    }
  };
  // Both modules.dep writers wait for these lines, near the end of the run
  // when the other files are mostly done: big trees are split in two, the
  // second half offered to the pool.
  const std::size_t half = s.modules.size() / 2;
  if (half < 512 || pool == nullptr || pool->threads() < 2) {
    fill(0, s.modules.size());
    return lines;
  }
  ThreadPool::Handle second = pool->submit([&] { fill(half, s.modules.size()); }, true);
  fill(0, half);
  pool->run_or_wait(second);  // before `lines` is returned
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
  for (const std::string& line : c.shared.dep_lines()) {
    out += line;
    out += '\n';
  }
  return {};
}

Result<void> render_dep_bin(const RenderContext& c, std::string& out) {
  const DepmodState& s = c.state;
  TrieBuilder trie(s.modules.size());
  for (std::uint32_t m = 0; m < s.modules.size(); ++m) {
    const std::string& line = c.shared.dep_lines()[m];
    if (auto r = insert(trie, c, s.modules[m].name, line, m, "deps", line); !r) return r;
  }
  out = trie.serialize(kIndexOrder);
  return {};
}

Result<void> render_alias(const RenderContext& c, std::string& out) {
  const DepmodState& s = c.state;
  out = "# Aliases extracted from modules themselves.\n";
  for (const ModuleRecord& m : s.modules)
    for (std::string_view a : m.aliases) {
      out += "alias ";
      out += a;
      out += ' ';
      out += m.name;
      out += '\n';
    }
  return {};
}

Result<void> render_alias_bin(const RenderContext& c, std::string& out) {
  const DepmodState& s = c.state;
  std::size_t aliases = 0;
  for (const ModuleRecord& m : s.modules) aliases += m.aliases.size();
  TrieBuilder trie(aliases);
  for (std::uint32_t i = 0; i < s.modules.size(); ++i) {
    const ModuleRecord& m = s.modules[i];
    for (std::string_view a : m.aliases) {
      auto key = alias_normalize(a);
      if (!key) {
        c.sink.report(Severity::warning, "Unmatched bracket in " + std::string(a));
        continue;
      }
      // kmod names the alias as stored: normalised.
      if (auto r = insert(trie, c, *key, m.name, i, "alias", *key + " " + m.name); !r) return r;
    }
  }
  out = trie.serialize(kIndexOrder);
  return {};
}

Result<void> render_key_values(const RenderContext& c, std::string& out, std::string_view header,
                               std::string_view word, std::vector<std::string_view> ModuleContents::*field) {
  out = header;
  for (const ModuleRecord& m : c.state.modules)
    for (std::string_view v : m.*field) {
      out += word;
      out += ' ';
      out += m.name;
      out += ' ';
      out += v;
      out += '\n';
    }
  return {};
}

Result<void> render_softdep(const RenderContext& c, std::string& out) {
  return render_key_values(c, out, "# Soft dependencies extracted from modules themselves.\n",
                           "softdep", &ModuleContents::softdeps);
}

Result<void> render_weakdep(const RenderContext& c, std::string& out) {
  return render_key_values(c, out, "# Weak dependencies extracted from modules themselves.\n",
                           "weakdep", &ModuleContents::weakdeps);
}

Result<void> render_symbols(const RenderContext& c, std::string& out) {
  out = "# Aliases for symbols, used by symbol_request().\n";
  for (const auto& [name, entry] : c.shared.module_symbols())
    out += "alias symbol:" + std::string(name) + " " + c.state.modules[entry.owner].name + "\n";
  return {};
}

Result<void> render_symbols_bin(const RenderContext& c, std::string& out) {
  TrieBuilder trie(c.shared.module_symbols().size());
  for (const auto& [name, entry] : c.shared.module_symbols()) {
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
  auto text = read_text_file(dirname + "/" + std::string(name));
  if (!text) {
    c.sink.report(Severity::warning, "could not open " + std::string(name) + " at " + dirname + ": " +
                                         std::strerror(text.error().code));
    return false;
  }
  content = std::move(*text);
  return true;
}

Result<void> render_builtin_bin(const RenderContext& c, std::string& out) {
  std::string content;
  if (!read_input(c, "modules.builtin", content)) return {};
  auto index = builtin_index(content, c.sink, kIndexOrder);
  if (!index) return std::move(index).take_error();
  out = std::move(*index);
  return {};
}

Result<void> render_builtin_alias_bin(const RenderContext& c, std::string& out) {
  std::string content;
  if (!read_input(c, "modules.builtin.modinfo", content)) return {};
  auto index = builtin_alias_index(content, c.sink, kIndexOrder);
  if (!index) return std::move(index).take_error();
  out = std::move(*index);
  return {};
}

Result<void> render_devname(const RenderContext& c, std::string& out) {
  for (const ModuleRecord& m : c.state.modules) {
    const std::string_view* devname = nullptr;
    char type = '\0';
    unsigned major = 0, minor = 0;
    for (const std::string_view& a : m.aliases) {
      unsigned maj = 0, min = 0;
      // sscanf() needs the terminated string; the literal prefix it must
      // match first is tested without a copy.
      if (a.starts_with("devname:")) {
        devname = &a;
      } else if (a.starts_with("char-major-") &&
                 std::sscanf(std::string(a).c_str(), "char-major-%u-%u", &maj, &min) == 2) {
        type = 'c', major = maj, minor = min;
      } else if (a.starts_with("block-major-") &&
                 std::sscanf(std::string(a).c_str(), "block-major-%u-%u", &maj, &min) == 2) {
        type = 'b', major = maj, minor = min;
      }
      if (type != '\0' && devname != nullptr) break;
    }
    if (devname == nullptr) continue;
    const std::string name(devname->substr(std::strlen("devname:")));
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
    {"modules.dep", true, true, &render_dep},
    {"modules.dep.bin", false, true, &render_dep_bin},
    {"modules.alias", true, false, &render_alias},
    {"modules.alias.bin", false, false, &render_alias_bin},
    {"modules.softdep", true, false, &render_softdep},
    {"modules.weakdep", true, false, &render_weakdep},
    {"modules.symbols", true, false, &render_symbols},
    {"modules.symbols.bin", false, false, &render_symbols_bin},
    {"modules.builtin.bin", false, false, &render_builtin_bin},
    {"modules.builtin.alias.bin", false, false, &render_builtin_alias_bin},
    {"modules.devname", true, false, &render_devname},
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

// Every writer's failure is the index writer's (TrieBuilder: a key it
// refuses, or an index too large for the format).
OutputFailure index_failure(const Error& e, std::string_view file) {
  return OutputFailure{OutputFailure::Kind::index, std::string(file), e};
}

}  // namespace

TextOutputs render_text_outputs(const DepmodState& state) {
  SharedResults shared(state, nullptr);
  const RenderContext context{state, state.sink, shared};
  TextOutputs out;
  for (const OutputFile& f : kOutputFiles) {
    if (!f.text) continue;
    std::string content;
    if (auto r = f.render(context, content); !r) {
      out.failure = index_failure(r.error(), f.name);
      break;
    }
    out.text += content;
  }
  return out;
}

struct OutputRenderer::Impl {
  struct Job {
    BufferedSink sink;
    std::string content;
    Result<void> status;
  };

  Impl(const DepmodState& s, unsigned threads) : state(s), shared(state, &pool), jobs(kOutputFiles.size()), pool(threads) {}

  void submit(std::size_t i, bool first) {
    pool.submit([this, i] {
      const RenderContext context{state, jobs[i].sink, shared};
      jobs[i].status = kOutputFiles[i].render(context, jobs[i].content);
    }, first);
  }

  DepmodState state;
  SharedResults shared;
  std::vector<Job> jobs;
  ThreadPool pool;  // last: its workers end before what their tasks use goes
};

OutputRenderer::OutputRenderer(const DepmodState& state, unsigned threads)
    : impl_(std::make_unique<Impl>(state, threads)) {
  // The biggest writers first, so the last job to finish is a small one.
  for (std::string_view name : {"modules.symbols.bin", "modules.alias.bin", "modules.alias", "modules.symbols",
                                "modules.devname", "modules.builtin.alias.bin", "modules.builtin.bin",
                                "modules.softdep", "modules.weakdep"})
    for (std::size_t i = 0; i < kOutputFiles.size(); ++i)
      if (kOutputFiles[i].name == name && !kOutputFiles[i].needs_graph) impl_->submit(i, false);
}

OutputRenderer::~OutputRenderer() = default;  // unfinished: the pool drops what no thread started

std::optional<OutputFailure> OutputRenderer::finish(const DependencyGraph& graph, const std::string& outdir,
                                                    std::vector<PendingFile> extra) {
  Impl& impl = *impl_;
  // The graph is set before a task that needs it is queued: the pool's lock
  // orders the two.
  impl.state.graph = &graph;
  for (std::size_t i = 0; i < kOutputFiles.size(); ++i)
    if (kOutputFiles[i].needs_graph) impl.submit(i, true);
  impl.pool.wait();

  std::vector<PendingFile> files;
  files.reserve(impl.jobs.size());
  for (std::size_t i = 0; i < impl.jobs.size(); ++i) {
    impl.jobs[i].sink.replay(impl.state.sink);
    if (!impl.jobs[i].status) return index_failure(impl.jobs[i].status.error(), kOutputFiles[i].name);
    PendingFile& file = files.emplace_back();
    file.name = kOutputFiles[i].name;
    file.content = std::move(impl.jobs[i].content);
  }
  for (PendingFile& f : extra) files.push_back(std::move(f));
  auto published = publish_files(outdir, files, impl.state.sink);
  if (!published) return OutputFailure{OutputFailure::Kind::publish, {}, std::move(published).take_error()};
  if (*published == PublishOutcome::failed) return OutputFailure{OutputFailure::Kind::reported, {}, {}};
  return std::nullopt;
}

}  // namespace kmodx::depmod
