// SPDX-License-Identifier: LGPL-2.1-or-later
// Module state read as libkmod reads it (KMOD-SPEC §8.3), from a fake
// /proc/modules and /sys/module tree.
#include <catch2/catch.hpp>

#include <filesystem>

#include "loader/sysfs_state.hpp"
#include "support/temp_dir.hpp"

TEST_CASE("/proc/modules lines", "[loader][sysfs]") {
  auto modules = kmodx::loader::parse_proc_modules(
      "btusb 11216 0 - Live 0xffffffffc0a00000\n"
      "fat 86016 2 vfat,msdos, Live 0x0000000000000000\n"
      "nounload 4096 - [permanent], Live 0x0\n"
      "short\n");
  REQUIRE(modules.size() == 3);
  CHECK(modules[0].name == "btusb");
  CHECK(modules[0].size == 11216);
  CHECK(modules[1].refcnt == 2);
  CHECK(modules[1].holders == "vfat,msdos,");
  CHECK(modules[2].refcnt == -1);
  CHECK(modules[2].state == "Live");
}

TEST_CASE("initstate, refcnt, holders and size from sysfs", "[loader][sysfs]") {
  kmodx::test::TempDir dir;
  namespace fs = std::filesystem;
  fs::create_directories(dir.path() / "sys/fat/holders/vfat");
  fs::create_directories(dir.path() / "sys/coming");
  fs::create_directories(dir.path() / "sys/odd");
  dir.write("sys/fat/initstate", "live\n");
  dir.write("sys/fat/refcnt", "1\n");
  dir.write("sys/odd/initstate", "weird\n");
  dir.write("proc", "fat 86016 1 vfat, Live 0x0\n");
  kmodx::loader::SysfsState state(dir.file("proc"), dir.file("sys"));
  CHECK(*state.initstate("fat") == kmodx::InitState::live);
  CHECK(*state.initstate("coming") == kmodx::InitState::coming);
  CHECK(state.initstate("absent").error().code == ENOENT);
  CHECK(state.initstate("odd").error().code == EINVAL);
  CHECK(*state.refcnt("fat") == 1);
  CHECK(state.refcnt("coming").error().code == ENOENT);
  CHECK(*state.holders("fat") == std::vector<std::string>{"vfat"});
  // No coresize: the /proc/modules column.
  CHECK(*state.size("fat") == 86016);
  CHECK(state.size("absent").error().code == ENOENT);
}
