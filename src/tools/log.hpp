// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// The tools' message printer, kmod's format: "<prog>: <LEVEL>: <message>\n" on
// stderr, or "<LEVEL>: <message>" to syslog with -s. A message above the
// threshold is dropped; a FATAL that is printed ends the process with 1.

#include <string>
#include <string_view>

#include "kmodx/diag.hpp"

namespace kmodx::tools {

class ToolLog final : public DiagnosticSink {
 public:
  explicit ToolLog(std::string prog) : prog_(std::move(prog)) {}

  void set_threshold(int priority) { threshold_ = priority; }
  void use_syslog(bool on);
  const std::string& prog() const { return prog_; }

  void report(Severity severity, std::string_view message) override;
  /// libkmod's messages. Once a tool has routed libkmod's logging to itself
  /// they print as "<prog>: <LEVEL>: ../libkmod/<file>:<line> <function>()
  /// <message>" (Debian builds libkmod with debug info); before that, or in
  /// tools that never route it, libkmod's own stderr logger prints
  /// "libkmod: <LEVEL> ../libkmod/<file>:<line> <function>: <message>".
  void report_from(Severity severity, std::string_view site, std::string_view message) override;
  void route_libkmod(bool routed) { libkmod_routed_ = routed; }
  void set_libkmod_threshold(int priority) { libkmod_threshold_ = priority; }
  void error(std::string_view message) { report(Severity::error, message); }
  void warning(std::string_view message) { report(Severity::warning, message); }

 private:
  std::string prog_;
  int threshold_ = static_cast<int>(Severity::warning);
  bool syslog_ = false;
  bool libkmod_routed_ = true;
  int libkmod_threshold_ = static_cast<int>(Severity::error);
};

/// The priority KMOD_LOG asks for (a number, or a word starting with "err",
/// "info" or "debug", as libkmod reads it); ERR when unset or unreadable.
int log_priority_from_env();

}  // namespace kmodx::tools
