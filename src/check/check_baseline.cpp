// SPDX-License-Identifier: LGPL-2.1-or-later
// --baseline (kmodx/check.hpp): an earlier report read back, and only what
// is new reported.
#include <algorithm>
#include <cerrno>
#include <set>
#include <tuple>

#include "check/check_context.hpp"
#include "kmodx/check.hpp"
#include "util/json_reader.hpp"

namespace kmodx {
namespace {

Error bad(const std::string& file, const std::string& what) {
  return make_error(EBADMSG, file + ": not a kmodx check report: " + what);
}

const std::string* string_member(const JsonValue& v, std::string_view key) {
  const JsonValue* m = v.get(key);
  return m != nullptr && m->type == JsonValue::Type::string ? &m->text : nullptr;
}

}  // namespace

Result<CheckBaseline> parse_check_baseline(std::string_view json, const std::string& file) {
  auto doc = parse_json(json);
  if (!doc) return make_error(EBADMSG, file + ": " + doc.error().detail);
  const std::string* tool = string_member(*doc, "tool");
  const JsonValue* version = doc->get("kmodx_json");
  if (tool == nullptr || *tool != "check" || version == nullptr || version->text != "1")
    return bad(file, "no \"kmodx_json\": 1 and \"tool\": \"check\"");
  CheckBaseline out;
  const JsonValue* findings = doc->get("findings");
  if (findings == nullptr || findings->type != JsonValue::Type::array) return bad(file, "no \"findings\" array");
  for (const JsonValue& f : findings->items) {
    const JsonValue* module = f.get("module");
    const std::string* kind = string_member(f, "kind");
    const std::string* subject = string_member(f, "subject");
    if (module == nullptr || (module->type != JsonValue::Type::string && module->type != JsonValue::Type::null) ||
        kind == nullptr || subject == nullptr)
      return bad(file, "a finding without module, kind or subject");
    CheckFinding finding;
    finding.module = module->text;
    finding.kind = *kind;
    finding.subject = *subject;
    out.findings.push_back(std::move(finding));
  }
  if (const JsonValue* aliases = doc->get("aliases")) {
    if (aliases->type != JsonValue::Type::array) return bad(file, "\"aliases\" is not an array");
    for (const JsonValue& a : aliases->items) {
      if (a.type != JsonValue::Type::array || a.items.size() != 2 || a.items[0].type != JsonValue::Type::string ||
          a.items[1].type != JsonValue::Type::string)
        return bad(file, "an alias that is not [pattern, module]");
      out.aliases.emplace_back(a.items[0].text, a.items[1].text);
    }
  }
  return out;
}

void apply_check_baseline(CheckReport& report, const CheckBaseline& old) {
  std::set<std::tuple<std::string, std::string, std::string>> known;
  for (const CheckFinding& f : old.findings) known.emplace(f.module, f.kind, f.subject);
  std::erase_if(report.findings,
                [&](const CheckFinding& f) { return known.contains({f.module, f.kind, f.subject}); });
  std::set<std::string> provided;
  for (const auto& [pattern, module] : report.aliases) provided.insert(pattern);
  // Gone aliases are tree-wide: their module may not exist any more.
  std::set<std::string> reported;
  std::vector<CheckFinding> gone;
  for (const auto& [pattern, module] : old.aliases)
    if (!provided.contains(pattern) && reported.insert(pattern).second)
      gone.push_back({"", "", "alias-gone", CheckSeverity::warning, pattern,
                      "alias " + pattern + " of the earlier tree's " + module + " is provided by no module now"});
  report.findings.insert(report.findings.end(), gone.begin(), gone.end());
  std::stable_sort(report.findings.begin(), report.findings.end(), check::finding_order);
}

}  // namespace kmodx
