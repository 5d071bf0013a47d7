// SPDX-License-Identifier: LGPL-2.1-or-later
// `kmod static-nodes`: the running kernel's modules.devname in the human,
// tmpfiles or devname format, on stdout or into a file (systemd's
// kmod-static-nodes.service writes /run/tmpfiles.d/static-nodes.conf at
// boot). Messages and exit codes are kmod 30's. Beyond kmod: the output file
// is replaced whole (never left half-written), and a failed write is an
// error (kmod exits 0).
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "kmodx/static_nodes.hpp"
#include "tools/cli.hpp"
#include "tools/tools.hpp"
#include "util/file_writes.hpp"
#include "util/mapped_file.hpp"

namespace kmodx::tools {
namespace {

void print_static_nodes_help(std::string_view prog) {
  std::printf(
      "Usage:\n"
      "\t%.*s static-nodes [options]\n"
      "\n"
      "kmod static-nodes outputs the static-node information of the currently running kernel.\n"
      "\n"
      "Options:\n"
      "\t-f, --format=FORMAT  choose format to use: see \"Formats\"\n"
      "\t-o, --output=FILE    write output to file\n"
      "\t-h, --help           show this help\n"
      "\n"
      "Formats:\n",
      static_cast<int>(prog.size()), prog.data());
  for (const StaticNodesFormatInfo& f : static_nodes_formats())
    std::printf("\t%-12.*s %.*s\n", static_cast<int>(f.name.size()), f.name.data(),
                static_cast<int>(f.description.size()), f.description.data());
}

void print_invalid_entries(const StaticNodes& parsed) {
  for (const std::string& entry : parsed.invalid) std::fprintf(stderr, "Error: invalid devname entry: %s", entry.c_str());
}

}  // namespace

int static_nodes_main(std::string_view prog, int argc, char** argv) {
  static constexpr OptionSpec kOptions[] = {
      {"output", required_argument, 'o', "output"},
      {"format", required_argument, 'f', "format"},
      {"help", no_argument, 'h', "help"},
  };
  std::optional<std::string> output;  // stdout when absent
  StaticNodesFormat format = StaticNodesFormat::human;
  OptionParser parser(argc, argv, "o:f:h", kOptions);
  while (auto o = parser.next()) {
    if (o->key == "output") {
      output = o->value;
    } else if (o->key == "format") {
      if (auto f = static_nodes_format_named(o->value)) {
        format = *f;
        continue;
      }
      std::fprintf(stderr, "Unknown format: '%s'.\n", o->value.c_str());
      print_static_nodes_help(prog);
      return 1;
    } else {
      print_static_nodes_help(prog);
      return 0;
    }
  }
  if (parser.failed()) return 1;

  const std::string release = running_kernel_release();
  if (release.empty()) {
    std::fputs("Error: uname failed!\n", stderr);
    return 1;
  }
  const std::string path = std::string(KMODX_MODULE_DIRECTORY "/") + release + "/modules.devname";
  std::string content;
  if (auto text = read_text_file(path)) {
    content = std::move(*text);
  } else if (text.error().code == ENOENT) {
    std::fprintf(stderr, "Warning: %s not found - ignoring\n", path.c_str());
    return 0;
  } else if (text.error().code != EISDIR) {  // kmod reads a directory as no lines
    std::fprintf(stderr, "Error: could not open %s - %s\n", path.c_str(), std::strerror(text.error().code));
    return 1;
  }
  const StaticNodes parsed = parse_modules_devname(content);
  const std::string rendered = format_static_nodes(parsed.nodes, format);
  const int status = parsed.invalid.empty() ? 0 : 1;

  if (!output) {
    print_invalid_entries(parsed);
    std::fflush(stderr);
    if (auto ok = write_all(STDOUT_FILENO, rendered, "/dev/stdout"); !ok) {
      std::fprintf(stderr, "Error: could not write /dev/stdout - %s\n", std::strerror(ok.error().code));
      return 1;
    }
    return status;
  }
  const std::string& out = *output;
  if (const std::size_t slash = out.rfind('/'); slash != std::string::npos && slash > 0) {
    if (auto made = make_directories(out.substr(0, slash)); !made) {
      std::fprintf(stderr, "Error: could not create parent directory for %s - %s.\n", out.c_str(),
                   std::strerror(made.error().code));
      return 1;
    }
  }
  OutputFailure failure{};
  if (auto ok = replace_output(out, rendered, &failure); !ok) {
    std::fprintf(stderr, "Error: could not %s %s - %s\n", failure.step == OutputFailure::create ? "create" : "write",
                 out.c_str(), std::strerror(failure.code));
    return 1;
  }
  print_invalid_entries(parsed);
  return status;
}

}  // namespace kmodx::tools
