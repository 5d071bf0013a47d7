// SPDX-License-Identifier: LGPL-2.1-or-later
// ModuleElf on malformed images: the errno of KMOD-SPEC §5.1, sections that
// lie about their extent, and truncation at every boundary. None may crash.
#include "kmodx/module_elf.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/elf_builder.hpp"
#include "support/result_helpers.hpp"

using namespace std::string_literals;
using kmodx::ModuleElf;
using namespace kmodx::test;

namespace {

#define FOR_EACH_ELF_FORMAT()                                 \
  const ElfFormat fmt = GENERATE(from_range(kAllElfFormats)); \
  INFO("format " << fmt.name)

constexpr const char* kFile = "/lib/modules/6.1.0/kernel/drivers/broken-module.ko";

// An image with every section the reader looks at.
ElfBuilder rich_builder(const ElfFormat& fmt) {
  ElfBuilder b(fmt);
  const std::vector<std::uint8_t> id{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8};
  b.modinfo("license=GPL")
      .modinfo("depends=")
      .modinfo("name=rich")
      .ksymtab_string("exported_fn")
      .ksymtab_string("other_fn")
      .version("module_layout", 0xaaaa)
      .version("printk", 0x1111)
      .build_id(id)
      .defined("exported_fn", ".modinfo")
      .export_abs_crc("exported_fn", 0x1234)
      .export_kcrctab_crc("other_fn", 0x5678)
      .undefined("printk")
      .weak("maybe");
  return b;
}

// Checks that parse() fails with \p code and a detail that names the file.
void check_parse_error(std::span<const std::byte> bytes, int code) {
  auto r = ModuleElf::parse(bytes, kFile);
  INFO(describe(r));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().detail.empty());
  CHECK(r.error().detail.find(kFile) != std::string::npos);
}

void check_parse_error(const ElfImage& img, int code) { check_parse_error(img.span(), code); }

// Calls every accessor; used where only "does not crash" is required.
void exercise(const ModuleElf& elf) {
  (void)elf.is_64bit();
  (void)elf.is_little_endian();
  (void)elf.machine();
  auto a = elf.modinfo();
  auto b = elf.versions();
  auto c = elf.exports();
  auto d = elf.dependencies();
  (void)elf.build_id();
}

}  // namespace

// ---- identification ----------------------------------------------------------

TEST_CASE("malformed: no ELF magic is ENOEXEC", "[elf]") {
  FOR_EACH_ELF_FORMAT();
  ElfImage img = rich_builder(fmt).build();
  const std::size_t pos = GENERATE(0, 1, 2, 3);
  img.put(pos, "X");
  INFO("magic byte " << pos << " changed");
  check_parse_error(img, ENOEXEC);
}

TEST_CASE("malformed: arbitrary non-ELF data is ENOEXEC", "[elf]") {
  check_parse_error(to_bytes(std::string(200, '\0')), ENOEXEC);
  check_parse_error(to_bytes("#!/bin/sh\necho this is not a module\n"), ENOEXEC);
  check_parse_error(to_bytes("\x7f" "ELG" + std::string(100, '\x01')), ENOEXEC);
}

TEST_CASE("malformed: 16 bytes or fewer is ENOEXEC even with the magic", "[elf]") {
  FOR_EACH_ELF_FORMAT();
  ElfImage img = rich_builder(fmt).build();
  const std::size_t n = GENERATE(0, 1, 3, 4, 5, 15, 16);
  INFO("size " << n);
  std::vector<std::byte> cut(img.bytes().begin(), img.bytes().begin() + n);
  check_parse_error(cut, ENOEXEC);
}

TEST_CASE("malformed: EI_CLASS other than 1 or 2 is EINVAL", "[elf]") {
  FOR_EACH_ELF_FORMAT();
  ElfImage img = rich_builder(fmt).build();
  const std::uint8_t cls = GENERATE(0, 3, 0x7f, 0xff);
  img.set(Ehdr::ei_class, cls);
  INFO("class " << int(cls));
  check_parse_error(img, EINVAL);
}

TEST_CASE("malformed: EI_DATA other than 1 or 2 is EINVAL", "[elf]") {
  FOR_EACH_ELF_FORMAT();
  ElfImage img = rich_builder(fmt).build();
  const std::uint8_t data = GENERATE(0, 3, 0xff);
  img.set(Ehdr::ei_data, data);
  INFO("data " << int(data));
  check_parse_error(img, EINVAL);
}

