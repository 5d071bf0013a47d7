// SPDX-License-Identifier: LGPL-2.1-or-later
// `kmodx check --baseline OLD.json`: the JSON reader and the report reader
// over any bytes. An accepted report applied to a small report must leave
// only findings the baseline does not have, and the JSON written from what
// was read must read back to the same findings and aliases.

#include <tuple>

#include "fuzz_support.hpp"
#include "kmodx/check.hpp"
#include "util/json_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kmodx;
  const std::string_view text = fuzz::text_of(data, size);
  (void)parse_json(text);
  auto old = parse_check_baseline(text, "fuzz.json");
  if (!old) return 0;

  CheckReport report;
  report.release = "6.1.0";
  report.module_dir = "/lib/modules/6.1.0";
  report.modules.push_back({"a", "kernel/a.ko"});
  report.findings.push_back({"a", "kernel/a.ko", "unknown-symbol", CheckSeverity::error, "sym", "Unknown symbol sym"});
  report.aliases.emplace_back("pci:v*", "a");
  apply_check_baseline(report, *old);
  for (const CheckFinding& f : report.findings) {
    if (f.kind == "alias-gone") continue;
    for (const CheckFinding& o : old->findings)
      FUZZ_EXPECT(std::tie(f.module, f.kind, f.subject) != std::tie(o.module, o.kind, o.subject));
  }

  // Written and read back: the same keys.
  CheckReport again;
  for (const CheckFinding& f : old->findings)
    again.findings.push_back({f.module, f.module.empty() ? "" : "x", f.kind, CheckSeverity::warning, f.subject, ""});
  again.aliases = old->aliases;
  auto reread = parse_check_baseline(check_report_json(again), "again.json");
  FUZZ_EXPECT(reread.ok());
  FUZZ_EXPECT(reread->findings.size() == old->findings.size() && reread->aliases.size() == old->aliases.size());
  (void)check_report_text(again);
  (void)check_report_junit(again);
  return 0;
}
