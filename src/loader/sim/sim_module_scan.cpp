// SPDX-License-Identifier: LGPL-2.1-or-later
// Reading a module image for the simulated kernel (see sim_module_scan.hpp).
#include "loader/sim/sim_module_scan.hpp"

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

#include "elf/elf_view.hpp"
#include "elf/module_sections.hpp"
#include "kmodx/module_elf.hpp"
#include "loader/sim/sim_param_table.hpp"
#include "util/names.hpp"

namespace kmodx::loader {
namespace {

constexpr std::string_view kKsymtab = "__ksymtab_";
constexpr std::string_view kKstrtabns = "__kstrtabns_";
constexpr std::string_view kCrc = "__crc_";

struct SymtabFacts {
  std::vector<UndefinedSymbol> undefined;
  std::map<std::string, bool, std::less<>> ksymtab;  // export -> GPL-only
  std::map<std::string, std::string, std::less<>> ns;
  std::set<std::string, std::less<>> has_crc;
  bool exit = false, init_text = false, exit_text = false, versions = false;
  long core_size = 0;
  std::optional<std::vector<std::string>> param_names;  // from __param
};

template <class ELFT>
Result<SymtabFacts> scan_elf(const elf::ElfView<ELFT>& view) {
  using Sym = typename ELFT::Sym;
  SymtabFacts f;
  std::uint64_t core = 0;
  for (unsigned i = 1; i < view.section_count(); ++i) {
    auto s = view.section(i);
    if (!s) continue;
    if (s->name == ".init.text") f.init_text = true;
    if (s->name == ".exit.text") f.exit_text = true;
    if (s->name == "__versions" && (s->flags & elf::kShfAlloc)) f.versions = true;
    if ((s->flags & elf::kShfAlloc) && !s->name.starts_with(".init") && s->name != ".modinfo" &&
        s->name != "__versions")
      core += s->size;
  }
  f.core_size = static_cast<long>((core + 4095) / 4096 * 4096);
  f.param_names = param_table_names(view);

  auto symtab = view.find_section(".symtab");
  auto strtab = view.find_section(".strtab");
  if (!symtab || !strtab) return f;
  if (symtab->size % sizeof(Sym) != 0)
    return make_error(ENOEXEC, std::string(view.file()) + ": .symtab size is not a multiple of the entry size");
  auto raw = view.contents(*symtab);
  std::span<const Sym> syms{reinterpret_cast<const Sym*>(raw.data()), raw.size() / sizeof(Sym)};
  auto strings = view.contents(*strtab);
  const bool sparc = view.machine() == elf::kEmSparc || view.machine() == elf::kEmSparcV9;
  for (std::size_t i = 1; i < syms.size(); ++i) {
    const Sym& sym = syms[i];
    auto name = elf::string_at(strings, sym.st_name);
    if (!name)
      return make_error(ENOEXEC, std::string(view.file()) + ": .symtab entry " + std::to_string(i) +
                                     " has a name outside .strtab");
    if (name->empty()) continue;
    const unsigned bind = static_cast<unsigned>(sym.st_info) >> 4;
    const std::uint16_t shndx = sym.st_shndx;
    if (shndx == elf::kShnUndef) {
      if (sparc && (sym.st_info & 0xf) == elf::kSttSparcRegister) continue;
      f.undefined.push_back({std::string(*name), std::nullopt, bind == elf::kStbWeak});
      continue;
    }
    if (bind == 0) continue;  // locals neither export nor define the exit alias
    if (*name == "cleanup_module") f.exit = true;
    if (name->starts_with(kCrc)) f.has_crc.emplace(name->substr(kCrc.size()));
    auto section = view.section(shndx);
    if (name->starts_with(kKstrtabns)) {
      std::string ns;
      if (section)
        if (auto s = elf::string_at(view.contents(*section), sym.st_value)) ns = *s;
      f.ns.emplace(name->substr(kKstrtabns.size()), ns);
    } else if (name->starts_with(kKsymtab) && section &&
               (section->name == "__ksymtab" || section->name == "__ksymtab_gpl")) {
      f.ksymtab.emplace(name->substr(kKsymtab.size()), section->name == "__ksymtab_gpl");
    }
  }
  return f;
}

}  // namespace

bool license_is_gpl_compatible(std::string_view license) {
  static constexpr std::string_view kGpl[] = {"GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL",
                                              "Dual MIT/GPL", "Dual MPL/GPL"};
  return std::find(std::begin(kGpl), std::end(kGpl), license) != std::end(kGpl);
}

Result<ScannedModule> scan_module(std::span<const std::byte> image, const std::string& path) {
  auto enoexec = [&](const Error& e) { return make_error(ENOEXEC, e.detail); };
  auto elf = ModuleElf::parse(image, path);
  if (!elf) return enoexec(elf.error());
  auto facts = elf::visit_elf(image, path, [](const auto& view) { return scan_elf(view); });
  if (!facts) return enoexec(facts.error());

  ScannedModule m;
  if (auto info = elf->modinfo()) {
    for (const ModinfoEntry& e : *info) {
      // get_modinfo() takes the first entry of a key.
      if (e.key == "name" && m.name.empty()) m.name = e.value;
      else if (e.key == "vermagic" && !m.vermagic) m.vermagic = std::string(e.value);
      else if (e.key == "license" && !m.license) m.license = std::string(e.value);
      else if (e.key == "intree") m.intree = true;
      else if (e.key == "staging") m.staging = true;
      else if (e.key == "livepatch") m.livepatch = true;
      else if (e.key == "test") m.test = true;
      else if (e.key == "import_ns") m.import_ns.emplace_back(e.value);
      else if (e.key == "firmware") m.firmware.emplace_back(e.value);
      else if (e.key == "softdep") m.softdeps.emplace_back(e.value);
      else if (e.key == "weakdep") m.weakdeps.emplace_back(e.value);
      else if (e.key == "alias") m.aliases.emplace_back(e.value);
      else if (e.key == "parmtype") {
        auto colon = e.value.find(':');
        if (colon == std::string_view::npos) continue;
        m.params.push_back({std::string(e.value.substr(0, colon)), std::string(e.value.substr(colon + 1))});
      }
    }
  }
  // The kernel knows the parameters of __param; parmtype= gives the types
  // of those module_param() declared. One with its own ops has an empty
  // type: the kernel runs its setter, the simulation accepts the value.
  if (facts->param_names) {
    std::vector<ParamSpec> declared;
    for (const std::string& name : *facts->param_names) {
      ParamSpec spec{name, ""};
      for (const ParamSpec& typed : m.params)
        if (typed.name == name) {
          spec.type = typed.type;
          break;
        }
      declared.push_back(std::move(spec));
    }
    m.params = std::move(declared);
  }
  if (m.name.empty()) {
    auto from_path = path_to_modname(path);
    if (!from_path) return make_error(ENOEXEC, path + ": module has no name");
    m.name = std::move(*from_path);
  }

  std::map<std::string_view, std::uint64_t> crc_of;
  if (auto exports = elf->exports())
    for (const ModuleSymbol& s : *exports) crc_of.emplace(s.name, s.crc);
  auto crc_for = [&](std::string_view name) -> std::optional<std::uint32_t> {
    if (!facts->has_crc.contains(name)) return std::nullopt;
    auto it = crc_of.find(name);
    if (it == crc_of.end()) return std::nullopt;
    return static_cast<std::uint32_t>(it->second);
  };
  if (!facts->ksymtab.empty()) {
    for (const auto& [name, gpl] : facts->ksymtab) {
      auto ns = facts->ns.find(name);
      m.exports.push_back({name, crc_for(name), gpl, ns == facts->ns.end() ? std::string() : ns->second});
    }
  } else if (auto exports = elf->exports()) {
    for (const ModuleSymbol& s : *exports) m.exports.push_back({std::string(s.name), crc_for(s.name), false, ""});
  }

  std::map<std::string_view, std::uint32_t> expected;
  if (auto versions = elf->versions())
    for (const ModVersion& v : *versions) expected.emplace(v.name, static_cast<std::uint32_t>(v.crc));
  m.undefined = std::move(facts->undefined);
  for (UndefinedSymbol& u : m.undefined)
    if (auto it = expected.find(u.name); it != expected.end()) u.crc = it->second;
  m.has_versions = facts->versions;
  m.has_init = facts->init_text;
  m.has_exit = facts->exit || facts->exit_text;
  m.core_size = facts->core_size;
  return m;
}

}  // namespace kmodx::loader
