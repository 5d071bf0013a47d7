// SPDX-License-Identifier: LGPL-2.1-or-later
// The depmod cache file (module_cache.hpp): what a record gives back, when a
// record or the whole file is refused, and that damaged files are refused
// with a reason instead of being read.
#include "depmod/module_cache.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"
#include "util/checksum.hpp"

using namespace kmodx;
using namespace kmodx::depmod;

namespace {

const CacheSettings kSettings{"/lib/modules/6.1.0-test", '\0'};

FileKey key(std::uint64_t ino) {
  FileKey k;
  k.dev = 2049;
  k.ino = ino;
  k.size = 1000 + ino;
  k.mtime_sec = 1700000000;
  k.mtime_nsec = 5;
  k.ctime_sec = 1700000001;
  k.ctime_nsec = 7;
  return k;
}

// Two modules: "a" exports a_sym (and needs printk), "b" needs a_sym weakly
// and printk, with an alias and a softdep. A third was never read (no key).
std::vector<ModuleRecord> sample() {
  auto text = std::make_shared<std::deque<std::string>>();
  auto keep = [&](std::string s) -> std::string_view { return text->emplace_back(std::move(s)); };
  std::vector<ModuleRecord> m(3);
  m[0].name = "a";
  m[0].path = "/lib/modules/6.1.0-test/kernel/a.ko";
  m[0].exports = {{keep("a_sym"), 0x1234}};
  m[0].needs = {{keep("printk"), 0xabcdef, false}};
  m[0].cache_key = key(1);
  m[1].name = "b";
  m[1].path = "/lib/modules/6.1.0-test/kernel/b.ko.xz";
  m[1].aliases = {keep("pci:v00008086d*"), keep("b-alias")};
  m[1].softdeps = {keep("pre: a")};
  m[1].needs = {{keep("a_sym"), 0x1234, true}, {keep("printk"), 0xabcdef, false}};
  m[1].cache_key = key(2);
  m[2].name = "c";
  m[2].path = "/lib/modules/6.1.0-test/kernel/c.ko";
  for (ModuleRecord& r : m) r.storage = text;
  return m;
}

std::string write_cache(const test::TempDir& dir, const std::string& bytes) {
  return dir.write("modules.kmodx-cache.bin", bytes);
}

// Rewrites the size and checksum fields after an edit, so that only the
// structural checks are left to refuse the file.
void reseal(std::string& bytes) {
  const std::uint64_t size = bytes.size();
  std::memcpy(bytes.data() + 16, &size, 8);
  const std::uint64_t sum = checksum64({reinterpret_cast<const std::byte*>(bytes.data()) + 32, bytes.size() - 32});
  std::memcpy(bytes.data() + 24, &sum, 8);
}

std::string reason(const std::string& path, const CacheSettings& settings = kSettings) {
  auto r = ModuleCache::open(path, settings);
  REQUIRE_FALSE(r);
  return r.error().detail;
}

}  // namespace

TEST_CASE("a cache gives back what was read, only for an unchanged file") {
  test::TempDir dir;
  const auto modules = sample();
  const std::string path = write_cache(dir, serialize_module_cache(kSettings, modules));
  auto cache = ModuleCache::open(path, kSettings);
  REQUIRE(cache);
  CHECK(cache->size() == 2);  // c has no key: not recorded

  ModuleContents b;
  REQUIRE(cache->fill(modules[1].path, key(2), b));
  CHECK(b.aliases == std::vector<std::string_view>{"pci:v00008086d*", "b-alias"});
  CHECK(b.softdeps == std::vector<std::string_view>{"pre: a"});
  CHECK(b.weakdeps.empty());
  CHECK(b.exports.empty());
  REQUIRE(b.needs.size() == 2);
  CHECK(b.needs[0].name == "a_sym");
  CHECK(b.needs[0].crc == 0x1234);
  CHECK(b.needs[0].weak);
  CHECK(b.needs[1].name == "printk");
  CHECK_FALSE(b.needs[1].weak);

  ModuleContents a;
  REQUIRE(cache->fill(modules[0].path, key(1), a));
  REQUIRE(a.exports.size() == 1);
  CHECK(a.exports[0].name == "a_sym");
  CHECK(a.exports[0].crc == 0x1234);

  // The views outlive the cache object: the records share its data.
  cache.value() = std::move(*ModuleCache::open(path, kSettings));
  CHECK(b.needs[1].name == "printk");

  SECTION("any field of the key differing is a miss") {
    ModuleContents out;
    for (int field = 0; field < 7; ++field) {
      FileKey k = key(2);
      switch (field) {
        case 0: ++k.dev; break;
        case 1: ++k.ino; break;
        case 2: ++k.size; break;
        case 3: ++k.mtime_sec; break;
        case 4: ++k.mtime_nsec; break;
        case 5: ++k.ctime_sec; break;
        case 6: ++k.ctime_nsec; break;
      }
      CHECK_FALSE(cache->fill(modules[1].path, k, out));
    }
    CHECK_FALSE(cache->fill(modules[2].path, key(2), out));
    CHECK(out.needs.empty());
  }
}

