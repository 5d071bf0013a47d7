// SPDX-License-Identifier: LGPL-2.1-or-later
// Writing the depmod cache file (format: module_cache.hpp).
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "depmod/module_cache.hpp"
#include "depmod/module_cache_format.hpp"
#include "util/checksum.hpp"

namespace kmodx::depmod {
namespace {

using namespace cache_format;

bool recorded(const ModuleRecord& m) { return m.cache_key && !m.symbols_error; }

// Numbers strings and name-and-CRC pairs in order of first use, from
// \p first_string and \p first_symbol on.
class Tables {
 public:
  Tables(std::uint32_t first_string, std::uint32_t first_symbol)
      : first_string_(first_string), first_symbol_(first_symbol) {}

  std::uint32_t string(std::string_view v) {
    auto [it, added] = string_ids_.emplace(v, first_string_ + static_cast<std::uint32_t>(strings_.size()));
    if (added) strings_.push_back(v);
    return it->second;
  }
  std::uint32_t symbol(std::string_view name, std::uint64_t crc) {
    const std::pair key{string(name), crc};
    auto [it, added] = symbol_ids_.emplace(key, first_symbol_ + static_cast<std::uint32_t>(symbols_.size()));
    if (added) symbols_.push_back(key);
    return it->second;
  }

  // A record in the format of module_cache.hpp.
  void record(Writer& w, const ModuleRecord& m) {
    const FileKey& k = *m.cache_key;
    w.put(k.dev);
    w.put(k.ino);
    w.put(k.size);
    w.put(k.mtime_sec);
    w.put(k.mtime_nsec);
    w.put(k.ctime_sec);
    w.put(k.ctime_nsec);
    w.put(string(m.path));
    for (const std::vector<std::string_view>* list : {&m.aliases, &m.softdeps, &m.weakdeps}) {
      w.put(static_cast<std::uint32_t>(list->size()));
      for (std::string_view v : *list) w.put(string(v));
    }
    w.put(static_cast<std::uint32_t>(m.exports.size()));
    for (const ExportedSymbol& e : m.exports) w.put(symbol(e.name, e.crc));
    w.put(static_cast<std::uint32_t>(m.needs.size()));
    for (const NeededSymbol& n : m.needs) w.put(symbol(n.name, n.crc) | (n.weak ? kWeak : 0));
  }

  // The new entries of each table, as stored (without the counts).
  void put_strings(Writer& w) const {
    for (std::string_view v : strings_) w.str(v);
  }
  void put_symbols(Writer& w) const {
    for (const auto& [name, crc] : symbols_) {
      w.put(name);
      w.put(crc);
    }
  }
  std::uint32_t string_count() const { return first_string_ + static_cast<std::uint32_t>(strings_.size()); }
  std::uint32_t symbol_count() const { return first_symbol_ + static_cast<std::uint32_t>(symbols_.size()); }

 private:
  struct PairHash {
    std::size_t operator()(const std::pair<std::uint32_t, std::uint64_t>& p) const {
      return static_cast<std::size_t>((p.first * 0x9E3779B97F4A7C15ull) ^ p.second);
    }
  };
  std::uint32_t first_string_, first_symbol_;
  std::unordered_map<std::string_view, std::uint32_t> string_ids_;
  std::vector<std::string_view> strings_;
  std::unordered_map<std::pair<std::uint32_t, std::uint64_t>, std::uint32_t, PairHash> symbol_ids_;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> symbols_;
};

void append(std::string& out, std::span<const std::byte> bytes) {
  out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace

std::string serialize_module_cache(const CacheSettings& settings, const std::vector<ModuleRecord>& modules,
                                   const ModuleCache* old) {
  if (old != nullptr && !old->mostly_used_by(modules)) old = nullptr;
  // The records of the modules read in this run, whose names the tables
  // learn, go to a side buffer first; those of modules taken from the old
  // cache are copied from it at the end.
  Tables tables(old ? static_cast<std::uint32_t>(old->string_count()) : 0,
                old ? static_cast<std::uint32_t>(old->symbol_count()) : 0);
  Writer fresh;
  std::vector<std::pair<std::size_t, std::size_t>> fresh_span(modules.size());  // offset, length
  std::uint32_t count = 0;
  for (std::size_t i = 0; i < modules.size(); ++i) {
    const ModuleRecord& m = modules[i];
    if (!recorded(m)) continue;
    ++count;
    if (old != nullptr && m.from_cache && !old->record_bytes(m.path).empty()) continue;
    const std::size_t start = fresh.out().size();
    tables.record(fresh, m);
    fresh_span[i] = {start, fresh.out().size() - start};
  }

  Writer w;
  w.out().append(kMagic, sizeof kMagic);
  w.put(kModuleCacheVersion);
  w.put(kByteOrder);
  w.put(std::uint64_t{0});  // size, set below
  w.put(std::uint64_t{0});  // checksum, set below
  w.str(cache_settings_text(settings));
  w.put(tables.string_count());
  if (old != nullptr) append(w.out(), old->string_table());
  tables.put_strings(w);
  w.put(tables.symbol_count());
  if (old != nullptr) append(w.out(), old->symbol_table());
  tables.put_symbols(w);
  w.put(count);
  for (std::size_t i = 0; i < modules.size(); ++i) {
    const ModuleRecord& m = modules[i];
    if (!recorded(m)) continue;
    if (fresh_span[i].second == 0) append(w.out(), old->record_bytes(m.path));
    else w.out().append(fresh.out(), fresh_span[i].first, fresh_span[i].second);
  }
  w.put_at(kSizeAt, static_cast<std::uint64_t>(w.out().size()));
  const auto* bytes = reinterpret_cast<const std::byte*>(w.out().data());
  w.put_at(kChecksumAt, checksum64({bytes + kChecksumFrom, w.out().size() - kChecksumFrom}));
  return std::move(w.out());
}

}  // namespace kmodx::depmod
