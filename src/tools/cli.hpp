// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Command-line parsing shared by every tool: glibc's getopt_long itself,
// driven by each tool's option table as kmod declares it (the short-option
// string and `struct option` entries with kmod's values), so permutation,
// "--", "-abc" clusters, "-oVALUE", "--opt=VALUE", abbreviations (accepted
// when every match means the same option), POSIXLY_CORRECT and every
// message (printed by getopt, naming argv[0]) are getopt's own.
// Options come one at a time, as kmod's tools take them from getopt_long: a
// tool that stops at an option (--help, a bad value) never sees what follows,
// and a later option overrides an earlier one (modinfo -a -F license).
//
// Thread safety: none. getopt_long keeps its state in globals (optind,
// optarg); one parser at a time per process, as in kmod. The parser starts
// where optind stands, as kmod's commands do after kmod's own getopt_long.

#include <getopt.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kmodx::tools {

/// One option of a tool's table.
struct OptionSpec {
  const char* long_name;  ///< nullptr: the option has only its letter
  int has_arg;            ///< no_argument, required_argument or optional_argument (long form)
  int val;                ///< what getopt_long returns: the letter, or kmod's number for a long-only option
  std::string_view key;   ///< what the tool switches on
};

struct CommandLineOption {
  std::string_view key;   ///< the spec's key; empty when \p val is in the short string but no spec has it
  int val = 0;            ///< getopt_long's return value
  std::string value;      ///< the argument; empty when there is none
  bool has_value = false; ///< an argument was given ("--parallel=" gives an empty one)
  std::string spelling;   ///< "-u", or the long name in full: "--unresolved-error"
};

/// getopt_long over argv with one tool's table. next() returns each option
/// in turn; nullopt at the end of the options, or after getopt_long has
/// printed a usage error (then failed() is true and the tool exits 1).
class OptionParser {
 public:
  OptionParser(int argc, char** argv, const char* short_options, std::span<const OptionSpec> specs);
  std::optional<CommandLineOption> next();
  bool failed() const { return failed_; }
  /// The words left once next() returned nullopt (argv[optind..], permuted
  /// by getopt as it went).
  std::vector<std::string> arguments() const;

 private:
  int argc_;
  char** argv_;
  const char* short_options_;
  std::span<const OptionSpec> specs_;
  std::vector<option> long_options_;           // getopt_long's table, terminated
  std::vector<const OptionSpec*> long_specs_;  // the spec of each entry of long_options_
  bool failed_ = false;
};

/// Module options given after the module on a command line (args[1..]):
/// joined by spaces, a `key=value` whose value holds a space and does not
/// start with a quote becomes `key="value"` (kmod 34+ for insmod, every kmod
/// for modprobe). nullopt when there are none.
std::optional<std::string> module_options_from_arguments(const std::vector<std::string>& args);

/// Most threads depmod -j and modprobe --parallel take.
inline constexpr unsigned kMaxJobs = 1024;

/// A thread count from 1 to kMaxJobs written in decimal, nothing else (not
/// what stoul() makes of "-1"); nullopt otherwise.
std::optional<unsigned> parse_job_count(std::string_view value);

/// The two --version lines every tool prints.
void print_version();

/// Kernel release of the running system (uname -r).
std::string running_kernel_release();

}  // namespace kmodx::tools
