// SPDX-License-Identifier: LGPL-2.1-or-later
// Writing the depmod cache file (format: module_cache.hpp).
#include <algorithm>
#include <cstring>
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
    write_key(w, *m.cache_key);
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

// The file as a list of pieces: bytes written here (kept in one string,
// referred to by offset until it stops growing) and views into the old
// cache's bytes, adjacent views joined.
class Pieces {
 public:
  std::string& own() { return *own_; }
  // Marks what was appended to own() since the last call as the next piece.
  void take_own() {
    const std::size_t end = own_->size();
    if (end == own_mark_) return;
    if (!segments_.empty() && segments_.back().ptr == nullptr) segments_.back().length += end - own_mark_;
    else segments_.push_back({nullptr, own_mark_, end - own_mark_});
    own_mark_ = end;
  }
  void view(std::span<const std::byte> bytes) {
    take_own();
    if (bytes.empty()) return;
    if (!segments_.empty() && segments_.back().ptr != nullptr &&
        segments_.back().ptr + segments_.back().length == bytes.data())
      segments_.back().length += bytes.size();
    else
      segments_.push_back({bytes.data(), 0, bytes.size()});
  }
  // The pieces, once everything is written, and the string they point
  // into (it stays where it is: only the pointer to it moves).
  std::vector<std::span<const std::byte>> finish() {
    take_own();
    std::vector<std::span<const std::byte>> out;
    out.reserve(segments_.size());
    const auto* own = reinterpret_cast<const std::byte*>(own_->data());
    for (const Segment& s : segments_)
      if (s.length != 0) out.emplace_back(s.ptr != nullptr ? s.ptr : own + s.offset, s.length);
    return out;
  }
  std::shared_ptr<std::string> own_storage() const { return own_; }

 private:
  struct Segment {
    const std::byte* ptr = nullptr;  // null: a range of own_
    std::size_t offset = 0, length = 0;
  };
  std::shared_ptr<std::string> own_ = std::make_shared<std::string>();
  std::size_t own_mark_ = 0;
  std::vector<Segment> segments_;
};

}  // namespace

PendingFile module_cache_file(const CacheSettings& settings, const std::vector<ModuleRecord>& modules,
                              const ModuleCache* old) {
  // The records of the modules read in this run, whose names the tables
  // learn, go to a side buffer first; those of modules taken from the old
  // cache are its bytes, unchanged.
  Tables tables(old ? static_cast<std::uint32_t>(old->string_count()) : 0,
                old ? static_cast<std::uint32_t>(old->symbol_count()) : 0);
  std::string fresh_bytes;
  Writer fresh(fresh_bytes);
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

  Pieces pieces;
  Writer w(pieces.own());
  w.out().append(kMagic, sizeof kMagic);
  w.put(kModuleCacheVersion);
  w.put(kByteOrder);
  w.put(std::uint64_t{0});  // size, set below
  w.put(std::uint64_t{0});  // checksum, set below
  w.str(cache_settings_text(settings));
  w.put(tables.string_count());
  if (old != nullptr) pieces.view(old->string_table());
  tables.put_strings(w);
  w.put(tables.symbol_count());
  if (old != nullptr) pieces.view(old->symbol_table());
  tables.put_symbols(w);
  w.put(count);
  for (std::size_t i = 0; i < modules.size(); ++i) {
    const ModuleRecord& m = modules[i];
    if (!recorded(m)) continue;
    if (fresh_span[i].second == 0) pieces.view(old->record_bytes(m.path));
    else w.out().append(fresh_bytes, fresh_span[i].first, fresh_span[i].second);
  }

  PendingFile file;
  file.name = std::string(kModuleCacheName);
  file.pieces = pieces.finish();
  file.keep.push_back(pieces.own_storage());
  if (old != nullptr) file.keep.push_back(old->data());
  std::uint64_t size = 0;
  for (std::span<const std::byte> p : file.pieces) size += p.size();
  // The header is the start of the first piece, in own(): its size field
  // first, then the checksum over everything after the checksum field.
  std::string& own = pieces.own();
  std::memcpy(own.data() + kSizeAt, &size, sizeof size);
  Checksum64 sum;
  std::size_t skip = kChecksumFrom;
  for (std::span<const std::byte> p : file.pieces) {
    const std::size_t n = std::min(skip, p.size());
    sum.update(p.subspan(n));
    skip -= n;
  }
  const std::uint64_t checksum = sum.value();
  std::memcpy(own.data() + kChecksumAt, &checksum, sizeof checksum);
  return file;
}

std::string serialize_module_cache(const CacheSettings& settings, const std::vector<ModuleRecord>& modules,
                                   const ModuleCache* old) {
  const PendingFile file = module_cache_file(settings, modules, old);
  std::string out;
  for (std::span<const std::byte> p : file.pieces) out.append(reinterpret_cast<const char*>(p.data()), p.size());
  return out;
}

}  // namespace kmodx::depmod
