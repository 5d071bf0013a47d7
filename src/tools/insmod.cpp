// SPDX-License-Identifier: LGPL-2.1-or-later
// insmod (KMOD-SPEC §11): one module file handed to the loader backend, with
// kmod's options, messages and exit codes.
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

}  // namespace kmodx::tools
