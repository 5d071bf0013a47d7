// SPDX-License-Identifier: LGPL-2.1-or-later
// Taints and signatures in the simulated kernel: the kernel-wide mask
// (proc/sys/kernel/tainted), the first-time messages, CONFIG_MODULE_SIG's
// E taint and sig_enforce's refusal. Expected texts are the kernel's
// (kernel/module/main.c, signing.c; the VM test compares them with a real
// Debian kernel).
#include <cerrno>
#include <filesystem>

#include <catch2/catch.hpp>

#include "loader/sim/sim_state.hpp"
#include "unit/loader/sim/sim_fixture.hpp"

using namespace kmodx;
using namespace kmodx::test;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

std::string detail(const Result<void>& r) { return r.ok() ? std::string() : r.error().detail; }

constexpr unsigned long kP = 1UL << 0, kF = 1UL << 1, kR = 1UL << 3, kO = 1UL << 12, kE = 1UL << 13;

}  // namespace

TEST_CASE("sim: taint letters map onto the kernel's bits", "[sim]") {
  CHECK(loader::taint_bit('P') == 0);
  CHECK(loader::taint_bit('F') == 1);
  CHECK(loader::taint_bit('R') == 3);
  CHECK(loader::taint_bit('C') == 10);
  CHECK(loader::taint_bit('O') == 12);
  CHECK(loader::taint_bit('E') == 13);
  CHECK(loader::taint_bit('K') == 15);
  CHECK(loader::taint_bit('N') == 18);
  CHECK(loader::taint_bit('Z') == -1);
}

TEST_CASE("sim: the kernel's taint mask and its first-time messages", "[sim]") {
  SimFixture f;
  auto k = f.open();
  KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "clean"}))));
  CHECK(f.read(f.state + "/proc/sys/kernel/tainted") == "0\n");

  KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "oot_one", .intree = false}))));
  KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "oot_two", .intree = false}))));
  KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "closed", .license = "Proprietary"}))));
  const std::string dmesg = f.read(f.state + "/dmesg");
  // "loading out-of-tree module taints kernel." only while the kernel has
  // no O taint yet; every such module still carries the flag.
  CHECK(count(dmesg, "loading out-of-tree module taints kernel.") == 1);
  CHECK(contains(dmesg, "oot_one: loading out-of-tree module taints kernel."));
  CHECK(contains(dmesg, "closed: module license 'Proprietary' taints kernel."));
  CHECK(f.read(f.state + "/sys/module/oot_two/taint") == "O\n");
  CHECK(contains(f.read(f.state + "/proc/modules"), "oot_two 8192 0 - Live 0x0000000000000000 (O)"));
  CHECK(f.read(f.state + "/proc/sys/kernel/tainted") == std::to_string(kO | kP) + "\n");

  SECTION("the mask outlives the modules") {
    KMODX_REQUIRE_OK(k->remove("oot_one", false));
    KMODX_REQUIRE_OK(k->remove("oot_two", false));
    KMODX_REQUIRE_OK(k->remove("closed", false));
    CHECK(f.read(f.state + "/proc/sys/kernel/tainted") == std::to_string(kO | kP) + "\n");
    // and a reopened state reads it back
    auto again = f.open();
    KMODX_REQUIRE_OK(again->insert(req(f.module({.name = "oot_three", .intree = false}))));
    CHECK(count(f.read(f.state + "/dmesg"), "loading out-of-tree module taints kernel.") == 1);
  }
  SECTION("a forced removal adds R") {
    KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "no_exit", .exit = false}))));
    KMODX_REQUIRE_OK(k->remove("no_exit", true));
    CHECK(f.read(f.state + "/proc/sys/kernel/tainted") == std::to_string(kO | kP | kR) + "\n");
  }
}

TEST_CASE("sim: live patches taint K, test modules N", "[sim]") {
  SimFixture f;
  auto k = f.open();
  KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "patch_one", .extra_modinfo = {"livepatch=Y"}}))));
  KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "patch_two", .extra_modinfo = {"livepatch=Y"}}))));
  KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "kunit_case", .extra_modinfo = {"test=Y"}}))));
  const std::string dmesg = f.read(f.state + "/dmesg");
  CHECK(count(dmesg, "tainting kernel with TAINT_LIVEPATCH") == 1);
  CHECK(contains(dmesg, "patch_one: tainting kernel with TAINT_LIVEPATCH\n"));
  CHECK(contains(dmesg, "kunit_case: loading test module taints kernel.\n"));
  CHECK(f.read(f.state + "/sys/module/patch_two/taint") == "K\n");
  CHECK(f.read(f.state + "/sys/module/kunit_case/taint") == "N\n");
  CHECK(f.read(f.state + "/proc/sys/kernel/tainted") == std::to_string((1UL << 15) | (1UL << 18)) + "\n");
}

