// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/log.hpp"

#include <syslog.h>

#include <cstdio>
#include <cstdlib>

namespace kmodx::tools {
namespace {

std::string level_word(int priority) {
  switch (priority) {
    case 2: return "FATAL";
    case 3: return "ERROR";
    case 4: return "WARNING";
    case 5: return "NOTICE";
    case 6: return "INFO";
    case 7: return "DEBUG";
    default: {
      char buf[16];
      std::snprintf(buf, sizeof buf, "LOG-%03d", priority);
      return buf;
    }
  }
}

}  // namespace

int log_priority_from_env() {
  const char* env = std::getenv("KMOD_LOG");
  if (env == nullptr || *env == '\0') return static_cast<int>(Severity::error);
  char* end = nullptr;
  long n = std::strtol(env, &end, 10);
  if (end != env && *end == '\0') return static_cast<int>(n);
  std::string_view word(env);
  if (word.starts_with("err")) return static_cast<int>(Severity::error);
  if (word.starts_with("info")) return static_cast<int>(Severity::info);
  if (word.starts_with("debug")) return static_cast<int>(Severity::debug);
  return static_cast<int>(Severity::error);
}

void ToolLog::use_syslog(bool on) {
  if (on && !syslog_) openlog(prog_.c_str(), LOG_CONS, LOG_DAEMON);
  syslog_ = on;
}

void ToolLog::report(Severity severity, std::string_view message) {
  const int priority = static_cast<int>(severity);
  if (priority > threshold_) return;
  const std::string level = level_word(priority);
  if (syslog_) {
    syslog(priority, "%s: %.*s", level.c_str(), static_cast<int>(message.size()), message.data());
  } else {
    std::string line = prog_ + ": " + level + ": ";
    line.append(message);
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  if (severity == Severity::fatal) std::exit(EXIT_FAILURE);
}

void ToolLog::report_from(Severity severity, std::string_view site, std::string_view message) {
  const int priority = static_cast<int>(severity);
  if (priority > libkmod_threshold_) return;
  // site is "<file>:<line> <function>".
  std::string located = "../libkmod/" + std::string(site);
  if (libkmod_routed_) {
    // Routed messages obey the tool's threshold too, and never exit.
    if (priority > threshold_) return;
    std::string text = located + "() " + std::string(message);
    report(severity == Severity::fatal ? Severity::error : severity, text);
    return;
  }
  static const char* const kWords[] = {"EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG"};
  std::string word = priority >= 0 && priority < 8 ? kWords[priority] : "L:" + std::to_string(priority);
  std::string line = "libkmod: " + word + " " + located + ": " + std::string(message) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace kmodx::tools
