// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// A module tree, a sim state directory and synthetic modules for the sim
// backend tests. Modules are 64-bit little-endian images built in memory with
// the sections and symbols the simulated kernel reads.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "kmodx/loader.hpp"
#include "loader/sim/sim_util.hpp"
#include "util/mapped_file.hpp"
#include "support/elf_builder.hpp"
#include "support/result_helpers.hpp"
#include "support/temp_dir.hpp"

namespace kmodx::test {

inline constexpr const char* kSimRelease = "6.1.0-56-amd64";
inline constexpr const char* kSimVermagic = "6.1.0-56-amd64 SMP preempt mod_unload modversions ";

/// Exports of the simulated vmlinux in every fixture (state Module.symvers).
inline constexpr const char* kKernelSymvers =
    "0x11111111\t_printk\tvmlinux\tEXPORT_SYMBOL\t\n"
    "0x22222222\tgpl_only_func\tvmlinux\tEXPORT_SYMBOL_GPL\t\n"
    "0x33333333\tns_func\tvmlinux\tEXPORT_SYMBOL_GPL\tMY_NS\n"
    "0x44444444\tsome_module_sym\tsome/module\tEXPORT_SYMBOL\t\n";

struct ModSpec {
  std::string name;
  std::string vermagic = kSimVermagic;  ///< "" leaves vermagic= out
  std::string license = "GPL";
  bool intree = true;
  bool init = true;
  bool exit = true;
  std::vector<std::string> uses{};  ///< undefined symbols
  std::vector<std::string> weak_uses{};
  std::vector<std::pair<std::string, std::uint32_t>> versions{};  ///< __versions records
  struct Export {
    std::string name;
    bool gpl = false;
    std::string ns{};
    std::optional<std::uint32_t> crc{};
  };
  std::vector<Export> exports{};
  std::vector<std::string> import_ns{};
  std::vector<std::string> parmtypes{};  ///< "name:type"
  std::vector<std::string> extra_modinfo{};
  std::size_t text_size = 5000;
};

inline std::vector<std::byte> build_module(const ModSpec& spec) {
  ElfBuilder b(true, true);
  b.modinfo("name=" + spec.name);
  if (!spec.vermagic.empty()) b.modinfo("vermagic=" + spec.vermagic);
  if (!spec.license.empty()) b.modinfo("license=" + spec.license);
  if (spec.intree) b.modinfo("intree=Y");
  for (const std::string& ns : spec.import_ns) b.modinfo("import_ns=" + ns);
  for (const std::string& p : spec.parmtypes) b.modinfo("parmtype=" + p);
  for (const std::string& e : spec.extra_modinfo) b.modinfo(e);
  b.add_section({.name = ".text", .contents = std::string(spec.text_size, '\x90'), .flags = kShfAlloc});
  if (spec.init) b.add_section({.name = ".init.text", .contents = "\xc3", .flags = kShfAlloc});
  if (spec.exit) {
    b.add_section({.name = ".exit.text", .contents = "\xc3", .flags = kShfAlloc});
    b.defined("cleanup_module", ".exit.text");
  }
  if (!spec.exports.empty()) {
    std::string ksymtab, ksymtab_gpl;
    std::size_t strings = 0;
    for (const auto& e : spec.exports) {
      (e.gpl ? ksymtab_gpl : ksymtab) += std::string(12, '\0');
      b.defined("__ksymtab_" + e.name, e.gpl ? "__ksymtab_gpl" : "__ksymtab",
                (e.gpl ? ksymtab_gpl : ksymtab).size() - 12);
      b.ksymtab_string(e.name);
      strings += e.name.size() + 1;
      b.defined("__kstrtabns_" + e.name, "__ksymtab_strings", strings);
      b.ksymtab_string(e.ns);
      strings += e.ns.size() + 1;
      if (e.crc) b.export_abs_crc(e.name, *e.crc);
    }
    if (!ksymtab.empty()) b.add_section({.name = "__ksymtab", .contents = ksymtab, .flags = kShfAlloc});
    if (!ksymtab_gpl.empty()) b.add_section({.name = "__ksymtab_gpl", .contents = ksymtab_gpl, .flags = kShfAlloc});
  }
  for (const std::string& u : spec.uses) b.undefined(u);
  for (const std::string& u : spec.weak_uses) b.weak(u);
  for (const auto& [name, crc] : spec.versions) b.version(name, crc);
  return b.build().bytes();
}

class SimFixture {
 public:
  SimFixture() {
    module_dir = tmp.file(std::string("lib/modules/") + kSimRelease);
    state = tmp.file("state");
    std::filesystem::create_directories(module_dir);
    std::filesystem::create_directories(state);
    write(state + "/Module.symvers", kKernelSymvers);
  }

  std::unique_ptr<LoaderBackend> open() {
    auto b = open_sim_backend(state, module_dir, sink);
    INFO(describe(b));
    REQUIRE(b.ok());
    return std::move(*b);
  }

  /// Writes the module into the tree and returns its path.
  std::string module(const ModSpec& spec) { return tmp.write(spec.name + ".ko", build_module(spec)); }

  static void write(const std::string& path, std::string_view text) {
    REQUIRE(kmodx::write_whole_file(path, text).ok());
  }
  static std::string read(const std::string& path) {
    auto text = kmodx::read_text_file(path);
    INFO(describe(text));
    REQUIRE(text.ok());
    return *text;
  }

  TempDir tmp;
  std::string module_dir;
  std::string state;
  NullSink sink;
};

inline InsertRequest req(std::string path, std::string params = "") {
  InsertRequest r;
  r.path = std::move(path);
  r.params = std::move(params);
  return r;
}

}  // namespace kmodx::test
