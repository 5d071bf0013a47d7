// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// depmod --help: kmod master's text plus kmodx's -j and --no-cache.

#include <cstdio>
#include <string>
#include <string_view>

namespace kmodx::tools {

constexpr const char* kDepmodHelp =
    "Usage:\n"
    "\t%s -[aA] [options] [forced_version]\n"
    "\n"
    "If no arguments (except options) are given, \"depmod -a\" is assumed\n"
    "\n"
    "depmod will output a dependency list suitable for the modprobe utility.\n"
    "\n"
    "Options:\n"
    "\t-a, --all            Probe all modules\n"
    "\t-A, --quick          Only does the work if there's a new module\n"
    "\t-e, --errsyms        Report not supplied symbols\n"
    "\t-n, --show           Write the dependency file on stdout only\n"
    "\t-P, --symbol-prefix  Architecture symbol prefix\n"
    "\t-C, --config PATH    Read configuration from PATH\n"
    "\t-v, --verbose        Enable verbose mode\n"
    "\t-w, --warn           Warn on duplicates\n"
    "\t-j, --jobs N         Read modules with N threads (default: online CPUs)\n"
    "\t    --no-cache       Read every module; do not use or write\n"
    "\t                     modules.kmodx-cache.bin\n"
    "\t-V, --version        show version\n"
    "\t-h, --help           show this help\n"
    "\n"
    "The following options are useful for people managing distributions:\n"
    "\t-b, --basedir DIR    Root path (default: /).\n"
    "\t-m, --moduledir DIR  Module directory (default: " KMODX_MODULE_DIRECTORY ").\n"
    "\t-o, --outdir DIR     Output root path (default: same as <basedir>).\n"
    "\t-F, --filesyms FILE  Use the file instead of the\n"
    "\t                     current kernel symbols.\n"
    "\t-E, --symvers FILE   Use Module.symvers file to check\n"
    "\t                     symbol versions.\n";

inline void print_depmod_help(std::string_view prog) {
  std::printf(kDepmodHelp, std::string(prog).c_str());
}

}  // namespace kmodx::tools
