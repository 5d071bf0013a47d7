// SPDX-License-Identifier: LGPL-2.1-or-later
// build_module_database(): depmod's pipeline, scan → read → resolve → write
// (kmodx/depmod.hpp). The tool turns its command line into a DepmodRequest
// and the error into kmod's FATAL line.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/depmod_config.hpp"
#include "depmod/build_database.hpp"
#include "depmod/dep_graph.hpp"
#include "depmod/module_array.hpp"
#include "depmod/module_cache.hpp"
#include "depmod/module_loader.hpp"
#include "depmod/module_search.hpp"
#include "depmod/outputs.hpp"
#include "depmod/symbol_table.hpp"
#include "kmodx/depmod.hpp"
#include "query/dependency_dot.hpp"
#include "util/libkmod_sites.hpp"
#include "util/names.hpp"

namespace kmodx {

using namespace kmodx::depmod;

struct DepmodData {
  explicit DepmodData(char prefix) : symbols(prefix) {}
  std::vector<ModuleRecord> modules;
  SymbolTable symbols;
  std::optional<DependencyGraph> graph;
};

namespace {

void delete_data(DepmodData* data) { delete data; }

Error fatal(int code, std::string text) { return Error{code, std::move(text)}; }

// The kernel's own symbols, from -E or -F.
Result<void> load_kernel_symbols(const DepmodRequest& request, SymbolTable& symbols, DiagnosticSink& sink) {
  if (!request.symvers.empty()) {
    // In kmod, errno here is left from libkmod's attempt to read
    // <dirname>/modules.softdep as configuration: ENOENT when it is missing.
    const int leftover_errno =
        ::access((request.module_dir + "/modules.softdep").c_str(), F_OK) != 0 ? errno : 0;
    if (auto r = symbols.load_symvers(request.symvers, sink, leftover_errno); !r)
      return fatal(r.error().code, "could not load " + request.symvers + ": " + std::strerror(r.error().code));
  } else if (!request.system_map.empty()) {
    if (auto r = symbols.load_system_map(request.system_map, sink); !r)
      return fatal(r.error().code, "could not load " + request.system_map + ": " + std::strerror(r.error().code));
  }
  return {};
}

// The records of the files named on the command line, as libkmod's module
// pool takes them: each must exist, and a second path for a known name is
// refused.
Result<std::vector<ModuleRecord>> records_for_files(const DepmodRequest& request, DiagnosticSink& sink) {
  std::vector<ModuleRecord> modules;
  std::map<std::string, std::string> path_of;  // module name -> path
  for (const std::string& f : request.files) {
    if (f.empty() || f.front() != '/') return fatal(EINVAL, f + ": not absolute path.");
    struct stat st {};
    if (::stat(f.c_str(), &st) != 0) {
      const int err = errno;
      return fatal(err, "could not create module " + f + ": " + std::strerror(err));
    }
    auto name = path_to_modname(f);
    ModuleRecord r = ModuleRecord::for_file(name ? *name : std::string(), f, request.module_dir);
    if (auto known = path_of.find(r.name); known != path_of.end()) {
      if (known->second != f) {
        // kmod 30's text, source location included.
        sink.report(Severity::error, "../libkmod/" + std::string(libkmod_site::new_from_path) + "() kmod_module '" +
                                         r.name + "' already exists with different path: new-path='" + f +
                                         "' old-path='" + known->second + "'");
        return fatal(EEXIST, "could not create module " + f + ": File exists");
      }
      sink.report(Severity::error, "hash_add_unique " + r.name + ": File exists");
      return fatal(EEXIST, "could not add module " + f + ": File exists");
    }
    path_of.emplace(r.name, f);
    modules.push_back(std::move(r));
  }
  return modules;
}

// kmod's words for a failed write of the outputs: the index writer's and the
// publishing's failures end the run with their text; a file that could not
// be written was reported already.
Error output_error(const OutputFailure& failure) {
  switch (failure.kind) {
    case OutputFailure::Kind::index:
    case OutputFailure::Kind::publish: return failure.error;
    case OutputFailure::Kind::reported: break;
  }
  return Error{EIO, {}};
}

// The depmod cache of a run: opened before the walk, replaced with the
// outputs (module_cache.hpp). The modules taken from it keep its data.
struct RunCache {
  std::string path;
  CacheSettings settings;
  std::optional<ModuleCache> old;
  bool write = false;      // publish a new cache with the outputs
  bool unchanged = false;  // the new cache would be the old one's bytes
  bool extend = false;     // the new cache keeps the old one's tables
  CtimeFilesystems filesystems;

  RunCache(const DepmodRequest& request, const std::string& outdir, DiagnosticSink& sink)
      : path(outdir + "/" + std::string(kModuleCacheName)), settings{request.module_dir, request.symbol_prefix} {
    if (!request.use_cache) return;
    struct stat st {};
    const bool cache_exists = ::lstat(path.c_str(), &st) == 0;
    // Not for the files named on the command line: a cache of those alone
    // would replace the whole tree's.
    write = request.output == DepmodRequest::Output::files && request.files.empty() &&
            (cache_exists || ::access((outdir + "/modules.dep").c_str(), F_OK) == 0);
    // A directory of that name cannot be renamed over; the outputs still can.
    if (write && cache_exists && S_ISDIR(st.st_mode)) {
      write = false;
      sink.report(Severity::notice, path + ": a directory, so no cache is written");
    }
    auto opened = ModuleCache::open(path, settings);
    if (opened) {
      old.emplace(std::move(opened).value());
      return;
    }
    sink.report(Severity::notice, path + ": not used, every module is read: " + opened.error().detail);
  }