TEST_CASE("sim: a load that fails later still taints", "[sim]") {
  SimFixture f;
  auto k = f.open();
  // load_module() taints in check_modinfo(), before symbols are resolved.
  KMODX_CHECK_ERRNO(k->insert(req(f.module({.name = "oot_broken", .intree = false, .uses = {"no_such_symbol"}}))),
                    ENOENT);
  CHECK(f.read(f.state + "/proc/modules").empty());
  CHECK(f.read(f.state + "/proc/sys/kernel/tainted") == std::to_string(kO) + "\n");

  SECTION("forcing taints F") {
    InsertRequest forced = req(f.module({.name = "forced", .vermagic = ""}));
    KMODX_REQUIRE_OK(k->insert(forced));
    CHECK(f.read(f.state + "/proc/sys/kernel/tainted") == std::to_string(kO | kF) + "\n");
  }
}

TEST_CASE("sim: CONFIG_MODULE_SIG and sig_enforce", "[sim]") {
  SimFixture f;
  SECTION("without module_sig nothing is checked") {
    auto k = f.open();
    KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "plain"}))));
    CHECK(f.read(f.state + "/sys/module/plain/taint") == "\n");
  }
  SECTION("module_sig: an unsigned module loads and taints E, the message once") {
    f.write(f.state + "/config", "module_sig=y\n");
    auto k = f.open();
    KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "unsigned_one"}))));
    KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "unsigned_two", .intree = false}))));
    const std::string dmesg = f.read(f.state + "/dmesg");
    CHECK(contains(dmesg, "unsigned_one: module verification failed: signature and/or required key missing - "
                          "tainting kernel\n"));
    CHECK(count(dmesg, "module verification failed") == 1);
    // The out-of-tree message comes first (check_modinfo() runs before).
    CHECK(dmesg.find("unsigned_two: loading out-of-tree") != std::string::npos);
    CHECK(f.read(f.state + "/sys/module/unsigned_one/taint") == "E\n");
    CHECK(f.read(f.state + "/sys/module/unsigned_two/taint") == "OE\n");
    CHECK(contains(f.read(f.state + "/proc/modules"), "unsigned_two 8192 0 - Live 0x0000000000000000 (OE)"));
    CHECK(f.read(f.state + "/proc/sys/kernel/tainted") == std::to_string(kO | kE) + "\n");
  }
  SECTION("sig_enforce: an unsigned module is refused with EKEYREJECTED") {
    f.write(f.state + "/config", "sig_enforce=y\n");
    auto k = f.open();
    KMODX_CHECK_ERRNO(k->insert(req(f.module({.name = "unsigned_mod"}))), EKEYREJECTED);
    CHECK(contains(f.read(f.state + "/dmesg"), "Loading of unsigned module is rejected\n"));
    CHECK_FALSE(std::filesystem::exists(f.state + "/sys/module/unsigned_mod"));
  }
  SECTION("a malformed signature is refused even without sig_enforce") {
    f.write(f.state + "/config", "module_sig=y\n");
    auto bytes = build_module({.name = "bad_sig"});
    // A PKCS#7 trailer whose info has a non-zero signer length.
    const std::string trailer = std::string("\x30\x00", 2) + std::string("\0\0\x02\x01\0\0\0\0\0\0\0\x02", 12) +
                                "~Module signature appended~\n";
    for (char c : trailer) bytes.push_back(static_cast<std::byte>(c));
    const std::string path = f.tmp.write("bad_sig.ko", bytes);
    auto k = f.open();
    KMODX_CHECK_ERRNO(k->insert(req(path)), EBADMSG);
  }
  SECTION("a bad config value names the file") {
    f.write(f.state + "/config", "sig_enforce=maybe\n");
    auto k = f.open();
    auto r = k->insert(req(f.module({.name = "x"})));
    KMODX_CHECK_ERRNO(r, EBADMSG);
    CHECK(contains(detail(r), "/config:1"));
  }
}
