// SPDX-License-Identifier: LGPL-2.1-or-later
// The checks the simulated kernel makes when loading: vermagic, symbols,
// modversions, GPL-only exports, namespaces, parameters, init failures.
#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include <catch2/catch.hpp>

#include "unit/loader/sim/sim_fixture.hpp"

using namespace kmodx;
using namespace kmodx::test;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string detail(const Result<void>& r) { return r.ok() ? std::string() : r.error().detail; }

std::string taint_of(SimFixture& f, const std::string& name) {
  return f.read(f.state + "/sys/module/" + name + "/taint");
}

}  // namespace

TEST_CASE("sim: vermagic must start with the release", "[sim]") {
  SimFixture f;
  auto k = f.open();
  std::string other = f.module({.name = "other_kernel", .vermagic = "5.10.0-9-amd64 SMP mod_unload modversions "});
  auto r = k->insert(req(other));
  KMODX_CHECK_ERRNO(r, ENOEXEC);
  CHECK(contains(detail(r), "other_kernel: version magic '5.10.0-9-amd64 SMP mod_unload modversions ' should be"));
  CHECK(contains(f.read(f.state + "/dmesg"), "version magic '5.10.0-9-amd64"));

  SECTION("ignoring vermagic loads it and taints F") {
    InsertRequest forced = req(other);
    forced.ignore_vermagic = true;
    KMODX_REQUIRE_OK(k->insert(forced));
    CHECK(taint_of(f, "other_kernel") == "F\n");
    CHECK(contains(f.read(f.state + "/proc/modules"), "other_kernel 8192 0 - Live 0x0000000000000000 (F)"));
  }
  SECTION("a kernel without forced loading refuses even then") {
    f.write(f.state + "/config", "module_force_load=n\n");
    InsertRequest forced = req(other);
    forced.ignore_vermagic = true;
    KMODX_CHECK_ERRNO(k->insert(forced), ENOEXEC);
  }
}

TEST_CASE("sim: a configured vermagic is compared like same_magic()", "[sim]") {
  SimFixture f;
  f.write(f.state + "/vermagic", "6.1.0-56-amd64 SMP preempt mod_unload modversions \n");
  auto k = f.open();
  KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "same"}))));
  KMODX_CHECK_ERRNO(k->insert(req(f.module({.name = "no_preempt", .vermagic = "6.1.0-56-amd64 SMP mod_unload "}))),
                    ENOEXEC);
  // With modversions the release word is not compared.
  KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "versioned",
                                           .vermagic = "6.1.0-99-amd64 SMP preempt mod_unload modversions ",
                                           .uses = {"_printk"},
                                           .versions = {{"_printk", 0x11111111}}}))));
}

TEST_CASE("sim: a module without vermagic needs forced loading", "[sim]") {
  SimFixture f;
  auto k = f.open();
  f.write(f.state + "/config", "module_force_load=n\n");
  std::string path = f.module({.name = "nomagic", .vermagic = ""});
  KMODX_CHECK_ERRNO(k->insert(req(path)), ENOEXEC);
  f.write(f.state + "/config", "module_force_load=y\n");
  KMODX_REQUIRE_OK(k->insert(req(path)));
  CHECK(taint_of(f, "nomagic") == "F\n");
}

TEST_CASE("sim: an unknown symbol is ENOENT and named", "[sim]") {
  SimFixture f;
  auto k = f.open();
  auto r = k->insert(req(f.module({.name = "needy", .uses = {"_printk", "no_such_symbol"}})));
  KMODX_CHECK_ERRNO(r, ENOENT);
  CHECK(contains(detail(r), "needy: Unknown symbol no_such_symbol (err -2)"));
  CHECK(contains(detail(r), "Module.symvers"));  // which kernel exports were used
  CHECK(contains(f.read(f.state + "/dmesg"), "needy: Unknown symbol no_such_symbol (err -2)"));
  KMODX_CHECK_ERRNO(k->initstate("needy"), ENOENT);

  SECTION("a weak undefined symbol may stay unresolved") {
    KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "weakling", .weak_uses = {"no_such_symbol"}}))));
  }
  SECTION("a module's own symbol in another module's Module.symvers line is not vmlinux's") {
    KMODX_CHECK_ERRNO(k->insert(req(f.module({.name = "wants_mod", .uses = {"some_module_sym"}}))), ENOENT);
  }
}

