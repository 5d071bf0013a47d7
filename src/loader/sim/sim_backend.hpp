// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// The `sim` LoaderBackend: a simulated kernel inside the process whose state
// lives in a directory (sim_state.hpp), so that separate commands share it.
//
// insert() follows the order of the kernel's load_module() (6.1) and returns
// its errno values:
//   ELF validity                          ENOEXEC
//   vermagic (check_modinfo)              ENOEXEC, or taint F when ignored
//   license, intree, staging              taints P, O, C
//   already loaded (add_unformed_module)  EEXIST
//   symbol resolution (simplify_symbols), for every undefined symbol:
//     not exported / GPL-only for a non-GPL module   ENOENT "Unknown symbol"
//     CRC differs from the exporter's                 EINVAL
//     namespace not imported                          EINVAL
//     (a failing weak symbol is left unresolved; the last error wins)
//   duplicate export (verify_exported_symbols)       ENOEXEC
//   parameters (parse_args)               EINVAL / ERANGE / ENOSPC; unknown
//                                         names are only warned about
//   init function                         the errno configured in
//                                         <state>/init-errors, else success;
//                                         with a time in <state>/init-delays
//                                         it runs that long with the state
//                                         unlocked and the module "coming"
//                                         (a second insert of it waits)
// remove() follows the unload system call: ENOENT, EWOULDBLOCK while other modules
// use it (even when forced), EBUSY for init-without-exit unless forced,
// EWOULDBLOCK for a non-zero refcnt unless forced.
//
// What the simulated kernel logs goes to <state>/dmesg and into the error
// detail; nothing is printed.
#include <memory>
#include <optional>
#include <string>

#include "kmodx/loader.hpp"
#include "loader/sim/sim_state.hpp"

namespace kmodx::loader {

class SimBackend final : public LoaderBackend {
 public:
  SimBackend(SimStateDir dir, std::string module_dir, DiagnosticSink& sink)
      : dir_(std::move(dir)), module_dir_(std::move(module_dir)), sink_(sink) {}

  std::string_view kind() const override { return "sim"; }
  Result<void> insert(const InsertRequest& request) override;
  Result<void> remove(std::string_view name, bool force) override;
  Result<InitState> initstate(std::string_view name) override;
  Result<long> refcnt(std::string_view name) override;
  Result<std::vector<std::string>> holders(std::string_view name) override;
  Result<long> size(std::string_view name) override;
  Result<std::vector<ProcModule>> loaded_modules() override;
  Result<std::vector<ModuleStatus>> module_statuses() override;

  const SimStateDir& state_dir() const { return dir_; }

 private:
  struct Snapshot {
    SimStateDir::Lock lock;  ///< held as long as the snapshot lives
    SimState state;
    std::vector<std::pair<std::string, long>> busy;
  };
  /// The state and outside references, under a shared lock for queries or
  /// an exclusive one for changes.
  Result<Snapshot> read_snapshot(bool exclusive = false);
  std::vector<std::string> listed_holders(const Snapshot& s, std::string_view name) const;

  /// An init function that takes time (init-delays): run after the checks,
  /// with the state unlocked.
  struct SlowInit {
    std::string name;
    long milliseconds = 0;
    int error = 0;  ///< what init-errors says it returns (0: success)
  };
  /// insert() up to the init call, under the lock. Sets \p wait when the
  /// module is still coming from another load, and \p slow when its init
  /// must run unlocked (the module is then saved as coming).
  Result<void> insert_checked(const InsertRequest& request, bool& wait, std::optional<SlowInit>& slow);
  /// The end of a slow init: the module becomes live, or goes.
  Result<void> finish_init(const SlowInit& init);

  /// The loaded module \p name of \p s, or ENOENT.
  static Result<const SimModule*> find_loaded(const Snapshot& s, std::string_view name);

  SimStateDir dir_;
  std::string module_dir_;
  DiagnosticSink& sink_;  // libkmod-level messages; the simulated kernel has none so far
};

}  // namespace kmodx::loader
