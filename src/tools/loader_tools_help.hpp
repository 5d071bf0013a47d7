// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// --help texts of insmod, rmmod and lsmod (kmod master's, printf format with
// the program name as the one argument).

namespace kmodx::tools {

inline constexpr const char* kInsmodHelp =
    "Usage:\n"
    "\t%s [options] filename [module options]\n"
    "Options:\n"
    "\t-f, --force              DANGEROUS: forces a module load, may cause\n"
    "\t                         data corruption and crash your machine.\n"
    "\t                         implies --force-modversion and\n"
    "\t                         --force-vermagic\n"
    "\t    --force-modversion   Ignore module's version\n"
    "\t    --force-vermagic     Ignore module's version magic\n"
    "\t-s, --syslog             print to syslog, not stderr\n"
    "\t-v, --verbose            enables more messages\n"
    "\t-V, --version            show version\n"
    "\t-h, --help               show this help\n";

inline constexpr const char* kRmmodHelp =
    "Usage:\n"
    "\t%s [options] modulenames\n"
    "Options:\n"
    "\t-f, --force       DANGEROUS: forces a module unload and may\n"
    "\t                  crash your machine\n"
    "\t-s, --syslog      print to syslog, not stderr\n"
    "\t-v, --verbose     enables more messages\n"
    "\t-V, --version     show version\n"
    "\t-h, --help        show this help\n";

inline constexpr const char* kLsmodHelp =
    "Usage:\n"
    "\t%s [options]\n"
    "Options:\n"
    "\t-s, --syslog      print to syslog, not stderr\n"
    "\t-v, --verbose     enables more messages\n"
    "\t-V, --version     show version\n"
    "\t-h, --help        show this help\n";

}  // namespace kmodx::tools
