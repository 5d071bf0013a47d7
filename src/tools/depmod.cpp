// SPDX-License-Identifier: LGPL-2.1-or-later
// depmod: index a module directory (spec §4). Options and messages follow
// kmod master; kmod 30's deprecated options are accepted with its warning.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "kmodx/depmod.hpp"
#include "tools/cli.hpp"
#include "tools/depmod_help.hpp"
#include "tools/log.hpp"
#include "tools/phase_timer.hpp"
#include "tools/progress_line.hpp"
#include "tools/tools.hpp"

namespace kmodx::tools {
namespace {

struct Settings {
  bool quick = false, errsyms = false, dry_run = false, warn = false, all = false;
  bool graph = false;  // --graph: the dependency graph as DOT on stdout, nothing written
  bool no_cache = false;  // --no-cache: neither use nor write modules.kmodx-cache.bin
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
// and -o DIR (kmod 30's -m was the deprecated --map), and kmodx's -j,
// --graph and --no-cache.
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
    {"no-cache", no_argument, 259, "no-cache"},
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
    else if (n == "no-cache") s.no_cache = true;
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
    if (module_database_is_current(dirname, log)) return 0;
  }
  log.set_threshold(static_cast<int>(Severity::warning) + s.verbose);

  DepmodRequest request;
  request.module_dir = dirname;
  request.output_dir = outdir;
  request.kernel_version = version;
  if (!s.all && !s.quick) request.files = std::move(files);
  request.config_paths = s.configs;
  request.symvers = s.symvers;
  request.system_map = s.system_map;
  request.symbol_prefix = s.prefix;
  if (s.errsyms && s.symvers.empty() && s.system_map.empty()) {
    log.warning("-e needs -E or -F");
    s.errsyms = false;
  }
  request.report_unknown = s.errsyms;
  request.warn_duplicates = s.warn;
  request.threads = s.jobs;
  request.use_cache = !s.no_cache;
  request.output = s.graph ? DepmodRequest::Output::graph
                   : s.dry_run ? DepmodRequest::Output::text
                               : DepmodRequest::Output::files;
  request.print = [](std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); };
  if (s.verbose > 0)
    request.verbose_line = [](const std::string& line) {
      std::fputs((line + "\n").c_str(), stdout);
      std::fflush(stdout);
    };
  // A full run over a big tree on a terminal shows how far it is.
  ProgressLine progress(std::string(prog) + ": reading modules",
                        s.all && !s.dry_run && !s.graph && s.verbose == 0);
  request.progress = [&](std::size_t done, std::size_t total) { progress.update(done, total); };
  PhaseTimer timer;
  request.phase_done = [&](const char* phase) {
    if (std::string_view(phase) == "load") progress.finish();
    timer.mark(phase);
  };

  auto built = build_module_database(request, log);
  if (!built) {
    if (!built.error().detail.empty()) log.report(Severity::fatal, built.error().detail);
    return 1;
  }
  if (request.output != DepmodRequest::Output::files) return 0;
  (void)built->data.release();  // freed with the process, see exit_now()
  exit_now(0);
}

}  // namespace kmodx::tools
