// SPDX-License-Identifier: LGPL-2.1-or-later
#include "elf/elf_view.hpp"

#include <cerrno>
#include <cstring>

#include "util/hex.hpp"

namespace kmodx::elf {
namespace {

constexpr unsigned char kElfMagic[4] = {0x7F, 'E', 'L', 'F'};
constexpr std::size_t kIdentSize = 16;

}  // namespace

Result<void> check_ident(std::span<const std::byte> image, std::string_view file) {
  const std::string f(file);
  if (image.size() <= kIdentSize || std::memcmp(image.data(), kElfMagic, 4) != 0)
    return make_error(ENOEXEC, f + ": not an ELF file (no ELF magic)");
  const auto cls = static_cast<unsigned char>(image[4]);
  const auto data = static_cast<unsigned char>(image[5]);
  if (cls != 1 && cls != 2)
    return make_error(EINVAL, f + ": unknown ELF class " + std::to_string(cls));
  const std::size_t ehdr_size = cls == 1 ? sizeof(Elf32LE::Ehdr) : sizeof(Elf64LE::Ehdr);
  if (image.size() <= ehdr_size)
    return make_error(EINVAL, f + ": file of " + std::to_string(image.size()) +
                                  " bytes is too short for an ELF header");
  if (data != 1 && data != 2)
    return make_error(EINVAL, f + ": unknown ELF byte order " + std::to_string(data));
  return {};
}

template <class ELFT>
Result<ElfView<ELFT>> ElfView<ELFT>::create(std::span<const std::byte> image, std::string_view file) {
  if (auto ok = check_ident(image, file); !ok) return std::move(ok).take_error();
  const std::string f(file);
  ElfView view(image, file);
  const Ehdr& h = view.header();
  if (h.e_shentsize != sizeof(Shdr))
    return make_error(EINVAL, f + ": e_shentsize is " + std::to_string(h.e_shentsize) +
                                  ", expected " + std::to_string(sizeof(Shdr)));
  view.shoff_ = h.e_shoff;
  view.section_count_ = h.e_shnum;
  const std::uint64_t table = std::uint64_t{view.section_count_} * sizeof(Shdr);
  if (view.shoff_ > image.size() || table > image.size() - view.shoff_)
    return make_error(EINVAL, f + ": section header table at " + hex(view.shoff_) + " (" +
                                  std::to_string(view.section_count_) +
                                  " entries) runs past the end of the file (size " +
                                  hex(image.size()) + ")");
  const unsigned strndx = h.e_shstrndx;
  if (strndx == 0 || strndx >= view.section_count_)
    return make_error(EINVAL, f + ": e_shstrndx " + std::to_string(strndx) +
                                  " is not a valid section index (e_shnum " +
                                  std::to_string(view.section_count_) + ")");
  const Shdr& names = view.shdr(strndx);
  const std::uint64_t off = names.sh_offset, size = names.sh_size;
  if (off > image.size() || size > image.size() - off)
    return make_error(EINVAL, f + ": section-name table (section " + std::to_string(strndx) +
                                  ") at " + hex(off) + " size " + hex(size) +
                                  " runs past the end of the file");
  if (size == 0 || image[off + size - 1] != std::byte{0})
    return make_error(EINVAL, f + ": section-name table (section " + std::to_string(strndx) +
                                  ") is empty or does not end in NUL");
  view.names_ = std::string_view(reinterpret_cast<const char*>(image.data() + off), size);
  return view;
}

template <class ELFT>
std::optional<Section> ElfView<ELFT>::section(unsigned index) const {
  if (index == 0 || index >= section_count_) return std::nullopt;
  const Shdr& s = shdr(index);
  const std::uint64_t off = s.sh_offset, size = s.sh_size;
  if (off > image_.size() || size > image_.size() - off) return std::nullopt;
  const std::uint32_t name = s.sh_name;
  if (name >= names_.size()) return std::nullopt;
  // names_ ends in NUL, so the name is terminated inside the table.
  const char* n = names_.data() + name;
  return Section{index, std::string_view(n, std::strlen(n)), s.sh_type, s.sh_flags, off, size, s.sh_link, s.sh_info};
}

template <class ELFT>
std::optional<Section> ElfView<ELFT>::find_section(std::string_view name) const {
  for (unsigned i = 1; i < section_count_; ++i) {
    auto s = section(i);
    if (s && s->name == name) return s;
  }
  return std::nullopt;
}

template class ElfView<Elf32LE>;
template class ElfView<Elf32BE>;
template class ElfView<Elf64LE>;
template class ElfView<Elf64BE>;

}  // namespace kmodx::elf
