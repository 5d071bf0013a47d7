// SPDX-License-Identifier: LGPL-2.1-or-later
// lsmod (KMOD-SPEC §11): the loader backend's modules in kmod's table, or
// as JSON.
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "tools/backend_option.hpp"
#include "tools/loader_tool_options.hpp"
#include "tools/loader_tools_help.hpp"
#include "tools/tools.hpp"
#include "util/json_writer.hpp"

namespace kmodx::tools {
namespace {

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

}  // namespace

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
