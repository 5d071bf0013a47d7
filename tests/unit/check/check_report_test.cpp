// SPDX-License-Identifier: LGPL-2.1-or-later
// `kmodx check` (kmodx/check.hpp): the three report forms and --baseline on
// hand-made reports, and check_module_tree() on a small synthetic tree.
// Expected texts follow the README ("Checking a kernel package",
// "Machine-readable output") and the kernel's load_module() rules.
#include "kmodx/check.hpp"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "kmodx/depmod.hpp"
#include "support/collecting_sink.hpp"
#include "support/compress.hpp"
#include "support/result_helpers.hpp"
#include "support/temp_dir.hpp"
#include "unit/loader/sim/sim_fixture.hpp"
#include "util/json_reader.hpp"

using namespace kmodx;
using namespace kmodx::test;

namespace {

constexpr const char* kDir = "/lib/modules/6.1.0-56-amd64";

CheckFinding error_at(std::string module, std::string file, std::string kind, std::string subject,
                   std::string message) {
  return {std::move(module), std::move(file), std::move(kind), CheckSeverity::error, std::move(subject),
          std::move(message)};
}
CheckFinding warning_at(std::string module, std::string file, std::string kind, std::string subject,
                     std::string message) {
  return {std::move(module), std::move(file), std::move(kind), CheckSeverity::warning, std::move(subject),
          std::move(message)};
}
CheckFinding tree_warning(std::string kind, std::string subject, std::string message) {
  return warning_at("", "", std::move(kind), std::move(subject), std::move(message));
}
CheckFinding tree_error(std::string kind, std::string subject, std::string message) {
  return error_at("", "", std::move(kind), std::move(subject), std::move(message));
}

CheckReport report_of(std::vector<CheckedModule> modules, std::vector<CheckFinding> findings = {},
                      std::vector<std::pair<std::string, std::string>> aliases = {}) {
  CheckReport r;
  r.release = kSimRelease;
  r.module_dir = kDir;
  r.modules = std::move(modules);
  r.findings = std::move(findings);
  r.aliases = std::move(aliases);
  return r;
}

// A report with findings of two modules and of the tree, and one module
// without any.
CheckReport sample_report() {
  return report_of(
      {{"a", "kernel/a.ko"}, {"b", "kernel/b.ko"}, {"c", "kernel/c.ko"}},
      {warning_at("a", "kernel/a.ko", "firmware-missing", "x.bin", "firmware x.bin (or .xz, .zst) is in no firmware directory"),
       error_at("a", "kernel/a.ko", "unknown-symbol", "foo", "Unknown symbol foo"),
       warning_at("b", "kernel/b.ko", "not-in-order", "", "modules.order does not name kernel/b.ko"),
       tree_warning("order-entry-missing", "kernel/gone.ko", "modules.order names kernel/gone.ko"),
       tree_error("stale-index", "modules.dep", "modules.dep differs from what depmod writes now")},
      {{"pci:v00001234d*", "a"}, {"usb:v1234p*", "b"}});
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// "module|file|kind|severity|subject" of each finding, for comparisons that
// show the whole list when they fail.
std::vector<std::string> keys(const std::vector<CheckFinding>& findings) {
  std::vector<std::string> out;
  for (const CheckFinding& f : findings)
    out.push_back(f.module + "|" + f.file + "|" + f.kind + "|" +
                  (f.severity == CheckSeverity::error ? "error" : "warning") + "|" + f.subject);
  return out;
}

const CheckFinding* find_finding(const std::vector<CheckFinding>& findings, const std::string& module,
                         const std::string& kind, const std::string& subject) {
  for (const CheckFinding& f : findings)
    if (f.module == module && f.kind == kind && f.subject == subject) return &f;
  return nullptr;
}

// The order CheckReport::findings documents: by module file (tree-wide
// last), then kind, then subject.
bool documented_order(const std::vector<CheckFinding>& findings) {
  return std::is_sorted(findings.begin(), findings.end(), [](const CheckFinding& a, const CheckFinding& b) {
    if (a.file.empty() != b.file.empty()) return b.file.empty();
    return std::tie(a.file, a.kind, a.subject) < std::tie(b.file, b.kind, b.subject);
  });
}

}  // namespace

// ---- text ------------------------------------------------------------------

TEST_CASE("check report text: one finding", "[check]") {
  const CheckReport r = report_of({{"a", "kernel/a.ko"}},
                                  {error_at("a", "kernel/a.ko", "unknown-symbol", "foo", "Unknown symbol foo")});
  CHECK(check_report_text(r) ==
        "a (kernel/a.ko)\n"
        "  error unknown-symbol: Unknown symbol foo\n"
        "1 finding (1 error, 0 warnings) in 1 of 1 module\n");
}

TEST_CASE("check report text: grouped by module, the tree last, then the count", "[check]") {
  CHECK(check_report_text(sample_report()) ==
        "a (kernel/a.ko)\n"
        "  warning firmware-missing: firmware x.bin (or .xz, .zst) is in no firmware directory\n"
        "  error unknown-symbol: Unknown symbol foo\n"
        "b (kernel/b.ko)\n"
        "  warning not-in-order: modules.order does not name kernel/b.ko\n"
        "tree (/lib/modules/6.1.0-56-amd64)\n"
        "  warning order-entry-missing: modules.order names kernel/gone.ko\n"
        "  error stale-index: modules.dep differs from what depmod writes now\n"
        "5 findings (2 errors, 3 warnings) in 2 of 3 modules\n");
}

TEST_CASE("check report text: singular and plural in the summary", "[check]") {
  SECTION("no findings") {
    CHECK(check_report_text(report_of({{"a", "kernel/a.ko"}, {"b", "kernel/b.ko"}, {"c", "kernel/c.ko"}})) ==
          "no findings in 3 modules\n");
    CHECK(check_report_text(report_of({{"a", "kernel/a.ko"}})) == "no findings in 1 module\n");
    CHECK(check_report_text(report_of({})) == "no findings in 0 modules\n");
  }
  SECTION("only tree-wide findings: no module has one") {
    const CheckReport r = report_of({{"a", "kernel/a.ko"}, {"b", "kernel/b.ko"}},
                                    {tree_warning("order-entry-missing", "kernel/x.ko", "gone")});
    CHECK(check_report_text(r) ==
          "tree (/lib/modules/6.1.0-56-amd64)\n"
          "  warning order-entry-missing: gone\n"
          "1 finding (0 errors, 1 warning) in 0 of 2 modules\n");
  }
  SECTION("two warnings of one module") {
    const CheckReport r = report_of({{"a", "kernel/a.ko"}},
                                    {warning_at("a", "kernel/a.ko", "no-license", "", "no MODULE_LICENSE"),
                                     warning_at("a", "kernel/a.ko", "unsigned", "", "module is not signed")});
    CHECK(contains(check_report_text(r), "\n2 findings (0 errors, 2 warnings) in 1 of 1 module\n"));
    CHECK(count(check_report_text(r), "a (kernel/a.ko)\n") == 1);
  }
  SECTION("two errors in two modules") {
    const CheckReport r = report_of({{"a", "kernel/a.ko"}, {"b", "updates/b.ko"}},
                                    {error_at("a", "kernel/a.ko", "vermagic", "", "no vermagic"),
                                     error_at("b", "updates/b.ko", "vermagic", "", "no vermagic")});
    const std::string text = check_report_text(r);
    CHECK(contains(text, "a (kernel/a.ko)\n  error vermagic: no vermagic\nb (updates/b.ko)\n"));
    CHECK(contains(text, "\n2 findings (2 errors, 0 warnings) in 2 of 2 modules\n"));
  }
}

TEST_CASE("check report: errors() and warnings()", "[check]") {
  const CheckReport r = sample_report();
  CHECK(r.errors() == 2);
  CHECK(r.warnings() == 3);
  CHECK(report_of({}).errors() == 0);
  CHECK(report_of({}).warnings() == 0);
}

// ---- JSON ------------------------------------------------------------------

TEST_CASE("check report json: the documented schema", "[check]") {
  CheckReport r = sample_report();
  r.findings[1].message = "Unknown symbol \"foo\"\n\t\\ caf\xc3\xa9";
  const std::string json = check_report_json(r);
  CHECK(json.back() == '\n');
  auto doc = parse_json(json);
  INFO(json);
  KMODX_REQUIRE_OK(doc);
  REQUIRE(doc->type == JsonValue::Type::object);
  REQUIRE(doc->get("kmodx_json") != nullptr);
  CHECK(doc->get("kmodx_json")->text == "1");
  REQUIRE(doc->get("tool") != nullptr);
  CHECK(doc->get("tool")->text == "check");
  CHECK(doc->get("release")->text == kSimRelease);
  CHECK(doc->get("module_dir")->text == kDir);
  CHECK(doc->get("modules_checked")->text == "3");
  CHECK(doc->get("errors")->text == "2");
  CHECK(doc->get("warnings")->text == "3");

  const JsonValue* findings = doc->get("findings");
  REQUIRE(findings != nullptr);
  REQUIRE(findings->items.size() == 5);
  const JsonValue& unknown = findings->items[1];
  CHECK(unknown.get("module")->text == "a");
  CHECK(unknown.get("file")->text == "kernel/a.ko");
  CHECK(unknown.get("kind")->text == "unknown-symbol");
  CHECK(unknown.get("severity")->text == "error");
  CHECK(unknown.get("subject")->text == "foo");
  CHECK(unknown.get("message")->text == r.findings[1].message);
  CHECK(findings->items[0].get("severity")->text == "warning");
  // Tree-wide: module and file are null.
  const JsonValue& tree = findings->items[3];
  CHECK(tree.get("module")->type == JsonValue::Type::null);
  CHECK(tree.get("file")->type == JsonValue::Type::null);
  CHECK(tree.get("subject")->text == "kernel/gone.ko");

  const JsonValue* aliases = doc->get("aliases");
  REQUIRE(aliases != nullptr);
  REQUIRE(aliases->items.size() == 2);
  REQUIRE(aliases->items[0].items.size() == 2);
  CHECK(aliases->items[0].items[0].text == "pci:v00001234d*");
  CHECK(aliases->items[0].items[1].text == "a");
}

TEST_CASE("check baseline: a JSON report reads back", "[check]") {
  const CheckReport r = sample_report();
  auto base = parse_check_baseline(check_report_json(r), "old.json");
  KMODX_REQUIRE_OK(base);
  REQUIRE(base->findings.size() == r.findings.size());
  for (std::size_t i = 0; i < r.findings.size(); ++i) {
    INFO("finding " << i);
    CHECK(base->findings[i].module == r.findings[i].module);
    CHECK(base->findings[i].kind == r.findings[i].kind);
    CHECK(base->findings[i].subject == r.findings[i].subject);
  }
  CHECK(base->findings[4].module.empty());
  CHECK(base->aliases == r.aliases);

  SECTION("the same tree again: nothing new") {
    CheckReport again = sample_report();
    apply_check_baseline(again, *base);
    CHECK(again.findings.empty());
    CHECK(check_report_text(again) == "no findings in 3 modules\n");
  }
}

TEST_CASE("check baseline: what is not a report is EBADMSG naming the file", "[check]") {
  auto bad = [](std::string_view json) {
    auto r = parse_check_baseline(json, "/tmp/old-report.json");
    INFO(std::string(json));
    KMODX_CHECK_ERRNO(r, EBADMSG);
    return r.ok() ? std::string() : r.error().detail;
  };
  SECTION("not JSON: the offset is named") {
    const std::string detail = bad("{\"kmodx_json\": 1, ");
    CHECK(contains(detail, "/tmp/old-report.json"));
    CHECK(contains(detail, "offset 18"));
  }
  SECTION("another tool's document") {
    CHECK(contains(bad(R"({"kmodx_json": 1, "tool": "modinfo", "modules": []})"), "/tmp/old-report.json"));
  }
  SECTION("another schema version") {
    CHECK(contains(bad(R"({"kmodx_json": 2, "tool": "check", "findings": []})"), "/tmp/old-report.json"));
  }
  SECTION("no findings array") {
    CHECK(contains(bad(R"({"kmodx_json": 1, "tool": "check"})"), "/tmp/old-report.json"));
    bad(R"({"kmodx_json": 1, "tool": "check", "findings": {}})");
  }
  SECTION("a finding without kind or subject") {
    bad(R"({"kmodx_json": 1, "tool": "check", "findings": [{"module": "a", "subject": ""}]})");
    bad(R"({"kmodx_json": 1, "tool": "check", "findings": [{"module": "a", "kind": "vermagic"}]})");
    bad(R"({"kmodx_json": 1, "tool": "check", "findings": [{"module": 3, "kind": "x", "subject": ""}]})");
    bad(R"({"kmodx_json": 1, "tool": "check", "findings": [7]})");
  }
  SECTION("aliases that are not [pattern, module]") {
    bad(R"({"kmodx_json": 1, "tool": "check", "findings": [], "aliases": [["only"]]})");
    bad(R"({"kmodx_json": 1, "tool": "check", "findings": [], "aliases": [["p", 1]]})");
    bad(R"({"kmodx_json": 1, "tool": "check", "findings": [], "aliases": {}})");
  }
  SECTION("an array") { bad("[]"); }
}

TEST_CASE("check baseline: a minimal report", "[check]") {
  auto base = parse_check_baseline(
      R"({"kmodx_json": 1, "tool": "check", "findings": [{"module": null, "kind": "stale-index", "subject": "modules.dep"}]})",
      "min.json");
  KMODX_REQUIRE_OK(base);
  REQUIRE(base->findings.size() == 1);
  CHECK(base->findings[0].module.empty());
  CHECK(base->findings[0].kind == "stale-index");
  CHECK(base->findings[0].subject == "modules.dep");
  CHECK(base->aliases.empty());
}

// ---- --baseline ------------------------------------------------------------

TEST_CASE("check baseline: old findings are dropped by module, kind and subject", "[check]") {
  CheckBaseline old;
  old.findings = {error_at("a", "kernel/a.ko", "unknown-symbol", "foo", ""),
                  // The module moved: the file is not part of the key.
                  error_at("b", "updates/b.ko", "crc-mismatch", "bar", ""),
                  tree_warning("order-entry-missing", "kernel/gone.ko", "")};
  CheckReport r = report_of(
      {{"a", "kernel/a.ko"}, {"b", "kernel/b.ko"}},
      {error_at("a", "kernel/a.ko", "crc-mismatch", "foo", "kept: another kind"),
       error_at("a", "kernel/a.ko", "unknown-symbol", "bar", "kept: another subject"),
       error_at("a", "kernel/a.ko", "unknown-symbol", "foo", "dropped"),
       error_at("b", "kernel/b.ko", "crc-mismatch", "bar", "dropped"),
       error_at("b", "kernel/b.ko", "unknown-symbol", "foo", "kept: another module"),
       tree_warning("order-entry-missing", "kernel/gone.ko", "dropped"),
       tree_warning("order-entry-missing", "kernel/new.ko", "kept")});
  apply_check_baseline(r, old);
  CHECK(keys(r.findings) == std::vector<std::string>{"a|kernel/a.ko|crc-mismatch|error|foo",
                                                     "a|kernel/a.ko|unknown-symbol|error|bar",
                                                     "b|kernel/b.ko|unknown-symbol|error|foo",
                                                     "||order-entry-missing|warning|kernel/new.ko"});
  for (const CheckFinding& f : r.findings) CHECK(f.message != "dropped");
}

TEST_CASE("check baseline: aliases no module provides any more are tree-wide warnings", "[check]") {
  CheckBaseline old;
  old.aliases = {{"acpi*:ABCD0001:*", "old_acpi"},
                 {"pci:v00001234d*", "a"},
                 {"usb:v1234p*", "gone_mod"},
                 {"usb:v1234p*", "gone_too"},
                 {"of:N*T*Cfoo", "moved"}};
  CheckReport r = report_of({{"a", "kernel/a.ko"}, {"b", "kernel/b.ko"}}, {},
                            {{"of:N*T*Cfoo", "b"}, {"pci:v00001234d*", "a"}});
  apply_check_baseline(r, old);
  // One per pattern, even when two old modules provided it; an alias that
  // moved to another module is still provided.
  REQUIRE(r.findings.size() == 2);
  for (const CheckFinding& f : r.findings) {
    CHECK(f.kind == "alias-gone");
    CHECK(f.severity == CheckSeverity::warning);
    CHECK(f.module.empty());
    CHECK(f.file.empty());
  }
  const CheckFinding* acpi = find_finding(r.findings, "", "alias-gone", "acpi*:ABCD0001:*");
  REQUIRE(acpi != nullptr);
  CHECK(contains(acpi->message, "acpi*:ABCD0001:*"));
  CHECK(contains(acpi->message, "old_acpi"));
  const CheckFinding* usb = find_finding(r.findings, "", "alias-gone", "usb:v1234p*");
  REQUIRE(usb != nullptr);
  CHECK((contains(usb->message, "gone_mod") || contains(usb->message, "gone_too")));
  CHECK(documented_order(r.findings));

  const std::string text = check_report_text(r);
  CHECK(contains(text, "tree (/lib/modules/6.1.0-56-amd64)\n  warning alias-gone: "));
  CHECK(contains(text, "\n2 findings (0 errors, 2 warnings) in 0 of 2 modules\n"));
}

TEST_CASE("check baseline: the report stays in its documented order", "[check]") {
  // CheckReport::findings: by module file (tree-wide last), then kind,
  // then subject; alias-gone sorts before a tree-wide stale-index.
  CheckBaseline old;
  old.aliases = {{"pci:v0000AAAAd*", "old"}};
  CheckReport r = report_of({{"a", "kernel/a.ko"}},
                            {warning_at("a", "kernel/a.ko", "no-license", "", "no MODULE_LICENSE"),
                             tree_error("stale-index", "modules.dep", "stale")});
  apply_check_baseline(r, old);
  REQUIRE(r.findings.size() == 3);
  CHECK(keys(r.findings) == std::vector<std::string>{"a|kernel/a.ko|no-license|warning|",
                                                     "||alias-gone|warning|pci:v0000AAAAd*",
                                                     "||stale-index|error|modules.dep"});
}

// ---- JUnit -------------------------------------------------------------------

TEST_CASE("check report junit: a test case per module and one for the tree", "[check]") {
  const std::string xml = check_report_junit(sample_report());
  INFO(xml);
  CHECK(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0) == 0);
  CHECK(count(xml, "<testsuites") == 1);
  CHECK(count(xml, "<testsuite ") == 1);
  CHECK(count(xml, "<testcase ") == 4);
  CHECK(count(xml, "<failure ") == 5);
  CHECK(count(xml, "</failure>") == 5);
  CHECK(contains(xml, "tests=\"4\""));
  // Three test cases have findings: a, b and the tree.
  CHECK(contains(xml, "failures=\"3\""));
  CHECK(contains(xml, "<testcase name=\"a\" classname=\"6.1.0-56-amd64\" file=\"kernel/a.ko\">"));
  CHECK(contains(xml, "<testcase name=\"c\" classname=\"6.1.0-56-amd64\" file=\"kernel/c.ko\"/>"));
  CHECK(contains(xml, "<testcase name=\"tree\" classname=\"6.1.0-56-amd64\">"));
  CHECK(contains(xml, "<failure type=\"unknown-symbol\" message=\"Unknown symbol foo\">"));
  CHECK(contains(xml, "<failure type=\"stale-index\""));
  // The tree's failures are inside its test case.
  const std::size_t tree = xml.find("<testcase name=\"tree\"");
  REQUIRE(tree != std::string::npos);
  CHECK(xml.find("type=\"order-entry-missing\"") > tree);
  CHECK(xml.find("type=\"stale-index\"") > tree);
  CHECK(xml.find("type=\"not-in-order\"") < tree);
  CHECK(xml.find("</testsuites>") != std::string::npos);
}

