// SPDX-License-Identifier: LGPL-2.1-or-later
// The one module lookup (KMOD-SPEC §8.2) and the index set it reads; see
// kmodx/module_lookup.hpp.
#include <fnmatch.h>
#include <sys/stat.h>

#include <array>
#include <map>
#include <mutex>

#include "kmodx/modprobe_config.hpp"
#include "kmodx/module_lookup.hpp"
#include "util/names.hpp"

namespace kmodx {
namespace {

constexpr std::array<std::string_view, 5> kIndexFiles{
    "modules.dep.bin", "modules.alias.bin", "modules.symbols.bin", "modules.builtin.bin", "modules.builtin.alias.bin",
};

std::size_t slot(LookupIndex which) { return static_cast<std::size_t>(which); }

// The file an index was opened from, as stat() tells it apart from a newer
// one at the same path.
struct FileIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  timespec mtime{}, ctime{};

  static std::optional<FileIdentity> of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    return FileIdentity{st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim};
  }
  bool operator==(const FileIdentity& o) const {
    return dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
           mtime.tv_nsec == o.mtime.tv_nsec && ctime.tv_sec == o.ctime.tv_sec && ctime.tv_nsec == o.ctime.tv_nsec;
  }
};

}  // namespace

struct LookupIndexes::PerCall {
  struct Kept {
    std::shared_ptr<const Index> index;
    FileIdentity identity;
  };
  std::mutex mutex;
  std::array<Kept, kIndexFiles.size()> kept;
};

LookupIndexes::LookupIndexes(std::string dirname, Loading loading, DiagnosticSink* damage_sink)
    : dirname_(std::move(dirname)),
      loading_(loading),
      preloaded_(kIndexFiles.size()),
      per_call_(std::make_unique<PerCall>()),
      damage_(damage_sink) {
  (void)set_loading(loading);  // a missing index is "not found" for lookups
}

std::map<LookupIndex, int> LookupIndexes::set_loading(Loading loading) {
  loading_ = loading;
  std::map<LookupIndex, int> failed;
  for (std::size_t i = 0; i < kIndexFiles.size(); ++i) {
    preloaded_[i].reset();
    per_call_->kept[i] = {};
    if (loading_ != Loading::preloaded) continue;
    auto index = Index::open(dirname_ + "/" + std::string(kIndexFiles[i]));
    if (index) preloaded_[i] = std::move(index).value();
    else failed.emplace(static_cast<LookupIndex>(i), index.error().code);
  }
  return failed;
}

LookupIndexes::LookupIndexes(LookupIndexes&&) noexcept = default;
LookupIndexes::~LookupIndexes() = default;

const Index* LookupIndexes::preloaded(LookupIndex which) const {
  const auto& index = preloaded_[slot(which)];
  return index ? &*index : nullptr;
}

std::shared_ptr<const Index> LookupIndexes::index_for(LookupIndex which) const {
  if (loading_ == Loading::preloaded) return {std::shared_ptr<const Index>(), preloaded(which)};  // not owned
  const std::string path = dirname_ + "/" + std::string(kIndexFiles[slot(which)]);
  auto identity = FileIdentity::of(path);
  PerCall::Kept& kept = per_call_->kept[slot(which)];
  if (!identity) {  // libkmod: a missing index means "not found"
    std::lock_guard lock(per_call_->mutex);
    kept = {};  // (and the removed file is not held open)
    return nullptr;
  }
  {
    std::lock_guard lock(per_call_->mutex);
    if (kept.index && kept.identity == *identity) return kept.index;
  }
  auto index = Index::open(path);
  if (!index) return nullptr;  // libkmod: an unusable index means "not found"
  auto opened = std::make_shared<const Index>(std::move(index).value());
  // Kept only when the file was the same before and after the opening.
  if (FileIdentity::of(path) == identity) {
    std::lock_guard lock(per_call_->mutex);
    kept = {opened, *identity};
  }
  return opened;
}

