// SPDX-License-Identifier: LGPL-2.1-or-later
// The per-module checks of `kmodx check` (check_context.hpp): each module is
// loaded, in the mind, into a kernel where every other module of the tree
// is already loaded, with load_module()'s rules (loader/sim/sim_load.cpp
// applies the same ones to one real load): vermagic, licence, then every
// undefined symbol through find_symbol(), check_version() and
// verify_namespace_is_imported(). Then what a load would need around it:
// its signature, firmware and soft dependencies.
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <set>

#include "check/check_context.hpp"
#include "util/names.hpp"
#include "util/thread_pool.hpp"

namespace kmodx::check {
namespace {

struct Export {
  const ModuleFacts* owner = nullptr;  ///< nullptr: the kernel
  std::optional<std::uint32_t> crc;
  bool gpl_only = false;
  std::string ns;
};

// Every module's exports by name (the first module in report order wins, as
// the kernel refuses a second export of a name).
std::unordered_map<std::string_view, Export> module_exports(const CheckContext& ctx) {
  std::unordered_map<std::string_view, Export> out;
  for (const ModuleFacts& m : ctx.modules)
    if (m.scanned)
      for (const loader::SimExport& e : m.scanned->exports)
        out.try_emplace(e.name, Export{&m, e.crc, e.gpl_only, e.ns});
  return out;
}

std::string crc_text(std::uint32_t crc) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", crc);
  return buf;
}

// One module's symbols; it reads only what is shared and writes only \p out,
// so modules are checked on several threads at once.
void check_symbols(const CheckContext& ctx, const ModuleFacts& m,
                   const std::unordered_map<std::string_view, Export>& exports, std::vector<CheckFinding>& out) {
  auto add = [&](const char* kind, const std::string& subject, std::string message) {
    out.push_back({m.name, m.file, kind, CheckSeverity::error, subject, std::move(message)});
  };
  const loader::ScannedModule& s = *m.scanned;
  const bool gpl_ok = loader::license_is_gpl_compatible(s.license.value_or("unspecified"));
  std::unordered_set<std::string_view> seen;
  for (const loader::UndefinedSymbol& u : s.undefined) {
    if (!seen.insert(u.name).second) continue;
    std::optional<Export> found;
    if (ctx.kernel) {
      if (const loader::KernelSymbol* k = ctx.kernel->find(u.name)) found = Export{nullptr, k->crc, k->gpl_only, k->ns};
    }
    if (!found) {
      auto it = exports.find(u.name);
      if (it != exports.end() && it->second.owner != &m) found = it->second;
    }
    if (!found) {
      // Without the kernel's table only a module's own imports are known.
      if (u.weak || !ctx.kernel) continue;
      add("unknown-symbol", u.name,
          "Unknown symbol " + u.name + ": exported neither by the kernel (" + ctx.kernel->exports_description() +
              ") nor by a module of the tree");
      continue;
    }
    const std::string from = found->owner ? "module " + found->owner->name : std::string("the kernel");
    if (found->gpl_only && !gpl_ok)
      add("gpl-only-symbol", u.name,
          "uses GPL-only symbol " + u.name + " of " + from + ", but its licence '" +
              s.license.value_or("unspecified") + "' is not GPL-compatible");
    if (found->crc && s.has_versions && u.crc && *u.crc != *found->crc)
      add("crc-mismatch", u.name,
          "disagrees about version of symbol " + u.name + ": " + crc_text(*u.crc) + " here, " +
              crc_text(*found->crc) + " in " + from);
    if (!found->ns.empty() && std::find(s.import_ns.begin(), s.import_ns.end(), found->ns) == s.import_ns.end())
      add("namespace-not-imported", u.name,
          "uses symbol " + u.name + " from namespace " + found->ns + ", but does not import it");
  }
}

void check_signature(CheckContext& ctx, const ModuleFacts& m) {
  if (!m.signature) return;
  const crypto::SignatureCheck& sig = *m.signature;
  using crypto::SignatureStatus;
  switch (sig.status) {
    case SignatureStatus::ok:
      break;
    case SignatureStatus::unsigned_module:
      ctx.add(m, "unsigned", ctx.request.require_signed ? CheckSeverity::error : CheckSeverity::warning, "",
              "module is not signed: loading it taints the kernel (E), or fails with sig_enforce");
      return;
    case SignatureStatus::unsupported:
      ctx.add(m, "unsupported-signature", CheckSeverity::warning, "", "signature not usable: " + sig.detail);
      return;
    case SignatureStatus::unknown_key:
      if (ctx.keys.empty()) return;  // --require-signed alone: presence only
      ctx.add(m, "unknown-key", CheckSeverity::error, sig.signer,
              "signed with a key the kernel does not have: " + sig.signer);
      return;
    case SignatureStatus::bad:
      if (ctx.keys.empty() && sig.kernel_errno == EKEYREJECTED) return;
      ctx.add(m, "bad-signature", CheckSeverity::error, "", "bad signature: " + sig.detail);
      return;
  }
  if (crypto::weak_digest(sig.digest))
    ctx.add(m, "weak-digest", CheckSeverity::warning, sig.digest, "signed with the weak digest " + sig.digest);
}

// firmware= names a file of a firmware directory; the kernel's loader also
// takes it compressed with .xz or .zst (CONFIG_FW_LOADER_COMPRESS).
class FirmwareLookup {
 public:
  explicit FirmwareLookup(const std::vector<std::string>& dirs) : dirs_(dirs) {}
  bool exists(const std::string& name) {
    auto [it, added] = known_.try_emplace(name, false);
    if (!added) return it->second;
    // The kernel's loader refuses names that climb out of its directories.
    if (name.empty() || name == ".." || name.starts_with("../") || name.find("/../") != std::string::npos ||
        name.ends_with("/.."))
      return false;
    for (const std::string& dir : dirs_)
      for (const char* suffix : {"", ".xz", ".zst"}) {
        struct stat st;
        if (::stat((dir + "/" + name + suffix).c_str(), &st) == 0 && S_ISREG(st.st_mode)) return it->second = true;
      }
    return false;
  }