TEST_CASE("check report junit: no findings", "[check]") {
  const std::string xml = check_report_junit(report_of({{"a", "kernel/a.ko"}}));
  CHECK(count(xml, "<testcase ") == 2);
  CHECK(count(xml, "<failure") == 0);
  CHECK(contains(xml, "tests=\"2\""));
  CHECK(contains(xml, "failures=\"0\""));
}

TEST_CASE("check report junit: markup and bytes that XML cannot carry", "[check]") {
  const CheckReport r = report_of(
      {{"a&b", "extra/a&b<1>.ko"}},
      {error_at("a&b", "extra/a&b<1>.ko", "unknown-symbol", "x",
             "Unknown symbol <x> & \"y\" ctl\x01\x1b\x7f high\xc3\xa9\xff end")});
  const std::string xml = check_report_junit(r);
  INFO(xml);
  CHECK(contains(xml, "name=\"a&amp;b\""));
  CHECK(contains(xml, "file=\"extra/a&amp;b&lt;1&gt;.ko\""));
  CHECK(contains(xml, "message=\"Unknown symbol &lt;x&gt; &amp; &quot;y&quot; ctl??? high??? end\""));
  CHECK(contains(xml, ">error unknown-symbol: Unknown symbol &lt;x&gt; &amp; &quot;y&quot; ctl??? high??? end</failure>"));
  // Nothing below 0x20 but the line ends, nothing above 0x7e.
  for (char c : xml) {
    const auto u = static_cast<unsigned char>(c);
    CHECK(((u >= 0x20 && u < 0x7f) || c == '\n'));
  }
  CHECK(count(xml, "&amp;") == count(xml, "&") - count(xml, "&lt;") - count(xml, "&gt;") - count(xml, "&quot;") -
                                   count(xml, "&#"));
}

