// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// The library never prints. Messages that kmod's libkmod would log go to a
/// DiagnosticSink that the tool installs; the tool decides the prefix format,
/// the threshold and the destination (stderr or syslog).
///
/// Thread safety: the library calls a sink only from the thread that called
/// into it; operations that work on several threads (depmod's reading and
/// rendering, modprobe --parallel) record their workers' messages and report
/// them from that thread, in the order a sequential run has. A sink shared
/// by several calling threads must lock itself.

#include <string_view>

#include "kmodx/export.hpp"

namespace kmodx {

/// syslog priorities, as kmod uses them for its threshold.
enum class Severity : int { fatal = 2, error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

class KMODX_API DiagnosticSink {
 public:
  virtual ~DiagnosticSink() = default;
  /// \p message has no trailing newline.
  virtual void report(Severity severity, std::string_view message) = 0;
  /// A message libkmod logs from \p site ("libkmod-module.c:895
  /// kmod_module_insert_module"): Debian builds libkmod with debugging, so its
  /// messages name their source line, and kmodx's tools reproduce that.
  virtual void report_from(Severity severity, std::string_view site, std::string_view message) {
    (void)site;
    report(severity, message);
  }
};

/// Discards everything; the default when a caller does not care.
class KMODX_API NullSink final : public DiagnosticSink {
 public:
  void report(Severity, std::string_view) override {}
};

}  // namespace kmodx
