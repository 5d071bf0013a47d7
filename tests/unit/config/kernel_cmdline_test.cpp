// SPDX-License-Identifier: LGPL-2.1-or-later
// The kernel command line as configuration (KMOD-SPEC §7.4); the cases are
// those of kmod's own testsuite (modprobe_param_kcmdline*).
#include <catch2/catch.hpp>

#include "kmodx/modprobe_config.hpp"

namespace {

struct Messages final : kmodx::DiagnosticSink {
  void report(kmodx::Severity, std::string_view text) override { texts.emplace_back(text); }
  std::vector<std::string> texts;
};

std::vector<std::string> options(std::string_view cmdline, Messages& m, kmodx::ModprobeConfig& c) {
  kmodx::parse_kernel_cmdline(cmdline, c, m);
  std::vector<std::string> out;
  for (const auto& o : c.options) out.push_back(o.module + " " + o.text);
  return out;
}

}  // namespace

TEST_CASE("module parameters on the kernel command line", "[modprobe][cmdline]") {
  Messages m;
  kmodx::ModprobeConfig c;
  CHECK(options("BOOT_IMAGE=/x initrd=\\x.img psmouse.foo psmouse.bar=1 quiet\n", m, c) ==
        std::vector<std::string>{"psmouse foo", "psmouse bar=1"});
  CHECK(m.texts.empty());
}

TEST_CASE("quoted values, bootloader quoting and ignored words", "[modprobe][cmdline]") {
  Messages m;
  kmodx::ModprobeConfig c;
  CHECK(options("psmouse.foobar=\"test 1\" psmouse.\"invalid option\" \" notamodule\" "
                "\"parport.dyndbg=file drivers/parport/ieee1284_ops.c +mpf\" testmodule.testparam=1.5G\n",
                m, c) == std::vector<std::string>{"psmouse foobar=\"test 1\"",
                                                  "parport dyndbg=\"file drivers/parport/ieee1284_ops.c +mpf\"",
                                                  "testmodule testparam=1.5G"});
}

TEST_CASE("a bad module name is reported and skipped", "[modprobe][cmdline]") {
  Messages m;
  kmodx::ModprobeConfig c;
  CHECK(options("ivrs_acpihid[14:00.5]=AMD0020:00 snd-hda.x=1", m, c) == std::vector<std::string>{"snd_hda x=1"});
  REQUIRE(m.texts.size() == 1);
  CHECK(m.texts[0] ==
        "Ignoring bad option on kernel command line while parsing module name: 'ivrs_acpihid[14:00'");
}

TEST_CASE("modprobe.blacklist= lists, empty pieces kept, not normalised", "[modprobe][cmdline]") {
  Messages m;
  kmodx::ModprobeConfig c;
  kmodx::parse_kernel_cmdline("modprobe.blacklist=foo,bar modprobe.blacklist=foo2,,a-b", c, m);
  CHECK(c.blacklist == std::vector<std::string>{"foo", "bar", "foo2", "", "a-b"});
  CHECK(c.options.empty());
}
