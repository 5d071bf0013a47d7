// SPDX-License-Identifier: LGPL-2.1-or-later
// modprobe: options, configuration, and the insert and query modes
// (KMOD-SPEC §9). Remove mode is in modprobe_remove.cpp.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <thread>

#include "kmodx/module_elf.hpp"
#include "kmodx/module_image.hpp"
#include "kmodx/parallel_probe.hpp"
#include "kmodx/probe.hpp"
#include "query/dependency_dot.hpp"
#include "tools/backend_option.hpp"
#include "tools/cli.hpp"
#include "tools/modprobe_help.hpp"
#include "tools/modprobe_session.hpp"
#include "tools/tools.hpp"
#include "util/json_writer.hpp"
#include "util/libkmod_sites.hpp"
#include "util/mapped_file.hpp"

namespace kmodx::tools {

namespace {

/// MODPROBE_OPTIONS words go between argv[0] and the real arguments,
/// split on single spaces with kmod's quote handling.
std::vector<std::string> options_from_environment() {
  const char* env = std::getenv("MODPROBE_OPTIONS");
  std::vector<std::string> words;
  if (env == nullptr) return words;
  std::string current;
  char quote = 0;
  std::size_t quote_at = 0;  // where the open quote sits in current
  bool quote_opens_word = false;
  for (const char* p = env; *p != '\0'; ++p) {
    char c = *p;
    if (quote == 0) {
      if (c == ' ') {
        words.push_back(current);  // consecutive spaces give empty words
        current.clear();
      } else if (c == '"' || c == '\'') {
        quote = c;
        quote_at = current.size();
        quote_opens_word = current.empty();
      } else {
        current += c;
      }
    } else if (c == quote) {
      // A quote opening a word ends that word where it closes; one inside a
      // word is dropped with its partner and the word goes on.
      if (quote_opens_word) {
        words.push_back(current);
        current.clear();
      }
      quote = 0;
    } else {
      current += c;
    }
  }
  if (quote != 0) current.insert(quote_at, 1, quote);  // unterminated: kmod keeps the quote
  if (!current.empty()) words.push_back(current);
  return words;
}

void append_modprobe_options(const std::string& value) {
  const char* old = std::getenv("MODPROBE_OPTIONS");
  std::string joined = old == nullptr ? value : std::string(old) + " " + value;
  ::setenv("MODPROBE_OPTIONS", joined.c_str(), 1);
}

enum class Parsed { run, exit_ok, exit_fail };

// kmod 30's table (tools/modprobe.c) in its order, and kmodx's own options.
constexpr const char* kShortOptions = "arw:RibfDcnC:d:S:sqvVh";
constexpr OptionSpec kOptions[] = {
    {"all", no_argument, 'a', "all"},
    {"remove", no_argument, 'r', "remove"},
    {"remove-dependencies", no_argument, 5, "remove-holders"},
    {"remove-holders", no_argument, 5, "remove-holders"},
    {"wait", required_argument, 'w', "wait"},
    {"resolve-alias", no_argument, 'R', "resolve-alias"},
    {"first-time", no_argument, 3, "first-time"},
    {"ignore-install", no_argument, 'i', "ignore-commands"},
    {"ignore-remove", no_argument, 'i', "ignore-commands"},
    {"use-blacklist", no_argument, 'b', "use-blacklist"},
    {"force", no_argument, 'f', "force"},
    {"force-modversion", no_argument, 2, "force-modversion"},
    {"force-vermagic", no_argument, 1, "force-vermagic"},
    {"show-depends", no_argument, 'D', "show-depends"},
    {"showconfig", no_argument, 'c', "show-config"},
    {"show-config", no_argument, 'c', "show-config"},
    {"show-modversions", no_argument, 4, "show-modversions"},
    {"dump-modversions", no_argument, 4, "show-modversions"},
    {"show-exports", no_argument, 6, "show-exports"},
    {"dry-run", no_argument, 'n', "dry-run"},
    {"show", no_argument, 'n', "dry-run"},
    {"config", required_argument, 'C', "config"},
    {"dirname", required_argument, 'd', "dirname"},
    {"set-version", required_argument, 'S', "set-version"},
    {"syslog", no_argument, 's', "syslog"},
    {"quiet", no_argument, 'q', "quiet"},
    {"verbose", no_argument, 'v', "verbose"},
    {"version", no_argument, 'V', "version"},
    {"help", no_argument, 'h', "help"},
    {"backend", required_argument, 256, "backend"},
    {"json", no_argument, 257, "json"},
    {"graph", no_argument, 258, "graph"},
    {"parallel", optional_argument, 259, "parallel"},
};

Parsed parse_settings(std::string_view prog, std::vector<std::string> words, ModprobeSettings& s,
                      std::vector<std::string>& args, ToolLog& log) {
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  OptionParser parser(static_cast<int>(argv.size()), argv.data(), kShortOptions, kOptions);
  while (auto o = parser.next()) {
    const std::string_view n = o->key;
    if (n == "all") s.all = true;
    else if (n == "remove") s.remove = true;
    else if (n == "remove-holders") s.remove_holders = true;
    else if (n == "wait") {
      char* end = nullptr;
      errno = 0;
      s.wait_msec = std::strtoul(o->value.c_str(), &end, 0);
      if (o->value.empty() || *end != '\0') {
        log.error("unexpected wait value '" + o->value + "'.");
        return Parsed::exit_fail;
      }
    } else if (n == "resolve-alias") s.lookup_only = true;
    else if (n == "first-time") s.first_time = true;
    else if (n == "ignore-commands") s.ignore_commands = true;
    else if (n == "use-blacklist") s.use_blacklist = true;
    else if (n == "force") s.force = true;
    else if (n == "force-modversion") s.force_modversion = true;
    else if (n == "force-vermagic") s.force_vermagic = true;
    else if (n == "show-depends") s.show_depends = s.dry_run = true;
    else if (n == "show-config") s.show_config = true;
    else if (n == "show-modversions") s.show_modversions = true;
    else if (n == "show-exports") s.show_exports = true;
    else if (n == "dry-run") s.dry_run = true;
    else if (n == "config") {
      s.config_paths.push_back(o->value);
      append_modprobe_options("-C");
      append_modprobe_options(o->value);
    } else if (n == "dirname") s.root = o->value;
    else if (n == "set-version") s.version = o->value;
    else if (n == "syslog") {
      append_modprobe_options("-s");
      s.use_syslog = true;
    } else if (n == "quiet") {
      append_modprobe_options("-q");
      s.verbose = 0;  // LOG_EMERG
    } else if (n == "verbose") {
      append_modprobe_options("-v");
      ++s.verbose;
    } else if (n == "version") {
      print_version();
      return Parsed::exit_ok;
    } else if (n == "help") {
      std::printf(kModprobeHelp, std::string(prog).c_str());
      return Parsed::exit_ok;
    } else if (n == "backend") s.backend = o->value;
    else if (n == "json") s.json = true;
    else if (n == "graph") s.graph = true;
    else if (n == "parallel") {
      // --parallel: as many jobs as CPUs; --parallel=N: N.
      unsigned jobs = std::clamp(std::thread::hardware_concurrency(), 1u, kMaxJobs);
      if (o->has_value) {
        auto given = parse_job_count(o->value);
        if (!given) {
          log.error("--parallel takes a number of jobs from 1 to " + std::to_string(kMaxJobs) + ", not '" + o->value +
                    "'.");
          return Parsed::exit_fail;
        }
        jobs = *given;
      }
      s.parallel = jobs;
    }
  }
  if (parser.failed()) return Parsed::exit_fail;
  args = parser.arguments();
  // Plans only: what would be done is known without doing it.
  if (s.json && !s.dry_run) {
    log.error("--json needs --show-depends or --dry-run.");
    return Parsed::exit_fail;
  }
  if (s.parallel != 0 && s.remove) {
    log.error("--parallel loads modules; it goes without --remove.");
    return Parsed::exit_fail;
  }
  if (s.graph && (!s.show_depends || s.remove || s.json)) {
    log.error("--graph needs --show-depends, and goes without --remove and --json.");
    return Parsed::exit_fail;
  }
  return Parsed::run;
}

int show_config(ModprobeSession& session) {
  std::string text = session.config().render();
  text += "\n# End of configuration files. Dumping indexes now:\n\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  for (const Index* index : {session.resolver().alias_index(), session.resolver().symbols_index()}) {
    if (index == nullptr) continue;
    std::string dump;
    Error corruption;
    index->dump("alias ", dump, &corruption);
    // kmod 30 loops forever on some damaged indexes; kmodx prints what it
    // could read and says what is wrong.
    if (corruption.code != 0) session.log().error(corruption.detail);
    for (std::size_t done = 0; done < dump.size();) {
      ssize_t n = ::write(STDOUT_FILENO, dump.data() + done, dump.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
  }
  return 0;
}

/// --show-modversions / --show-exports: a file path, or (kmod master) a
/// module name looked up as modprobe does.
int show_symbols(ModprobeSession& session, const std::string& arg, bool exports) {
  std::vector<std::string> paths;
  struct stat st {};
  if (::stat(arg.c_str(), &st) == 0 || arg.starts_with("/") || arg.starts_with("./")) {
    paths.push_back(arg);
  } else {
    auto found = session.resolver().lookup(arg);
    if (found)
      for (ModuleId id : *found)
        if (const auto& p = session.resolver().path(id)) paths.push_back(*p);
  }
  if (paths.empty()) {
    session.log_level_message("Module " + arg + " not found.");
    return -ENOENT;
  }
  for (const std::string& path : paths) {
    auto image = ModuleImage::open(path);
    if (!image && image.error().code == ENOENT) {
      session.log_level_message("Module " + arg + " not found.");
      return -ENOENT;
    }
    auto elf = image ? ModuleElf::parse(image->bytes(), path) : Result<ModuleElf>(image.error());
    Result<std::vector<ModVersion>> versions = std::vector<ModVersion>{};
    Result<std::vector<ModuleSymbol>> symbols = std::vector<ModuleSymbol>{};
    int code = 0;
    if (!image) code = image.error().code;
    else if (!elf) code = elf.error().code;
    else if (exports && !(symbols = elf->exports())) code = symbols.error().code;
    else if (!exports && !(versions = elf->versions())) code = versions.error().code;
    if (code != 0) {
      session.log_level_message(std::string(exports ? "could not get symbols of " : "could not get modversions of ") +
                                arg + ": " + std::strerror(code));
      return -code;
    }
    auto put = [](std::uint64_t crc, std::string_view name) {
      std::printf("0x%08llx\t%.*s\n", static_cast<unsigned long long>(crc), static_cast<int>(name.size()), name.data());
    };
    if (exports)
      for (const ModuleSymbol& sym : *symbols) put(sym.crc, sym.name);
    else
      for (const ModVersion& v : *versions) put(v.crc, v.name);
  }
  return 0;
}

// What an argument names, for insert mode: the modules, or the message
// kmod prints when it names nothing (and the error to return).
struct InsertTargets {
  std::vector<ModuleId> ids;
  std::string message;  ///< non-empty: print with log_level_message(), fail with err
  int err = 0;
};

InsertTargets resolve_for_insert(ModprobeSession& session, const std::string& arg) {
  auto found = session.resolve_argument(arg);
  const bool is_path = arg.starts_with("/") || arg.starts_with("./");
  if (is_path && !found)
    return {{}, "Failed to get module from path " + arg + ": " + std::strerror(found.error().code), -found.error().code};
  if (!found || found->empty())
    return {{}, "Module " + arg + " not found in directory " + session.resolver().dirname(), -ENOENT};
  return {std::move(*found), {}, 0};
}

ProbeFlags probe_flags(const ModprobeSettings& s) {
  ProbeFlags flags;
  flags.ignore_commands = s.ignore_commands;
  flags.ignore_loaded = s.show_depends;
  flags.dry_run = s.dry_run;
  flags.first_time = s.first_time;
  flags.use_blacklist = s.use_blacklist;
  flags.force_modversion = s.force || s.force_modversion;
  flags.force_vermagic = s.force || s.force_vermagic;
  return flags;
}

ProbeHooks print_hooks(ModprobeSession& session) {
  ProbeHooks hooks;
  if (session.recording()) {
    hooks.print = [&session](const ProbeStep& step) {
      static constexpr const char* kKinds[] = {"install", "insmod", "builtin", ""};
      session.show({kKinds[static_cast<int>(step.action)], step.module, step.path, step.options, step.command},
                   step.describe());
    };
  }
  return hooks;
}

// kmod's words for a failed probe of \p name.
void report_insert_error(ModprobeSession& session, const std::string& name, int err) {
  if (err == -EEXIST) session.log().error("could not insert '" + name + "': Module already in kernel");
  else if (err == -ENOENT)
    session.log().error("could not insert '" + name + "': Unknown symbol in module, or unknown parameter (see dmesg)");
  else session.log().error("could not insert '" + name + "': " + std::strerror(-err));
}

int insert_one(ModprobeSession& session, const std::string& arg, const std::optional<std::string>& extra) {
  const ModprobeSettings& s = session.settings();
  InsertTargets targets = resolve_for_insert(session, arg);
  if (!targets.message.empty()) {
    session.log_level_message(targets.message);
    return targets.err;
  }
  const ProbeFlags flags = probe_flags(s);
  const ProbeHooks hooks = print_hooks(session);
  int err = 0;
  for (ModuleId id : targets.ids) {
    const std::string& name = session.resolver().name(id);
    if (s.lookup_only) {
      std::printf("%s\n", name.c_str());
      err = 0;
      continue;
    }
    // -D neither reads nor changes the kernel's state: no backend.
    LoaderBackend* backend = s.show_depends ? nullptr : &session.backend();
    auto probed = probe_module(session.resolver(), backend, id, flags, extra, hooks, session.log());
    if (probed) {
      err = 0;
      continue;
    }
    err = -probed.error().code;
    report_insert_error(session, name, err);
  }
  return err;
}

// The insert mode with --parallel: every argument resolved and planned
// first, in order; then execute_probes_parallel(), whose replay prints what
// the sequential loop of insert_one() would, in its order. Plans with an
// install command run that loop instead.
int insert_parallel(ModprobeSession& session, const std::vector<std::string>& args,
                    const std::optional<std::string>& extra) {
  const ModprobeSettings& s = session.settings();
  const ProbeFlags flags = probe_flags(s);
  LoaderBackend& backend = session.backend();
  std::vector<ParallelRequest> requests;
  std::vector<std::string> messages;  // per request: the lookup failure to print
  std::vector<std::size_t> last_of_arg;  // per argument: its last request
  for (const std::string& arg : args) {
    InsertTargets targets = resolve_for_insert(session, arg);
    if (!targets.message.empty()) {
      requests.push_back({0, std::nullopt, targets.err});
      messages.push_back(targets.message);
    }
    for (ModuleId id : targets.ids) {
      ParallelRequest r;
      r.target = id;
      if (module_in_kernel(session.resolver(), &backend, id, session.log()))
        r.settled = flags.first_time ? -EEXIST : 0;  // probe_module()'s first check
      else
        r.plan = plan_probe(session.resolver(), id, flags, extra);
      requests.push_back(std::move(r));
      messages.emplace_back();
    }
    last_of_arg.push_back(requests.size() - 1);
  }
  if (needs_sequential_probe(requests)) {
    int err = 0;
    for (const std::string& arg : args)
      if (int r = insert_one(session, arg, extra); r < 0) err = r;
    return err;
  }
  BackendFactory backends = [&session](DiagnosticSink& sink) { return session.open_backend(sink); };
  std::vector<int> results(requests.size(), 0);
  execute_probes_parallel(requests, session.resolver(), backends, s.parallel, flags, print_hooks(session),
                          session.log(), [&](std::size_t i, int result) {
                            if (!messages[i].empty()) session.log_level_message(messages[i]);
                            else if (result < 0)
                              report_insert_error(session, session.resolver().name(requests[i].target), result);
                            results[i] = result;
                          });
  // Each argument fails as insert_one() does: with the result of its last target.
  int err = 0;
  for (std::size_t last : last_of_arg)
    if (results[last] < 0) err = results[last];
  return err;
}

}  // namespace

ModprobeSession::ModprobeSession(ModprobeSettings settings, ToolLog& log, std::string dirname)
    : s_(std::move(settings)), log_(log), dirname_(std::move(dirname)) {
  ConfigSources sources;
  sources.paths = s_.config_paths.empty() ? default_modprobe_config_paths() : s_.config_paths;
  sources.module_dir = dirname_;
  sources.kernel_cmdline = read_kernel_cmdline();
  // Config messages are logged by libkmod before a tool can route its
  // logging, so they keep libkmod's own format.
  log_.route_libkmod(false);
  log_.set_libkmod_threshold(log_priority_from_env());
  config_ = load_modprobe_config(sources, log_);
  // From here libkmod's messages go through modprobe's logger at its verbosity.
  log_.route_libkmod(true);
  log_.set_libkmod_threshold(s_.verbose);
  resolver_ = std::make_unique<ModuleResolver>(dirname_, config_, log_);
}

LoaderBackend& ModprobeSession::backend() {
  if (!backend_) {
    // FATAL exits only when printed; with -q it is not, so exit here too.
    auto spec = select_backend(s_.backend);
    if (!spec) {
      log_.report(Severity::fatal, spec.error().detail);
      std::exit(EXIT_FAILURE);
    }
    auto opened = kmodx::open_backend(*spec, dirname_, log_);
    if (!opened) {
      log_.report(Severity::fatal, opened.error().detail);
      std::exit(EXIT_FAILURE);
    }
    backend_ = std::move(opened).value();
  }
  return *backend_;
}

Result<std::unique_ptr<LoaderBackend>> ModprobeSession::open_backend(DiagnosticSink& sink) const {
  auto spec = select_backend(s_.backend);
  if (!spec) return std::move(spec).take_error();
  return kmodx::open_backend(*spec, dirname_, sink);
}

void ModprobeSession::log_level_message(const std::string& message) {
  log_.report(s_.all ? Severity::warning : Severity::fatal, message);
}

void ModprobeSession::show(const Action& action, const std::string& line) {
  if (s_.json || s_.graph) {
    if (!action.kind.empty()) recorded_.push_back(action);
    return;
  }
  if (!printing()) return;
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

// --json: {"kmodx_json": 1, "tool": "modprobe", "mode": "insert"|"remove",
// "actions": [{"action", "module", and "path" + "options" (insmod),
// "command" + "options" (install), "command" (remove)}]} in the order kmod
// would print them. --graph: the modules of insmod actions and their
// dependency edges, as DOT.
void ModprobeSession::finish_output() {
  if (s_.json) {
    JsonWriter json;
    json.begin_object().key("kmodx_json").value(std::int64_t{1}).key("tool").value("modprobe");
    json.key("mode").value(s_.remove ? "remove" : "insert").key("actions").begin_array();
    for (const Action& a : recorded_) {
      json.begin_object().key("action").value(a.kind).key("module").value(resolver_->name(a.module));
      if (a.kind == "insmod") json.key("path").value(a.path).key("options").value(a.options);
      if (a.kind == "install") json.key("command").value(a.command).key("options").value(a.options);
      if (a.kind == "remove") json.key("command").value(a.command);
      json.end_object();
    }
    json.end_array().end_object();
    std::printf("%s\n", json.text().c_str());
  }
  if (s_.graph) {
    std::vector<std::string> names;
    std::map<std::string, std::size_t> vertex;
    std::vector<ModuleId> ids;
    for (const Action& a : recorded_) {
      if (a.kind != "insmod") continue;
      const std::string& n = resolver_->name(a.module);
      if (vertex.emplace(n, names.size()).second) {
        names.push_back(n);
        ids.push_back(a.module);
      }
    }
    // modules.dep lists every dependency, direct or not; an edge is drawn
    // only to those no other dependency of the module already needs.
    auto needs = [&](ModuleId m) {
      std::set<std::string> out;
      for (ModuleId d : resolver_->dependencies(m)) out.insert(resolver_->name(d));
      return out;
    };
    ModuleGraph graph(names.size());
    for (std::size_t v = 0; v < ids.size(); ++v) {
      const std::vector<ModuleId>& deps = resolver_->dependencies(ids[v]);
      for (ModuleId dep : deps) {
        const std::string& d = resolver_->name(dep);
        auto it = vertex.find(d);
        if (it == vertex.end()) continue;
        const bool indirect = std::any_of(deps.begin(), deps.end(), [&](ModuleId other) {
          return resolver_->name(other) != d && needs(other).count(d) != 0;
        });
        if (!indirect) boost::add_edge(v, it->second, graph);
      }
    }
    const std::string dot = dependency_dot(graph, names);
    std::fwrite(dot.data(), 1, dot.size(), stdout);
  }
  recorded_.clear();
}

Result<std::vector<ModuleId>> ModprobeSession::resolve_argument(const std::string& arg) {
  if (arg.starts_with("/") || arg.starts_with("./")) {
    struct stat st {};
    if (::stat(arg.c_str(), &st) != 0) return make_error(errno, arg);
    auto id = resolver_->from_path(arg);
    if (!id) return std::move(id).take_error();
    return std::vector<ModuleId>{*id};
  }
  return resolver_->lookup(arg);
}

int modprobe_main(std::string_view prog, int argc, char** argv) {
  ToolLog log{std::string(prog)};
  std::vector<std::string> words{argv[0]};
  for (std::string& w : options_from_environment()) words.push_back(std::move(w));
  for (int i = 1; i < argc; ++i) words.emplace_back(argv[i]);

  ModprobeSettings settings;
  std::vector<std::string> args;
  switch (parse_settings(prog, words, settings, args, log)) {
    case Parsed::exit_ok: return 0;
    case Parsed::exit_fail: return 1;
    case Parsed::run: break;
  }
  log.use_syslog(settings.use_syslog);
  // kmod applies -q/-v to its log once the context exists; until then its
  // threshold is WARNING (modprobe -q with no module still says why).
  if (!settings.show_config && args.empty()) {
    log.error("missing parameters. See -h.");
    return 1;
  }
  std::string dirname;
  if (settings.root || settings.version) {
    std::string root = settings.root ? absolute_path(*settings.root) : "";
    if (settings.root && settings.root->empty()) root = "";
    dirname = root + KMODX_MODULE_DIRECTORY "/" + (settings.version ? *settings.version : running_kernel_release());
    if (dirname.size() >= 4096) {
      log.error("bad directory " + dirname + ": path too long");
      return 1;
    }
  } else {
    dirname = default_module_dir();
  }

  log.set_threshold(settings.verbose);
  ModprobeSession session(settings, log, dirname);
  int err = 0;
  if (settings.show_config) {
    err = show_config(session);
  } else if (settings.show_modversions) {
    err = show_symbols(session, args[0], false);
  } else if (settings.show_exports) {
    err = show_symbols(session, args[0], true);
  } else if (settings.remove) {
    err = modprobe_remove_all(session, args);
  } else if (settings.parallel != 0 && !settings.dry_run && !settings.lookup_only) {
    err = settings.all ? insert_parallel(session, args, std::nullopt)
                       : insert_parallel(session, {args[0]}, module_options_from_arguments(args));
  } else if (settings.all) {
    for (const std::string& arg : args)
      if (int r = insert_one(session, arg, std::nullopt); r < 0) err = r;
  } else {
    err = insert_one(session, args[0], module_options_from_arguments(args));
  }
  session.finish_output();
  std::fflush(stdout);
  return err >= 0 ? 0 : 1;
}

}  // namespace kmodx::tools