// ---- check_module_tree ------------------------------------------------------

namespace {

// lib/modules/<release>/ with three modules, modules.order and indexes
// depmod wrote; the kernel's Module.symvers and a firmware directory beside
// it.
//   alpha: uses _printk (kernel) and beta_func (beta); firmware present.bin
//          (there), packed.bin (as .xz), missing.bin (nowhere, named twice);
//          softdep on beta and on missing_dep (nothing); an alias.
//   beta:  exports beta_func.
//   gamma: no licence, uses gpl_only_func (a GPL-only kernel export),
//          nonexistent_sym (nobody's), and _printk with a __versions CRC the
//          kernel disagrees with; not in modules.order.
// modules.order also names kernel/gone.ko, which is not there.
struct CheckTree {
  CheckTree() {
    module_dir = tmp.file(std::string("lib/modules/") + kSimRelease);
    tmp.write(rel("kernel/alpha.ko"),
              build_module({.name = "alpha",
                            .uses = {"_printk", "beta_func"},
                            .extra_modinfo = {"firmware=present.bin", "firmware=packed.bin", "firmware=missing.bin",
                                              "firmware=missing.bin", "softdep=pre: beta missing_dep",
                                              "alias=pci:v00001234d*sv*sd*bc*sc*i*"}}));
    tmp.write(rel("kernel/beta.ko"),
              build_module({.name = "beta", .uses = {"_printk"}, .exports = {{.name = "beta_func"}}}));
    tmp.write(rel("kernel/gamma.ko"), build_module({.name = "gamma",
                                                    .license = "",
                                                    .uses = {"_printk", "gpl_only_func", "nonexistent_sym"},
                                                    .versions = {{"_printk", 0xdeadbeef}}}));
    tmp.write(rel("modules.order"), "kernel/alpha.ko\nkernel/beta.ko\nkernel/gone.ko\n");
    symvers = tmp.write("Module.symvers", kKernelSymvers);
    tmp.write("lib/firmware/present.bin", "fw");
    tmp.write("lib/firmware/packed.bin.xz", xz_compress(to_bytes("fw")));
    std::filesystem::create_directories(tmp.file("depmod.d"));
    depmod();
  }