  CacheUse use() { return CacheUse{old ? &*old : nullptr, write, racy_cutoff(), &filesystems}; }

  void loaded(const std::vector<ModuleRecord>& modules, std::size_t from_cache, DiagnosticSink& sink) {
    if (!old) return;
    sink.report(Severity::notice, path + ": " + std::to_string(from_cache) + " of " + std::to_string(modules.size()) +
                                      " modules unchanged, " + std::to_string(modules.size() - from_cache) + " read");
    unchanged = old->same_as(modules);
    extend = write && !unchanged && old->mostly_used_by(modules);
    old->release_lookups();  // before the outputs need memory
  }

  // The new cache to publish, if any.
  std::vector<PendingFile> file(const std::vector<ModuleRecord>& modules) const {
    if (!write || unchanged) return {};
    std::vector<PendingFile> files;
    files.push_back(module_cache_file(settings, modules, extend ? &*old : nullptr));
    return files;
  }
};

void phase(const DepmodRequest& request, const char* name) {
  if (request.phase_done) request.phase_done(name);
}

void print(const DepmodRequest& request, std::string_view text) {
  if (request.print) request.print(text);
}

}  // namespace

Result<DepmodOutcome> build_module_database(const DepmodRequest& request, DiagnosticSink& sink) {
  return depmod::build_module_database(request, sink, nullptr);
}

Result<DepmodOutcome> depmod::build_module_database(const DepmodRequest& request, DiagnosticSink& sink,
                                                    ReadAlready* read) {
  DepmodOutcome outcome;
  outcome.data = {new DepmodData(request.symbol_prefix), &delete_data};
  DepmodData& data = *outcome.data;
  std::vector<ModuleRecord>& modules = data.modules;
  if (auto r = load_kernel_symbols(request, data.symbols, sink); !r) return std::move(r).take_error();

  const std::string outdir = request.output_dir.empty() ? request.module_dir : request.output_dir;
  RunCache cache(request, outdir, sink);
  if (request.use_cache) phase(request, "cache");
  // Reading starts while the tree is still walked (module_loader.hpp).
  CacheUse use = cache.use();
  use.preloaded = read != nullptr ? &read->contents : nullptr;
  ModuleLoadQueue loads(request.threads, use);
  if (request.files.empty() && read != nullptr) {
    modules = read->walk;  // read->contents fills them in loads.fill()
  } else if (request.files.empty()) {
    DepmodConfig config = load_depmod_config(
        request.config_paths.empty() ? default_depmod_config_paths() : request.config_paths, request.kernel_version,
        sink);
    auto found = find_modules(request.module_dir, config, sink, [&](const std::string& path) { loads.submit(path); });
    if (!found)
      return fatal(found.error().code, std::string("could not search modules: ") + std::strerror(found.error().code));
    modules = std::move(found).value();
  } else {
    auto records = records_for_files(request, sink);
    if (!records) return std::move(records).take_error();
    modules = std::move(records).value();
    for (const ModuleRecord& r : modules) loads.submit(r.path);
  }
  phase(request, "search");
  order_module_array(modules, request.module_dir, sink);
  phase(request, "order");
  loads.fill(modules, request.progress);
  phase(request, "load");
  for (const ModuleRecord& m : modules) outcome.from_cache += m.from_cache ? 1 : 0;
  cache.loaded(modules, outcome.from_cache, sink);
  for (const ModuleRecord& m : modules)
    if (m.symbols_error)
      sink.report(Severity::error, "failed to load symbols from " + m.path + ": " + std::strerror(m.symbols_error->code));
  data.symbols.add_module_exports(modules);
  phase(request, "symbols");

  // The files that do not need the graph are rendered while it is built.
  DepmodState state{modules, nullptr, data.symbols, request.module_dir, request.warn_duplicates, sink};
  std::optional<OutputRenderer> renderer;
  if (request.output == DepmodRequest::Output::files) renderer.emplace(state, request.threads);

  ResolveOptions resolve{request.report_unknown, !request.symvers.empty()};
  data.graph = DependencyGraph::resolve(modules, data.symbols, resolve, sink, request.verbose_line);
  DependencyGraph& graph = *data.graph;
  const bool sorted = graph.sort();
  phase(request, "graph");
  outcome.modules = modules.size();
  if (request.output == DepmodRequest::Output::graph) {
    std::vector<std::string> names;
    names.reserve(modules.size());
    for (const ModuleRecord& m : modules) names.push_back(m.name);
    print(request, dependency_dot(graph.graph(), names));
  }
  if (!sorted) {
    renderer.reset();  // nothing is written
    graph.report_cycles(modules, sink);
    return Error{ELOOP, {}};
  }

  switch (request.output) {
    case DepmodRequest::Output::graph: return outcome;
    case DepmodRequest::Output::text: {
      state.graph = &graph;
      TextOutputs text = render_text_outputs(state);
      print(request, text.text);
      if (text.failure) return output_error(*text.failure);
      return outcome;
    }
    case DepmodRequest::Output::files: break;
  }
  const std::optional<OutputFailure> failure = renderer->finish(graph, outdir, cache.file(modules));
  phase(request, "outputs");
  if (failure) return output_error(*failure);
  return outcome;
}

}  // namespace kmodx