TEST_CASE("malformed: a file not larger than the ELF header is EINVAL", "[elf]") {
  FOR_EACH_ELF_FORMAT();
  ElfImage img = rich_builder(fmt).build();
  const std::size_t header = fmt.is64 ? 64 : 52;
  const std::size_t n = GENERATE_COPY(17, 40, header - 1, header);
  INFO("size " << n);
  std::vector<std::byte> cut(img.bytes().begin(), img.bytes().begin() + n);
  check_parse_error(cut, EINVAL);
}

// ---- section header table ----------------------------------------------------

TEST_CASE("malformed: e_shentsize must be 40 / 64", "[elf]") {
  FOR_EACH_ELF_FORMAT();
  ElfImage img = rich_builder(fmt).build();
  const std::uint16_t other = fmt.is64 ? 40 : 64;
  const std::uint16_t bad = GENERATE_COPY(0, 1, other, 41, 65, 128, 0xffff);
  img.set(Ehdr::e_shentsize, bad);
  INFO("e_shentsize " << bad);
  check_parse_error(img, EINVAL);
}

TEST_CASE("malformed: section header table past EOF is EINVAL", "[elf]") {
  FOR_EACH_ELF_FORMAT();
  ElfImage img = rich_builder(fmt).build();
  const std::uint64_t max_off = fmt.is64 ? 0xffffffffffffffffULL : 0xffffffffULL;
  SECTION("e_shoff one byte too far") { img.set(Ehdr::e_shoff, img.shdr_table_offset() + 1); }
  SECTION("e_shoff at EOF") { img.set(Ehdr::e_shoff, img.size()); }
  SECTION("e_shoff huge (offset + size overflows)") { img.set(Ehdr::e_shoff, max_off - 8); }
  SECTION("e_shnum one too many") { img.set(Ehdr::e_shnum, img.section_count() + 1); }
  SECTION("e_shnum 0xffff") { img.set(Ehdr::e_shnum, 0xffff); }
  SECTION("file truncated by one byte") { img.truncate(img.size() - 1); }
  check_parse_error(img, EINVAL);
}

TEST_CASE("malformed: e_shstrndx must name a section", "[elf]") {
  FOR_EACH_ELF_FORMAT();
  ElfImage img = rich_builder(fmt).build();
  SECTION("e_shstrndx 0") { img.set(Ehdr::e_shstrndx, 0); }
  SECTION("e_shstrndx == e_shnum") { img.set(Ehdr::e_shstrndx, img.section_count()); }
  SECTION("e_shstrndx 0xffff") { img.set(Ehdr::e_shstrndx, 0xffff); }
  SECTION("no sections at all") {
    img.set(Ehdr::e_shnum, 0);
    img.set(Ehdr::e_shstrndx, 0);
  }
  check_parse_error(img, EINVAL);
}

TEST_CASE("malformed: the section name table must lie in the file and end in NUL", "[elf]") {
  FOR_EACH_ELF_FORMAT();
  ElfImage img = rich_builder(fmt).build();
  const std::size_t size = img.section_size(".shstrtab");
  SECTION("sh_offset past EOF") { img.set(".shstrtab", Shdr::sh_offset, img.size()); }
  SECTION("sh_offset + sh_size one past EOF") {
    img.set(".shstrtab", Shdr::sh_offset, img.size() - size + 1);
  }
  SECTION("sh_size huge") {
    img.set(".shstrtab", Shdr::sh_size, fmt.is64 ? 0xfffffffffffffff0ULL : 0xfffffff0ULL);
  }
  SECTION("empty name table") { img.set(".shstrtab", Shdr::sh_size, 0); }
  SECTION("last byte is not NUL") {
    img.put(img.section_offset(".shstrtab") + size - 1, "X");
  }
  SECTION("sh_size cut so that the last name loses its NUL") {
    img.set(".shstrtab", Shdr::sh_size, size - 1);
  }
  check_parse_error(img, EINVAL);
}

// ---- unusable sections -------------------------------------------------------

TEST_CASE("malformed: a section whose contents run past EOF is ignored", "[elf]") {
  FOR_EACH_ELF_FORMAT();
  ElfImage img = rich_builder(fmt).build();
  const std::size_t size = img.section_size(".modinfo");
  const std::uint64_t max_off = fmt.is64 ? 0xffffffffffffffffULL : 0xffffffffULL;
  SECTION("sh_offset at EOF") { img.set(".modinfo", Shdr::sh_offset, img.size()); }
  SECTION("sh_offset + sh_size one past EOF") {
    img.set(".modinfo", Shdr::sh_offset, img.size() - size + 1);
  }
  SECTION("sh_size huge") { img.set(".modinfo", Shdr::sh_size, max_off - 1); }
  SECTION("sh_offset + sh_size overflows") {
    img.set(".modinfo", Shdr::sh_offset, max_off - 8);
    img.set(".modinfo", Shdr::sh_size, 0x20);
  }
  auto elf = ModuleElf::parse(img.span(), kFile);
  KMODX_REQUIRE_OK(elf);
  KMODX_CHECK_ERRNO(elf->modinfo(), ENOENT);
  // The other sections are still there.
  auto v = elf->versions();
  KMODX_REQUIRE_OK(v);
  CHECK(v->size() == 2);
}

