// SPDX-License-Identifier: LGPL-2.1-or-later
// depmod: index a module directory (spec §4). Options and messages follow
// kmod master; kmod 30's deprecated options are accepted with its warning.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/depmod_config.hpp"
#include "depmod/dep_graph.hpp"
#include "depmod/module_array.hpp"
#include "depmod/module_loader.hpp"
#include "depmod/module_search.hpp"
#include "depmod/outputs.hpp"
#include "depmod/quick_check.hpp"
#include "query/dependency_dot.hpp"
#include "tools/cli.hpp"
#include "tools/depmod_help.hpp"
#include "tools/log.hpp"
#include "tools/progress_line.hpp"
#include "tools/tools.hpp"
#include "util/libkmod_sites.hpp"
#include "util/names.hpp"

namespace kmodx::tools {
namespace {

using namespace kmodx::depmod;

struct Settings {
  bool quick = false, errsyms = false, dry_run = false, warn = false, all = false;
  bool graph = false;  // --graph: the dependency graph as DOT on stdout, nothing written
  int verbose = 0;
  std::string basedir, outroot;
  std::string moduledir = std::string(KMODX_MODULE_DIRECTORY).substr(1);
  std::vector<std::string> configs;
  std::string symvers, system_map;
  char prefix = '\0';
  unsigned jobs = 0;
  std::vector<std::string> arguments;
};

std::string make_absolute(const std::string& path) {
  // kmod's path_make_absolute_cwd: "" becomes the current directory and "/".
  if (!path.empty() && path.front() == '/') return path;
  std::error_code ec;
  return std::filesystem::current_path(ec).string() + "/" + path;
}

// kmod 30's table (tools/depmod.c) in its order, then kmod master's -m DIR
// and -o DIR (kmod 30's -m was the deprecated --map), and kmodx's -j and
// --graph.
constexpr const char* kShortOptions = "aAb:C:E:F:euqrvnP:wm:o:j:Vh";
constexpr OptionSpec kOptions[] = {
    {"all", no_argument, 'a', "all"},
    {"quick", no_argument, 'A', "quick"},
    {"basedir", required_argument, 'b', "basedir"},
    {"config", required_argument, 'C', "config"},
    {"symvers", required_argument, 'E', "symvers"},
    {"filesyms", required_argument, 'F', "filesyms"},
    {"errsyms", no_argument, 'e', "errsyms"},
    {"unresolved-error", no_argument, 'u', "deprecated"},
    {"quiet", no_argument, 'q', "deprecated"},
    {"root", no_argument, 'r', "deprecated"},
    {"verbose", no_argument, 'v', "verbose"},
    {"show", no_argument, 'n', "dry-run"},
    {"dry-run", no_argument, 'n', "dry-run"},
    {"symbol-prefix", required_argument, 'P', "symbol-prefix"},
    {"warn", no_argument, 'w', "warn"},
    {"map", no_argument, 258, "deprecated"},
    {"version", no_argument, 'V', "version"},
    {"help", no_argument, 'h', "help"},
    {"moduledir", required_argument, 'm', "moduledir"},
    {"outdir", required_argument, 'o', "outdir"},
    {"jobs", required_argument, 'j', "jobs"},
    {"graph", no_argument, 257, "graph"},
};

// Returns false to exit with \p exit_code.
bool parse(std::string_view prog, int argc, char** argv, Settings& s, ToolLog& log, int& exit_code) {
  OptionParser parser(argc, argv, kShortOptions, kOptions);
  while (auto o = parser.next()) {
    const std::string_view n = o->key;
    if (n == "all") s.all = true;
    else if (n == "quick") s.quick = true;
    else if (n == "basedir") s.basedir = make_absolute(o->value);
    else if (n == "moduledir") s.moduledir = o->value.substr(std::min(o->value.find_first_not_of('/'), o->value.size()));
    else if (n == "outdir") s.outroot = make_absolute(o->value);
    else if (n == "config") s.configs.push_back(o->value);
    else if (n == "symvers") s.symvers = o->value;
    else if (n == "filesyms") s.system_map = o->value;
    else if (n == "errsyms") s.errsyms = true;
    else if (n == "dry-run") s.dry_run = true;
    else if (n == "graph") s.graph = true;
    else if (n == "symbol-prefix") {
      if (o->value.size() > 1) log.report(Severity::fatal, "-P only takes a single char");
      s.prefix = o->value.empty() ? '\0' : o->value.front();
    }
    else if (n == "verbose") ++s.verbose;
    else if (n == "warn") s.warn = true;
    else if (n == "jobs") {
      auto jobs = parse_job_count(o->value);
      if (!jobs) {
        log.report(Severity::fatal, "-j takes a number of threads from 1 to " + std::to_string(kMaxJobs) +
                                        ", not '" + o->value + "'");
        exit_code = 1;
        return false;
      }
      s.jobs = *jobs;
    }
    else if (n == "version") { print_version(); exit_code = 0; return false; }
    else if (n == "help") { print_depmod_help(prog); exit_code = 0; return false; }
    else log.warning("Ignored deprecated option " + o->spelling);
  }
  if (parser.failed()) {
    exit_code = 1;
    return false;
  }
  s.arguments = parser.arguments();
  return true;
}

// kmod's words for a failed write of the outputs: the index writer's and
// the publishing's failures end the run (FATAL, kmod master's text for an
// index key); a file that could not be written was reported already.
void report_output_failure(const OutputFailure& failure, ToolLog& log) {
  switch (failure.kind) {
    case OutputFailure::Kind::index:
    case OutputFailure::Kind::publish: log.report(Severity::fatal, failure.error.detail); break;
    case OutputFailure::Kind::reported: break;
  }
}

// "%u.%u" as C's sscanf reads it: a kernel version starts with two numbers.
bool looks_like_version(const std::string& s) {
  unsigned a = 0, b = 0;
  return std::sscanf(s.c_str(), "%u.%u", &a, &b) == 2;
}

// Ends the process once the work is done. Tearing down the records of
// thousands of modules (hundreds of thousands of small allocations) takes a
// fifth of a whole run, and the kernel frees the memory at exit anyway; every
// output file is closed by then, so only stdio needs flushing (as mold does).
[[noreturn]] void exit_now(int code) {
  std::fflush(nullptr);
  std::_Exit(code);
}

// KMODX_TIMING=1 prints how long each phase took, for benchmarking.
class PhaseTimer {
 public:
  PhaseTimer() : enabled_(std::getenv("KMODX_TIMING") != nullptr), last_(std::chrono::steady_clock::now()) {}
  void mark(const char* phase) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    std::fprintf(stderr, "timing: %-8s %7.1f ms\n", phase,
                 std::chrono::duration<double, std::milli>(now - last_).count());
    last_ = now;
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace

int depmod_main(std::string_view prog, int argc, char** argv) {
  ToolLog log{std::string(prog)};
  Settings s;
  int exit_code = 0;
  if (!parse(prog, argc, argv, s, log, exit_code)) return exit_code;

  std::string version;
  std::size_t next = 0;
  if (!s.arguments.empty()) {
    if (!looks_like_version(s.arguments.front())) {
      log.error("Bad version passed " + s.arguments.front());
      return 1;
    }
    version = s.arguments.front();
    next = 1;
  } else {
    version = running_kernel_release();
  }
  std::vector<std::string> files(s.arguments.begin() + static_cast<std::ptrdiff_t>(next), s.arguments.end());
  if (files.empty()) s.all = true;

  const std::string dirname = s.basedir + "/" + s.moduledir + "/" + version;
  const std::string outdir = (s.outroot.empty() ? s.basedir : s.outroot) + "/" + s.moduledir + "/" + version;

  if (s.quick) {
    if (s.dry_run) return 0;
    if (depmod_is_up_to_date(dirname, log)) return 0;
  }
  log.set_threshold(static_cast<int>(Severity::warning) + s.verbose);

  SymbolTable symbols(s.prefix);
  const bool have_kernel_symbols = !s.symvers.empty() || !s.system_map.empty();
  if (!s.symvers.empty()) {
    // In kmod, errno here is left from libkmod's attempt to read
    // <dirname>/modules.softdep as configuration: ENOENT when it is missing.
    const int leftover_errno = ::access((dirname + "/modules.softdep").c_str(), F_OK) != 0 ? errno : 0;
    if (auto r = symbols.load_symvers(s.symvers, log, leftover_errno); !r)
      log.report(Severity::fatal, "could not load " + s.symvers + ": " + std::strerror(r.error().code));
  } else if (!s.system_map.empty()) {
    if (auto r = symbols.load_system_map(s.system_map, log); !r)
      log.report(Severity::fatal, "could not load " + s.system_map + ": " + std::strerror(r.error().code));
  }
  if (s.errsyms && !have_kernel_symbols) {
    log.warning("-e needs -E or -F");
    s.errsyms = false;
  }

  PhaseTimer timer;
  std::vector<ModuleRecord> modules;
  std::optional<ModuleLoadQueue> loads(std::in_place, s.jobs);
  if (s.all || s.quick) {
    DepmodConfig config = load_depmod_config(s.configs.empty() ? default_depmod_config_paths() : s.configs,
                                             version, log);
    auto found = find_modules(dirname, config, log, [&](const std::string& path) { loads->submit(path); });
    if (!found) {
      loads.reset();  // joins the (idle) loader threads before the process ends
      log.report(Severity::fatal, std::string("could not search modules: ") + std::strerror(found.error().code));
      return 1;
    }
    modules = std::move(found).value();
  } else {
    std::map<std::string, std::string> path_of;  // module name -> path
    for (const std::string& f : files) {
      if (f.empty() || f.front() != '/') log.report(Severity::fatal, f + ": not absolute path.");
      // libkmod's kmod_module_new_from_path(): the file must exist, and a
      // second path for a known name is refused by its module pool.
      struct stat st {};
      if (::stat(f.c_str(), &st) != 0)
        log.report(Severity::fatal, "could not create module " + f + ": " + std::strerror(errno));
      auto name = path_to_modname(f);
      ModuleRecord r = ModuleRecord::for_file(name ? *name : std::string(), f, dirname);
      if (auto known = path_of.find(r.name); known != path_of.end()) {
        if (known->second != f) {
          // kmod 30's text, source location included.
          log.error("../libkmod/" + std::string(libkmod_site::new_from_path) + "() kmod_module '" + r.name +
                    "' already exists with different path: new-path='" + f + "' old-path='" + known->second +
                    "'");
          log.report(Severity::fatal, "could not create module " + f + ": File exists");
        }
        log.error("hash_add_unique " + r.name + ": File exists");
        log.report(Severity::fatal, "could not add module " + f + ": File exists");
      }
      path_of.emplace(r.name, f);
      modules.push_back(std::move(r));
    }
    // Only once every file passed: a FATAL above ends the process, which
    // must not happen under running loader threads.
    for (const ModuleRecord& r : modules) loads->submit(r.path);
  }

  timer.mark("search");
  order_module_array(modules, dirname, log);
  timer.mark("order");
  {
    // A full run over a big tree on a terminal shows how far it is.
    ProgressLine progress(std::string(prog) + ": reading modules",
                          s.all && !s.dry_run && !s.graph && s.verbose == 0);
    loads->fill(modules, [&](std::size_t loaded, std::size_t total) { progress.update(loaded, total); });
  }
  timer.mark("load");
  for (const ModuleRecord& m : modules)
    if (m.symbols_error)
      log.error("failed to load symbols from " + m.path + ": " + std::strerror(m.symbols_error->code));
  symbols.add_module_exports(modules);
  timer.mark("symbols");

  // The files that do not need the graph are rendered while it is built.
  DepmodState state{modules, nullptr, symbols, dirname, s.warn, log};
  std::optional<OutputRenderer> renderer;
  if (!s.dry_run && !s.graph) renderer.emplace(state, s.jobs);

  ResolveOptions resolve{s.errsyms, !s.symvers.empty()};
  std::function<void(const std::string&)> show;
  if (s.verbose > 0)
    show = [](const std::string& line) {
      std::fputs((line + "\n").c_str(), stdout);
      std::fflush(stdout);
    };
  DependencyGraph graph = DependencyGraph::resolve(modules, symbols, resolve, log, show);
  const bool sorted = graph.sort();
  timer.mark("graph");
  if (s.graph) {
    std::vector<std::string> names;
    names.reserve(modules.size());
    for (const ModuleRecord& m : modules) names.push_back(m.name);
    const std::string dot = dependency_dot(graph.graph(), names);
    std::fwrite(dot.data(), 1, dot.size(), stdout);
  }
  if (!sorted) {
    renderer.reset();  // nothing is written
    graph.report_cycles(modules, log);
    return 1;
  }

  if (s.graph) return 0;
  if (s.dry_run) {
    state.graph = &graph;
    TextOutputs text = render_text_outputs(state);
    std::fwrite(text.text.data(), 1, text.text.size(), stdout);
    if (text.failure) report_output_failure(*text.failure, log);
    return text.failure ? 1 : 0;
  }
  const std::optional<OutputFailure> failure = renderer->finish(graph, outdir);
  timer.mark("outputs");
  if (failure) report_output_failure(*failure, log);
  exit_now(failure ? 1 : 0);
}

}  // namespace kmodx::tools
