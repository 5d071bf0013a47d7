// SPDX-License-Identifier: LGPL-2.1-or-later
// The sim backend: loading, unloading, dependencies and the shared state.
#include "loader/sim/sim_backend.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include <catch2/catch.hpp>

#include "support/compress.hpp"
#include "unit/loader/sim/sim_fixture.hpp"

using namespace kmodx;
using namespace kmodx::test;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> names(const std::vector<ProcModule>& mods) {
  std::vector<std::string> out;
  for (const ProcModule& m : mods) out.push_back(m.name);
  return out;
}

// a exports a_sym; b uses it; c uses both a_sym and b_sym.
struct Chain : SimFixture {
  Chain() {
    a = module({.name = "mod_a", .uses = {"_printk"}, .versions = {{"_printk", 0x11111111}},
                .exports = {{.name = "a_sym"}}});
    b = module({.name = "mod_b", .uses = {"a_sym"}, .exports = {{.name = "b_sym"}}});
    c = module({.name = "mod_c", .uses = {"a_sym", "b_sym"}});
  }
  std::string a, b, c;
};

}  // namespace

TEST_CASE("sim: load, query and unload one module", "[sim]") {
  SimFixture f;
  auto k = f.open();
  CHECK(k->kind() == "sim");
  std::string path = f.module({.name = "hello"});
  KMODX_REQUIRE_OK(k->insert(req(path)));

  auto state = k->initstate("hello");
  KMODX_REQUIRE_OK(state);
  CHECK(*state == InitState::live);
  auto refs = k->refcnt("hello");
  KMODX_REQUIRE_OK(refs);
  CHECK(*refs == 0);
  auto size = k->size("hello");
  KMODX_REQUIRE_OK(size);
  CHECK(*size == 8192);  // .text (5000) + .exit.text (1), rounded up to pages; .init.* not counted
  auto mods = k->loaded_modules();
  KMODX_REQUIRE_OK(mods);
  REQUIRE(mods->size() == 1);
  CHECK((*mods)[0].name == "hello");
  CHECK((*mods)[0].holders == "-");
  CHECK((*mods)[0].state == "Live");

  KMODX_REQUIRE_OK(k->remove("hello", false));
  KMODX_CHECK_ERRNO(k->initstate("hello"), ENOENT);
  KMODX_CHECK_ERRNO(k->refcnt("hello"), ENOENT);
  KMODX_CHECK_ERRNO(k->size("hello"), ENOENT);
  KMODX_CHECK_ERRNO(k->remove("hello", false), ENOENT);
  mods = k->loaded_modules();
  KMODX_REQUIRE_OK(mods);
  CHECK(mods->empty());
}

TEST_CASE("sim: loading a loaded module is EEXIST and changes nothing", "[sim]") {
  SimFixture f;
  auto k = f.open();
  std::string path = f.module({.name = "hello"});
  KMODX_REQUIRE_OK(k->insert(req(path)));
  std::string before = f.read(f.state + "/modules");
  KMODX_CHECK_ERRNO(k->insert(req(path)), EEXIST);
  CHECK(f.read(f.state + "/modules") == before);
}

TEST_CASE("sim: compressed modules are read by magic", "[sim]") {
  SimFixture f;
  auto k = f.open();
  auto raw = build_module({.name = "zipped"});
  std::string path = f.tmp.write("zipped.ko.xz", xz_compress(raw));
  KMODX_REQUIRE_OK(k->insert(req(path)));
  CHECK(k->initstate("zipped").ok());
}

TEST_CASE("sim: an image that is not ELF is ENOEXEC", "[sim]") {
  SimFixture f;
  auto k = f.open();
  std::string path = f.tmp.write("junk.ko", std::string(200, 'x'));
  KMODX_CHECK_ERRNO(k->insert(req(path)), ENOEXEC);
  KMODX_CHECK_ERRNO(k->insert(req(f.tmp.file("missing.ko"))), ENOENT);
}