TEST_CASE("a new cache is the old one's bytes exactly when every module came from it in order") {
  test::TempDir dir;
  auto modules = sample();
  modules.pop_back();
  const std::string bytes = serialize_module_cache(kSettings, modules);
  auto cache = ModuleCache::open(write_cache(dir, bytes), kSettings);
  REQUIRE(cache);
  CHECK_FALSE(cache->same_as(modules));  // not taken from the cache
  for (ModuleRecord& m : modules) m.from_cache = true;
  CHECK(cache->same_as(modules));
  CHECK(serialize_module_cache(kSettings, modules) == bytes);
  std::swap(modules[0], modules[1]);
  CHECK_FALSE(cache->same_as(modules));
  modules.pop_back();
  CHECK_FALSE(cache->same_as(modules));
}

TEST_CASE("a cache extended from the old one keeps its tables and records, and reads back the same") {
  test::TempDir dir;
  auto modules = sample();
  modules.pop_back();
  const std::string first = serialize_module_cache(kSettings, modules);
  auto old = ModuleCache::open(write_cache(dir, first), kSettings);
  REQUIRE(old);
  // b is taken from the old cache; a was read again (a new key) and gets a
  // new name that the old tables lack.
  for (ModuleRecord& m : modules) {
    const FileKey k = *m.cache_key;
    static_cast<ModuleContents&>(m) = {};
    REQUIRE(old->fill(m.path, k, m));
    m.cache_key = k;
  }
  modules[1].from_cache = true;
  auto text = std::make_shared<std::deque<std::string>>();
  modules[0].cache_key = key(9);
  modules[0].aliases = {text->emplace_back("new-alias")};
  modules[0].storage = text;
  REQUIRE(old->mostly_used_by(modules));
  const PendingFile file = module_cache_file(kSettings, modules, &*old);
  CHECK(file.pieces.size() > 1);  // some bytes are the old file's
  const std::string bytes = serialize_module_cache(kSettings, modules, &*old);
  CHECK(bytes.size() > first.size());
  CHECK(bytes.find(first.substr(first.find("printk") - 4, 10)) != std::string::npos);
  old->release_lookups();
  test::TempDir other;
  auto reread = ModuleCache::open(write_cache(other, bytes), kSettings);
  REQUIRE(reread);
  ModuleContents a, b;
  REQUIRE(reread->fill(modules[0].path, key(9), a));
  CHECK(a.aliases == std::vector<std::string_view>{"new-alias"});
  REQUIRE(a.exports.size() == 1);
  CHECK(a.exports[0].name == "a_sym");
  REQUIRE(reread->fill(modules[1].path, key(2), b));
  CHECK(b.aliases == std::vector<std::string_view>{"pci:v00008086d*", "b-alias"});
  REQUIRE(b.needs.size() == 2);
  CHECK(b.needs[0].weak);
}

TEST_CASE("a cache made for another tree or prefix is not used") {
  test::TempDir dir;
  const std::string path = write_cache(dir, serialize_module_cache(kSettings, sample()));
  CHECK_THAT(reason(path, CacheSettings{"/lib/modules/other", '\0'}), Catch::Contains("other settings"));
  CHECK_THAT(reason(path, CacheSettings{kSettings.module_dir, '_'}), Catch::Contains("other settings"));
}

