// SPDX-License-Identifier: LGPL-2.1-or-later
// rmmod (KMOD-SPEC §11): modules removed through the loader backend after
// kmod's checks (built-in, loaded, holders, references), with its messages.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "kmodx/module_lookup.hpp"
#include "tools/backend_option.hpp"
#include "tools/loader_tool_options.hpp"
#include "tools/loader_tools_help.hpp"
#include "tools/tools.hpp"
#include "util/libkmod_sites.hpp"
#include "util/names.hpp"

namespace kmodx::tools {
namespace {

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

}  // namespace

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

}  // namespace kmodx::tools