  std::string rel(const std::string& path) const { return std::string("lib/modules/") + kSimRelease + "/" + path; }

  // The indexes as depmod writes them now, so that they are not stale.
  void depmod() {
    DepmodRequest r;
    r.module_dir = module_dir;
    r.kernel_version = kSimRelease;
    r.config_paths = {tmp.file("depmod.d")};
    r.threads = 1;
    NullSink quiet;
    auto built = build_module_database(r, quiet);
    INFO(describe(built));
    REQUIRE(built.ok());
  }

  CheckRequest request() const {
    CheckRequest r;
    r.module_dir = module_dir;
    r.release = kSimRelease;
    r.symvers = symvers;
    r.config_paths = {tmp.file("depmod.d")};
    r.firmware_dirs = {tmp.file("lib/firmware")};
    r.threads = 2;
    return r;
  }

  CheckReport run(const CheckRequest& r) {
    auto report = check_module_tree(r, sink);
    INFO(describe(report));
    REQUIRE(report.ok());
    return std::move(*report);
  }

  std::size_t sink_errors() const {
    return static_cast<std::size_t>(std::count_if(sink.messages.begin(), sink.messages.end(),
                                                  [](const auto& m) { return m.severity == Severity::error; }));
  }

  TempDir tmp;
  std::string module_dir;
  std::string symvers;
  CollectingSink sink;
};

const std::vector<std::string> kTreeFindings = {
    "alpha|kernel/alpha.ko|firmware-missing|warning|missing.bin",
    "alpha|kernel/alpha.ko|softdep-missing|warning|missing_dep",
    "gamma|kernel/gamma.ko|crc-mismatch|error|_printk",
    "gamma|kernel/gamma.ko|gpl-only-symbol|error|gpl_only_func",
    "gamma|kernel/gamma.ko|no-license|warning|",
    "gamma|kernel/gamma.ko|not-in-order|warning|",
    "gamma|kernel/gamma.ko|unknown-symbol|error|nonexistent_sym",
    "||order-entry-missing|warning|kernel/gone.ko",
};

}  // namespace

