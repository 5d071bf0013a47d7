// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Command-line parsing shared by every tool: Boost.Program_options set up to
// behave like kmod's getopt_long (bundled short options, "-Fx" and "-F x",
// "--field=x" and "--field x", unambiguous long prefixes, options and
// arguments in any order, "--" ends options), with getopt's error texts.
// Options come back in command-line order because kmod's tools let a later
// option override an earlier one (modinfo -a -F license prints licenses).

#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmodx::tools {

struct CommandLineOption {
  std::string name;      ///< long name as declared
  std::string value;     ///< empty for flags
  std::string spelling;  ///< the word as typed ("-u", "--unresolved-error")
};

struct CommandLine {
  std::vector<CommandLineOption> options;  ///< in command-line order
  std::vector<std::string> arguments;      ///< non-option arguments, in order
};

/// Parses argv[1..]. On a usage error prints getopt's message as
/// "<prog>: <text>" on stderr and returns nullopt (the tool exits 1).
std::optional<CommandLine> parse_command_line(std::string_view prog, int argc, char** argv,
                                              const boost::program_options::options_description& desc);

/// Module options given after the module on a command line (args[1..]):
/// joined by spaces, a `key=value` whose value holds a space and does not
/// start with a quote becomes `key="value"` (kmod 34+ for insmod, every kmod
/// for modprobe). nullopt when there are none.
std::optional<std::string> module_options_from_arguments(const std::vector<std::string>& args);

/// The two --version lines every tool prints.
void print_version();

/// Kernel release of the running system (uname -r).
std::string running_kernel_release();

}  // namespace kmodx::tools
