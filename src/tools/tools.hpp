// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Entry points of the tools inside the multi-call binary. \p prog is the name
// messages are prefixed with (the tool's own name, whichever way it was run);
// argv[0] is that name and argv[1..] its arguments.

#include <string_view>

namespace kmodx::tools {

using ToolMain = int (*)(std::string_view prog, int argc, char** argv);

int modinfo_main(std::string_view prog, int argc, char** argv);
int depmod_main(std::string_view prog, int argc, char** argv);
int modprobe_main(std::string_view prog, int argc, char** argv);
int insmod_main(std::string_view prog, int argc, char** argv);
int rmmod_main(std::string_view prog, int argc, char** argv);
int lsmod_main(std::string_view prog, int argc, char** argv);
/// kmod's multiplexer (`kmod help|list|static-nodes`); \p prog is its name
/// in help texts, argv[0] the name getopt's messages use.
int kmod_main(std::string_view prog, int argc, char** argv);
int static_nodes_main(std::string_view prog, int argc, char** argv);
/// kmodx check: a module tree verified as the kernel would load it.
int check_main(std::string_view prog, int argc, char** argv);

}  // namespace kmodx::tools
