// SPDX-License-Identifier: LGPL-2.1-or-later
// The `kmod` command: kmod's multiplexer, reached when the binary runs as
// `kmod` or as `kmodx kmod ...`. Options are parsed with glibc's getopt_long
// exactly as kmod's tools/kmod.c calls it: "+hV" stops at the command, whose
// own getopt_long then carries on from the same optind over the arguments
// after it (and, as in kmod, in the same ordering mode).
#include <array>
#include <cstdio>
#include <string_view>

#include "tools/cli.hpp"
#include "tools/tools.hpp"

namespace kmodx::tools {
namespace {

struct KmodCommand {
  std::string_view name;
  std::string_view help;
};

// kmod 30's help texts ("Show help message" is capitalised there).
constexpr std::array<KmodCommand, 3> kCommands{{
    {"help", "Show help message"},
    {"list", "list currently loaded modules"},
    {"static-nodes", "outputs the static-node information installed with the currently running kernel"},
}};

constexpr std::array<std::string_view, 6> kCompatTools{"lsmod", "rmmod", "insmod", "modinfo", "modprobe", "depmod"};

// kmod 30 prints basename(argv[0]) in the usage line, which is "help" for
// `kmod help`; kmod master prints the program's name, as here.
void print_kmod_help(std::string_view prog) {
  std::printf(
      "kmod - Manage kernel modules: list, load, unload, etc\n"
      "Usage:\n"
      "\t%.*s [options] command [command_options]\n\n"
      "Options:\n"
      "\t-V, --version     show version\n"
      "\t-h, --help        show this help\n\n"
      "Commands:\n",
      static_cast<int>(prog.size()), prog.data());
  for (const KmodCommand& c : kCommands)
    std::printf("  %-12.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(), static_cast<int>(c.help.size()),
                c.help.data());
  std::puts("\nkmod also handles gracefully if called from following symlinks:");
  for (std::string_view t : kCompatTools)
    std::printf("  %-12.*s compat %.*s command\n", static_cast<int>(t.size()), t.data(), static_cast<int>(t.size()),
                t.data());
}

}  // namespace

int kmod_main(std::string_view prog, int argc, char** argv) {
  static constexpr OptionSpec kOptions[] = {
      {"help", no_argument, 'h', "help"},
      {"version", no_argument, 'V', "version"},
  };
  OptionParser parser(argc, argv, "+hV", kOptions);
  while (auto o = parser.next()) {
    if (o->key == "help") {
      print_kmod_help(prog);
      return 0;
    }
    print_version();
    return 0;
  }
  if (parser.failed()) return 1;
  if (optind >= argc) {
    std::fputs("missing command\n", stderr);
    print_kmod_help(prog);
    return 1;
  }
  const std::string_view command = argv[optind];
  // The command sees the arguments shifted by one, as in kmod: after
  // `kmod -- list` its argv[0] is "--".
  if (command == "help") {
    print_kmod_help(prog);
    return 0;
  }
  if (command == "list") return lsmod_main("lsmod", argc - 1, argv + 1);
  if (command == "static-nodes") return static_nodes_main(prog, argc - 1, argv + 1);
  std::fprintf(stderr, "invalid command '%s'\n", argv[optind]);
  print_kmod_help(prog);
  return 1;
}

}  // namespace kmodx::tools
