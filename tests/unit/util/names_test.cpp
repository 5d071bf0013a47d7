// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/names.hpp"

#include <cerrno>
#include <string>

#include <catch2/catch.hpp>

using namespace kmodx;

TEST_CASE("modname_normalize: from_name examples of kmod's testsuite", "[util]") {
  CHECK(modname_normalize("ext4") == "ext4");
  CHECK(modname_normalize("balbalbalbbalbalbalbalbalbalbal") == "balbalbalbbalbalbalbalbalbalbal");
  CHECK(modname_normalize("snd-hda-intel") == "snd_hda_intel");
  CHECK(modname_normalize("snd-timer") == "snd_timer");
  CHECK(modname_normalize("iTCO_wdt") == "iTCO_wdt");
}

TEST_CASE("modname_normalize stops at the first dot and at PATH_MAX - 1", "[util]") {
  CHECK(modname_normalize("foo.ko") == "foo");
  CHECK(modname_normalize("mod-a.ko.xz") == "mod_a");
  CHECK(modname_normalize(".hidden") == "");
  CHECK(modname_normalize("a-[b]-c") == "a_[b]_c");  // no bracket rule here
  CHECK(modname_normalize(std::string("ab\0cd", 5)) == "ab");
  std::string longname(5000, 'x');
  CHECK(modname_normalize(longname).size() == kMaxNameLength);
}

TEST_CASE("path_to_modname takes the base name", "[util]") {
  CHECK(*path_to_modname("kernel/drivers/a/mod-a.ko.xz") == "mod_a");
  CHECK(*path_to_modname("/lib/modules/6.1.0/kernel/fs/ext4/ext4.ko") == "ext4");
  CHECK(*path_to_modname("snd-hda-intel.ko") == "snd_hda_intel");
  CHECK(*path_to_modname("a.b/c-d") == "c_d");
  Result<std::string> trailing = path_to_modname("kernel/drivers/");
  REQUIRE_FALSE(trailing.ok());
  CHECK(trailing.error().code == EINVAL);
  CHECK_FALSE(path_to_modname("").ok());
}

TEST_CASE("alias_normalize: alias_1 of kmod's testsuite leaves these unchanged", "[util]") {
  const std::pair<const char*, std::size_t> cases[] = {
      {"test1234", 8},      {"test[abcfoobar]2211", 19}, {"bar[aaa][bbbb]sss", 17},
      {"kmod[p.b]lib", 12}, {"[az]1234[AZ]", 12},
  };
  for (const auto& [alias, length] : cases) {
    Result<std::string> r = alias_normalize(alias);
    REQUIRE(r.ok());
    CHECK(*r == alias);
    CHECK(r->size() == length);
  }
}

TEST_CASE("alias_normalize: KMOD-SPEC 1.2 examples", "[util]") {
  CHECK(*alias_normalize("pci:v0000ABCDd*") == "pci:v0000ABCDd*");
  CHECK(*alias_normalize("char-major-10-123") == "char_major_10_123");
  CHECK(*alias_normalize("usb:v*p*d*dc*dsc*dp*ic*isc*ip*in*") == "usb:v*p*d*dc*dsc*dp*ic*isc*ip*in*");
  CHECK(*alias_normalize("ab[c-d]-e") == "ab[c-d]_e");
}

TEST_CASE("alias_normalize rejects unmatched brackets", "[util]") {
  for (const char* bad : {"ab[cd", "ab]cd", "[", "]", "a[b]c]", "a-[b-"}) {
    Result<std::string> r = alias_normalize(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == EINVAL);
    CHECK(r.error().detail == std::string("Unmatched bracket in ") + bad);
  }
}

TEST_CASE("alias_normalize truncates at PATH_MAX - 1 but not inside brackets", "[util]") {
  std::string longalias(5000, 'a');
  longalias[10] = '-';
  Result<std::string> r = alias_normalize(longalias);
  REQUIRE(r.ok());
  CHECK(r->size() == kMaxNameLength);
  CHECK((*r)[10] == '_');

  // The closing bracket at index 4094 is the last character that fits.
  std::string fits(4093, 'a');
  fits += "[]";
  CHECK(alias_normalize(fits + "zzz")->size() == kMaxNameLength);
  std::string overflows(4094, 'a');
  overflows += "[]";
  CHECK_FALSE(alias_normalize(overflows).ok());
}

TEST_CASE("underscores: test_underscores of kmod's testsuite", "[util]") {
  const std::pair<const char*, const char*> cases[] = {
      {"aa-bb-cc_", "aa_bb_cc_"},       {"-aa-bb-cc-", "_aa_bb_cc_"},       {"-aa[-bb-]cc-", "_aa[-bb-]cc_"},
      {"-aa-[bb]-cc-", "_aa_[bb]_cc_"}, {"-aa-[b-b]-cc-", "_aa_[b-b]_cc_"}, {"-aa-b[-]b-cc", "_aa_b[-]b_cc"},
  };
  for (const auto& [in, out] : cases) {
    std::string s = in;
    REQUIRE(underscores(s).ok());
    CHECK(s == out);
  }
}

TEST_CASE("underscores rejects unmatched brackets", "[util]") {
  std::string open = "a-b[c-d";
  Result<void> r = underscores(open);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == EINVAL);
  CHECK(open == "a_b[c-d");  // rewritten up to the error, as kmod does
  std::string stray = "a]b";
  CHECK_FALSE(underscores(stray).ok());
  std::string empty;
  CHECK(underscores(empty).ok());
}