std::optional<std::string> LookupIndexes::exact(LookupIndex which, std::string_view key) const {
  std::shared_ptr<const Index> index = index_for(which);
  if (index == nullptr) return std::nullopt;
  Error damage;
  auto value = index->lookup_exact(key, &damage);
  damage_.check(*index, damage);
  return value;
}

std::vector<IndexValue> LookupIndexes::wildcard(LookupIndex which, std::string_view query) const {
  std::shared_ptr<const Index> index = index_for(which);
  if (index == nullptr) return {};
  Error damage;
  // libkmod reads preloaded indexes through the mapping, others through
  // its file reader (Index::ReadMode).
  auto values = index->search_wildcard(
      query, &damage, loading_ == Loading::preloaded ? Index::ReadMode::mapped : Index::ReadMode::stream);
  damage_.check(*index, damage);
  return values;
}

Result<std::vector<LookupHit>> lookup_module(std::string_view name, const LookupIndexes& indexes,
                                             const ModprobeConfig* config) {
  auto normalized = alias_normalize(name);
  if (!normalized) return std::move(normalized).take_error();
  const std::string& q = *normalized;
  std::vector<LookupHit> found;
  auto from_index = [&](LookupIndex which, LookupHit::Step step) {
    for (IndexValue& v : indexes.wildcard(which, q)) found.push_back({step, std::move(v.value), q, {}, nullptr});
  };

  // 1. configuration aliases: every matching entry, the pattern becomes the alias.
  if (config != nullptr)
    for (const ConfigAlias& alias : config->aliases)
      if (::fnmatch(alias.pattern.c_str(), q.c_str(), 0) == 0)
        found.push_back({LookupHit::Step::config_alias, alias.module, alias.pattern, {}, nullptr});
  if (!found.empty()) return found;
  // 2. modules.dep.bin, exact.
  if (q.find(':') == std::string::npos) {
    if (auto line = indexes.exact(LookupIndex::dep, q)) {
      found.push_back({LookupHit::Step::dep, q, {}, std::move(*line), nullptr});
      return found;
    }
  }
  // 3. symbol: aliases.
  if (q.starts_with("symbol:")) {
    from_index(LookupIndex::symbols, LookupHit::Step::symbol);
    if (!found.empty()) return found;
  }
  // 4. install, then remove commands named exactly like the query.
  if (config != nullptr) {
    for (const auto& [commands, step] : {std::pair{&config->install, LookupHit::Step::install_command},
                                         std::pair{&config->remove, LookupHit::Step::remove_command}})
      for (const ConfigText& entry : *commands)
        if (entry.module == q) {
          found.push_back({step, q, {}, {}, &entry});
          return found;
        }
  }
  // 5. modules.alias.bin.
  from_index(LookupIndex::alias, LookupHit::Step::alias);
  if (!found.empty()) return found;
  // 6. modules.builtin.bin, exact.
  if (indexes.exact(LookupIndex::builtin, q)) {
    found.push_back({LookupHit::Step::builtin, q, {}, {}, nullptr});
    return found;
  }
  // 7. modules.builtin.alias.bin.
  from_index(LookupIndex::builtin_alias, LookupHit::Step::builtin_alias);
  return found;
}

std::optional<LookupHit> lookup_module_name(std::string_view name, const LookupIndexes& indexes) {
  const std::string q = modname_normalize(name);
  if (auto line = indexes.exact(LookupIndex::dep, q)) return LookupHit{LookupHit::Step::dep, q, {}, std::move(*line)};
  if (indexes.exact(LookupIndex::builtin, q)) return LookupHit{LookupHit::Step::builtin, q, {}, {}};
  auto values = indexes.wildcard(LookupIndex::builtin_alias, q);
  if (values.empty()) return std::nullopt;
  return LookupHit{LookupHit::Step::builtin_alias, std::move(values.front().value), q, {}};
}

}  // namespace kmodx