TEST_CASE("check_module_tree: a small tree", "[check]") {
  CheckTree t;
  const CheckReport r = t.run(t.request());
  CHECK(t.sink_errors() == 0);
  CHECK(r.input_errors == 0);
  CHECK(r.release == kSimRelease);
  CHECK(r.module_dir == t.module_dir);
  REQUIRE(r.modules.size() == 3);
  CHECK(r.modules[0].name == "alpha");
  CHECK(r.modules[0].file == "kernel/alpha.ko");
  CHECK(r.modules[1].name == "beta");
  CHECK(r.modules[2].file == "kernel/gamma.ko");
  CHECK(keys(r.findings) == kTreeFindings);
  CHECK(documented_order(r.findings));
  CHECK(r.errors() == 3);
  CHECK(r.warnings() == 5);
  CHECK(r.aliases == std::vector<std::pair<std::string, std::string>>{{"pci:v00001234d*sv*sd*bc*sc*i*", "alpha"}});

  const CheckFinding* crc = find_finding(r.findings, "gamma", "crc-mismatch", "_printk");
  REQUIRE(crc != nullptr);
  CHECK(contains(crc->message, "_printk"));
  const CheckFinding* fw = find_finding(r.findings, "alpha", "firmware-missing", "missing.bin");
  REQUIRE(fw != nullptr);
  CHECK(contains(fw->message, "missing.bin"));
  const CheckFinding* order = find_finding(r.findings, "", "order-entry-missing", "kernel/gone.ko");
  REQUIRE(order != nullptr);
  CHECK(contains(order->message, "kernel/gone.ko"));

  const std::string text = check_report_text(r);
  CHECK(contains(text, "alpha (kernel/alpha.ko)\n  warning firmware-missing: "));
  CHECK(contains(text, "\ntree (" + t.module_dir + ")\n  warning order-entry-missing: "));
  CHECK(text.ends_with("\n8 findings (3 errors, 5 warnings) in 2 of 3 modules\n"));

  SECTION("the baseline of the same tree leaves nothing") {
    auto base = parse_check_baseline(check_report_json(r), "old.json");
    KMODX_REQUIRE_OK(base);
    CheckReport again = t.run(t.request());
    apply_check_baseline(again, *base);
    CHECK(again.findings.empty());
  }
  SECTION("a module removed since the baseline: its alias is gone") {
    auto base = parse_check_baseline(check_report_json(r), "old.json");
    KMODX_REQUIRE_OK(base);
    std::filesystem::remove(t.tmp.file(t.rel("kernel/alpha.ko")));
    t.depmod();
    CheckReport now = t.run(t.request());
    apply_check_baseline(now, *base);
    // alpha's findings went with it. What is new: modules.order names a
    // file no longer there, and alpha's alias (in any order here).
    std::vector<std::string> found = keys(now.findings);
    std::sort(found.begin(), found.end());
    CHECK(found ==
          std::vector<std::string>{"||alias-gone|warning|pci:v00001234d*sv*sd*bc*sc*i*",
                                   "||order-entry-missing|warning|kernel/alpha.ko"});
    const CheckFinding* gone = find_finding(now.findings, "", "alias-gone", "pci:v00001234d*sv*sd*bc*sc*i*");
    REQUIRE(gone != nullptr);
    CHECK(contains(gone->message, "alpha"));
  }
}

