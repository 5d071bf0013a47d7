// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/cli.hpp"

#include <sys/utsname.h>

#include <cstdio>

namespace kmodx::tools {

namespace po = boost::program_options;

namespace {

// getopt names a bad short option by its letter, a long one in full.
std::string getopt_unknown(const std::string& token) {
  if (token.rfind("--", 0) == 0) return "unrecognized option '" + token + "'";
  return "invalid option -- '" + token.substr(token.size() > 1 ? 1 : 0, 1) + "'";
}

std::string getopt_missing(const std::string& token) {
  if (token.rfind("--", 0) == 0) return "option '" + token + "' requires an argument";
  return "option requires an argument -- '" + token.substr(token.size() > 1 ? 1 : 0, 1) + "'";
}

// "<prog>: <text>" on stderr, as getopt prints its complaints.
void say(std::string_view prog, std::string_view text) {
  std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(prog.size()), prog.data(), static_cast<int>(text.size()),
               text.data());
}

}  // namespace

std::optional<CommandLine> parse_command_line(std::string_view prog, int argc, char** argv,
                                              const po::options_description& desc) {
  po::options_description all;
  all.add(desc);
  all.add_options()("kmodx-positional", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("kmodx-positional", -1);
  const auto style = po::command_line_style::unix_style;
  try {
    po::parsed_options parsed = po::command_line_parser(argc, argv)
                                    .options(all)
                                    .positional(positional)
                                    .style(style)
                                    .run();
    CommandLine cl;
    for (const po::option& opt : parsed.options) {
      if (opt.string_key == "kmodx-positional") {
        for (const auto& v : opt.value) cl.arguments.push_back(v);
        continue;
      }
      cl.options.push_back({opt.string_key, opt.value.empty() ? std::string() : opt.value.front(),
                            opt.original_tokens.empty() ? std::string() : opt.original_tokens.front()});
    }
    return cl;
  } catch (const po::unknown_option& e) {
    say(prog, getopt_unknown(e.get_option_name()));
  } catch (const po::invalid_command_line_syntax& e) {
    const std::string name = e.get_option_name();
    if (e.kind() == po::invalid_syntax::missing_parameter) {
      // Only the last word can lack its argument; Boost names the option by
      // its long name, getopt by the spelling used.
      std::string last = argc > 1 ? argv[argc - 1] : name;
      say(prog, getopt_missing(last.rfind("--", 0) == 0 ? name : last));
    }
    else if (e.kind() == po::invalid_syntax::extra_parameter)
      say(prog, "option '" + name + "' doesn't allow an argument");
    else
      say(prog, e.what());
  } catch (const po::ambiguous_option& e) {
    say(prog, "option '" + e.get_option_name() + "' is ambiguous");
  } catch (const po::error& e) {
    say(prog, e.what());
  }
  return std::nullopt;
}

std::optional<std::string> module_options_from_arguments(const std::vector<std::string>& args) {
  std::optional<std::string> out;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string word = args[i];
    std::size_t eq = word.find('=');
    if (eq != std::string::npos) {
      std::string value = word.substr(eq + 1);
      if (!value.empty() && value[0] != '"' && value[0] != '\'' && value.find(' ') != std::string::npos)
        word = word.substr(0, eq + 1) + "\"" + value + "\"";
    }
    // kmod adds a separator only once something is in the buffer.
    if (!out) out = word;
    else if (out->empty()) *out = word;
    else *out += " " + word;
  }
  return out;
}

void print_version() {
  std::printf("kmodx version %s\n+ZSTD +XZ +ZLIB +OPENSSL -MBEDTLS\n", KMODX_VERSION);
}

std::string running_kernel_release() {
  struct utsname u {};
  if (uname(&u) != 0) return {};
  return u.release;
}

}  // namespace kmodx::tools