TEST_CASE("sim: CRC mismatches are EINVAL unless modversions are ignored", "[sim]") {
  SimFixture f;
  auto k = f.open();
  ModSpec spec{.name = "stale", .uses = {"_printk"}, .versions = {{"_printk", 0xdeadbeef}}};
  std::string path = f.module(spec);
  auto r = k->insert(req(path));
  KMODX_CHECK_ERRNO(r, EINVAL);
  CHECK(contains(detail(r), "stale: disagrees about version of symbol _printk"));
  CHECK(contains(detail(r), "stale: Unknown symbol _printk (err -22)"));

  InsertRequest forced = req(path);
  forced.ignore_modversions = true;
  KMODX_REQUIRE_OK(k->insert(forced));
  CHECK(taint_of(f, "stale") == "F\n");
  CHECK(contains(f.read(f.state + "/dmesg"), "stale: _printk: kernel tainted."));

  SECTION("without __versions, a symbol with a CRC forces the load (taint F)") {
    KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "unversioned", .uses = {"_printk"}}))));
    CHECK(taint_of(f, "unversioned") == "F\n");
    f.write(f.state + "/config", "module_force_load=n\n");
    KMODX_CHECK_ERRNO(k->insert(req(f.module({.name = "unversioned2", .uses = {"_printk"}}))), EINVAL);
  }
  SECTION("matching CRCs load untainted") {
    KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "fresh", .uses = {"_printk"},
                                             .versions = {{"_printk", 0x11111111}}}))));
    CHECK(taint_of(f, "fresh") == "\n");
  }
  SECTION("module exports are checked against their __crc_ too") {
    KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "provider", .exports = {{.name = "p_sym", .crc = 0x1234}}}))));
    KMODX_CHECK_ERRNO(k->insert(req(f.module({.name = "user_bad", .uses = {"p_sym"},
                                              .versions = {{"p_sym", 0x9999}}}))),
                      EINVAL);
    KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "user_ok", .uses = {"p_sym"},
                                             .versions = {{"p_sym", 0x1234}}}))));
    CHECK(*k->holders("provider") == std::vector<std::string>{"user_ok"});
  }
}

TEST_CASE("sim: GPL-only exports are invisible to non-GPL modules", "[sim]") {
  SimFixture f;
  auto k = f.open();
  // kernel/module/main.c find_exported_symbol_in_section(): GPL-only tables
  // are skipped when the module is tainted P, so the symbol is "unknown".
  auto r = k->insert(req(f.module({.name = "closed", .license = "Proprietary", .uses = {"gpl_only_func"}})));
  KMODX_CHECK_ERRNO(r, ENOENT);
  CHECK(contains(detail(r), "closed: Unknown symbol gpl_only_func (err -2)"));
  CHECK(contains(detail(r), "closed: module license 'Proprietary' taints kernel."));

  KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "open_mod", .license = "Dual MIT/GPL",
                                           .uses = {"gpl_only_func"},
                                           .versions = {{"gpl_only_func", 0x22222222}}}))));
  CHECK(taint_of(f, "open_mod") == "\n");

  SECTION("a module's __ksymtab_gpl exports likewise") {
    KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "gpl_lib", .exports = {{.name = "lib_fn", .gpl = true}}}))));
    KMODX_CHECK_ERRNO(k->insert(req(f.module({.name = "closed2", .license = "MIT", .uses = {"lib_fn"}}))), ENOENT);
    KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "gpl_user", .license = "GPL v2", .uses = {"lib_fn"}}))));
  }
}

TEST_CASE("sim: namespaced exports need import_ns", "[sim]") {
  SimFixture f;
  auto k = f.open();
  auto r = k->insert(req(f.module({.name = "no_import", .uses = {"ns_func"}})));
  KMODX_CHECK_ERRNO(r, EINVAL);
  CHECK(contains(detail(r), "no_import: module uses symbol (ns_func) from namespace MY_NS, but does not import it."));
  KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "importer", .uses = {"ns_func"}, .import_ns = {"MY_NS"}}))));

  SECTION("module exports carry their namespace from __kstrtabns_") {
    KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "ns_lib", .exports = {{.name = "nsl_fn", .ns = "LIB_NS"},
                                                                            {.name = "plain_fn"}}}))));
    KMODX_CHECK_ERRNO(k->insert(req(f.module({.name = "u1", .uses = {"nsl_fn"}}))), EINVAL);
    KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "u2", .uses = {"plain_fn"}}))));
    KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "u3", .uses = {"nsl_fn"}, .import_ns = {"LIB_NS"}}))));
    CHECK(*k->refcnt("ns_lib") == 2);
  }
}