TEST_CASE("check_module_tree: the kernel's exports from <module dir>/build/Module.symvers", "[check]") {
  CheckTree t;
  t.tmp.write(t.rel("build/Module.symvers"), kKernelSymvers);
  CheckRequest req = t.request();
  req.symvers.clear();
  const CheckReport r = t.run(req);
  CHECK(keys(r.findings) == kTreeFindings);
}

TEST_CASE("check_module_tree: without the kernel's exports its symbols are not unknown", "[check]") {
  CheckTree t;
  CheckRequest req = t.request();
  req.symvers.clear();
  const CheckReport r = t.run(req);
  for (const CheckFinding& f : r.findings) {
    INFO(f.module << " " << f.kind << " " << f.subject);
    CHECK_FALSE((f.kind == "unknown-symbol" && (f.subject == "_printk" || f.subject == "gpl_only_func")));
  }
  CHECK(find_finding(r.findings, "gamma", "no-license", "") != nullptr);
  CHECK(find_finding(r.findings, "alpha", "firmware-missing", "missing.bin") != nullptr);
}

TEST_CASE("check_module_tree: --require-signed without keys", "[check]") {
  CheckTree t;
  CheckRequest req = t.request();
  req.require_signed = true;
  const CheckReport r = t.run(req);
  for (const char* m : {"alpha", "beta", "gamma"}) {
    INFO(m);
    const CheckFinding* f = find_finding(r.findings, m, "unsigned", "");
    REQUIRE(f != nullptr);
    CHECK(f->severity == CheckSeverity::error);
  }
  CHECK(r.findings.size() == kTreeFindings.size() + 3);
}

