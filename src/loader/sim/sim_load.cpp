// SPDX-License-Identifier: LGPL-2.1-or-later
// Inserting a module into the simulated kernel: the checks of the kernel's
// load_module() (kernel/module/main.c, 6.1) in its order, with its errno
// values and messages (see sim_backend.hpp for the list).
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>
#include <cstdio>
#include <cstring>

#include "crypto/module_signature.hpp"
#include "kmodx/module_image.hpp"
#include "loader/sim/sim_backend.hpp"
#include "loader/sim/sim_kernel.hpp"
#include "loader/sim/sim_module_scan.hpp"
#include "loader/sim/sim_params.hpp"
#include "loader/sim/sim_util.hpp"

namespace kmodx::loader {
namespace {

void add_module_taint(std::string& taint, char flag) {
  if (taint.find(flag) != std::string::npos) return;
  taint += flag;
  std::sort(taint.begin(), taint.end(),
            [](char a, char b) { return kModuleTaintOrder.find(a) < kModuleTaintOrder.find(b); });
}

// Where an exported symbol was found: the kernel (owner == nullptr) or a
// loaded module.
struct Found {
  const SimModule* owner = nullptr;
  std::optional<std::uint32_t> crc;
  bool gpl_only = false;
  std::string ns;
};

// find_symbol(): the kernel's tables, then every loaded module; GPL-only
// tables are skipped unless gplok. With the builtin-set guess, modules come
// first so that a loaded module providing the symbol becomes its owner.
std::optional<Found> find_symbol(const SimKernel& kernel, const SimState& state, const std::string& name, bool gplok) {
  auto in_kernel = [&]() -> std::optional<Found> {
    const KernelSymbol* k = kernel.find(name);
    if (k == nullptr || (k->gpl_only && !gplok)) return std::nullopt;
    return Found{nullptr, k->crc, k->gpl_only, k->ns};
  };
  auto in_modules = [&]() -> std::optional<Found> {
    for (const SimModule& m : state.modules)
      for (const SimExport& e : m.exports)
        if (e.name == name && (!e.gpl_only || gplok)) return Found{&m, e.crc, e.gpl_only, e.ns};
    return std::nullopt;
  };
  if (kernel.guesses_exports()) {
    if (auto f = in_modules()) return f;
    return in_kernel();
  }
  if (auto f = in_kernel()) return f;
  return in_modules();
}

struct LoadContext {
  const ScannedModule& mod;
  const SimKernel& kernel;
  bool force_load;
  unsigned long tainted;  // the kernel's mask, as this load leaves it
  std::string taint;
  std::vector<std::string> log;

  // add_taint_module(): the module's flag and the kernel's bit.
  void add_taint(char flag) {
    add_module_taint(taint, flag);
    tainted |= 1UL << taint_bit(flag);
  }
  // test_taint()
  bool kernel_tainted(char flag) const { return (tainted & (1UL << taint_bit(flag))) != 0; }