TEST_CASE("malformed: a section ending exactly at EOF is usable", "[elf]") {
  FOR_EACH_ELF_FORMAT();
  ElfImage img = rich_builder(fmt).build();
  const std::size_t off = img.section_offset(".modinfo");
  img.set(".modinfo", Shdr::sh_size, img.size() - off);
  auto elf = ModuleElf::parse(img.span(), kFile);
  KMODX_REQUIRE_OK(elf);
  auto mi = elf->modinfo();
  KMODX_REQUIRE_OK(mi);
  REQUIRE(mi->size() >= 3);
  CHECK((*mi)[0].key == "license");
}

TEST_CASE("malformed: a section whose sh_name is outside the name table is ignored", "[elf]") {
  FOR_EACH_ELF_FORMAT();
  ElfImage img = rich_builder(fmt).build();
  const std::uint64_t bad = GENERATE_COPY(std::uint64_t{img.section_size(".shstrtab")},
                                          std::uint64_t{img.section_size(".shstrtab") + 100},
                                          std::uint64_t{0xffffffff});
  img.set(".modinfo", Shdr::sh_name, bad);
  INFO("sh_name " << bad);
  auto elf = ModuleElf::parse(img.span(), kFile);
  KMODX_REQUIRE_OK(elf);
  KMODX_CHECK_ERRNO(elf->modinfo(), ENOENT);
  auto v = elf->versions();
  KMODX_REQUIRE_OK(v);
  CHECK(v->size() == 2);
}

// ---- symbol table ------------------------------------------------------------

TEST_CASE("malformed: st_name past .strtab", "[elf]") {
  FOR_EACH_ELF_FORMAT();
  ElfImage img = ElfBuilder(fmt)
                     .modinfo("license=GPL")
                     .ksymtab_string("from_ksymtab")
                     .version("printk", 0x11)
                     .export_abs_crc("from_symtab", 5)
                     .undefined("printk")
                     .build();
  const std::uint64_t strtab = img.section_size(".strtab");
  const std::uint64_t bad = GENERATE_COPY(as<std::uint64_t>{}, strtab, strtab + 1, 0xffffffff);
  img.set(img.sym("printk", Sym::st_name), bad);
  INFO("st_name " << bad);
  auto elf = ModuleElf::parse(img.span(), kFile);
  KMODX_REQUIRE_OK(elf);

  // Exports: the .symtab method is abandoned in favour of __ksymtab_strings.
  auto ex = elf->exports();
  KMODX_REQUIRE_OK(ex);
  REQUIRE(ex->size() == 1);
  CHECK((*ex)[0].name == "from_ksymtab");
  CHECK((*ex)[0].crc == 0);

  // Dependencies: EINVAL.
  KMODX_CHECK_ERRNO(elf->dependencies(), EINVAL);
}

TEST_CASE("malformed: the last .strtab name has no NUL", "[elf]") {
  // §5 does not say what a name cut by the end of .strtab means; require only
  // that nothing crashes and that returned names are views into the image.
  FOR_EACH_ELF_FORMAT();
  ElfImage img = ElfBuilder(fmt)
                     .modinfo("license=GPL")
                     .ksymtab_string("kfoo")
                     .undefined("printk")
                     .export_abs_crc("foo", 7)
                     .build();
  SECTION("cut inside the section") {
    img.set(".strtab", Shdr::sh_size, img.section_size(".strtab") - 3);
  }
  SECTION("string table moved to the very end of the file") {
    const std::string strtab = to_string(std::span(img.bytes()).subspan(
        img.section_offset(".strtab"), img.section_size(".strtab") - 1));
    const std::size_t at = img.size();
    img.append(to_bytes(strtab));
    img.set(".strtab", Shdr::sh_offset, at);
    img.set(".strtab", Shdr::sh_size, strtab.size());
  }
  // A copy with exactly the image's size, so reading past it is reading past
  // an allocation.
  std::vector<std::byte> bytes(img.bytes());
  bytes.shrink_to_fit();
  const std::byte* lo = bytes.data();
  const std::byte* hi = bytes.data() + bytes.size();
  auto inside = [&](std::string_view s) {
    auto* p = reinterpret_cast<const std::byte*>(s.data());
    return s.empty() || (p >= lo && p + s.size() <= hi);
  };
  auto elf = ModuleElf::parse(bytes, kFile);
  KMODX_REQUIRE_OK(elf);
  auto ex = elf->exports();
  if (ex.ok())
    for (const auto& s : *ex) CHECK(inside(s.name));
  auto deps = elf->dependencies();
  if (deps.ok())
    for (const auto& s : *deps) CHECK(inside(s.name));
}