TEST_CASE("check_module_tree: a certificate file that cannot be used is an input error", "[check]") {
  CheckTree t;
  CheckRequest req = t.request();
  req.certs = {t.tmp.write("garbage.pem", "not a certificate\n")};
  const CheckReport r = t.run(req);
  CHECK(r.input_errors == 1);
  REQUIRE(t.sink_errors() == 1);
  CHECK(std::any_of(t.sink.messages.begin(), t.sink.messages.end(), [](const auto& m) {
    return m.severity == Severity::error && contains(m.text, "garbage.pem");
  }));
  // The rest is still checked.
  CHECK(keys(r.findings) == kTreeFindings);
}

TEST_CASE("check_module_tree: a stale modules.dep and a missing dependency", "[check]") {
  CheckTree t;
  t.tmp.write(t.rel("modules.dep"),
              "kernel/alpha.ko: kernel/beta.ko kernel/vanished.ko\nkernel/beta.ko:\nkernel/gamma.ko:\n");
  const CheckReport r = t.run(t.request());
  const CheckFinding* dep = find_finding(r.findings, "alpha", "dependency-missing", "kernel/vanished.ko");
  REQUIRE(dep != nullptr);
  CHECK(dep->severity == CheckSeverity::error);
  CHECK(dep->file == "kernel/alpha.ko");
  const CheckFinding* stale = find_finding(r.findings, "", "stale-index", "modules.dep");
  REQUIRE(stale != nullptr);
  CHECK(stale->severity == CheckSeverity::error);
  CHECK(stale->file.empty());
  CHECK(documented_order(r.findings));
}

