// SPDX-License-Identifier: LGPL-2.1-or-later
// Stripping a private copy for a forced load through the image call
// (KMOD-SPEC §5.7), in all four ELF classes and byte orders.
#include <catch2/catch.hpp>

#include "kmodx/module_elf.hpp"
#include "loader/module_strip.hpp"
#include "support/elf_builder.hpp"

using namespace kmodx::test;

TEST_CASE("forced loads clear __versions' SHF_ALLOC and blank vermagic", "[loader][strip]") {
  for (bool is64 : {false, true}) {
    for (bool little : {false, true}) {
      auto image = ElfBuilder(is64, little)
                       .modinfo("license=GPL")
                       .modinfo("vermagic=6.1.0 SMP mod_unload")
                       .modinfo("name=kx")
                       .version("module_layout", 0x1234)
                       .build();
      image.set("__versions", Shdr::sh_flags, kShfAlloc | 0x4);
      std::vector<std::byte> copy = image.bytes();
      REQUIRE(kmodx::loader::strip_for_forced_load(copy, "kx.ko", true, true).ok());

      ElfImage stripped = image;
      stripped.bytes() = copy;
      CHECK(stripped.get("__versions", Shdr::sh_flags) == 0x4);
      auto elf = kmodx::ModuleElf::parse(copy, "kx.ko");
      REQUIRE(elf.ok());
      auto info = elf->modinfo();
      REQUIRE(info.ok());
      std::vector<std::string> keys;
      for (const auto& e : *info) keys.emplace_back(e.key);
      // The vermagic string became NULs: only the others remain.
      CHECK(keys == std::vector<std::string>{"license", "name"});
      // Nothing else changed size.
      CHECK(copy.size() == image.size());
    }
  }
}

TEST_CASE("stripping only what was asked, and a missing vermagic", "[loader][strip]") {
  auto image = ElfBuilder(true, true).modinfo("license=GPL").version("module_layout", 1).build();
  image.set("__versions", Shdr::sh_flags, kShfAlloc);
  std::vector<std::byte> copy = image.bytes();
  REQUIRE(kmodx::loader::strip_for_forced_load(copy, "kx.ko", true, false).ok());
  CHECK(copy != image.bytes());
  std::vector<std::byte> again = image.bytes();
  auto missing = kmodx::loader::strip_for_forced_load(again, "kx.ko", false, true);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ENODATA);
}
