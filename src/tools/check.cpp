// SPDX-License-Identifier: LGPL-2.1-or-later
// kmodx check: a kernel tree verified the way the kernel would load it
// (kmodx/check.hpp). Exit status: 0 no findings, 1 findings, 2 a usage
// error or an input that could not be used.
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "kmodx/check.hpp"
#include "tools/cli.hpp"
#include "tools/log.hpp"
#include "tools/phase_timer.hpp"
#include "tools/tools.hpp"
#include "util/file_writes.hpp"
#include "util/mapped_file.hpp"

namespace kmodx::tools {
namespace {

constexpr int kExitFindings = 1;
constexpr int kExitUsage = 2;

constexpr char kShort[] = "b:E:F:C:j:hV";
enum : int { kFirmwareDir = 256, kNoFirmware, kCert, kKernelImage, kRequireSigned, kJson, kJunit, kBaseline };
constexpr OptionSpec kOptions[] = {
    {"basedir", required_argument, 'b', "basedir"},
    {"symvers", required_argument, 'E', "symvers"},
    {"filesyms", required_argument, 'F', "filesyms"},
    {"config", required_argument, 'C', "config"},
    {"jobs", required_argument, 'j', "jobs"},
    {"firmware-dir", required_argument, kFirmwareDir, "firmware-dir"},
    {"no-firmware", no_argument, kNoFirmware, "no-firmware"},
    {"cert", required_argument, kCert, "cert"},
    {"kernel-image", required_argument, kKernelImage, "kernel-image"},
    {"require-signed", no_argument, kRequireSigned, "require-signed"},
    {"json", no_argument, kJson, "json"},
    {"junit", required_argument, kJunit, "junit"},
    {"baseline", required_argument, kBaseline, "baseline"},
    {"help", no_argument, 'h', "help"},
    {"version", no_argument, 'V', "version"},
};

void print_help(std::string_view prog) {
  std::printf(
      "Usage:\n"
      "\t%s [options] [VERSION] [FILE|DIR...]\n"
      "\n"
      "Verifies every module of /lib/modules/VERSION (or the given modules, against\n"
      "that tree) the way the kernel would load it.\n"
      "\n"
      "Options:\n"
      "\t-b, --basedir=DIR         use DIR/lib/modules/VERSION\n"
      "\t-E, --symvers=FILE        the kernel's exports (Module.symvers); default\n"
      "\t                          <module dir>/build/Module.symvers\n"
      "\t-F, --filesyms=FILE       the kernel's symbols (System.map) instead\n"
      "\t-C, --config=PATH         depmod.d file or directory (repeatable)\n"
      "\t    --firmware-dir=DIR    where firmware is looked up (repeatable;\n"
      "\t                          default BASEDIR/lib/firmware)\n"
      "\t    --no-firmware         do not check firmware\n"
      "\t    --cert=FILE           a trusted certificate, PEM or DER (repeatable)\n"
      "\t    --kernel-image=FILE   trust the certificates built into this kernel\n"
      "\t                          (vmlinuz or vmlinux)\n"
      "\t    --require-signed      an unsigned module is an error\n"
      "\t    --json                print the report as JSON\n"
      "\t    --junit=FILE          also write the report as JUnit XML\n"
      "\t    --baseline=OLD.json   report only what is new against an earlier report\n"
      "\t-j, --jobs=N              threads (default: one per CPU)\n"
      "\t-h, --help                show this help\n"
      "\t-V, --version             show version\n"
      "\n"
      "Exit status: 0 no findings, 1 findings, 2 usage or input errors.\n",
      std::string(prog).c_str());
}

// depmod's test for a version argument: it starts "<digits>.<digits>".
bool looks_like_version(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == 0 || i >= s.size() || s[i] != '.') return false;
  return i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]));
}

}  // namespace

int check_main(std::string_view prog, int argc, char** argv) {
  ToolLog log{std::string(prog)};
  CheckRequest request;
  std::string basedir, junit, baseline;
  bool json = false, no_firmware = false;
  OptionParser parser(argc, argv, kShort, kOptions);
  while (auto opt = parser.next()) {
    const std::string_view key = opt->key;
    if (key == "basedir") basedir = opt->value;
    else if (key == "symvers") request.symvers = opt->value;
    else if (key == "filesyms") request.system_map = opt->value;
    else if (key == "config") request.config_paths.push_back(opt->value);
    else if (key == "firmware-dir") request.firmware_dirs.push_back(opt->value);
    else if (key == "no-firmware") no_firmware = true;
    else if (key == "cert") request.certs.push_back(opt->value);
    else if (key == "kernel-image") request.kernel_image = opt->value;
    else if (key == "require-signed") request.require_signed = true;
    else if (key == "json") json = true;
    else if (key == "junit") junit = opt->value;
    else if (key == "baseline") baseline = opt->value;
    else if (key == "jobs") {
      auto n = parse_job_count(opt->value);
      if (!n) {
        log.error("invalid number of jobs: '" + opt->value + "'");
        return kExitUsage;
      }
      request.threads = *n;
    } else if (key == "help") {
      print_help(prog);
      return 0;
    } else if (key == "version") {
      print_version();
      return 0;
    } else {
      return kExitUsage;
    }
  }
  if (parser.failed()) return kExitUsage;
  std::vector<std::string> args = parser.arguments();
  request.release = running_kernel_release();
  if (!args.empty() && looks_like_version(args.front())) {
    request.release = args.front();
    args.erase(args.begin());
  }
  request.targets = std::move(args);
  if (!basedir.empty()) basedir = std::filesystem::absolute(basedir).lexically_normal().string();
  while (basedir.size() > 1 && basedir.back() == '/') basedir.pop_back();
  if (basedir == "/") basedir.clear();
  request.module_dir = basedir + KMODX_MODULE_DIRECTORY + "/" + request.release;
  if (request.firmware_dirs.empty() && !no_firmware) request.firmware_dirs.push_back(basedir + "/lib/firmware");
  if (no_firmware) request.firmware_dirs.clear();

  std::optional<CheckBaseline> old;
  if (!baseline.empty()) {
    auto text = read_text_file(baseline, std::size_t{1} << 30);
    if (!text) {
      log.error(baseline + ": " + std::strerror(text.error().code));
      return kExitUsage;
    }
    auto parsed = parse_check_baseline(*text, baseline);
    if (!parsed) {
      log.error(parsed.error().detail);
      return kExitUsage;
    }
    old = std::move(*parsed);
  }

  PhaseTimer timer;
  request.phase_done = [&](const char* phase) { timer.mark(phase); };
  auto report = check_module_tree(request, log);
  timer.mark("return");
  if (!report) {
    log.error(report.error().detail);
    return kExitUsage;
  }
  if (old) apply_check_baseline(*report, *old);
  const std::string out = json ? check_report_json(*report) : check_report_text(*report);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  int status = report->findings.empty() ? 0 : kExitFindings;
  if (!junit.empty()) {
    if (auto written = write_file_atomic(junit, check_report_junit(*report)); !written) {
      log.error(junit + ": " + written.error().detail);
      status = kExitUsage;
    }
  }
  if (report->input_errors > 0) status = kExitUsage;
  return status;
}

}  // namespace kmodx::tools