// ---- truncation sweep --------------------------------------------------------

TEST_CASE("malformed: truncation at every boundary and every 7th byte never crashes", "[elf]") {
  FOR_EACH_ELF_FORMAT();
  const bool headers_first = GENERATE(false, true);
  INFO("headers first " << headers_first);
  ElfImage full = rich_builder(fmt).headers_first(headers_first).build();
  auto full_elf = ModuleElf::parse(full.span(), kFile);
  KMODX_REQUIRE_OK(full_elf);
  auto full_modinfo = full_elf->modinfo();
  auto full_versions = full_elf->versions();
  KMODX_REQUIRE_OK(full_modinfo);
  KMODX_REQUIRE_OK(full_versions);

  std::vector<std::size_t> cuts = full.boundaries();
  for (std::size_t n = 0; n < full.size(); n += 7) cuts.push_back(n);
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());

  std::size_t parsed = 0;
  for (std::size_t n : cuts) {
    if (n >= full.size()) continue;
    INFO("truncated to " << n << " of " << full.size() << " bytes");
    // An exact-size heap copy: a read past the end leaves the allocation.
    std::vector<std::byte> cut(full.bytes().begin(), full.bytes().begin() + n);
    cut.shrink_to_fit();
    auto elf = ModuleElf::parse(cut, kFile);
    if (!elf.ok()) {
      const int code = elf.error().code;
      CHECK((code == ENOEXEC || code == EINVAL));
      CHECK(elf.error().detail.find(kFile) != std::string::npos);
      continue;
    }
    ++parsed;
    exercise(*elf);
    // A section is all there or ignored: never partially read.
    auto mi = elf->modinfo();
    if (mi.ok()) {
      REQUIRE(mi->size() == full_modinfo->size());
      for (std::size_t i = 0; i < mi->size(); ++i) {
        CHECK((*mi)[i].key == (*full_modinfo)[i].key);
        CHECK((*mi)[i].value == (*full_modinfo)[i].value);
      }
    } else {
      CHECK(mi.error().code == ENOENT);
    }
    auto v = elf->versions();
    if (v.ok()) {
      REQUIRE(v->size() == full_versions->size());
      for (std::size_t i = 0; i < v->size(); ++i) CHECK((*v)[i].name == (*full_versions)[i].name);
    }
  }
  // With the section table first, cutting contents leaves a parseable image.
  if (headers_first) CHECK(parsed > 0);
}

TEST_CASE("malformed: random-looking corruption of header fields never crashes", "[elf]") {
  FOR_EACH_ELF_FORMAT();
  const ElfImage pristine = rich_builder(fmt).build();
  // Overwrite each section header field of each section with a few nasty
  // values and call every accessor.
  const std::vector<Shdr> fields{Shdr::sh_name, Shdr::sh_type, Shdr::sh_offset, Shdr::sh_size,
                                 Shdr::sh_link, Shdr::sh_entsize};
  const std::vector<std::uint64_t> values{0, 1, 3, 63, 64, 65, 0x7fffffff, 0xffffffff,
                                          0xffffffffffffffffULL, 0x8000000000000000ULL};
  std::size_t runs = 0;
  for (std::size_t sec = 1; sec < pristine.section_count(); ++sec) {
    for (Shdr f : fields) {
      for (std::uint64_t v : values) {
        ElfImage img = pristine;
        img.set(img.shdr(sec, f), v);  // truncated to the field width
        auto elf = ModuleElf::parse(img.span(), kFile);
        if (elf.ok()) exercise(*elf);
        ++runs;
      }
    }
  }
  // And each symbol's fields.
  for (std::size_t i = 1; i <= 5; ++i) {
    for (Sym f : {Sym::st_name, Sym::st_value, Sym::st_shndx, Sym::st_info}) {
      for (std::uint64_t v : values) {
        ElfImage img = pristine;
        img.set(img.sym(i, f), v);
        auto elf = ModuleElf::parse(img.span(), kFile);
        if (elf.ok()) exercise(*elf);
        ++runs;
      }
    }
  }
  CHECK(runs > 0);
}
