// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// A read-only, bounds-checked view of one ELF image, templated on class and
// byte order (see elf_types.hpp). It owns nothing. create() validates the
// header the way libkmod does (same errno for the same defect); every later
// accessor only hands out ranges already proven to lie inside the image.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "elf/elf_types.hpp"
#include "kmodx/result.hpp"

namespace kmodx::elf {

/// A section whose bytes lie inside the image.
struct Section {
  unsigned index = 0;
  std::string_view name;
  std::uint32_t type = 0;
  std::uint64_t flags = 0;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::uint32_t link = 0;  ///< sh_link: a relocation section's symbol table
  std::uint32_t info = 0;  ///< sh_info: a relocation section's target section
};

template <class ELFT>
class ElfView {
 public:
  using Traits = ELFT;
  using Ehdr = typename ELFT::Ehdr;
  using Shdr = typename ELFT::Shdr;
  using Sym = typename ELFT::Sym;

  /// \p file is only used in error details.
  static Result<ElfView> create(std::span<const std::byte> image, std::string_view file);

  std::uint16_t machine() const { return header().e_machine; }
  unsigned section_count() const { return section_count_; }
  std::span<const std::byte> image() const { return image_; }
  std::string_view file() const { return file_; }

  /// Section \p index if its contents lie inside the image and its name is
  /// inside the name table (libkmod ignores other sections silently).
  std::optional<Section> section(unsigned index) const;
  /// First usable section called \p name, scanning 1..count-1 like libkmod.
  std::optional<Section> find_section(std::string_view name) const;
  std::span<const std::byte> contents(const Section& s) const {
    return image_.subspan(static_cast<std::size_t>(s.offset), static_cast<std::size_t>(s.size));
  }
  /// File offset of the section header \p index (for error details / patching).
  std::uint64_t section_header_offset(unsigned index) const {
    return shoff_ + std::uint64_t{index} * sizeof(Shdr);
  }

 private:
  ElfView(std::span<const std::byte> image, std::string_view file) : image_(image), file_(file) {}
  const Ehdr& header() const { return *reinterpret_cast<const Ehdr*>(image_.data()); }
  const Shdr& shdr(unsigned index) const {
    return *reinterpret_cast<const Shdr*>(image_.data() + section_header_offset(index));
  }

  std::span<const std::byte> image_;
  std::string_view file_;
  std::uint64_t shoff_ = 0;
  unsigned section_count_ = 0;
  std::string_view names_;  // the section-name string table, NUL-terminated
};

/// ENOEXEC / EINVAL checks on e_ident shared by visit_elf and create().
Result<void> check_ident(std::span<const std::byte> image, std::string_view file);

/// Reads e_ident and calls \p fn with the matching ElfView instantiation: the
/// one place where the class and byte order are chosen at run time. \p fn
/// returns a Result of some type; so does visit_elf.
template <class Fn>
auto visit_elf(std::span<const std::byte> image, std::string_view file, Fn&& fn)
    -> decltype(fn(std::declval<ElfView<Elf64LE>&>())) {
  using R = decltype(fn(std::declval<ElfView<Elf64LE>&>()));
  if (auto ok = check_ident(image, file); !ok) return R(std::move(ok).take_error());
  auto run = [&]<class T>() -> R {
    auto view = ElfView<T>::create(image, file);
    if (!view) return R(std::move(view).take_error());
    return fn(*view);
  };
  const bool is64 = image[4] == std::byte{2};
  const bool le = image[5] == std::byte{1};
  if (is64) return le ? run.template operator()<Elf64LE>() : run.template operator()<Elf64BE>();
  return le ? run.template operator()<Elf32LE>() : run.template operator()<Elf32BE>();
}

}  // namespace kmodx::elf
