// SPDX-License-Identifier: LGPL-2.1-or-later
// The multi-call binary: the tool is chosen by the basename of argv[0]
// (depmod, modprobe, ... as symlinks), or by the first argument when run as
// "kmodx <tool> ...". Exceptions stop here.
#include <array>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string_view>

#include "tools/cli.hpp"
#include "tools/tools.hpp"

namespace {

using kmodx::tools::ToolMain;

struct Tool {
  std::string_view name;
  ToolMain run;
  std::string_view help;
};

constexpr std::array<Tool, 10> kTools{{
    {"lsmod", &kmodx::tools::lsmod_main, "compat lsmod command"},
    {"rmmod", &kmodx::tools::rmmod_main, "compat rmmod command"},
    {"insmod", &kmodx::tools::insmod_main, "compat insmod command"},
    {"modinfo", &kmodx::tools::modinfo_main, "compat modinfo command"},
    {"modprobe", &kmodx::tools::modprobe_main, "compat modprobe command"},
    {"depmod", &kmodx::tools::depmod_main, "compat depmod command"},
    // kmod's own spelling of lsmod, and kmod's other commands.
    {"list", &kmodx::tools::lsmod_main, "list currently loaded modules"},
    {"static-nodes", &kmodx::tools::static_nodes_main,
     "outputs the static-node information installed with the currently running kernel"},
    // kmod's multiplexer itself, as when run as `kmod`.
    {"kmod", &kmodx::tools::kmod_main, "kmod's command: help, list, static-nodes"},
    {"check", &kmodx::tools::check_main, "verify a module tree the way the kernel would load it"},
}};

// Names that run a tool when they are the binary's name; the rest are only
// commands of `kmodx`.
bool is_tool_name(std::string_view name) { return name != "list" && name != "static-nodes"; }

const Tool* find_tool(std::string_view name) {
  for (const Tool& t : kTools)
    if (t.name == name) return &t;
  return nullptr;
}

void print_help(std::FILE* out) {
  std::fputs(
      "kmodx - Manage kernel modules: list, load, unload, etc\n"
      "Usage:\n"
      "\tkmodx [options] command [command_options]\n"
      "\n"
      "Options:\n"
      "\t-V, --version     show version\n"
      "\t-h, --help        show this help\n"
      "\n"
      "Commands:\n"
      "  help         show help message\n"
      "  list         list currently loaded modules\n"
      "  static-nodes outputs the static-node information installed with the currently running kernel\n"
      "  check        verify a module tree the way the kernel would load it\n"
      "  depmod, modprobe, modinfo, insmod, rmmod, lsmod, kmod\n"
      "               run that tool (the same as calling it through its symlink)\n"
      "\n"
      "kmodx also handles gracefully if called from following symlinks:\n",
      out);
  for (const Tool& t : kTools)
    if (is_tool_name(t.name)) std::fprintf(out, "  %-12s %.*s\n", std::string(t.name).c_str(),
                                       static_cast<int>(t.help.size()), t.help.data());
}

int multiplexer_main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs("missing command\n", stderr);
    print_help(stderr);
    return 1;
  }
  std::string_view cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    print_help(stdout);
    return 0;
  }
  if (cmd == "-V" || cmd == "--version") {
    kmodx::tools::print_version();
    return 0;
  }
  const Tool* tool = find_tool(cmd);
  if (tool == nullptr) {
    std::fprintf(stderr, "kmodx: ERROR: invalid command '%s'\n", argv[1]);
    print_help(stderr);
    return 1;
  }
  std::string_view prog = tool->name == "list" ? "lsmod" : tool->name == "static-nodes" ? "kmodx" : tool->name;
  return tool->run(prog, argc - 1, argv + 1);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const char* slash = argc > 0 ? std::strrchr(argv[0], '/') : nullptr;
    std::string_view base = argc > 0 ? (slash ? slash + 1 : argv[0]) : "kmodx";
    if (const Tool* tool = find_tool(base); tool != nullptr && is_tool_name(tool->name))
      return tool->run(tool->name, argc, argv);
    return multiplexer_main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kmodx: FATAL: %s\n", e.what());
    return 1;
  }
}
