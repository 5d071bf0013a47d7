// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/module_cache.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "util/checksum.hpp"
#include "util/mapped_file.hpp"

namespace kmodx::depmod {
namespace {

constexpr char kMagic[8] = {'K', 'M', 'O', 'D', 'X', 'D', 'C', '\n'};
constexpr std::uint32_t kByteOrder = 0x01020304;
constexpr std::size_t kHeaderSize = 36;  // up to the settings' length
constexpr std::size_t kChecksumFrom = 32;
// Raised whenever what load_module() extracts from a module changes, so
// that records of an older extraction are not reused.
constexpr unsigned kExtractionVersion = 1;

Error unusable(std::string why) { return make_error(EINVAL, std::move(why)); }

// Reads fixed-size values and strings from a range, every read checked
// against its end; once a read fails the cursor stays failed.
class Cursor {
 public:
  Cursor(const std::byte* begin, const std::byte* end) : p_(begin), end_(end) {}

  template <typename T>
  T get() {
    T v{};
    if (!take(sizeof v)) return v;
    std::memcpy(&v, p_ - sizeof v, sizeof v);
    return v;
  }
  std::string_view str() {
    const auto n = get<std::uint32_t>();
    if (!take(n)) return {};
    return {reinterpret_cast<const char*>(p_ - n), n};
  }
  /// Moves past \p n bytes; false if fewer are left.
  bool skip(std::size_t n) { return take(n); }
  bool ok() const { return ok_; }
  bool at_end() const { return p_ == end_; }
  const std::byte* position() const { return p_; }