TEST_CASE("sim: users of exports become holders and hold references", "[sim]") {
  Chain f;
  auto k = f.open();
  KMODX_REQUIRE_OK(k->insert(req(f.a)));
  KMODX_REQUIRE_OK(k->insert(req(f.b)));
  KMODX_REQUIRE_OK(k->insert(req(f.c)));

  auto mods = k->loaded_modules();
  KMODX_REQUIRE_OK(mods);
  // Most recently loaded first, as /proc/modules; holders newest first.
  CHECK(names(*mods) == std::vector<std::string>{"mod_c", "mod_b", "mod_a"});
  CHECK((*mods)[2].holders == "mod_c,mod_b,");
  CHECK((*mods)[2].refcnt == 2);
  CHECK((*mods)[1].holders == "mod_c,");
  CHECK((*mods)[1].refcnt == 1);
  CHECK((*mods)[0].holders == "-");

  // holders() lists sys/module/mod_a/holders in directory order, as
  // libkmod reads it (kmod's lsmod over the state agrees).
  auto holders = k->holders("mod_a");
  KMODX_REQUIRE_OK(holders);
  std::vector<std::string> listed;
  for (const auto& e : fs::directory_iterator(f.state + "/sys/module/mod_a/holders"))
    listed.push_back(e.path().filename().string());
  CHECK(*holders == listed);
  std::sort(listed.begin(), listed.end());
  CHECK(listed == std::vector<std::string>{"mod_b", "mod_c"});
  CHECK(*k->refcnt("mod_a") == 2);
  CHECK(fs::is_symlink(f.state + "/sys/module/mod_a/holders/mod_b"));
  CHECK(f.read(f.state + "/sys/module/mod_a/refcnt") == "2\n");

  SECTION("a used module cannot be removed, not even by force") {
    KMODX_CHECK_ERRNO(k->remove("mod_a", false), EWOULDBLOCK);
    KMODX_CHECK_ERRNO(k->remove("mod_a", true), EWOULDBLOCK);
    CHECK(k->initstate("mod_a").ok());
  }
  SECTION("removing users drops their references") {
    KMODX_REQUIRE_OK(k->remove("mod_c", false));
    CHECK(*k->refcnt("mod_a") == 1);
    CHECK(*k->refcnt("mod_b") == 0);
    CHECK(*k->holders("mod_a") == std::vector<std::string>{"mod_b"});
    CHECK(!fs::exists(f.state + "/sys/module/mod_a/holders/mod_c"));
    KMODX_REQUIRE_OK(k->remove("mod_b", false));
    KMODX_REQUIRE_OK(k->remove("mod_a", false));
  }
}

TEST_CASE("sim: references from outside modules need force", "[sim]") {
  SimFixture f;
  auto k = f.open();
  KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "busy_mod"}))));
  f.write(f.state + "/busy", "busy_mod 2\n");
  CHECK(*k->refcnt("busy_mod") == 2);
  CHECK(k->holders("busy_mod")->empty());
  KMODX_CHECK_ERRNO(k->remove("busy_mod", false), EWOULDBLOCK);
  KMODX_REQUIRE_OK(k->remove("busy_mod", true));
  KMODX_CHECK_ERRNO(k->initstate("busy_mod"), ENOENT);

  SECTION("a kernel without forced unloading refuses") {
    KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "busy_mod"}))));
    f.write(f.state + "/config", "module_force_unload=n\n");
    KMODX_CHECK_ERRNO(k->remove("busy_mod", true), EWOULDBLOCK);
  }
}

TEST_CASE("sim: a module with init but no exit is permanent", "[sim]") {
  SimFixture f;
  auto k = f.open();
  KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "stuck", .exit = false}))));
  auto mods = k->loaded_modules();
  KMODX_REQUIRE_OK(mods);
  CHECK((*mods)[0].holders == "[permanent],");
  CHECK(f.read(f.state + "/proc/modules") == "stuck 8192 0 [permanent], Live 0x0000000000000000\n");
  KMODX_CHECK_ERRNO(k->remove("stuck", false), EBUSY);
  KMODX_REQUIRE_OK(k->remove("stuck", true));
}

TEST_CASE("sim: a module without init or exit can be removed", "[sim]") {
  SimFixture f;
  auto k = f.open();
  KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "lib_only", .init = false, .exit = false}))));
  CHECK(k->loaded_modules()->at(0).holders == "-");
  KMODX_REQUIRE_OK(k->remove("lib_only", false));
}

