// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kmodx/module_elf.hpp"

#include <variant>

#include "elf/module_sections.hpp"

namespace kmodx {

using elf::ElfView;

struct ModuleElf::Impl {
  std::variant<ElfView<elf::Elf32LE>, ElfView<elf::Elf32BE>, ElfView<elf::Elf64LE>,
               ElfView<elf::Elf64BE>>
      view;
};

ModuleElf::ModuleElf(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ModuleElf::ModuleElf(ModuleElf&&) noexcept = default;
ModuleElf& ModuleElf::operator=(ModuleElf&&) noexcept = default;
ModuleElf::~ModuleElf() = default;

Result<ModuleElf> ModuleElf::parse(std::span<const std::byte> image, std::string_view file) {
  return elf::visit_elf(image, file, [](auto& view) -> Result<ModuleElf> {
    return ModuleElf(std::make_unique<Impl>(Impl{view}));
  });
}

template <class Fn>
static auto visit_view(const ModuleElf::Impl& impl, Fn&& fn) {
  return std::visit(std::forward<Fn>(fn), impl.view);
}

bool ModuleElf::is_64bit() const {
  return visit_view(*impl_, [](const auto& v) { return std::decay_t<decltype(v)>::Traits::is_64; });
}

bool ModuleElf::is_little_endian() const {
  return visit_view(*impl_, [](const auto& v) { return std::decay_t<decltype(v)>::Traits::is_le; });
}

std::uint16_t ModuleElf::machine() const {
  return visit_view(*impl_, [](const auto& v) { return v.machine(); });
}

Result<std::vector<ModinfoEntry>> ModuleElf::modinfo() const {
  return visit_view(*impl_, [](const auto& v) { return elf::read_modinfo(v); });
}

Result<std::vector<ModVersion>> ModuleElf::versions() const {
  return visit_view(*impl_, [](const auto& v) { return elf::read_versions(v); });
}

Result<std::vector<ModuleSymbol>> ModuleElf::exports() const {
  return visit_view(*impl_, [](const auto& v) { return elf::read_exports(v); });
}

Result<std::vector<ModuleSymbol>> ModuleElf::dependencies() const {
  return visit_view(*impl_, [](const auto& v) { return elf::read_dependencies(v); });
}

std::optional<std::span<const std::byte>> ModuleElf::build_id() const {
  return visit_view(*impl_, [](const auto& v) { return elf::read_build_id(v); });
}

}  // namespace kmodx
