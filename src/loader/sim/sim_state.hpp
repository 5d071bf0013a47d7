// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// The simulated kernel's state directory: what is loaded, kept in one file so
// that separate processes (modprobe, rmmod, lsmod) share one simulated kernel.
//
//   <state>/lock          flock(2) target: exclusive while changing, shared
//                         while reading. Never written.
//   <state>/modules       THE authoritative state (grammar below). Replaced
//                         whole by write-to-temporary + rename, so a crash
//                         leaves the old or the new version, never half.
//   <state>/proc/modules  rendered view, /proc/modules format
//   <state>/sys/module/<name>/{initstate,refcnt,coresize,taint,
//                         holders/<h>,parameters/<p>}  rendered view, sysfs-like
//   <state>/dmesg         what the simulated kernel logged (appended)
//   <state>/kernel        which export table the simulated kernel uses (info)
//   <state>/module-dir    the module directory the state was first opened
//                         with (first line): later opens use it, so that
//                         its release stays the simulated kernel's
//
// Inputs the user may place in the state directory (all optional):
//   <state>/vermagic      the kernel's whole vermagic string (first line)
//   <state>/Module.symvers, <state>/System.map   kernel exports, see
//                         sim_kernel.hpp
//   <state>/init-errors   lines `module_name errno_number`: that module's init
//                         function "returns" -errno
//   <state>/init-delays   lines `module_name milliseconds`: that module's init
//                         function takes so long. Meanwhile the module is
//                         listed as coming (initstate coming, /proc/modules
//                         "Loading") and the state is unlocked, so other
//                         loads go on, as in the kernel; a second load of it
//                         waits for the first to end
//   <state>/busy          lines `module_name count`: references held from
//                         outside any module (an open device, a mount), which
//                         count in refcnt but are not holders
//   <state>/config        lines `key=value`: module_force_load=y|n and
//                         module_force_unload=y|n (CONFIG_MODULE_FORCE_*,
//                         both y by default), module_sig=y|n and
//                         sig_enforce=y|n (both n by default; see
//                         sim_kernel.hpp)
//   <state>/keys/         certificates the simulated kernel trusts
//   <state>/proc/sys/kernel/tainted  rendered view: the kernel's taint
//                         mask, decimal
//
// Grammar of <state>/modules ('#' lines and empty lines are ignored):
//
//   file    := "kmodx-sim-state 1" NL [ "tainted" SP mask NL ] { module NL }
//   module  := "module" SP name { SP key "=" value }
//   key     := path | size | init | exit | taint | uses | params | exports | state
//
//   path=<enc>            the file it was loaded from
//   size=<n>              core size in bytes
//   init=0|1  exit=0|1    whether the module has init / exit functions
//   taint=<letters>       module taint flags in the kernel's order (PFCOKN...)
//   uses=<enc>,<enc>...   modules whose exports this one uses (its targets)
//   params=<enc>:<enc>,...            name:value as sysfs shows the value
//   exports=<sym>:<crc>:<g|->:<ns>,...  crc is hex or empty (no CRC), g marks
//                         a GPL-only export, ns the namespace (may be empty)
//   state=coming          its init function is still running (no key: live)
//
// mask is the kernel's taint mask in decimal (include/linux/panic.h bits:
// P 0, F 1, R 3, C 10, O 12, E 13, ...): what every load and forced removal
// has tainted since the state began, loaded or not (the kernel never
// clears it). No line: 0.
//
// <enc> is the text with every byte outside [A-Za-z0-9_./+@-] written as %XX,
// so values never contain SP, ',', ':' or '='. Modules are listed most
// recently loaded first (the kernel's module list order). A module's holders
// are not stored: they are the modules whose `uses` name it, in list order.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kmodx/result.hpp"

namespace kmodx::loader {

struct SimExport {
  std::string name;
  std::optional<std::uint32_t> crc;
  bool gpl_only = false;
  std::string ns;
};

struct SimParam {
  std::string name;
  std::string value;  ///< as sysfs would show it (without the newline)
};

struct SimModule {
  std::string name;
  std::string path;
  long size = 0;
  bool has_init = false;
  bool has_exit = false;
  std::string taint;  ///< module taint letters, kernel order
  std::vector<std::string> uses;
  std::vector<SimParam> params;
  std::vector<SimExport> exports;
  bool coming = false;  ///< init still running (init-delays)
};

/// The whole simulated module list, most recently loaded first.
struct SimState {
  std::vector<SimModule> modules;
  unsigned long tainted = 0;  ///< the kernel's taint mask

  SimModule* find(std::string_view name);
  const SimModule* find(std::string_view name) const;
  /// Modules whose `uses` lists \p name, in list order.
  std::vector<std::string> holders_of(std::string_view name) const;
};

/// The bit of a taint letter in the kernel's mask (include/linux/panic.h
/// TAINT_*), or -1 for a letter the kernel does not have.
int taint_bit(char letter);
/// The module taint letters in the kernel's order (kernel/panic.c
/// taint_flags[], those with module = true).
inline constexpr std::string_view kModuleTaintOrder = "PFCOEKXTN";

/// Percent-encoding of the grammar above.
std::string sim_encode(std::string_view text);
/// Inverse of sim_encode(); nullopt on a bad escape.
std::optional<std::string> sim_decode(std::string_view text);

/// Parses the text of <state>/modules; \p file names it in errors (EBADMSG,
/// with the line number and what is wrong).
Result<SimState> parse_sim_state(std::string_view text, const std::string& file);
std::string render_sim_state(const SimState& state);

/// Reads `name number` lines (init-errors, busy); a missing file is empty.
/// Malformed lines are EBADMSG naming the file and line.
Result<std::vector<std::pair<std::string, long>>> read_name_number_file(const std::string& path);

/// The state directory: lock, load, save and the rendered views.
class SimStateDir {
 public:
  /// Creates the directory (mkdir -p) when missing; EACCES/EROFS/... when it
  /// cannot be created or written.
  static Result<SimStateDir> open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  std::string file(std::string_view name) const { return dir_ + "/" + std::string(name); }

  /// An flock on <state>/lock, released when destroyed.
  class Lock {
   public:
    Lock(Lock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    Lock& operator=(Lock&&) = delete;
    ~Lock();

   private:
    friend class SimStateDir;
    explicit Lock(int fd) : fd_(fd) {}
    int fd_ = -1;
  };
  Result<Lock> lock(bool exclusive) const;

  /// Reads <state>/modules (missing: nothing loaded). Call with a lock held.
  Result<SimState> load() const;
  /// Replaces <state>/modules and re-renders proc/ and sys/. Call with the
  /// exclusive lock held.
  Result<void> save(const SimState& state, const std::vector<std::pair<std::string, long>>& busy) const;

  /// Appends lines to <state>/dmesg (best effort: the log is informative).
  void log(const std::vector<std::string>& lines) const;

 private:
  explicit SimStateDir(std::string dir) : dir_(std::move(dir)) {}
  Result<void> render_views(const SimState& state, const std::vector<std::pair<std::string, long>>& busy) const;
  std::string dir_;
};

/// refcnt as the kernel counts it: one per holder plus outside references.
long sim_refcnt(const SimState& state, const SimModule& m, const std::vector<std::pair<std::string, long>>& busy);

/// One /proc/modules line (without newline) for \p m.
std::string proc_modules_line(const SimState& state, const SimModule& m,
                              const std::vector<std::pair<std::string, long>>& busy);

}  // namespace kmodx::loader
