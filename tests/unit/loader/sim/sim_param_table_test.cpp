// SPDX-License-Identifier: LGPL-2.1-or-later
// The simulated kernel's parameters: names from __param through its
// relocations (RELA and REL, all four ELF flavours), types from parmtype=.
#include "loader/sim/sim_param_table.hpp"

#include <catch2/catch.hpp>

#include "loader/sim/sim_module_scan.hpp"
#include "support/elf_builder.hpp"

using namespace kmodx::test;

namespace {

constexpr std::uint32_t kShtRela = 4;
constexpr std::uint32_t kShtRel = 9;

struct Reloc {
  std::uint64_t offset;
  std::uint64_t symbol;
  std::uint64_t addend;
};

/// A module with `parmtype=p_a:int` and a __param table of \p names' entries
/// whose name fields are relocated against the section symbol of .rodata
/// ("\0p_a\0p_cb\0": offsets 1 and 5), plus a relocation of the second
/// field (`mod`) that must be ignored.
ElfImage module_with_params(const ElfFormat& f, bool rela, std::vector<Reloc> relocs) {
  const std::size_t entry = f.is64 ? 40 : 20, ptr = f.is64 ? 8 : 4;
  std::string table(2 * entry, '\0');
  std::string rel;
  for (const Reloc& r : relocs) {
    const std::uint64_t info = f.is64 ? (r.symbol << 32) | 1 : (r.symbol << 8) | 1;
    rel += encode_uint(r.offset, ptr, f.little) + encode_uint(info, ptr, f.little);
    if (rela) rel += encode_uint(r.addend, ptr, f.little);
    else if (r.offset + ptr <= table.size()) table.replace(r.offset, ptr, encode_uint(r.addend, ptr, f.little));
  }
  ElfBuilder b(f);
  b.modinfo("name=kx_p").modinfo("parmtype=p_a:int").modinfo("license=GPL");
  b.add_section({".rodata", std::string("\0p_a\0p_cb\0", 10), kShtProgbits, kShfAlloc});
  b.add_section({"__param", table, kShtProgbits, kShfAlloc});
  b.add_section({rela ? ".rela__param" : ".rel__param", rel, rela ? kShtRela : kShtRel});
  b.symbol({"", 0, 0, kStbLocal, 3 /* STT_SECTION */, kShnUndef, ".rodata"});
  b.defined("__this_module", ".rodata");
  ElfImage image = b.build();
  const std::string_view rs = rela ? ".rela__param" : ".rel__param";
  image.set(rs, Shdr::sh_info, image.section_index("__param"));
  image.set(rs, Shdr::sh_link, image.section_index(".symtab"));
  return image;
}

std::vector<std::string> scanned(const ElfImage& image) {
  auto m = kmodx::loader::scan_module(image.span(), "kx_p.ko");
  REQUIRE(m.ok());
  std::vector<std::string> out;
  for (const auto& p : m->params) out.push_back(p.name + ":" + p.type);
  return out;
}

}  // namespace

TEST_CASE("sim params: names from __param, types from parmtype", "[sim]") {
  for (const ElfFormat& f : kAllElfFormats) {
    for (bool rela : {true, false}) {
      CAPTURE(f.name, rela);
      const std::uint64_t entry = f.is64 ? 40 : 20, ptr = f.is64 ? 8 : 4;
      // Symbol 1 is .rodata's section symbol, 2 is __this_module.
      const std::vector<Reloc> good{{0, 1, 1}, {ptr, 2, 0}, {entry, 1, 5}, {entry + ptr, 2, 0}};
      // p_cb has no parmtype= entry (module_param_cb): known, without a type.
      CHECK(scanned(module_with_params(f, rela, good)) == std::vector<std::string>{"p_a:int", "p_cb:"});

      // A table that cannot be read whole leaves the parmtype= entries.
      const std::vector<std::string> fallback{"p_a:int"};
      CHECK(scanned(module_with_params(f, rela, {{0, 1, 1}})) == fallback);             // second name missing
      CHECK(scanned(module_with_params(f, rela, {{0, 1, 1}, {entry, 9, 5}})) == fallback);  // no such symbol
      CHECK(scanned(module_with_params(f, rela, {{0, 1, 1}, {entry, 1, 99}})) == fallback);  // past .rodata
      CHECK(scanned(module_with_params(f, rela, {{0, 1, 1}, {entry, 1, 10}})) == fallback);  // just past .rodata
    }
  }
}
