// SPDX-License-Identifier: LGPL-2.1-or-later
// insmod, rmmod and lsmod (KMOD-SPEC §11): thin layers over a loader
// backend, with kmod's options, output and messages.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "kmodx/module_lookup.hpp"
#include "tools/backend_option.hpp"
#include "tools/cli.hpp"
#include "tools/log.hpp"
#include "tools/small_tools_help.hpp"
#include "tools/tools.hpp"
#include "util/json_writer.hpp"
#include "util/names.hpp"
#include "util/libkmod_sites.hpp"

namespace kmodx::tools {

namespace {

struct CommonOptions {
  bool force = false, force_modversion = false, force_vermagic = false;
  bool use_syslog = false;
  int verbose = static_cast<int>(Severity::error);
  std::optional<std::string> backend;
  bool json = false;  // lsmod --json
};

/// Parses one tool's command line; nullopt with \p exit_code set when the
/// tool is done (help, version, usage error).
std::optional<CommonOptions> parse_common(std::string_view prog, int argc, char** argv, const char* short_options,
                                          std::span<const OptionSpec> specs, const char* help,
                                          std::vector<std::string>& args, int& exit_code, ToolLog& log) {
  OptionParser parser(argc, argv, short_options, specs);
  CommonOptions o;
  while (auto opt = parser.next()) {
    const std::string_view n = opt->key;
    if (n == "force") o.force = true;
    else if (n == "force-modversion") o.force_modversion = true;
    else if (n == "force-vermagic") o.force_vermagic = true;
    else if (n == "syslog") o.use_syslog = true;
    else if (n == "verbose") ++o.verbose;
    else if (n == "backend") o.backend = opt->value;
    else if (n == "json") o.json = true;
    else if (n == "version") {
      print_version();
      exit_code = 0;
      return std::nullopt;
    } else if (n == "help") {
      std::printf(help, std::string(prog).c_str());
      exit_code = 0;
      return std::nullopt;
    } else if (n.empty()) {
      // A letter of the short string that the tool has no case for (kmod
      // 30's rmmod lists 'w').
      log.error(std::string("unexpected getopt_long() value '") + static_cast<char>(opt->val) + "'.");
      exit_code = 1;
      return std::nullopt;
    }
  }
  if (parser.failed()) {
    exit_code = 1;
    return std::nullopt;
  }
  args = parser.arguments();
  return o;
}

// kmod master's insmod table, with kmod 30's -p (ignored), and --backend.
constexpr const char* kInsmodShort = "fpsvVh";
constexpr OptionSpec kInsmodOptions[] = {
    {"force", no_argument, 'f', "force"},
    {"force-modversion", no_argument, 2, "force-modversion"},
    {"force-vermagic", no_argument, 1, "force-vermagic"},
    {"syslog", no_argument, 's', "syslog"},
    {"verbose", no_argument, 'v', "verbose"},
    {"version", no_argument, 'V', "version"},
    {"help", no_argument, 'h', "help"},
    {nullptr, no_argument, 'p', "ignored"},
    {"backend", required_argument, 256, "backend"},
};

// kmod 30's rmmod table ('w' included, which kmod 30 answers with
// "unexpected getopt_long() value"), and --backend.
constexpr const char* kRmmodShort = "fsvVwh";
constexpr OptionSpec kRmmodOptions[] = {
    {"force", no_argument, 'f', "force"},
    {"syslog", no_argument, 's', "syslog"},
    {"verbose", no_argument, 'v', "verbose"},
    {"version", no_argument, 'V', "version"},
    {"help", no_argument, 'h', "help"},
    {"backend", required_argument, 256, "backend"},
};

// kmod master's lsmod table (kmod 30's lsmod takes no options), --json and --backend.
constexpr const char* kLsmodShort = "svVh";
constexpr OptionSpec kLsmodOptions[] = {
    {"syslog", no_argument, 's', "syslog"},
    {"verbose", no_argument, 'v', "verbose"},
    {"version", no_argument, 'V', "version"},
    {"help", no_argument, 'h', "help"},
    {"json", no_argument, 256, "json"},
    {"backend", required_argument, 257, "backend"},
};

/// insmod's wording for the kernel's refusals.
std::string insert_error_text(int code) {
  switch (code) {
    case ENOEXEC: return "Invalid module format";
    case ENOENT: return "Unknown symbol in module";
    case ESRCH: return "Module has wrong symbol version";
    case EINVAL: return "Invalid parameters";
    default: return std::strerror(code);
  }
}

}  // namespace

int insmod_main(std::string_view prog, int argc, char** argv) {
  ToolLog log{std::string(prog)};
  std::vector<std::string> args;
  int exit_code = 0;
  auto o = parse_common(prog, argc, argv, kInsmodShort, kInsmodOptions, kInsmodHelp, args, exit_code, log);
  if (!o) return exit_code;
  log.use_syslog(o->use_syslog);
  log.set_threshold(o->verbose);
  log.set_libkmod_threshold(o->verbose);
  if (args.empty()) {
    log.error("missing filename.");
    return 1;
  }
  const std::string& file = args[0];
  if (file == "-") {
    log.error("this tool does not support loading from stdin!");
    return 1;
  }
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    log.error("could not load module " + file + ": " + std::strerror(errno));
    return 1;
  }
  // A path without a file name ("dir/") has no module name: libkmod says ENOENT.
  if (!path_to_modname(file)) {
    log.error("could not load module " + file + ": " + std::strerror(ENOENT));
    return 1;
  }
  auto backend = open_tool_backend(log, o->backend, default_module_dir());
  if (!backend) return 1;
  ModuleRef module = ModuleDirectory::from_path(file);
  InsertRequest request{*module.path, module_options_from_arguments(args).value_or(""), o->force || o->force_modversion,
                        o->force || o->force_vermagic};
  auto inserted = backend->insert(request);
  if (!inserted) {
    log.report_from(Severity::info, libkmod_site::insert_module_failed,
                    "Failed to insert module '" + *module.path + "': " + std::strerror(inserted.error().code));
    log.error("could not insert module " + file + ": " + insert_error_text(inserted.error().code));
    return 1;
  }
  return 0;
}

