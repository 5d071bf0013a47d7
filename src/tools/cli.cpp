// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/cli.hpp"

#include <sys/utsname.h>

#include <charconv>
#include <cstdio>

namespace kmodx::tools {

OptionParser::OptionParser(int argc, char** argv, const char* short_options, std::span<const OptionSpec> specs)
    : argc_(argc), argv_(argv), short_options_(short_options), specs_(specs) {
  for (const OptionSpec& spec : specs_) {
    if (spec.long_name == nullptr) continue;
    long_options_.push_back({spec.long_name, spec.has_arg, nullptr, spec.val});
    long_specs_.push_back(&spec);
  }
  long_options_.push_back({nullptr, 0, nullptr, 0});
}

std::optional<CommandLineOption> OptionParser::next() {
  if (failed_) return std::nullopt;
  int index = -1;  // getopt_long sets it only for a long option
  const int c = ::getopt_long(argc_, argv_, short_options_, long_options_.data(), &index);
  if (c == -1) return std::nullopt;
  if (c == '?' || c == ':') {  // getopt_long has printed what was wrong
    failed_ = true;
    return std::nullopt;
  }
  CommandLineOption o;
  o.val = c;
  if (optarg != nullptr) {
    o.value = optarg;
    o.has_value = true;
  }
  if (index >= 0) {
    const OptionSpec& spec = *long_specs_[static_cast<std::size_t>(index)];
    o.spelling = std::string("--") + spec.long_name;
    o.key = spec.key;
  } else {
    o.spelling = std::string("-") + static_cast<char>(c);
    for (const OptionSpec& spec : specs_)
      if (spec.val == c) {
        o.key = spec.key;
        break;
      }
  }
  return o;
}

std::vector<std::string> OptionParser::arguments() const {
  std::vector<std::string> out;
  for (int i = optind; i < argc_; ++i) out.emplace_back(argv_[i]);
  return out;
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

std::optional<unsigned> parse_job_count(std::string_view value) {
  unsigned jobs = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, jobs);
  if (ec != std::errc() || ptr != end || jobs < 1 || jobs > kMaxJobs) return std::nullopt;
  return jobs;
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
