// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/module_cache.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "depmod/module_cache_format.hpp"
#include "util/checksum.hpp"
#include "util/mapped_file.hpp"

namespace kmodx::depmod {
namespace {

using namespace cache_format;

// Raised whenever what load_module() extracts from a module changes, so
// that records of an older extraction are not reused.
constexpr unsigned kExtractionVersion = 1;

Error unusable(std::string why) { return make_error(EINVAL, std::move(why)); }

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
  auto file = MappedFile::open(path, MappedFile::Options{RegularFile::Links::refuse, true});
  if (!file) {
    const int code = file.error().code;
    if (code == ELOOP) return unusable("a symbolic link");
    if (code == EISDIR || code == EINVAL) return unusable("not a regular file");
    return make_error(code, std::strerror(code));
  }
  ModuleCache cache;
  cache.size_ = file->bytes().size();
  if (cache.size_ < kHeaderSize) return unusable("truncated (" + std::to_string(cache.size_) + " bytes)");
  if (cache.size_ > (std::size_t{1} << 31)) return unusable("larger than 2 GiB");
  auto mapping = std::make_shared<MappedFile>(std::move(file).value());
  cache.data_ = std::shared_ptr<const std::byte>(mapping, mapping->bytes().data());

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
  const std::byte* table = c.position();
  for (std::uint32_t i = 0; i < *strings; ++i) cache.strings_.push_back(c.str());
  if (!c.ok()) return unusable("string table runs past the end");
  cache.string_table_ = {table, c.position()};
  const auto symbols = count(12);
  if (!symbols) return unusable("symbol table runs past the end");
  cache.symbols_.reserve(*symbols);
  table = c.position();
  for (std::uint32_t i = 0; i < *symbols; ++i) {
    const auto name = c.get<std::uint32_t>();
    const auto crc = c.get<std::uint64_t>();
    if (name >= cache.strings_.size()) return unusable("symbol " + std::to_string(i) + " names no string");
    cache.symbols_.push_back(Symbol{cache.strings_[name], crc, name});
  }
  if (!c.ok()) return unusable("symbol table runs past the end");
  cache.symbol_table_ = {table, c.position()};
  // The smallest record: its key, the path and five empty lists.
  constexpr std::size_t kMinRecord = kKeySize + 4 + 5 * 4;
  const auto records = count(kMinRecord);
  if (!records) return unusable("record table runs past the end");
  cache.records_.reserve(*records);
  for (std::uint32_t i = 0; i < *records; ++i) {
    const std::byte* at = c.position();
    c.skip(kKeySize);
    const auto path = c.get<std::uint32_t>();
    bool fits = c.ok() && path < cache.strings_.size();
    for (int list = 0; list < 5 && fits; ++list) {
      const std::size_t limit = list < 3 ? cache.strings_.size() : cache.symbols_.size();
      const auto n = c.get<std::uint32_t>();
      for (std::uint32_t j = 0; j < n && fits; ++j)
        fits = (c.get<std::uint32_t>() & (list == 4 ? ~kWeak : ~0u)) < limit && c.ok();
      fits = fits && c.ok();
    }
    if (!fits) return unusable("record " + std::to_string(i) + " runs past the end or names no entry");
    if (!cache.records_.emplace(cache.strings_[path], Record{i, {at, c.position()}}).second)
      return unusable("two records for " + std::string(cache.strings_[path]));
  }
  if (!c.at_end()) return unusable("data after the last record");
  cache.string_count_ = cache.strings_.size();
  cache.symbol_count_ = cache.symbols_.size();
  return cache;
}

bool ModuleCache::fill(const std::string& path, const FileKey& key, ModuleContents& out) const {
  const auto it = records_.find(path);
  if (it == records_.end()) return false;
  // open() checked every length and index, so the reads below stay inside.
  Cursor c(it->second.bytes.data(), it->second.bytes.data() + it->second.bytes.size());
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

std::span<const std::byte> ModuleCache::record_bytes(std::string_view path) const {
  const auto it = records_.find(path);
  return it == records_.end() ? std::span<const std::byte>{} : it->second.bytes;
}

bool ModuleCache::mostly_used_by(const std::vector<ModuleRecord>& modules) const {
  std::vector<bool> string_used(strings_.size()), symbol_used(symbols_.size());
  for (const ModuleRecord& m : modules) {
    if (!m.from_cache) continue;
    const auto it = records_.find(m.path);
    if (it == records_.end()) continue;
    // open() checked every index.
    Cursor c(it->second.bytes.data(), it->second.bytes.data() + it->second.bytes.size());
    c.skip(kKeySize);
    string_used[c.get<std::uint32_t>()] = true;
    for (int list = 0; list < 5; ++list) {
      const auto n = c.get<std::uint32_t>();
      for (std::uint32_t i = 0; i < n; ++i) {
        const auto v = c.get<std::uint32_t>();
        if (list < 3) string_used[v] = true;
        else symbol_used[v & ~kWeak] = true;
      }
    }
  }
  std::size_t strings = 0, symbols = 0;
  for (std::size_t i = 0; i < symbols_.size(); ++i)
    if (symbol_used[i]) {
      ++symbols;
      string_used[symbols_[i].name_index] = true;
    }
  for (bool used : string_used) strings += used ? 1 : 0;
  return strings * 4 >= strings_.size() * 3 && symbols * 4 >= symbols_.size() * 3;
}

void ModuleCache::release_lookups() {
  std::vector<std::string_view>().swap(strings_);
  std::vector<Symbol>().swap(symbols_);
}

std::vector<std::pair<std::string_view, FileKey>> ModuleCache::records() const {
  std::vector<std::pair<std::string_view, FileKey>> out(records_.size());
  for (const auto& [path, record] : records_) {
    Cursor c(record.bytes.data(), record.bytes.data() + record.bytes.size());
    out[record.index] = {path, read_key(c)};
  }
  return out;
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

}  // namespace kmodx::depmod