  // try_to_force_load(): CONFIG_MODULE_FORCE_LOAD taints, else ENOEXEC.
  bool try_to_force_load(const std::string& reason) {
    if (!force_load) return false;
    if (taint.find('F') == std::string::npos) log.push_back(mod.name + ": " + reason + ": kernel tainted.");
    add_taint('F');
    return true;
  }
};

// module_sig_check() (kernel/module/signing.c): nullopt when the load goes
// on (sig_ok says whether the signature verified), else the error. A bad
// signature is refused even without sig_enforce; a missing one, or one
// whose key or crypto the kernel lacks, only with it.
std::optional<Error> module_sig_check(const SimKernel& kernel, const InsertRequest& request,
                                      std::span<const std::byte> image, bool& sig_ok,
                                      std::vector<std::string>& log) {
  sig_ok = false;
  if (!kernel.module_sig()) return std::nullopt;
  // A module with its version information removed is not what was signed.
  const bool mangled = request.ignore_modversions || request.ignore_vermagic;
  crypto::SignatureCheck sig;
  sig.kernel_errno = ENODATA;
  if (!mangled) sig = crypto::verify_module_signature(image, *kernel.keys());
  const char* reason = nullptr;
  switch (sig.status) {
    case crypto::SignatureStatus::ok: sig_ok = true; return std::nullopt;
    case crypto::SignatureStatus::unsigned_module: reason = "unsigned module"; break;
    case crypto::SignatureStatus::unsupported: reason = "module with unsupported crypto"; break;
    case crypto::SignatureStatus::unknown_key: reason = "module with unavailable key"; break;
    case crypto::SignatureStatus::bad:
      return make_error(sig.kernel_errno, request.path + ": " + sig.detail);
  }
  if (!kernel.sig_enforce()) return std::nullopt;
  log.push_back(std::string("Loading of ") + reason + " is rejected");
  return make_error(EKEYREJECTED, request.path + ": " + reason + " (sig_enforce=y)");
}

Error fail(int code, const LoadContext& ctx, const std::string& what) {
  std::string detail = what;
  for (const std::string& l : ctx.log)
    if (l != what) detail += "\n" + l;
  return make_error(code, detail);
}

}  // namespace

Result<void> SimBackend::insert(const InsertRequest& request) {
  // add_unformed_module(): a module of the same name that is still coming
  // is waited for; then it is live (EEXIST) or gone (this load goes on).
  for (int waited_ms = 0;; waited_ms += 10) {
    bool wait = false;
    std::optional<SlowInit> slow;
    auto checked = insert_checked(request, wait, slow);
    if (!checked) return checked;
    if (slow) {
      std::this_thread::sleep_for(std::chrono::milliseconds(slow->milliseconds));
      return finish_init(*slow);
    }
    if (!wait) return checked;
    if (waited_ms >= 600000) return make_error(EBUSY, request.path + ": the module stays coming for 10 minutes");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Result<void> SimBackend::finish_init(const SlowInit& init) {
  auto snap = read_snapshot(true);
  if (!snap) return std::move(snap).take_error();
  SimModule* m = snap->state.find(init.name);
  if (m == nullptr || !m->coming) return make_error(EIO, init.name + ": the coming module vanished from the state");
  if (init.error != 0) {
    const std::string what = init.name + ": init function returned -" + std::to_string(init.error) + " (" +
                             std::strerror(init.error) + "), configured in " + dir_.file("init-errors");
    std::erase_if(snap->state.modules, [&](const SimModule& x) { return x.name == init.name; });
    dir_.log({what});
    if (auto saved = dir_.save(snap->state, snap->busy); !saved) return saved;
    return make_error(init.error, what);
  }
  m->coming = false;
  dir_.log({init.name + ": init done"});
  return dir_.save(snap->state, snap->busy);
}

Result<void> SimBackend::insert_checked(const InsertRequest& request, bool& wait, std::optional<SlowInit>& slow) {
  auto snap = read_snapshot(true);
  if (!snap) return std::move(snap).take_error();
  SimState* state = &snap->state;
  const auto* busy = &snap->busy;
  auto init_errors = read_name_number_file(dir_.file("init-errors"));
  if (!init_errors) return std::move(init_errors).take_error();
  auto init_delays = read_name_number_file(dir_.file("init-delays"));
  if (!init_delays) return std::move(init_delays).take_error();
  auto kernel = SimKernel::load(dir_, module_dir_);
  if (!kernel) return std::move(kernel).take_error();
  // Best effort: the file only tells a human which exports are simulated.
  (void)write_file_atomic(dir_.file("kernel"), kernel->describe());

  auto image = ModuleImage::open(request.path);
  if (!image) return std::move(image).take_error();
  bool sig_ok = false;
  std::vector<std::string> sig_log;
  if (auto refused = module_sig_check(*kernel, request, image->bytes(), sig_ok, sig_log)) {
    dir_.log(sig_log);
    return std::move(*refused);
  }
  auto scanned = scan_module(image->bytes(), request.path);
  if (!scanned) {
    dir_.log({scanned.error().detail});
    return std::move(scanned).take_error();
  }
  const ScannedModule& mod = *scanned;
  LoadContext ctx{mod, *kernel, kernel->force_load(), state->tainted, "", {}};
  auto failed = [&](int code, const std::string& what) {
    if (std::find(ctx.log.begin(), ctx.log.end(), what) == ctx.log.end()) ctx.log.push_back(what);
    dir_.log(ctx.log);
    // What the load tainted stays tainted, as in the kernel.
    if (ctx.tainted != state->tainted) {
      state->tainted = ctx.tainted;
      (void)dir_.save(*state, *busy);
    }
    return fail(code, ctx, what);
  };

  // MODULE_INIT_IGNORE_MODVERSIONS: "Pretend no __versions section!"
  const bool has_versions = mod.has_versions && !request.ignore_modversions;

  // check_modinfo(): vermagic, then the taints from .modinfo.
  if (!mod.vermagic || request.ignore_vermagic) {
    if (!ctx.try_to_force_load("bad vermagic"))
      return failed(ENOEXEC, mod.name + ": bad vermagic (no vermagic, or it was ignored, and this kernel has "
                                         "module_force_load=n)");
  } else if (std::string expected; !kernel->vermagic_ok(*mod.vermagic, has_versions, expected)) {
    return failed(ENOEXEC, mod.name + ": version magic '" + *mod.vermagic + "' should be '" + expected + "'");
  }
  // set_license() and the out-of-tree taint say so only while the kernel
  // is not tainted that way yet.
  const std::string license = mod.license.value_or("unspecified");
  if (!license_is_gpl_compatible(license)) {
    if (!ctx.kernel_tainted('P')) ctx.log.push_back(mod.name + ": module license '" + license + "' taints kernel.");
    ctx.add_taint('P');
  }
  if (!mod.intree) {
    if (!ctx.kernel_tainted('O')) ctx.log.push_back(mod.name + ": loading out-of-tree module taints kernel.");
    ctx.add_taint('O');
  }
  if (mod.staging) {
    ctx.log.push_back(mod.name +
                      ": module is from the staging directory, the quality is unknown, you have been warned.");
    ctx.add_taint('C');
  }
  // check_modinfo_livepatch() (CONFIG_LIVEPATCH=y, as Debian's kernels)
  // and the KUnit test module taint.
  if (mod.livepatch) {
    if (!ctx.kernel_tainted('K')) ctx.log.push_back(mod.name + ": tainting kernel with TAINT_LIVEPATCH");
    ctx.add_taint('K');
  }
  if (mod.test) {
    if (!ctx.kernel_tainted('N')) ctx.log.push_back(mod.name + ": loading test module taints kernel.");
    ctx.add_taint('N');
  }

  // add_unformed_module()
  if (const SimModule* old = state->find(mod.name)) {
    if (old->coming) {
      wait = true;
      return {};
    }
    return failed(EEXIST, mod.name + ": already loaded");
  }

  // CONFIG_MODULE_SIG: a module whose signature did not verify taints E
  // (pr_notice_once: the first such module says so).
  if (kernel->module_sig() && !sig_ok) {
    if (!ctx.kernel_tainted('E'))
      ctx.log.push_back(mod.name +
                        ": module verification failed: signature and/or required key missing - tainting kernel");
    ctx.add_taint('E');
  }

  // simplify_symbols() -> resolve_symbol() for each undefined symbol.
  std::vector<std::string> uses;
  bool using_gplonly = false;
  int sym_error = 0;
  std::string first_unknown;  // its log line
  for (const UndefinedSymbol& u : mod.undefined) {
    const bool gplok = ctx.taint.find('P') == std::string::npos;
    auto found = find_symbol(*kernel, *state, u.name, gplok);
    int err = 0;
    if (!found) {
      err = ENOENT;
    } else {
      // resolve_symbol_wait(): an exporter still coming is waited for.
      if (found->owner != nullptr && found->owner->coming) {
        wait = true;
        return {};
      }
      if (found->gpl_only) using_gplonly = true;
      // inherit_taint()
      if (found->owner != nullptr && found->owner->taint.find('P') != std::string::npos) {
        if (using_gplonly) {
          ctx.log.push_back(mod.name + ": module using GPL-only symbols uses symbols " + u.name +
                            " from proprietary module " + found->owner->name + ".");
          err = ENOENT;
        } else if (ctx.taint.find('P') == std::string::npos) {
          ctx.log.push_back(mod.name + ": module uses symbols " + u.name + " from proprietary module " +
                            found->owner->name + ", inheriting taint.");
          ctx.add_taint('P');
        }
      }
      // check_version(): only when the exporter has a CRC.
      if (err == 0 && found->crc) {
        if (!has_versions) {
          if (!ctx.try_to_force_load(u.name)) err = EINVAL;
        } else if (!u.crc) {
          ctx.log.push_back(mod.name + ": no symbol version for " + u.name);
        } else if (*u.crc != *found->crc) {
          ctx.log.push_back(mod.name + ": disagrees about version of symbol " + u.name);
          err = EINVAL;
        }
      }
      // verify_namespace_is_imported()
      if (err == 0 && !found->ns.empty() &&
          std::find(mod.import_ns.begin(), mod.import_ns.end(), found->ns) == mod.import_ns.end()) {
        ctx.log.push_back(mod.name + ": module uses symbol (" + u.name + ") from namespace " + found->ns +
                          ", but does not import it.");
        err = EINVAL;
      }
      // ref_module()
      if (err == 0 && found->owner != nullptr &&
          std::find(uses.begin(), uses.end(), found->owner->name) == uses.end())
        uses.push_back(found->owner->name);
    }
    if (err == 0) continue;
    // An unresolved weak symbol is fine, but an error other than "not found"
    // is not (resolve_symbol() returned ERR_PTR, not NULL).
    if (u.weak && err == ENOENT) continue;
    ctx.log.push_back(mod.name + ": Unknown symbol " + u.name + " (err -" + std::to_string(err) + ")");
    if (first_unknown.empty()) first_unknown = ctx.log.back();
    sym_error = err;
  }
  if (sym_error != 0) {
    ctx.log.push_back("(simulated kernel " + kernel->exports_description() + ")");
    return failed(sym_error, first_unknown);
  }

  // complete_formation() -> verify_exported_symbols(). With the builtin-set
  // guess the kernel's side is unknown, so only loaded modules count.
  for (const SimExport& e : mod.exports) {
    const SimModule* owner = nullptr;
    bool in_kernel = !kernel->guesses_exports() && kernel->find(e.name) != nullptr;
    for (const SimModule& m : state->modules)
      for (const SimExport& x : m.exports)
        if (owner == nullptr && x.name == e.name) owner = &m;
    if (in_kernel || owner != nullptr)
      return failed(ENOEXEC, mod.name + ": exports duplicate symbol " + e.name + " (owned by " +
                                 (owner != nullptr ? owner->name : std::string("kernel")) + ")");
  }

  // parse_args()
  ParamOutcome params = parse_module_params(mod.name, request.params, mod.params);
  ctx.log.insert(ctx.log.end(), params.log.begin(), params.log.end());
  if (params.error != 0) {
    std::string last = params.log.empty() ? mod.name + ": bad parameters" : params.log.back();
    return failed(params.error, last);
  }

  // The init call: the init function "returns" what init-errors says,
  // after the time init-delays gives it.
  int init_error = 0;
  long delay_ms = 0;
  if (mod.has_init) {
    for (const auto& [name, value] : *init_errors)
      if (name == mod.name && value != 0) init_error = static_cast<int>(value < 0 ? -value : value);
    for (const auto& [name, value] : *init_delays)
      if (name == mod.name && value > 0) delay_ms = std::min(value, 600000L);
  }
  if (init_error != 0 && delay_ms == 0)
    return failed(init_error, mod.name + ": init function returned -" + std::to_string(init_error) + " (" +
                                  std::strerror(init_error) + "), configured in " + dir_.file("init-errors"));

  SimModule live;
  live.name = mod.name;
  live.path = request.path;
  live.size = mod.core_size;
  live.has_init = mod.has_init;
  live.has_exit = mod.has_exit;
  live.taint = ctx.taint;
  state->tainted = ctx.tainted;
  live.uses = std::move(uses);
  live.params = std::move(params.values);
  live.exports = mod.exports;
  live.coming = delay_ms > 0;
  state->modules.insert(state->modules.begin(), std::move(live));  // list_add_rcu(): at the head
  if (delay_ms > 0) {
    ctx.log.push_back(mod.name + ": init started (takes " + std::to_string(delay_ms) + " ms, " +
                      dir_.file("init-delays") + ")");
    slow = SlowInit{mod.name, delay_ms, init_error};
  }
  dir_.log(ctx.log);
  return dir_.save(*state, *busy);
}

}  // namespace kmodx::loader
