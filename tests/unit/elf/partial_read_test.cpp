// SPDX-License-Identifier: LGPL-2.1-or-later
// ModuleImage with only_module_sections: what the module readers see must
// not change, code and relocations must really be skipped, and damage must
// fall back to reading the whole file.
#include <algorithm>
#include <cstring>
#include <string>

#include <catch2/catch.hpp>

#include "elf/partial_read.hpp"
#include "kmodx/module_elf.hpp"
#include "kmodx/module_image.hpp"
#include "support/elf_builder.hpp"
#include "support/result_helpers.hpp"
#include "support/temp_dir.hpp"

using namespace kmodx;
using namespace kmodx::test;

namespace {

constexpr std::uint32_t kShtRela = 4;
constexpr std::uint64_t kShfExecInstr = 0x4;

// A module with code and relocations around the sections that matter; their
// contents are recognisable so a test can tell whether they were read.
ElfImage sample(const ElfFormat& fmt) {
  return ElfBuilder(fmt)
      .add_section({".text", std::string(40000, 'T'), kShtProgbits, kShfAlloc | kShfExecInstr, 0, true})
      .add_section({".rela.text", std::string(30000, 'R'), kShtRela, 0, 0, true})
      .modinfo("license=GPL")
      .modinfo("alias=pci:v*d*")
      .version("printk", 0x1234)
      .version("kfree", 0x5678)
      .export_kcrctab_crc("my_export", 0xabcdef01)
      .defined("my_export", ".text")
      .undefined("printk")
      .undefined("kfree")
      .add_section({".BTF", std::string(20000, 'B'), kShtProgbits, 0, 0, false})
      .build();
}

struct Seen {
  std::vector<ModinfoEntry> modinfo;
  std::vector<ModuleSymbol> exports, needs;
};

Seen read_with(const std::string& path, bool partial, std::string& keep) {
  OpenOptions options;
  options.only_module_sections = partial;
  auto image = ModuleImage::open(path, options);
  REQUIRE(image.ok());
  keep.assign(reinterpret_cast<const char*>(image->bytes().data()), image->bytes().size());
  auto elf = ModuleElf::parse(std::as_bytes(std::span(keep)), path);
  REQUIRE(elf.ok());
  Seen seen;
  seen.modinfo = elf->modinfo().value();
  seen.exports = elf->exports().value();
  seen.needs = elf->dependencies().value();
  return seen;
}

bool same_symbols(const std::vector<ModuleSymbol>& a, const std::vector<ModuleSymbol>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].name != b[i].name || a[i].crc != b[i].crc || a[i].bind != b[i].bind) return false;
  return true;
}

}  // namespace

TEST_CASE("partial read: the module readers see the same as with a full read", "[elf][io]") {
  const ElfFormat fmt = GENERATE(from_range(kAllElfFormats));
  INFO("format " << fmt.name);
  TempDir dir;
  ElfImage img = sample(fmt);
  const std::string path = dir.write("m.ko", img.span());
  std::string full_bytes, partial_bytes;
  Seen full = read_with(path, false, full_bytes);
  Seen partial = read_with(path, true, partial_bytes);
  REQUIRE(full.modinfo.size() == 2);
  CHECK(partial.modinfo.size() == full.modinfo.size());
  for (std::size_t i = 0; i < full.modinfo.size(); ++i) {
    CHECK(partial.modinfo[i].key == full.modinfo[i].key);
    CHECK(partial.modinfo[i].value == full.modinfo[i].value);
  }
  REQUIRE(full.exports.size() == 1);
  CHECK(full.exports[0].crc == 0xabcdef01);
  CHECK(same_symbols(partial.exports, full.exports));
  REQUIRE(full.needs.size() == 2);
  CHECK(same_symbols(partial.needs, full.needs));

}

TEST_CASE("partial read: code, relocations and BTF are never read", "[elf][io]") {
  const ElfFormat fmt = GENERATE(from_range(kAllElfFormats));
  INFO("format " << fmt.name);
  ElfImage img = sample(fmt);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> reads;  // [begin, end)
  std::vector<std::byte> image(img.size());
  auto read_at = [&](std::uint64_t offset, std::size_t length, std::byte* dest) {
    reads.emplace_back(offset, offset + length);
    std::memcpy(dest, img.bytes().data() + offset, length);
    return true;
  };
  REQUIRE(elf::read_module_parts(image.data(), image.size(), read_at));
  // A handful of reads, not one per section.
  CHECK(reads.size() <= 6);
  for (std::string_view skipped : {".text", ".rela.text", ".BTF"}) {
    INFO(skipped);
    // The first read is a 64-byte header probe, which for ELF32 (52-byte
    // header) takes the first bytes of the section after it.
    const std::uint64_t begin = std::max<std::uint64_t>(img.section_offset(skipped), 64);
    const std::uint64_t end = img.section_offset(skipped) + img.section_size(skipped);
    for (auto [b, e] : reads) CHECK((e <= begin || b >= end));
  }
  for (std::string_view needed : {".modinfo", "__versions", "__kcrctab", ".symtab", ".strtab", ".shstrtab"}) {
    INFO(needed);
    const std::uint64_t begin = img.section_offset(needed), end = begin + img.section_size(needed);
    bool covered = false;
    for (auto [b, e] : reads) covered = covered || (b <= begin && end <= e);
    CHECK(covered);
  }
}

TEST_CASE("partial read: a section table outside the file falls back to a full read", "[elf][io]") {
  TempDir dir;
  ElfImage img = sample(kAllElfFormats[2]);
  img.set(Ehdr::e_shoff, img.size() + 100);
  const std::string path = dir.write("bad.ko", img.span());
  OpenOptions options;
  options.only_module_sections = true;
  auto image = ModuleImage::open(path, options);
  REQUIRE(image.ok());
  REQUIRE(image->bytes().size() == img.size());
  CHECK(std::memcmp(image->bytes().data(), img.bytes().data(), img.size()) == 0);
  // ...and the parser reports the damage as it would for a full read.
  CHECK_FALSE(ModuleElf::parse(image->bytes(), path).ok());
}

TEST_CASE("partial read: a CRC kept in a skipped section is still read from the file", "[elf][io]") {
  const ElfFormat fmt = GENERATE(from_range(kAllElfFormats));
  INFO("format " << fmt.name);
  // __crc_odd points 8 bytes into an executable section, which a partial
  // read skips unless a __crc_ symbol needs it.
  std::string code(64, '\0');
  const unsigned char crc_le[] = {0x78, 0x56, 0x34, 0x12}, crc_be[] = {0x12, 0x34, 0x56, 0x78};
  std::memcpy(code.data() + 8, fmt.little ? crc_le : crc_be, 4);
  ElfImage img = ElfBuilder(fmt)
                     .add_section({".text.odd", code, kShtProgbits, kShfAlloc | kShfExecInstr, 0, true})
                     .defined("__crc_odd", ".text.odd", 8)
                     .modinfo("license=GPL")
                     .build();
  TempDir dir;
  const std::string path = dir.write("odd.ko", img.span());
  std::string full_bytes, partial_bytes;
  // A full read first, so a stale buffer would hold the right bytes only
  // if the partial read left them alone: overwrite them in between.
  Seen full = read_with(path, false, full_bytes);
  TempDir other;
  std::string junk_bytes;
  read_with(other.write("junk.ko", sample(fmt).span()), false, junk_bytes);
  Seen partial = read_with(path, true, partial_bytes);
  REQUIRE(full.exports.size() == 1);
  CHECK(full.exports[0].crc == 0x12345678);
  CHECK(same_symbols(partial.exports, full.exports));
}
