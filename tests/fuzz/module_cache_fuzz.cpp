// SPDX-License-Identifier: LGPL-2.1-or-later
// depmod's cache file (depmod/module_cache.hpp). The first input byte is
// flags, the rest the file: bit 0 set rewrites the size and checksum fields
// first, so that mutations get past the checksum to the structural checks.
// The settings are read from the file's own settings text (so a seed made by
// `kmodx depmod` on any tree is accepted), and once more with other settings,
// which must refuse it. Properties: opening never crashes or reads outside
// the file; every record of an accepted file fills with its own key, and
// writing the filled records again gives a file that opens to the same
// records and contents, both written anew and extending the first file.

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "depmod/module_cache.hpp"
#include "fuzz_support.hpp"
#include "util/checksum.hpp"
#include "util/file_writes.hpp"

namespace {

using namespace kmodx;
using namespace kmodx::depmod;

// Two files: the records read from the first point into its mapping, so the
// second file is written elsewhere (depmod, too, renames a new cache into
// place and never rewrites the one it has mapped).
std::string make_temp() {
  char pattern[] = "/tmp/kmodx-fuzz-cache.XXXXXX";
  const int fd = ::mkstemp(pattern);
  if (fd >= 0) ::close(fd);
  return pattern;
}
const std::string& temp_path(int which) {
  static const std::string paths[2] = {make_temp(), make_temp()};
  return paths[which];
}

// The module directory and prefix a settings text names, as far as it can
// be read; defaults otherwise.
CacheSettings settings_of(std::string_view file) {
  CacheSettings s{"/lib/modules/fuzz", '\0'};
  const std::string_view dir_word = "\nmodule directory ";
  const std::size_t d = file.find(dir_word);
  if (d != std::string_view::npos) {
    const std::size_t start = d + dir_word.size();
    const std::size_t end = file.find('\n', start);
    if (end != std::string_view::npos) s.module_dir = std::string(file.substr(start, end - start));
  }
  const std::string_view prefix_word = "\nsymbol prefix ";
  const std::size_t p = file.find(prefix_word);
  if (p != std::string_view::npos && p + prefix_word.size() + 2 <= file.size())
    s.symbol_prefix = static_cast<char>(
        std::strtoul(std::string(file.substr(p + prefix_word.size(), 2)).c_str(), nullptr, 16));
  return s;
}

// Writes \p modules as a cache (extending \p old if given) to the second
// file and checks that it reads back the same records and contents.
void round_trip(const CacheSettings& settings, const std::vector<ModuleRecord>& modules, const ModuleCache* old) {
  const std::string again = serialize_module_cache(settings, modules, old);
  if (!write_whole_file(temp_path(1), again)) return;
  auto reread = ModuleCache::open(temp_path(1), settings);
  FUZZ_EXPECT(reread && reread->size() == modules.size());
  for (const ModuleRecord& m : modules) {
    ModuleContents c;
    FUZZ_EXPECT(reread->fill(m.path, *m.cache_key, c));
    FUZZ_EXPECT(c.aliases == m.aliases && c.softdeps == m.softdeps && c.weakdeps == m.weakdeps);
    FUZZ_EXPECT(c.exports.size() == m.exports.size() && c.needs.size() == m.needs.size());
    for (std::size_t i = 0; i < c.exports.size(); ++i)
      FUZZ_EXPECT(c.exports[i].name == m.exports[i].name && c.exports[i].crc == m.exports[i].crc);
    for (std::size_t i = 0; i < c.needs.size(); ++i)
      FUZZ_EXPECT(c.needs[i].name == m.needs[i].name && c.needs[i].crc == m.needs[i].crc &&
                  c.needs[i].weak == m.needs[i].weak);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string file(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) != 0 && file.size() >= 32) {
    const std::uint64_t length = file.size();
    std::memcpy(file.data() + 16, &length, 8);
    const std::uint64_t sum = checksum64({reinterpret_cast<const std::byte*>(file.data()) + 32, file.size() - 32});
    std::memcpy(file.data() + 24, &sum, 8);
  }
  const std::string& path = temp_path(0);
  if (!write_whole_file(path, file)) return 0;

  const CacheSettings settings = settings_of(file);
  CacheSettings other = settings;
  other.module_dir += "-other";
  FUZZ_EXPECT(!ModuleCache::open(path, other));

  auto cache = ModuleCache::open(path, settings);
  if (!cache) {
    FUZZ_EXPECT(!cache.error().detail.empty());
    return 0;
  }
  // Every record fills with its own key; the records written again read
  // back the same.
  std::vector<ModuleRecord> modules;
  for (const auto& [record_path, key] : cache->records()) {
    ModuleRecord& m = modules.emplace_back();
    m.path = std::string(record_path);
    FUZZ_EXPECT(cache->fill(m.path, key, m));
    m.cache_key = key;
    m.from_cache = true;
  }
  FUZZ_EXPECT(cache->same_as(modules));
  round_trip(settings, modules, nullptr);
  // As after a run that read every other module again: the new file keeps
  // the old one's tables and the other records' bytes.
  for (std::size_t i = 0; i < modules.size(); i += 2) modules[i].from_cache = false;
  if (cache->mostly_used_by(modules)) round_trip(settings, modules, &*cache);
  return 0;
}
