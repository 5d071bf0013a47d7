// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// What insmod, rmmod and lsmod share: their command line parsed with
// getopt_long over each tool's table (cli.hpp) into the options they have in
// common, --help and --version answered.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kmodx/diag.hpp"
#include "tools/cli.hpp"
#include "tools/log.hpp"

namespace kmodx::tools {

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
                                          std::vector<std::string>& args, int& exit_code, ToolLog& log);

}  // namespace kmodx::tools
