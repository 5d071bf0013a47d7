// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/module_cache.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "depmod/module_cache_format.hpp"
#include "util/checksum.hpp"
#include "util/mapped_file.hpp"  // RegularFile

namespace kmodx::depmod {
namespace {

using namespace cache_format;

// Raised whenever what load_module() extracts from a module changes, so
// that records of an older extraction are not reused.
constexpr unsigned kExtractionVersion = 1;

Error unusable(std::string why) { return make_error(EINVAL, std::move(why)); }

// The whole of \p file in memory of its own, mapped up front: one call
// instead of a page fault per page, which made reading a 3 MB cache cost
// 11-22 ms on the build machine against 7.
Result<std::shared_ptr<const std::byte>> read_whole(const RegularFile& file, const std::string& path) {
  const std::size_t n = file.size();
  void* p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) return make_error(errno, std::strerror(errno));
  std::shared_ptr<std::byte> bytes(static_cast<std::byte*>(p), [n](std::byte* b) { ::munmap(b, n); });
  if (auto r = file.read_all(bytes.get(), path); !r) return make_error(r.error().code, std::strerror(r.error().code));
  return std::shared_ptr<const std::byte>(std::move(bytes));
}

}  // namespace

std::string cache_settings_text(const CacheSettings& settings) {
  char prefix[8];
  std::snprintf(prefix, sizeof prefix, "%02x", static_cast<unsigned char>(settings.symbol_prefix));
  return "kmodx " KMODX_VERSION " extraction " + std::to_string(kExtractionVersion) + "\nmodule directory " +
         settings.module_dir + "\nsymbol prefix " + prefix + "\n";
}

std::optional<FileKey> file_key(const std::string& path) {
  struct statx st {};
  if (::statx(AT_FDCWD, path.c_str(), AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &st) != 0) return std::nullopt;
  FileKey k;
  k.dev = makedev(st.stx_dev_major, st.stx_dev_minor);  // what stat() calls st_dev
  k.ino = st.stx_ino;
  k.size = st.stx_size;
  k.mtime_sec = st.stx_mtime.tv_sec;
  k.mtime_nsec = st.stx_mtime.tv_nsec;
  k.ctime_sec = st.stx_ctime.tv_sec;
  k.ctime_nsec = st.stx_ctime.tv_nsec;
  return k;
}

bool CtimeFilesystems::trusted(std::uint64_t dev, const std::string& path) {
  std::lock_guard lock(mutex_);
  if (auto it = known_.find(dev); it != known_.end()) return it->second;
  // statfs(2)'s f_type values (linux/magic.h).
  static constexpr std::uint32_t kStampingCtime[] = {
      0xEF53,      // ext2, ext3, ext4
      0x58465342,  // xfs
      0x9123683E,  // btrfs
      0x01021994,  // tmpfs
      0x858458F6,  // ramfs
      0xF2F52010,  // f2fs
      0x794C7630,  // overlayfs
      0x6969,      // nfs
      0x2FC12FC1,  // zfs
      0xCA451A4E,  // bcachefs
      0x3153464A,  // jfs
      0x52654973,  // reiserfs
  };
  struct statfs fs {};
  bool ok = false;
  if (::statfs(path.c_str(), &fs) == 0)
    for (std::uint32_t type : kStampingCtime) ok = ok || static_cast<std::uint32_t>(fs.f_type) == type;
  known_.emplace(dev, ok);
  return ok;
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
    if (code == ELOOP) return unusable("a symbolic link, or a loop of them in its path");
    if (code == EISDIR || code == EINVAL) return unusable("not a regular file");
    return make_error(code, std::strerror(code));
  }
  ModuleCache cache;
  cache.size_ = file->size();
  if (cache.size_ < kHeaderSize) return unusable("truncated (" + std::to_string(cache.size_) + " bytes)");
  if (cache.size_ > kMaxCacheSize) return unusable("larger than " + std::to_string(kMaxCacheSize >> 20) + " MiB");
  // Read, not mapped: the checks below hold for these bytes whatever
  // happens to the file meanwhile (a mapping would show a rewrite in place).
  auto bytes = read_whole(*file, path);
  if (!bytes) return std::move(bytes).take_error();
  cache.data_ = std::move(bytes).value();

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
  constexpr std::size_t kMinRecord = kKeySize + 4 + kRecordLists * 4;
  const auto records = count(kMinRecord);
  if (!records) return unusable("record table runs past the end");
  cache.records_.reserve(*records);
  const auto strings_count = cache.strings_.size(), symbols_count = cache.symbols_.size();
  for (std::uint32_t i = 0; i < *records; ++i) {
    const std::byte* at = c.position();
    c.skip(kKeySize);
    std::uint32_t path = 0;
    const bool fits = walk_record(
        c, [&](std::uint32_t p) { return (path = p) < strings_count; }, [](int, std::uint32_t) { return true; },
        [&](int list, std::uint32_t v) {
          return list < kExportList ? v < strings_count : (list == kNeedList ? v & ~kWeak : v) < symbols_count;
        });
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
  // open() checked every length and index of these bytes, which are ours.
  Cursor c(it->second.bytes.data(), it->second.bytes.data() + it->second.bytes.size());
  if (!(read_key(c) == key)) return false;
  std::vector<std::string_view>* lists[] = {&out.aliases, &out.softdeps, &out.weakdeps};
  walk_record(
      c, [](std::uint32_t) { return true; },
      [&](int list, std::uint32_t n) {
        if (list < kExportList) lists[list]->reserve(n);
        else if (list == kExportList) out.exports.reserve(n);
        else out.needs.reserve(n);
        return true;
      },
      [&](int list, std::uint32_t v) {
        if (list < kExportList) {
          lists[list]->push_back(strings_[v]);
        } else if (list == kExportList) {
          out.exports.push_back(ExportedSymbol{symbols_[v].name, symbols_[v].crc});
        } else {
          const Symbol& s = symbols_[v & ~kWeak];
          out.needs.push_back(NeededSymbol{s.name, s.crc, (v & kWeak) != 0});
        }
        return true;
      });
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
    Cursor c(it->second.bytes.data(), it->second.bytes.data() + it->second.bytes.size());
    c.skip(kKeySize);
    walk_record(
        c,
        [&](std::uint32_t p) {
          string_used[p] = true;
          return true;
        },
        [](int, std::uint32_t) { return true; },
        [&](int list, std::uint32_t v) {
          if (list < kExportList) string_used[v] = true;
          else symbol_used[v & ~kWeak] = true;
          return true;
        });
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
