// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/loader_tool_options.hpp"

#include <cstdio>

namespace kmodx::tools {

std::optional<CommonOptions> parse_common(std::string_view prog, int argc, char** argv, const char* short_options,
                                          std::span<const OptionSpec> specs, const char* help,
                                          std::vector<std::string>& args, int& exit_code, ToolLog& log) {
  OptionParser parser(argc, argv, short_options, specs);
  CommonOptions o;
  while (auto opt = parser.next()) {
    const std::string_view n = opt->key;
    if (n == "force") o.force = true;
    else if (n == "force-modversion") o.force_modversion = true;
    else if (n == "force-vermagic") o.force_vermagic = true;
    else if (n == "syslog") o.use_syslog = true;
    else if (n == "verbose") ++o.verbose;
    else if (n == "backend") o.backend = opt->value;
    else if (n == "json") o.json = true;
    else if (n == "version") {
      print_version();
      exit_code = 0;
      return std::nullopt;
    } else if (n == "help") {
      std::printf(help, std::string(prog).c_str());
      exit_code = 0;
      return std::nullopt;
    } else if (n.empty()) {
      // A letter of the short string that the tool has no case for (kmod
      // 30's rmmod lists 'w').
      log.error(std::string("unexpected getopt_long() value '") + static_cast<char>(opt->val) + "'.");
      exit_code = 1;
      return std::nullopt;
    }
  }
  if (parser.failed()) {
    exit_code = 1;
    return std::nullopt;
  }
  args = parser.arguments();
  return o;
}

}  // namespace kmodx::tools