TEST_CASE("sim: /proc/modules and sysfs views", "[sim]") {
  Chain f;
  auto k = f.open();
  KMODX_REQUIRE_OK(k->insert(req(f.a)));
  KMODX_REQUIRE_OK(k->insert(req(f.b)));
  std::string oot = f.module({.name = "oot", .license = "Proprietary", .intree = false,
                              .parmtypes = {"level:int"}});
  KMODX_REQUIRE_OK(k->insert(req(oot, "level=0x10")));
  CHECK(f.read(f.state + "/proc/modules") ==
        "oot 8192 0 - Live 0x0000000000000000 (PO)\n"
        "mod_b 8192 0 - Live 0x0000000000000000\n"
        "mod_a 8192 1 mod_b, Live 0x0000000000000000\n");
  CHECK(f.read(f.state + "/sys/module/oot/initstate") == "live\n");
  CHECK(f.read(f.state + "/sys/module/oot/coresize") == "8192\n");
  CHECK(f.read(f.state + "/sys/module/oot/taint") == "PO\n");
  CHECK(f.read(f.state + "/sys/module/oot/parameters/level") == "16\n");
  CHECK(f.read(f.state + "/sys/module/mod_a/refcnt") == "1\n");
  CHECK(fs::is_directory(f.state + "/sys/module/mod_b/holders"));
  CHECK(fs::is_empty(f.state + "/sys/module/mod_b/holders"));

  // The views are what the linux backend reads: they must parse back.
  KMODX_REQUIRE_OK(k->remove("oot", false));
  CHECK(!fs::exists(f.state + "/sys/module/oot"));
  CHECK(f.read(f.state + "/proc/modules").find("oot") == std::string::npos);
}

TEST_CASE("sim: two backends on one state directory see each other", "[sim]") {
  Chain f;
  auto one = f.open();
  auto two = f.open();
  KMODX_REQUIRE_OK(one->insert(req(f.a)));
  CHECK(two->initstate("mod_a").ok());
  KMODX_REQUIRE_OK(two->insert(req(f.b)));  // resolves against one's module
  CHECK(*one->holders("mod_a") == std::vector<std::string>{"mod_b"});
  KMODX_CHECK_ERRNO(one->insert(req(f.b)), EEXIST);
  KMODX_REQUIRE_OK(one->remove("mod_b", false));
  KMODX_REQUIRE_OK(two->remove("mod_a", false));
  CHECK(one->loaded_modules()->empty());
}

TEST_CASE("sim: a corrupt state file is an error naming file and line", "[sim]") {
  SimFixture f;
  auto k = f.open();
  KMODX_REQUIRE_OK(k->insert(req(f.module({.name = "hello"}))));
  f.write(f.state + "/modules", "kmodx-sim-state 1\nmodule hello size=banana\n");
  auto r = k->loaded_modules();
  KMODX_CHECK_ERRNO(r, EBADMSG);
  REQUIRE(!r.ok());
  CHECK(r.error().detail.find(f.state + "/modules:2:") != std::string::npos);
  CHECK(r.error().detail.find("banana") != std::string::npos);
  KMODX_CHECK_ERRNO(k->insert(req(f.module({.name = "other"}))), EBADMSG);
  KMODX_CHECK_ERRNO(k->remove("hello", false), EBADMSG);
  // Nothing was lost: the bad file is still there for a human to look at.
  CHECK(f.read(f.state + "/modules") == "kmodx-sim-state 1\nmodule hello size=banana\n");

  f.write(f.state + "/modules", "something else\n");
  KMODX_CHECK_ERRNO(k->initstate("hello"), EBADMSG);
  f.write(f.state + "/busy", "hello lots\n");
  f.write(f.state + "/modules", "kmodx-sim-state 1\n");
  KMODX_CHECK_ERRNO(k->refcnt("hello"), EBADMSG);
}

TEST_CASE("sim: state directory is created, and a file in its place is an error", "[sim]") {
  SimFixture f;
  std::string deep = f.tmp.file("a/b/c/state");
  auto k = open_sim_backend(deep, f.module_dir, f.sink);
  KMODX_REQUIRE_OK(k);
  CHECK(fs::is_directory(deep));
  KMODX_REQUIRE_OK((*k)->insert(req(f.module({.name = "hello"}))));
  CHECK(fs::exists(deep + "/modules"));
  CHECK(fs::exists(deep + "/lock"));

  std::string file = f.tmp.write("plain-file", "x");
  KMODX_CHECK_ERRNO(open_sim_backend(file, f.module_dir, f.sink), ENOTDIR);
  auto under = open_sim_backend(file + "/state", f.module_dir, f.sink);
  CHECK(!under.ok());
}

TEST_CASE("sim: an unwritable state directory is an error", "[sim]") {
  if (::geteuid() == 0) {
    WARN("skipped: root can write anywhere");
    return;
  }
  SimFixture f;
  auto k = f.open();
  ::chmod(f.state.c_str(), 0555);
  auto r = k->insert(req(f.module({.name = "hello"})));
  ::chmod(f.state.c_str(), 0755);
  KMODX_CHECK_ERRNO(r, EACCES);
}
