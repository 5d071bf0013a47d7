// SPDX-License-Identifier: LGPL-2.1-or-later
// modprobe.d parsing (KMOD-SPEC §7.1-§7.3). Expected renderings were checked
// against Debian's kmod 30 `modprobe -C <file> -c` (tests/cli/modprobe-diff.sh
// runs the same files through both).
#include <catch2/catch.hpp>

#include "kmodx/modprobe_config.hpp"
#include "support/temp_dir.hpp"

using kmodx::ModprobeConfig;

namespace {

struct Messages final : kmodx::DiagnosticSink {
  void report(kmodx::Severity, std::string_view text) override { texts.emplace_back(text); }
  std::vector<std::string> texts;
};

ModprobeConfig parse(std::string_view text, Messages& messages) {
  ModprobeConfig config;
  kmodx::parse_modprobe_config_text(text, "t.conf", config, messages);
  return config;
}

}  // namespace

TEST_CASE("softdep lists and kmod's rendering of its token buffer", "[modprobe][config]") {
  Messages m;
  auto c = parse(
      "softdep m pre: a b post: c d\n"
      "softdep n  pre: a\n"
      "softdep o post: x pre: y post: z\n"
      "softdep p   pre: q\n"
      "softdep r x pre:  post:d\n",
      m);
  REQUIRE(c.softdeps.size() == 5);
  CHECK(c.softdeps[0].pre == std::vector<std::string>{"a", "b"});
  CHECK(c.softdeps[0].post == std::vector<std::string>{"c", "d"});
  CHECK(c.softdeps[0].rendered == "pre: a bpost: c d");
  // One blank too many sticks to "pre:", which is then no keyword.
  CHECK(c.softdeps[1].pre.empty());
  CHECK(c.softdeps[1].rendered.empty());
  CHECK(c.softdeps[2].rendered == "pre: ypost: x y z");
  CHECK(c.softdeps[3].pre == std::vector<std::string>{"q"});
  // Tokens before a keyword are dropped; "post:d" is an ordinary name.
  CHECK(c.softdeps[4].pre == std::vector<std::string>{"post:d"});
  CHECK(c.render() ==
        "softdep m pre: a bpost: c d\nsoftdep n \nsoftdep o pre: ypost: x y z\nsoftdep p pre: q\n"
        "softdep r pre: post:d\n");
  CHECK(m.texts.empty());
}

TEST_CASE("weakdep keeps a single leading blank in its first name", "[modprobe][config]") {
  Messages m;
  auto c = parse("weakdep a  b c\nweakdep d \t\nweakdep e f\n", m);
  REQUIRE(c.weakdeps.size() == 3);
  CHECK(c.weakdeps[0].post == std::vector<std::string>{" b", "c"});
  CHECK(c.weakdeps[1].post.empty());
  CHECK(c.render() == "weakdep a  b c\nweakdep d \nweakdep e f\n");
}

TEST_CASE("options keep leading blanks and turn tabs into spaces", "[modprobe][config]") {
  Messages m;
  auto c = parse("options snd-pcsp  index=-2\tx=1\noptions a\n", m);
  REQUIRE(c.options.size() == 1);
  CHECK(c.options[0].module == "snd_pcsp");
  CHECK(c.options[0].text == " index=-2 x=1");
  REQUIRE(m.texts.size() == 1);
  CHECK(m.texts[0] == "t.conf line 2: ignoring bad line starting with 'options'");
}

TEST_CASE("bad lines are reported with the last physical line and parsing goes on", "[modprobe][config]") {
  Messages m;
  auto c = parse(
      "bogus\n"
      "  # not a comment\n"
      "include x\n"
      "alias a\\\nb\n"
      "alias [x y\n"
      "blacklist b-c\n",
      m);
  CHECK(m.texts == std::vector<std::string>{
                       "t.conf line 1: ignoring bad line starting with 'bogus'",
                       "t.conf line 2: ignoring bad line starting with '#'",
                       "t.conf: command include is deprecated and not parsed anymore",
                       "t.conf line 5: ignoring bad line starting with 'alias'",
                       "t.conf line 6: ignoring bad line starting with 'alias'",
                   });
  CHECK(c.blacklist == std::vector<std::string>{"b_c"});
}

TEST_CASE("config files: one list sorted by name, first directory wins", "[modprobe][config]") {
  kmodx::test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "etc");
  std::filesystem::create_directories(dir.path() / "lib");
  std::filesystem::create_directories(dir.path() / "lib" / "sub.conf");
  std::filesystem::create_directories(dir.path() / "mod");
  dir.write("etc/b.conf", "alias from-etc-b m1\n");
  dir.write("lib/b.conf", "alias from-lib-b m2\n");
  dir.write("lib/a.conf", "alias from-lib-a m3\n");
  dir.write("lib/c.txt", "alias ignored m4\n");
  dir.write("lib/.d.conf", "alias hidden m5\n");
  dir.write("mod/modules.softdep", "softdep x pre: y\n");
  dir.write("lib/modules.softdep.conf", "alias after-softdep m6\n");
  Messages m;
  kmodx::ConfigSources sources;
  sources.paths = {dir.file("etc"), dir.file("lib")};
  sources.module_dir = dir.file("mod");
  sources.kernel_cmdline = "quiet m.p=1";
  auto c = kmodx::load_modprobe_config(sources, m);
  std::vector<std::string> patterns;
  for (const auto& a : c.aliases) patterns.push_back(a.pattern);
  CHECK(patterns == std::vector<std::string>{"from_lib_a", "from_etc_b", "after_softdep"});
  REQUIRE(c.softdeps.size() == 1);
  REQUIRE(c.options.size() == 1);
  CHECK(c.options[0].text == "p=1");
  REQUIRE(m.texts.size() == 1);
  CHECK(m.texts[0] == "Directories inside directories are not supported: " + dir.file("lib") + "/sub.conf");
}

TEST_CASE("runtime matching of config entries", "[modprobe][config]") {
  Messages m;
  auto c = parse(
      "options m a=1\noptions al b=2\noptions m  \noptions m c=3\n"
      "install m* echo first\ninstall m echo second\n"
      "softdep m pre: x\nsoftdep m pre: y\n"
      "blacklist m\n",
      m);
  // "options m  " stores one blank, which is not empty: kmod joins it too.
  CHECK(c.options_for("m", "") == "a=1   c=3");
  CHECK(c.options_for("m", "al") == "a=1 b=2   c=3");
  CHECK_FALSE(c.options_for("z", "").has_value());
  REQUIRE(c.install_for("m") != nullptr);
  CHECK(c.install_for("m")->text == "echo first");
  CHECK(c.softdep_for("m")->pre == std::vector<std::string>{"x"});
  CHECK(c.is_blacklisted("m"));
  CHECK_FALSE(c.is_blacklisted("m*"));
}