 private:
  bool take(std::size_t n) {
    if (!ok_ || static_cast<std::size_t>(end_ - p_) < n) {
      ok_ = false;
      return false;
    }
    p_ += n;
    return true;
  }
  const std::byte* p_;
  const std::byte* end_;
  bool ok_ = true;
};

FileKey read_key(Cursor& c) {
  FileKey k;
  k.dev = c.get<std::uint64_t>();
  k.ino = c.get<std::uint64_t>();
  k.size = c.get<std::uint64_t>();
  k.mtime_sec = c.get<std::int64_t>();
  k.mtime_nsec = c.get<std::uint32_t>();
  k.ctime_sec = c.get<std::int64_t>();
  k.ctime_nsec = c.get<std::uint32_t>();
  return k;
}

constexpr std::uint32_t kWeak = std::uint32_t{1} << 31;

class Writer {
 public:
  template <typename T>
  void put(T v) {
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void str(std::string_view s) {
    put(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  template <typename T>
  void put_at(std::size_t offset, T v) {
    std::memcpy(out_.data() + offset, &v, sizeof v);
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

}  // namespace

std::string cache_settings_text(const CacheSettings& settings) {
  char prefix[8];
  std::snprintf(prefix, sizeof prefix, "%02x", static_cast<unsigned char>(settings.symbol_prefix));
  return "kmodx " KMODX_VERSION " extraction " + std::to_string(kExtractionVersion) + "\nmodule directory " +
         settings.module_dir + "\nsymbol prefix " + prefix + "\n";
}

std::optional<FileKey> file_key(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  FileKey k;
  k.dev = st.st_dev;
  k.ino = st.st_ino;
  k.size = static_cast<std::uint64_t>(st.st_size);
  k.mtime_sec = st.st_mtim.tv_sec;
  k.mtime_nsec = static_cast<std::uint32_t>(st.st_mtim.tv_nsec);
  k.ctime_sec = st.st_ctim.tv_sec;
  k.ctime_nsec = static_cast<std::uint32_t>(st.st_ctim.tv_nsec);
  return k;
}

timespec racy_cutoff() {
  timespec now {};
  ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
  now.tv_sec -= static_cast<time_t>(kRacyMargin.count());
  return now;
}

bool old_enough(const FileKey& key, const timespec& cutoff) {
  if (key.ctime_sec != cutoff.tv_sec) return key.ctime_sec < cutoff.tv_sec;
  return key.ctime_nsec < static_cast<std::uint64_t>(cutoff.tv_nsec);
}

Result<ModuleCache> ModuleCache::open(const std::string& path, const CacheSettings& settings) {
  auto file = RegularFile::open(path, RegularFile::Links::refuse);
  if (!file) {
    const int code = file.error().code;
    if (code == ELOOP) return unusable("a symbolic link");
    if (code == EISDIR || code == EINVAL) return unusable("not a regular file");
    return make_error(code, std::strerror(code));
  }
  ModuleCache cache;
  cache.size_ = file->size();
  if (cache.size_ < kHeaderSize) return unusable("truncated (" + std::to_string(cache.size_) + " bytes)");
  if (cache.size_ > (std::size_t{1} << 31)) return unusable("larger than 2 GiB");
  cache.data_ = std::make_shared_for_overwrite<std::byte[]>(cache.size_);
  if (auto r = file->read_all(cache.data_.get(), path); !r) return make_error(r.error().code, std::strerror(r.error().code));

  const std::byte* begin = cache.data_.get();
  const std::byte* end = begin + cache.size_;
  if (std::memcmp(begin, kMagic, sizeof kMagic) != 0) return unusable("not a kmodx depmod cache");
  Cursor header(begin + sizeof kMagic, end);
  const auto version = header.get<std::uint32_t>();
  const auto order = header.get<std::uint32_t>();
  if (order != kByteOrder) return unusable("written on a host of the other byte order");
  if (version != kModuleCacheVersion)
    return unusable("format version " + std::to_string(version) + ", not " + std::to_string(kModuleCacheVersion));
  const auto size = header.get<std::uint64_t>();
  if (size != cache.size_)
    return unusable("truncated or grown: " + std::to_string(cache.size_) + " bytes, the header says " +
                    std::to_string(size));
  const auto checksum = header.get<std::uint64_t>();
  if (checksum != checksum64({begin + kChecksumFrom, end})) return unusable("checksum mismatch");
  const std::string_view stored = header.str();
  if (!header.ok()) return unusable("truncated header");
  if (const std::string wanted = cache_settings_text(settings); stored != wanted)
    return unusable("made with other settings (" + std::string(stored.substr(0, stored.find('\n'))) +
                    "; the module directory and symbol prefix must also match)");

  // Every count is checked against what the rest of the file could hold
  // before anything is reserved for it.
  Cursor c = header;
  auto count = [&](std::size_t smallest_item) -> std::optional<std::uint32_t> {
    const auto n = c.get<std::uint32_t>();
    if (!c.ok() || n > static_cast<std::size_t>(end - c.position()) / smallest_item) return std::nullopt;
    return n;
  };
  const auto strings = count(4);
  if (!strings) return unusable("string table runs past the end");
  cache.strings_.reserve(*strings);
  for (std::uint32_t i = 0; i < *strings; ++i) cache.strings_.push_back(c.str());
  const auto symbols = count(12);
  if (!c.ok() || !symbols) return unusable("string table runs past the end");
  cache.symbols_.reserve(*symbols);
  for (std::uint32_t i = 0; i < *symbols; ++i) {
    const auto name = c.get<std::uint32_t>();
    const auto crc = c.get<std::uint64_t>();
    if (name >= cache.strings_.size()) return unusable("symbol " + std::to_string(i) + " names no string");
    cache.symbols_.push_back(Symbol{cache.strings_[name], crc});
  }
  // The smallest record: its key, the path and five empty lists.
  constexpr std::size_t kMinRecord = 48 + 4 + 5 * 4;
  const auto records = count(kMinRecord);
  if (!c.ok() || !records) return unusable("symbol table runs past the end");
  cache.records_.reserve(*records);
  for (std::uint32_t i = 0; i < *records; ++i) {
    const std::byte* at = c.position();
    c.skip(48);
    const auto path = c.get<std::uint32_t>();
    bool fits = c.ok() && path < cache.strings_.size();
    for (int list = 0; list < 5 && fits; ++list) {
      const std::size_t limit = list < 3 ? cache.strings_.size() : cache.symbols_.size();
      const auto n = c.get<std::uint32_t>();
      for (std::uint32_t j = 0; j < n && fits; ++j) fits = (c.get<std::uint32_t>() & (list == 4 ? ~kWeak : ~0u)) < limit && c.ok();
      fits = fits && c.ok();
    }
    if (!fits) return unusable("record " + std::to_string(i) + " runs past the end or names no entry");
    if (!cache.records_.emplace(cache.strings_[path], Record{i, at}).second)
      return unusable("two records for " + std::string(cache.strings_[path]));
  }
  if (!c.at_end()) return unusable("data after the last record");
  return cache;
}

bool ModuleCache::fill(const std::string& path, const FileKey& key, ModuleContents& out) const {
  const auto it = records_.find(path);
  if (it == records_.end()) return false;
  // open() checked every length and index, so the reads below stay inside.
  Cursor c(it->second.at, data_.get() + size_);
  if (!(read_key(c) == key)) return false;
  c.get<std::uint32_t>();  // the path
  for (std::vector<std::string_view>* list : {&out.aliases, &out.softdeps, &out.weakdeps}) {
    const auto n = c.get<std::uint32_t>();
    list->reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) list->push_back(strings_[c.get<std::uint32_t>()]);
  }
  const auto exports = c.get<std::uint32_t>();
  out.exports.reserve(exports);
  for (std::uint32_t i = 0; i < exports; ++i) {
    const Symbol& s = symbols_[c.get<std::uint32_t>()];
    out.exports.push_back(ExportedSymbol{s.name, s.crc});
  }
  const auto needs = c.get<std::uint32_t>();
  out.needs.reserve(needs);
  for (std::uint32_t i = 0; i < needs; ++i) {
    const auto v = c.get<std::uint32_t>();
    const Symbol& s = symbols_[v & ~kWeak];
    out.needs.push_back(NeededSymbol{s.name, s.crc, (v & kWeak) != 0});
  }
  out.storage = data_;
  return true;
}

bool ModuleCache::same_as(const std::vector<ModuleRecord>& modules) const {
  if (modules.size() != records_.size()) return false;
  for (std::size_t i = 0; i < modules.size(); ++i) {
    if (!modules[i].from_cache || !modules[i].cache_key) return false;
    const auto it = records_.find(modules[i].path);
    if (it == records_.end() || it->second.index != i) return false;
  }
  return true;
}

std::string serialize_module_cache(const CacheSettings& settings, const std::vector<ModuleRecord>& modules) {
  // The tables first, in order of first use, then the records.
  std::unordered_map<std::string_view, std::uint32_t> string_ids;
  std::vector<std::string_view> strings;
  struct PairHash {
    std::size_t operator()(const std::pair<std::uint32_t, std::uint64_t>& p) const {
      return static_cast<std::size_t>((p.first * 0x9E3779B97F4A7C15ull) ^ p.second);
    }
  };
  std::unordered_map<std::pair<std::uint32_t, std::uint64_t>, std::uint32_t, PairHash> symbol_ids;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> symbols;
  auto string_id = [&](std::string_view v) {
    auto [it, added] = string_ids.emplace(v, static_cast<std::uint32_t>(strings.size()));
    if (added) strings.push_back(v);
    return it->second;
  };
  auto symbol_id = [&](std::string_view name, std::uint64_t crc) {
    const std::pair key{string_id(name), crc};
    auto [it, added] = symbol_ids.emplace(key, static_cast<std::uint32_t>(symbols.size()));
    if (added) symbols.push_back(key);
    return it->second;
  };
  Writer records;
  std::uint32_t count = 0;
  for (const ModuleRecord& m : modules) {
    if (!m.cache_key || m.symbols_error) continue;
    const FileKey& k = *m.cache_key;
    records.put(k.dev);
    records.put(k.ino);
    records.put(k.size);
    records.put(k.mtime_sec);
    records.put(k.mtime_nsec);
    records.put(k.ctime_sec);
    records.put(k.ctime_nsec);
    records.put(string_id(m.path));
    for (const std::vector<std::string_view>* list : {&m.aliases, &m.softdeps, &m.weakdeps}) {
      records.put(static_cast<std::uint32_t>(list->size()));
      for (std::string_view v : *list) records.put(string_id(v));
    }
    records.put(static_cast<std::uint32_t>(m.exports.size()));
    for (const ExportedSymbol& e : m.exports) records.put(symbol_id(e.name, e.crc));
    records.put(static_cast<std::uint32_t>(m.needs.size()));
    for (const NeededSymbol& n : m.needs) records.put(symbol_id(n.name, n.crc) | (n.weak ? kWeak : 0));
    ++count;
  }

  Writer w;
  w.out().append(kMagic, sizeof kMagic);
  w.put(kModuleCacheVersion);
  w.put(kByteOrder);
  w.put(std::uint64_t{0});  // size, set below
  w.put(std::uint64_t{0});  // checksum, set below
  w.str(cache_settings_text(settings));
  w.put(static_cast<std::uint32_t>(strings.size()));
  for (std::string_view v : strings) w.str(v);
  w.put(static_cast<std::uint32_t>(symbols.size()));
  for (const auto& [name, crc] : symbols) {
    w.put(name);
    w.put(crc);
  }
  w.put(count);
  w.out().append(records.out());
  w.put_at(16, static_cast<std::uint64_t>(w.out().size()));
  const auto* bytes = reinterpret_cast<const std::byte*>(w.out().data());
  w.put_at(24, checksum64({bytes + kChecksumFrom, w.out().size() - kChecksumFrom}));
  return std::move(w.out());
}

}  // namespace kmodx::depmod
