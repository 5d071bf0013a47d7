// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// The simulated kernel itself: its release, vermagic, configuration and the
// symbols vmlinux exports, read from the state and module directories each
// time a command runs.
//
// Kernel exports, first source that exists wins:
//   1. <state>/Module.symvers             kbuild format, `vmlinux` lines
//   2. <module_dir>/build/Module.symvers  same (Debian's linux-headers ship it)
//   3. <state>/System.map                 every symbol name; no CRC, none GPL-only
//   4. the "builtin set": every symbol that no module in
//      <module_dir>/modules.symbols exports. Without a database the simulated
//      kernel cannot know vmlinux's symbol list, so it assumes the kernel has
//      whatever the module tree does not provide: a module's own dependencies
//      then still have to be loaded first, while core symbols resolve.
//
// Module.symvers line: `0xCRC<TAB>symbol<TAB>module<TAB>EXPORT_SYMBOL[_GPL]
// [<TAB>namespace]`.
//
// Signatures: <state>/config's module_sig=y (CONFIG_MODULE_SIG) makes every
// load check the module's signature against the certificates in
// <state>/keys/ (one or more PEM or DER files); sig_enforce=y (the kernel's
// module.sig_enforce=1) refuses a module without a valid one.
//
// Vermagic: <state>/vermagic when present (compared like the kernel's
// same_magic(): whole string, or everything after the first word when the
// module has modversions); otherwise any vermagic whose first word is the
// release (the base name of the module directory).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "crypto/module_signature.hpp"
#include "kmodx/result.hpp"
#include "loader/sim/sim_state.hpp"

namespace kmodx::loader {

struct KernelSymbol {
  std::optional<std::uint32_t> crc;
  bool gpl_only = false;
  std::string ns;
};

class SimKernel {
 public:
  /// Reads everything above; malformed input files are EBADMSG naming the
  /// file and line.
  static Result<SimKernel> load(const SimStateDir& state, const std::string& module_dir);

  /// The kernel of `kmodx check`: release \p release, exports from one
  /// Module.symvers (or System.map when \p system_map) file. Malformed
  /// lines are skipped and described in \p bad_lines; an unreadable file is
  /// the error.
  static Result<SimKernel> from_exports(const std::string& release, const std::string& file, bool system_map,
                                        std::vector<std::string>& bad_lines);

  const std::string& release() const { return release_; }
  bool force_load() const { return force_load_; }
  bool force_unload() const { return force_unload_; }
  /// CONFIG_MODULE_SIG: signatures are checked (and a module without a
  /// valid one taints E); sig_enforce: such a module is refused.
  bool module_sig() const { return module_sig_; }
  bool sig_enforce() const { return sig_enforce_; }
  /// The trusted keys (<state>/keys/*), when module_sig().
  const crypto::KeyRing* keys() const { return keys_.get(); }

  /// How many symbols the export table holds (0 for the builtin set).
  std::size_t symbol_count() const { return symbols_.size(); }
  /// The kernel's own export of \p name, or nullptr.
  const KernelSymbol* find(const std::string& name) const;
  /// True for the builtin set (4. above), where module exports are looked up
  /// before the kernel's so that dependencies are recorded.
  bool guesses_exports() const { return source_ == Source::builtin; }

  /// Whether \p modmagic is accepted; \p expected receives what was expected.
  bool vermagic_ok(const std::string& modmagic, bool module_has_versions, std::string& expected) const;

  /// "exports from <file> (N symbols)", "exports: builtin set ...", for
  /// <state>/kernel and error details.
  std::string describe() const;
  /// The exports line of describe(): where the kernel's exports come from.
  std::string exports_description() const;

 private:
  enum class Source { state_symvers, build_symvers, system_map, builtin };
  Source source_ = Source::builtin;
  std::string source_file_;
  std::string release_;
  std::optional<std::string> vermagic_;
  bool force_load_ = true;
  bool force_unload_ = true;
  bool module_sig_ = false;
  bool sig_enforce_ = false;
  std::shared_ptr<const crypto::KeyRing> keys_;
  std::unordered_map<std::string, KernelSymbol> symbols_;
  std::unordered_set<std::string> module_symbols_;  // builtin set: what modules export
  KernelSymbol builtin_symbol_;
};

}  // namespace kmodx::loader
