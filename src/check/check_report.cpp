// SPDX-License-Identifier: LGPL-2.1-or-later
// The three forms of a `kmodx check` report (kmodx/check.hpp): text for
// people, JSON for programs (and --baseline), JUnit XML for CI systems.
#include <map>

#include "kmodx/check.hpp"
#include "util/json_writer.hpp"

namespace kmodx {
namespace {

const char* severity_name(CheckSeverity s) { return s == CheckSeverity::error ? "error" : "warning"; }

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::size_t modules_with_findings(const CheckReport& report) {
  std::size_t n = 0;
  const std::string* last = nullptr;
  for (const CheckFinding& f : report.findings)
    if (!f.file.empty() && (last == nullptr || *last != f.file)) {
      ++n;
      last = &f.file;
    }
  return n;
}

// XML text and attribute escaping. Bytes below 0x20 other than tab and
// newline cannot appear in XML 1.0 at all, and bytes from a module need not
// be UTF-8: both become '?', so that every report parses.
std::string xml(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\n': out += "&#10;"; break;
      case '\t': out += "&#9;"; break;
      default:
        out += static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f ? '?' : c;
    }
  }
  return out;
}

}  // namespace

std::string check_report_text(const CheckReport& report) {
  std::string out;
  const CheckFinding* group = nullptr;
  for (const CheckFinding& f : report.findings) {
    if (group == nullptr || group->file != f.file || (!f.file.empty() && group->module != f.module)) {
      out += f.file.empty() ? "tree (" + report.module_dir + ")\n" : f.module + " (" + f.file + ")\n";
      group = &f;
    }
    out += std::string("  ") + severity_name(f.severity) + " " + f.kind + ": " + f.message + "\n";
  }
  if (report.findings.empty()) {
    out += "no findings in " + plural(report.modules.size(), "module", "modules") + "\n";
  } else {
    out += plural(report.findings.size(), "finding", "findings") + " (" +
           plural(report.errors(), "error", "errors") + ", " + plural(report.warnings(), "warning", "warnings") +
           ") in " + std::to_string(modules_with_findings(report)) + " of " +
           plural(report.modules.size(), "module", "modules") + "\n";
  }
  return out;
}

std::string check_report_json(const CheckReport& report) {
  JsonWriter j;
  j.begin_object();
  j.key("kmodx_json").value(std::int64_t{1});
  j.key("tool").value("check");
  j.key("release").value(report.release);
  j.key("module_dir").value(report.module_dir);
  j.key("modules_checked").value(static_cast<std::int64_t>(report.modules.size()));
  j.key("findings").begin_array();
  for (const CheckFinding& f : report.findings) {
    j.begin_object();
    j.key("module");
    f.module.empty() ? j.null() : j.value(f.module);
    j.key("file");
    f.file.empty() ? j.null() : j.value(f.file);
    j.key("kind").value(f.kind);
    j.key("severity").value(severity_name(f.severity));
    j.key("subject").value(f.subject);
    j.key("message").value(f.message);
    j.end_object();
  }
  j.end_array();
  j.key("errors").value(static_cast<std::int64_t>(report.errors()));
  j.key("warnings").value(static_cast<std::int64_t>(report.warnings()));
  j.key("aliases").begin_array();
  for (const auto& [pattern, module] : report.aliases) j.begin_array().value(pattern).value(module).end_array();
  j.end_array();
  j.end_object();
  return j.text() + "\n";
}

std::string check_report_junit(const CheckReport& report) {
  std::map<std::string, std::vector<const CheckFinding*>> by_file;
  for (const CheckFinding& f : report.findings) by_file[f.file].push_back(&f);
  std::size_t failures = 0;
  std::string cases;
  auto add_case = [&](const std::string& name, const std::string& file) {
    cases += "    <testcase name=\"" + xml(name) + "\" classname=\"" + xml(report.release) + "\"";
    if (!file.empty()) cases += " file=\"" + xml(file) + "\"";
    auto it = by_file.find(file);
    if (it == by_file.end()) {
      cases += "/>\n";
      return;
    }
    ++failures;
    cases += ">\n";
    for (const CheckFinding* f : it->second)
      cases += "      <failure type=\"" + xml(f->kind) + "\" message=\"" + xml(f->message) + "\">" +
               severity_name(f->severity) + " " + xml(f->kind) + ": " + xml(f->message) + "</failure>\n";
    cases += "    </testcase>\n";
  };
  for (const CheckedModule& m : report.modules) add_case(m.name, m.file);
  add_case("tree", "");
  const std::string tests = std::to_string(report.modules.size() + 1);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kmodx check\" tests=\"" + tests +
         "\" failures=\"" + std::to_string(failures) + "\" errors=\"0\">\n  <testsuite name=\"kmodx check " +
         xml(report.release) + "\" tests=\"" + tests + "\" failures=\"" + std::to_string(failures) +
         "\" errors=\"0\" skipped=\"0\">\n" + cases + "  </testsuite>\n</testsuites>\n";
}

}  // namespace kmodx