int rmmod_main(std::string_view prog, int argc, char** argv) {
  ToolLog log{std::string(prog)};
  std::vector<std::string> args;
  int exit_code = 0;
  auto o = parse_common(prog, argc, argv, kRmmodShort, kRmmodOptions, kRmmodHelp, args, exit_code, log);
  if (!o) return exit_code;
  log.use_syslog(o->use_syslog);
  log.set_threshold(o->verbose);
  log.set_libkmod_threshold(o->verbose);
  if (args.empty()) {
    log.error("missing module name.");
    return 1;
  }
  const std::string module_dir = default_module_dir();
  auto backend = open_tool_backend(log, o->backend, module_dir);
  if (!backend) return 1;
  ModuleDirectory dir(module_dir, &log);
  int failures = 0;
  for (const std::string& arg : args) {
    struct stat st {};
    std::string name;
    if (::stat(arg.c_str(), &st) == 0) {
      auto from_path = path_to_modname(arg);
      if (!from_path) {
        log.error("could not use module " + arg + ": " + std::strerror(from_path.error().code));
        break;
      }
      name = *from_path;
    } else {
      name = modname_normalize(arg);
    }
    if (!o->force) {
      ModuleRef ref{name, std::nullopt, {}, false};
      if (dir.is_builtin(ref)) {
        log.error("Module " + name + " is builtin.");
        ++failures;
        continue;
      }
      if (!backend->initstate(name)) {
        log.error("Module " + name + " is not currently loaded");
        ++failures;
        continue;
      }
      auto holders = backend->holders(name);
      if (!holders)
        log.report_from(Severity::error, libkmod_site::get_holders, holders.error().detail);
      if (holders && !holders->empty()) {
        std::string line = "Module " + name + " is in use by:";
        for (const std::string& h : *holders) line += " " + h;
        log.error(line);
        ++failures;
        continue;
      }
      auto refcnt = backend->refcnt(name);
      if (refcnt && *refcnt > 0) {
        log.error("Module " + name + " is in use");
        ++failures;
        continue;
      }
      if (!refcnt && refcnt.error().code == ENOENT) {
        log.error("Module unloading is not supported");
        ++failures;
        continue;
      }
    }
    auto removed = backend->remove(name, o->force);
    if (!removed) {
      const char* why = std::strerror(removed.error().code);
      log.report_from(Severity::error, libkmod_site::remove_module,
                      "could not remove '" + name + "': " + why);
      log.error("could not remove module " + arg + ": " + why);
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}

int lsmod_main(std::string_view prog, int argc, char** argv) {
  ToolLog log{std::string(prog)};
  std::vector<std::string> args;
  int exit_code = 0;
  auto o = parse_common(prog, argc, argv, kLsmodShort, kLsmodOptions, kLsmodHelp, args, exit_code, log);
  if (!o) return exit_code;
  log.use_syslog(o->use_syslog);
  log.set_threshold(o->verbose);
  if (!args.empty()) {
    log.error("too many arguments provided.");
    return 1;
  }
  auto backend = open_tool_backend(log, o->backend, default_module_dir());
  if (!backend) return 1;
  auto modules = backend->module_statuses();
  if (!modules) {
    log.error(modules.error().detail);
    log.error(std::string("could not get list of modules: ") + std::strerror(modules.error().code));
    return 1;
  }
  if (o->json) {
    // {"name", "size", "refcount", "holders": [...]} per module, in
    // /proc/modules order; size and refcount as lsmod shows them (a
    // negative errno when the module went away meanwhile).
    JsonWriter json;
    json.begin_object().key("kmodx_json").value(std::int64_t{1}).key("tool").value("lsmod").key("modules").begin_array();
    for (const ModuleStatus& m : *modules) {
      json.begin_object().key("name").value(m.name);
      json.key("size").value(static_cast<std::int64_t>(m.size));
      json.key("refcount").value(static_cast<std::int64_t>(m.refcnt));
      json.key("holders").begin_array();
      for (const std::string& h : m.holders) json.value(h);
      json.end_array().end_object();
    }
    json.end_array().end_object();
    std::printf("%s\n", json.text().c_str());
    return 0;
  }
  std::string out = "Module                  Size  Used by\n";
  for (const ModuleStatus& m : *modules) {
    char head[512];
    std::snprintf(head, sizeof head, "%-19s %8ld  %ld", m.name.c_str(), m.size, m.refcnt);
    out += head;
    for (std::size_t i = 0; i < m.holders.size(); ++i) out += (i == 0 ? " " : ",") + m.holders[i];
    out += '\n';
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace kmodx::tools