TEST_CASE("check_module_tree: an unreadable module", "[check]") {
  CheckTree t;
  t.tmp.write(t.rel("kernel/junk.ko"), "this is no ELF file at all, only text that looks like nothing\n");
  t.tmp.write(t.rel("modules.order"), "kernel/alpha.ko\nkernel/beta.ko\nkernel/gone.ko\nkernel/junk.ko\n");
  t.depmod();
  const CheckReport r = t.run(t.request());
  const CheckFinding* junk = find_finding(r.findings, "junk", "module-unreadable", "");
  REQUIRE(junk != nullptr);
  CHECK(junk->severity == CheckSeverity::error);
  CHECK(junk->file == "kernel/junk.ko");
  CHECK(r.modules.size() == 4);
}

TEST_CASE("check_module_tree: one module against the tree", "[check]") {
  CheckTree t;
  CheckRequest req = t.request();
  req.targets = {t.module_dir + "/kernel/gamma.ko"};
  const CheckReport r = t.run(req);
  REQUIRE(r.modules.size() == 1);
  CHECK(r.modules[0].name == "gamma");
  for (const CheckFinding& f : r.findings) {
    INFO(f.kind << " " << f.subject);
    CHECK(f.module == "gamma");  // nothing about the others, nothing tree-wide
  }
  for (const char* kind : {"crc-mismatch", "gpl-only-symbol", "unknown-symbol"}) {
    INFO(kind);
    CHECK(std::any_of(r.findings.begin(), r.findings.end(), [&](const CheckFinding& f) { return f.kind == kind; }));
  }
  CHECK(find_finding(r.findings, "gamma", "no-license", "") != nullptr);
}

TEST_CASE("check_module_tree: a module directory that cannot be read is an error", "[check]") {
  TempDir tmp;
  CollectingSink sink;
  CheckRequest req;
  req.release = kSimRelease;
  req.module_dir = tmp.file("lib/modules/6.1.0-56-amd64");
  KMODX_CHECK_ERRNO(check_module_tree(req, sink), ENOENT);
  req.module_dir = tmp.write("not-a-directory", "x");
  auto r = check_module_tree(req, sink);
  CHECK_FALSE(r.ok());
}

TEST_CASE("check_module_tree: a target that does not exist is an error", "[check]") {
  CheckTree t;
  CheckRequest req = t.request();
  req.targets = {t.tmp.file("no/such/module.ko")};
  auto r = check_module_tree(req, t.sink);
  KMODX_CHECK_ERRNO(r, ENOENT);
}