TEST_CASE("sim: parameters", "[sim]") {
  SimFixture f;
  auto k = f.open();
  ModSpec spec{.name = "knobs",
               .parmtypes = {"debug:bool", "level:int", "name:charp", "ids:array of ushort", "mask:hexint"}};
  std::string path = f.module(spec);

  SECTION("good values are recorded as sysfs shows them") {
    KMODX_REQUIRE_OK(k->insert(req(path, "debug level=-3 name=\"two words\" ids=1,0x10,010 mask=255")));
    std::string p = f.state + "/sys/module/knobs/parameters/";
    CHECK(f.read(p + "debug") == "Y\n");
    CHECK(f.read(p + "level") == "-3\n");
    CHECK(f.read(p + "name") == "two words\n");
    CHECK(f.read(p + "ids") == "1,16,8\n");
    CHECK(f.read(p + "mask") == "0x0000ff\n");
  }
  SECTION("a malformed value is EINVAL and nothing stays loaded") {
    auto r = k->insert(req(path, "level=12abc"));
    KMODX_CHECK_ERRNO(r, EINVAL);
    CHECK(contains(detail(r), "knobs: `12abc' invalid for parameter `level'"));
    KMODX_CHECK_ERRNO(k->initstate("knobs"), ENOENT);
    KMODX_CHECK_ERRNO(k->insert(req(path, "debug=maybe")), EINVAL);
    KMODX_CHECK_ERRNO(k->insert(req(path, "level")), EINVAL);  // no value for an int
  }
  SECTION("out of range is ERANGE, as kstrtou16() returns") {
    KMODX_CHECK_ERRNO(k->insert(req(path, "ids=1,70000")), ERANGE);
  }
  SECTION("an unknown parameter is only a warning") {
    KMODX_REQUIRE_OK(k->insert(req(path, "bogus=1 level=7")));
    CHECK(contains(f.read(f.state + "/dmesg"), "knobs: unknown parameter 'bogus' ignored"));
    CHECK(f.read(f.state + "/sys/module/knobs/parameters/level") == "7\n");
    CHECK(!std::filesystem::exists(f.state + "/sys/module/knobs/parameters/bogus"));
  }
  SECTION("dashes match underscores, the last value wins") {
    ModSpec s2{.name = "dashes", .parmtypes = {"max_count:uint"}};
    KMODX_REQUIRE_OK(k->insert(req(f.module(s2), "max-count=1 max_count=2")));
    CHECK(f.read(f.state + "/sys/module/dashes/parameters/max_count") == "2\n");
  }
}

TEST_CASE("sim: a configured init failure unloads the module again", "[sim]") {
  SimFixture f;
  auto k = f.open();
  f.write(f.state + "/init-errors", "# module errno\nbroken 19\n");
  auto r = k->insert(req(f.module({.name = "broken"})));
  KMODX_CHECK_ERRNO(r, ENODEV);
  KMODX_CHECK_ERRNO(k->initstate("broken"), ENOENT);
  CHECK(k->loaded_modules()->empty());
  // Without an init function there is nothing to fail.
  KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "broken", .init = false}))));
}

TEST_CASE("sim: exporting a symbol someone already exports is ENOEXEC", "[sim]") {
  SimFixture f;
  auto k = f.open();
  KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "first", .exports = {{.name = "shared_fn"}}}))));
  auto r = k->insert(req(f.module({.name = "second", .exports = {{.name = "shared_fn"}}})));
  KMODX_CHECK_ERRNO(r, ENOEXEC);
  CHECK(contains(detail(r), "second: exports duplicate symbol shared_fn (owned by first)"));
  KMODX_CHECK_ERRNO(k->insert(req(f.module({.name = "third", .exports = {{.name = "_printk"}}}))), ENOEXEC);
}