 private:
  const std::vector<std::string>& dirs_;
  std::unordered_map<std::string, bool> known_;
};

std::vector<std::string> softdep_targets(const std::string& value) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < value.size() && value[j] != ' ' && value[j] != '\t') ++j;
    std::string word = value.substr(i, j - i);
    if (!word.empty() && word.back() != ':') out.push_back(std::move(word));
    i = j;
  }
  return out;
}

// What a softdep or weakdep target may be, as modprobe resolves it: a
// module name, or an alias of a module or of built-in code.
class DependencyTargets {
 public:
  explicit DependencyTargets(const CheckContext& ctx) : ctx_(ctx) {}

  bool known(const std::string& target) {
    const std::string name = modname_normalize(target);
    if (ctx_.by_name.contains(name) || ctx_.builtin.contains(name)) return true;
    auto alias = alias_normalize(target);
    if (!alias) return false;
    collect_aliases();
    if (exact_.contains(*alias)) return true;
    return std::any_of(patterns_.begin(), patterns_.end(),
                       [&](const std::string& p) { return ::fnmatch(p.c_str(), alias->c_str(), 0) == 0; });
  }

 private:
  // Only a target that is no module name needs the aliases (a few on a
  // distribution's tree): they are gathered the first time.
  void collect_aliases() {
    if (collected_) return;
    collected_ = true;
    auto add = [&](const std::string& pattern) {
      auto normal = alias_normalize(pattern);
      if (!normal) return;
      if (normal->find_first_of("*?[") == std::string::npos) exact_.insert(*normal);
      else patterns_.push_back(*normal);
    };
    for (const ModuleFacts& m : ctx_.modules)
      if (m.scanned)
        for (const std::string& a : m.scanned->aliases) add(a);
    for (const std::string& a : ctx_.builtin_aliases) add(a);
  }

  const CheckContext& ctx_;
  bool collected_ = false;
  std::unordered_set<std::string> exact_;
  std::vector<std::string> patterns_;
};

void check_soft_dependencies(CheckContext& ctx, const ModuleFacts& m, DependencyTargets& targets) {
  auto known = [&](const std::string& target) { return targets.known(target); };
  std::set<std::string> reported;
  for (const std::string& value : m.scanned->softdeps)
    for (const std::string& target : softdep_targets(value))
      if (!known(target) && reported.insert("s" + target).second)
        ctx.add(m, "softdep-missing", CheckSeverity::warning, target,
                "softdep " + target + " is neither a module of the tree nor built in");
  for (const std::string& value : m.scanned->weakdeps)
    for (const std::string& target : softdep_targets(value))
      if (!known(target) && reported.insert("w" + target).second)
        ctx.add(m, "weakdep-missing", CheckSeverity::warning, target,
                "weakdep " + target + " is neither a module of the tree nor built in");
}

}  // namespace

void check_modules(CheckContext& ctx) {
  const auto exports = module_exports(ctx);
  std::vector<std::vector<CheckFinding>> symbol_findings(ctx.modules.size());
  {
    ThreadPool pool(ctx.request.threads);
    for (std::size_t i = 0; i < ctx.modules.size(); ++i)
      if (ctx.modules[i].target && ctx.modules[i].scanned)
        pool.submit([&, i] { check_symbols(ctx, ctx.modules[i], exports, symbol_findings[i]); });
    pool.wait();
  }
  FirmwareLookup firmware(ctx.request.firmware_dirs);
  DependencyTargets targets(ctx);
  for (std::size_t i = 0; i < ctx.modules.size(); ++i) {
    const ModuleFacts& m = ctx.modules[i];
    if (!m.target) continue;
    if (!m.scanned) {
      ctx.add(m, "module-unreadable", CheckSeverity::error, "", m.unreadable);
      continue;
    }
    const loader::ScannedModule& s = *m.scanned;
    if (!s.vermagic) {
      ctx.add(m, "vermagic", CheckSeverity::error, "",
              "no vermagic: the kernel refuses it (bad vermagic) unless forced");
    } else if (std::string_view(*s.vermagic).substr(0, s.vermagic->find(' ')) != ctx.request.release) {
      ctx.add(m, "vermagic", CheckSeverity::error, *s.vermagic,
              "version magic '" + *s.vermagic + "' does not match release " + ctx.request.release);
    }
    if (!s.license)
      ctx.add(m, "no-license", CheckSeverity::warning, "", "no MODULE_LICENSE: loading it taints the kernel (P)");
    for (CheckFinding& f : symbol_findings[i]) ctx.findings.push_back(std::move(f));
    check_signature(ctx, m);
    if (!ctx.request.firmware_dirs.empty()) {
      std::set<std::string> seen;
      for (const std::string& fw : s.firmware)
        if (seen.insert(fw).second && !firmware.exists(fw))
          ctx.add(m, "firmware-missing", CheckSeverity::warning, fw,
                  "firmware " + fw + " (or .xz, .zst) is in no firmware directory");
    }
    check_soft_dependencies(ctx, m, targets);
  }
}

}  // namespace kmodx::check
