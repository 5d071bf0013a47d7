// SPDX-License-Identifier: LGPL-2.1-or-later
// Probe planning (KMOD-SPEC §8.5) over a small module directory, after the
// scenarios of kmod's testsuite (§14.2): the plan is what `modprobe -D`
// prints, so no backend is involved.
#include <catch2/catch.hpp>

#include "kmodx/module_lookup.hpp"
#include "kmodx/probe.hpp"
#include "support/collecting_sink.hpp"
#include "support/index_tree.hpp"

namespace {

struct Messages final : kmodx::DiagnosticSink {
  void report(kmodx::Severity, std::string_view) override {}
};

using Tree = kmodx::test::IndexTree;

/// What `modprobe -D` prints for \p name under \p config_text; the
/// library's messages go to \p messages when given.
std::string show_depends(const Tree& tree, std::string_view config_text, std::string_view name,
                         kmodx::ProbeFlags flags = {}, std::optional<std::string> extra = std::nullopt,
                         kmodx::test::CollectingSink* messages = nullptr) {
  Messages m;
  kmodx::ModprobeConfig config;
  kmodx::parse_modprobe_config_text(config_text, "t.conf", config, m);
  kmodx::test::CollectingSink own;
  kmodx::test::CollectingSink& sink = messages != nullptr ? *messages : own;
  kmodx::ModuleResolver resolver(tree.root(), config, sink);
  auto found = resolver.lookup(name);
  REQUIRE(found.ok());
  flags.ignore_loaded = flags.dry_run = true;
  std::string out;
  kmodx::ProbeHooks hooks;
  hooks.print = [&](const kmodx::ProbeStep& step) { out += step.describe(); };
  for (kmodx::ModuleId id : *found)
    CHECK(kmodx::probe_module(resolver, nullptr, id, flags, extra, hooks, sink).ok());
  return out;
}

}  // namespace

TEST_CASE("dependencies come deepest first, each line ends in the option string", "[modprobe][probe]") {
  Tree t({{"a", "kernel/a.ko: kernel/b.ko kernel/c.ko"}, {"b", "kernel/b.ko: kernel/c.ko"}, {"c", "kernel/c.ko:"}});
  const std::string d = t.root();
  CHECK(show_depends(t, "", "a") ==
        "insmod " + d + "/kernel/c.ko \ninsmod " + d + "/kernel/b.ko \ninsmod " + d + "/kernel/a.ko \n");
  CHECK(show_depends(t, "options a x=1\noptions b y=2\n", "a", {}, "z=3") ==
        "insmod " + d + "/kernel/c.ko \ninsmod " + d + "/kernel/b.ko y=2 \ninsmod " + d + "/kernel/a.ko x=1 z=3\n");
}

TEST_CASE("a softdep loop terminates and lists the module twice", "[modprobe][probe]") {
  Tree t({{"mod_loop_a", "kernel/mod-loop-a.ko: kernel/mod-loop-b.ko"}, {"mod_loop_b", "kernel/mod-loop-b.ko:"}});
  const std::string d = t.root();
  CHECK(show_depends(t, "softdep mod-loop-b post: mod-loop-a\n", "mod-loop-b") ==
        "insmod " + d + "/kernel/mod-loop-b.ko \ninsmod " + d + "/kernel/mod-loop-b.ko \ninsmod " + d +
            "/kernel/mod-loop-a.ko \n");
}

TEST_CASE("an alias to a module that does not exist prints nothing", "[modprobe][probe]") {
  Tree t({{"mod_simple", "kernel/mod-simple.ko:"}});
  kmodx::ProbeFlags flags;
  flags.ignore_commands = true;
  CHECK(show_depends(t, "alias mod-simple deaddood\n", "mod-simple", flags).empty());
}

TEST_CASE("install commands, and softdeps winning over them", "[modprobe][probe]") {
  Tree t({{"a", "kernel/a.ko:"}, {"b", "kernel/b.ko:"}});
  const std::string d = t.root();
  CHECK(show_depends(t, "install a echo A $CMDLINE_OPTS\noptions a o=1\n", "a") == "install echo A $CMDLINE_OPTS o=1 \n");
  kmodx::ProbeFlags ignore;
  ignore.ignore_commands = true;
  CHECK(show_depends(t, "install a echo A\n", "a", ignore) == "insmod " + d + "/kernel/a.ko \n");
  CHECK(show_depends(t, "install a echo A\nsoftdep a pre: b\n", "a") ==
        "insmod " + d + "/kernel/b.ko \ninsmod " + d + "/kernel/a.ko \n");
}

TEST_CASE("built-in modules and the blacklist", "[modprobe][probe]") {
  Tree t({{"a", "kernel/a.ko:"}}, {"unix"}, {{"pci:v1*", "a"}});
  const std::string d = t.root();
  CHECK(show_depends(t, "", "unix") == "builtin unix\n");
  // Blacklisting hits modules found through an alias, or all with -b.
  CHECK(show_depends(t, "blacklist a\n", "pci:v1234").empty());
  CHECK(show_depends(t, "blacklist a\n", "a") == "insmod " + d + "/kernel/a.ko \n");
  kmodx::ProbeFlags b;
  b.use_blacklist = true;
  CHECK(show_depends(t, "blacklist a\n", "a", b).empty());
}

TEST_CASE("a stale modules.dep: a deleted dependency drops the module's list and is reported at each read",
          "[modprobe][probe]") {
  // b.ko was deleted without running depmod (kmod 30: modprobe -D a prints
  // only a, and libkmod's parse_depline error twice: at the lookup and when
  // planning).
  Tree t({{"a", "kernel/a.ko: kernel/b.ko kernel/c.ko"}, {"b", "kernel/b.ko: kernel/c.ko"}, {"c", "kernel/c.ko:"}}, {},
         {}, {"kernel/b.ko"});
  const std::string d = t.root();
  kmodx::test::CollectingSink messages;
  CHECK(show_depends(t, "", "a", {}, std::nullopt, &messages) == "insmod " + d + "/kernel/a.ko \n");
  REQUIRE(messages.texts().size() == 2);
  for (const std::string& text : messages.texts()) {
    CHECK(text.starts_with("ctx=0x"));
    CHECK(text.ends_with(" path=" + d + "/kernel/b.ko error=No such file or directory"));
  }
  // c is there: a module whose own dependencies are all present is untouched.
  messages.messages.clear();
  CHECK(show_depends(t, "", "c", {}, std::nullopt, &messages) == "insmod " + d + "/kernel/c.ko \n");
  CHECK(messages.texts().empty());
}