TEST_CASE("sim: kernel export sources", "[sim]") {
  SimFixture f;
  std::filesystem::remove(f.state + "/Module.symvers");

  SECTION("builtin set: what modules.symbols does not list") {
    f.write(f.module_dir + "/modules.symbols", "# Aliases for symbols\nalias symbol:a_sym mod_a\n");
    auto k = f.open();
    auto r = k->insert(req(f.module({.name = "needs_a", .uses = {"a_sym", "anything_else"}})));
    KMODX_CHECK_ERRNO(r, ENOENT);
    CHECK(contains(detail(r), "needs_a: Unknown symbol a_sym (err -2)"));
    CHECK(!contains(detail(r), "anything_else"));
    CHECK(contains(f.read(f.state + "/kernel"), "builtin set"));
    KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "mod_a", .exports = {{.name = "a_sym"}}}))));
    KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "needs_a", .uses = {"a_sym", "anything_else"}}))));
    CHECK(*k->holders("mod_a") == std::vector<std::string>{"needs_a"});
  }
  SECTION("the headers' Module.symvers, vmlinux lines only") {
    std::filesystem::create_directories(f.module_dir + "/build");
    f.write(f.module_dir + "/build/Module.symvers",
            "0x00000001\tk_fn\tvmlinux\tEXPORT_SYMBOL\t\n0x00000002\tm_fn\tdrivers/x\tEXPORT_SYMBOL\t\n");
    auto k = f.open();
    KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "u1", .uses = {"k_fn"}}))));
    KMODX_CHECK_ERRNO(k->insert(req(f.module({.name = "u2", .uses = {"m_fn"}}))), ENOENT);
    CHECK(contains(f.read(f.state + "/kernel"), f.module_dir + "/build/Module.symvers"));
  }
  SECTION("System.map: names only") {
    f.write(f.state + "/System.map", "ffffffff81000000 T map_fn\n");
    auto k = f.open();
    KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "u1", .uses = {"map_fn"},
                                             .versions = {{"map_fn", 0x5}}}))));
    KMODX_CHECK_ERRNO(k->insert(req(f.module({.name = "u2", .uses = {"other_fn"}}))), ENOENT);
  }
  SECTION("a malformed Module.symvers is EBADMSG with its line") {
    f.write(f.state + "/Module.symvers", "0x1\tok\tvmlinux\tEXPORT_SYMBOL\t\ngarbage\n");
    auto k = f.open();
    auto r = k->insert(req(f.module({.name = "u1"})));
    KMODX_CHECK_ERRNO(r, EBADMSG);
    CHECK(contains(detail(r), f.state + "/Module.symvers:2"));
  }
}

TEST_CASE("sim: backend selection", "[sim]") {
  auto linux_spec = parse_backend_spec("linux");
  KMODX_REQUIRE_OK(linux_spec);
  CHECK(linux_spec->kind == BackendSpec::Kind::linux);
  auto sim = parse_backend_spec("sim");
  KMODX_REQUIRE_OK(sim);
  CHECK(sim->kind == BackendSpec::Kind::sim);
  CHECK(sim->state_dir.empty());
  auto sim_dir = parse_backend_spec("sim:/tmp/x y");
  KMODX_REQUIRE_OK(sim_dir);
  CHECK(sim_dir->state_dir == "/tmp/x y");
  KMODX_CHECK_ERRNO(parse_backend_spec("sim:"), EINVAL);
  KMODX_CHECK_ERRNO(parse_backend_spec("simulated"), EINVAL);
  KMODX_CHECK_ERRNO(parse_backend_spec(""), EINVAL);

  CHECK(default_sim_state_dir("/lib/modules/6.1.0-56-amd64") == "/lib/modules/6.1.0-56-amd64/.kmodx-sim");
  CHECK(default_sim_state_dir("/lib/modules/6.1.0-56-amd64/") == "/lib/modules/6.1.0-56-amd64/.kmodx-sim");

  const char* saved = std::getenv("KMODX_BACKEND");
  std::string saved_value = saved ? saved : "";
  ::setenv("KMODX_BACKEND", "sim:/var/tmp/s", 1);
  CHECK(select_backend(std::nullopt)->state_dir == "/var/tmp/s");
  CHECK(select_backend(std::string("linux"))->kind == BackendSpec::Kind::linux);
  ::setenv("KMODX_BACKEND", "bogus", 1);
  KMODX_CHECK_ERRNO(select_backend(std::nullopt), EINVAL);
  ::unsetenv("KMODX_BACKEND");
  CHECK(select_backend(std::nullopt)->kind == BackendSpec::Kind::linux);
  if (saved) ::setenv("KMODX_BACKEND", saved_value.c_str(), 1);

  SimFixture f;
  auto k = open_backend(*sim, f.module_dir, f.sink);
  KMODX_REQUIRE_OK(k);
  CHECK((*k)->kind() == "sim");
  KMODX_REQUIRE_OK((*k)->insert(req(f.module({.name = "hello"}))));
  CHECK(std::filesystem::exists(f.module_dir + "/.kmodx-sim/modules"));
}