TEST_CASE("a damaged cache file is refused with the reason") {
  test::TempDir dir;
  const std::string good = serialize_module_cache(kSettings, sample());

  SECTION("missing") { CHECK(reason(dir.file("modules.kmodx-cache.bin")) == "No such file or directory"); }
  SECTION("truncated at every length") {
    for (std::size_t n = 0; n < good.size(); ++n) {
      const std::string path = write_cache(dir, good.substr(0, n));
      auto r = ModuleCache::open(path, kSettings);
      CHECK_FALSE(r);
    }
  }
  SECTION("every single byte flipped") {
    for (std::size_t i = 0; i < good.size(); ++i) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ 0x20);
      CHECK_FALSE(ModuleCache::open(write_cache(dir, bad), kSettings));
    }
  }
  SECTION("another format version") {
    std::string bad = good;
    const std::uint32_t version = 99;
    std::memcpy(bad.data() + 8, &version, 4);
    CHECK(reason(write_cache(dir, bad)) == "format version 99, not 1");
  }
  SECTION("the other byte order") {
    std::string bad = good;
    const std::uint32_t order = 0x04030201;
    std::memcpy(bad.data() + 12, &order, 4);
    CHECK_THAT(reason(write_cache(dir, bad)), Catch::Contains("byte order"));
  }
  SECTION("not a cache") { CHECK(reason(write_cache(dir, std::string(64, 'x'))) == "not a kmodx depmod cache"); }
  SECTION("grown") { CHECK_THAT(reason(write_cache(dir, good + "x")), Catch::Contains("the header says")); }

  // Lengths and indexes that lie, in files whose size and checksum agree.
  const std::size_t settings_end = 36 + cache_settings_text(kSettings).size();
  SECTION("a string count larger than the file") {
    std::string bad = good;
    const std::uint32_t n = 0x7fffffff;
    std::memcpy(bad.data() + settings_end, &n, 4);
    reseal(bad);
    CHECK_THAT(reason(write_cache(dir, bad)), Catch::Contains("runs past the end"));
  }
  SECTION("a string length running past the end") {
    std::string bad = good;
    const std::uint32_t n = 0x00ffffff;
    std::memcpy(bad.data() + settings_end + 4, &n, 4);
    reseal(bad);
    CHECK_FALSE(ModuleCache::open(write_cache(dir, bad), kSettings));
  }
  SECTION("a record naming a string that does not exist") {
    std::string bad = good;
    // The first record's path index follows its 48-byte key; the record
    // table is the last one, so count back from the end: record b is last,
    // and its path is 48 bytes into it. Find it by value instead.
    std::uint32_t strings = 0;
    std::memcpy(&strings, bad.data() + settings_end, 4);
    bool patched = false;
    for (std::size_t at = bad.size() - 4; at > settings_end && !patched; --at) {
      FileKey k = key(2);
      if (std::memcmp(bad.data() + at - 48 + 8, &k.ino, 8) == 0) {
        std::memcpy(bad.data() + at, &strings, 4);  // one past the last string
        patched = true;
      }
    }
    REQUIRE(patched);
    reseal(bad);
    CHECK_THAT(reason(write_cache(dir, bad)), Catch::Contains("names no entry"));
  }
  SECTION("two records for one path") {
    auto modules = sample();
    modules[1].path = modules[0].path;
    CHECK_THAT(reason(write_cache(dir, serialize_module_cache(kSettings, modules))), Catch::Contains("two records"));
  }
}

TEST_CASE("a cache that is no regular file is refused without reading it") {
  test::TempDir dir;
  const std::string path = dir.file("modules.kmodx-cache.bin");
  SECTION("FIFO") {
    REQUIRE(::mkfifo(path.c_str(), 0644) == 0);
    CHECK(reason(path) == "not a regular file");
  }
  SECTION("directory") {
    REQUIRE(::mkdir(path.c_str(), 0755) == 0);
    CHECK(reason(path) == "not a regular file");
  }
  SECTION("symbolic link, even to a good cache") {
    const std::string target = dir.write("elsewhere", serialize_module_cache(kSettings, sample()));
    REQUIRE(::symlink(target.c_str(), path.c_str()) == 0);
    CHECK_THAT(reason(path), Catch::StartsWith("a symbolic link"));
  }
}

TEST_CASE("a file changed in the last seconds is too recent to record") {
  const timespec cutoff = racy_cutoff();
  timespec now {};
  ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
  FileKey k;
  k.ctime_sec = now.tv_sec;
  CHECK_FALSE(old_enough(k, cutoff));
  k.ctime_sec = now.tv_sec - kRacyMargin.count() - 1;
  CHECK(old_enough(k, cutoff));
  k.ctime_sec = cutoff.tv_sec;
  k.ctime_nsec = static_cast<std::uint32_t>(cutoff.tv_nsec);
  CHECK_FALSE(old_enough(k, cutoff));
}

TEST_CASE("only filesystems that stamp ctime themselves are trusted with records") {
  test::TempDir dir;
  const std::string file = dir.write("m.ko", "x");
  CtimeFilesystems filesystems;
  const auto key = file_key(file);
  REQUIRE(key);
  // The test directory is on a disk or tmpfs filesystem (ext4, xfs, btrfs,
  // tmpfs, overlayfs…), where a change always gives a new ctime.
  CHECK(filesystems.trusted(key->dev, file));
  // /proc's times are whatever the kernel reports: not a filesystem whose
  // ctime records changes.
  const auto proc = file_key("/proc/self/stat");
  REQUIRE(proc);
  CHECK_FALSE(filesystems.trusted(proc->dev, "/proc/self/stat"));
  CHECK_FALSE(file_key(dir.file("missing")));
}
