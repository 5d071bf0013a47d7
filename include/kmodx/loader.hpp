// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// The loader backend: the one place where module images meet a kernel.
///
/// modprobe, insmod, rmmod and lsmod never talk to the kernel directly; they
/// plan what to do from the indexes and configuration and hand each step to a
/// LoaderBackend. Two exist:
///
///  * `linux` — the running kernel: finit_module/init_module/delete_module,
///    state from /proc/modules and /sys/module (src/loader/linux_backend.cpp,
///    the only file that makes those system calls).
///  * `sim` — a simulated kernel inside the process that checks what the
///    kernel's load_module() checks and keeps its state in a directory, so
///    separate commands share one simulated kernel (src/loader/sim/).
///
/// The backend is chosen by `--backend=linux|sim[:STATE_DIR]` on every tool,
/// else by the KMODX_BACKEND environment variable (same syntax), else linux.
///
/// Errors are errno values exactly as the kernel returns them from the system
/// call (EEXIST, ENOEXEC, ENOENT, EPERM, EINVAL, EWOULDBLOCK, EBUSY, ...):
/// the tools turn them into kmod's messages. The detail says more for humans
/// and tests (the simulated kernel names the unknown symbol there).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kmodx/export.hpp"
#include "kmodx/diag.hpp"
#include "kmodx/result.hpp"

namespace kmodx {

/// /sys/module/<name>/initstate.
enum class InitState { coming, live, going };

struct KMODX_API InsertRequest {
  std::string path;    ///< module file; plain or compressed (detected by magic)
  std::string params;  ///< parameter string as passed to the kernel ("" for none)
  bool ignore_modversions = false;  ///< MODULE_INIT_IGNORE_MODVERSIONS
  bool ignore_vermagic = false;     ///< MODULE_INIT_IGNORE_VERMAGIC
};

/// One line of /proc/modules: `name size refcnt deps state address`.
struct KMODX_API ProcModule {
  std::string name;
  long size = 0;
  long refcnt = 0;  ///< -1 when the kernel prints '-' (no unload support)
  std::string holders;  ///< 4th column as printed ("-" or "a,b,")
  std::string state;    ///< "Live", "Loading", "Unloading"
};

/// A loaded module as lsmod lists it. size and refcnt are negative errno
/// values where they could not be read (the module went away meanwhile), as
/// libkmod returns them and lsmod prints them.
struct KMODX_API ModuleStatus {
  std::string name;
  long size = 0;
  long refcnt = 0;
  std::vector<std::string> holders;  ///< empty also where they could not be read
};

/// One section of a loaded module.
struct KMODX_API ModuleSection {
  std::string name;
  unsigned long address = 0;
};

/// Thread safety: a backend object is used by one thread at a time; several
/// backends (and processes) may share one kernel or one sim state.
class KMODX_API LoaderBackend {
 public:
  virtual ~LoaderBackend() = default;

  /// "linux" or "sim".
  virtual std::string_view kind() const = 0;

  /// Loads one module image with its parameters. Dependencies are the
  /// caller's business, as with the kernel.
  virtual Result<void> insert(const InsertRequest& request) = 0;

  /// delete_module(name, O_NONBLOCK | (force ? O_TRUNC : 0)).
  virtual Result<void> remove(std::string_view name, bool force) = 0;

  /// Queries, with libkmod's reading rules (KMOD-SPEC §8.3):
  /// initstate: ENOENT when the module is not loaded; when the initstate
  ///   file is missing but the module directory exists, `coming`; content
  ///   other than live/coming/going is EINVAL with the content in the detail.
  virtual Result<InitState> initstate(std::string_view name) = 0;
  /// refcnt: ENOENT when the refcnt file is missing.
  virtual Result<long> refcnt(std::string_view name) = 0;
  /// holders: names in directory order; an unreadable holders directory is
  ///   an error carrying its errno.
  virtual Result<std::vector<std::string>> holders(std::string_view name) = 0;
  /// Core size: coresize, else the /proc/modules column; ENOENT when absent.
  virtual Result<long> size(std::string_view name) = 0;
  /// Every loaded module in /proc/modules order.
  virtual Result<std::vector<ProcModule>> loaded_modules() = 0;
  /// Every loaded module with its size, references and holders, in
  /// /proc/modules order: what lsmod prints. By default loaded_modules(),
  /// then size(), refcnt() and holders() of each, as libkmod reads them; the
  /// sim reads its state once for all.
  virtual Result<std::vector<ModuleStatus>> module_statuses();
  /// The sections of a loaded module and their addresses (the kernel's
  /// /sys/module/<name>/sections), in directory order. By default ENOENT:
  /// the sim does not lay modules out in memory.
  virtual Result<std::vector<ModuleSection>> sections(std::string_view name);
};

/// What `--backend=` / KMODX_BACKEND asked for.
struct KMODX_API BackendSpec {
  enum class Kind { linux, sim } kind = Kind::linux;
  std::string state_dir;  ///< sim only; empty: the default below
};

/// Parses "linux", "sim" or "sim:STATE_DIR". EINVAL names the bad text.
KMODX_API Result<BackendSpec> parse_backend_spec(std::string_view text);

/// The spec from the option text if given, else from KMODX_BACKEND, else linux.
KMODX_API Result<BackendSpec> select_backend(const std::optional<std::string>& option_text);

/// Default sim state directory for a module directory
/// (`/lib/modules/<release>`): `<module_dir>/.kmodx-sim`.
KMODX_API std::string default_sim_state_dir(const std::string& module_dir);

/// Creates the backend. \p module_dir is the module directory the tool works
/// on (`/lib/modules/<release>`): the simulated kernel's release is its base
/// name. Messages that libkmod would log go to \p sink.
KMODX_API Result<std::unique_ptr<LoaderBackend>> open_backend(const BackendSpec& spec, const std::string& module_dir,
                                                    DiagnosticSink& sink);

/// The two concrete backends (open_backend() dispatches to them).
KMODX_API Result<std::unique_ptr<LoaderBackend>> open_linux_backend(DiagnosticSink& sink);
KMODX_API Result<std::unique_ptr<LoaderBackend>> open_sim_backend(const std::string& state_dir, const std::string& module_dir,
                                                        DiagnosticSink& sink);

}  // namespace kmodx
