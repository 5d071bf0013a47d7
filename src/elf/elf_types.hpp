// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// On-disk ELF structures for the four class/byte-order combinations, as one
// traits type per combination (after LLVM's ELFType). Only what module
// parsing needs is declared.

#include <cstdint>
#include <type_traits>

#include "elf/endian.hpp"

namespace kmodx::elf {

inline constexpr std::uint16_t kShnUndef = 0;
inline constexpr std::uint16_t kShnAbs = 0xFFF1;
inline constexpr std::uint64_t kShfAlloc = 0x2;
inline constexpr unsigned kStbWeak = 2;
inline constexpr unsigned kSttSparcRegister = 13;
inline constexpr std::uint16_t kEmSparc = 2;
inline constexpr std::uint16_t kEmSparcV9 = 43;

template <bool Is64, bool IsLE>
struct ElfType {
  static constexpr bool is_64 = Is64;
  static constexpr bool is_le = IsLE;
  using Half = Integer<std::uint16_t, IsLE>;
  using Word = Integer<std::uint32_t, IsLE>;
  // Address, offset and "xword" fields are as wide as the class.
  using Addr = Integer<std::conditional_t<Is64, std::uint64_t, std::uint32_t>, IsLE>;
  using Off = Addr;
  using XWord = Addr;
  /// CRC field of a __versions record: unsigned long in the kernel.
  using Crc = Addr;

  struct Ehdr {
    unsigned char e_ident[16];
    Half e_type, e_machine;
    Word e_version;
    Addr e_entry;
    Off e_phoff, e_shoff;
    Word e_flags;
    Half e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
  };

  struct Shdr {
    Word sh_name, sh_type;
    XWord sh_flags;
    Addr sh_addr;
    Off sh_offset;
    XWord sh_size;
    Word sh_link, sh_info;
    XWord sh_addralign, sh_entsize;
  };

  // The two classes order symbol fields differently.
  struct Sym32 {
    Word st_name;
    Addr st_value;
    Word st_size;
    unsigned char st_info, st_other;
    Half st_shndx;
  };
  struct Sym64 {
    Word st_name;
    unsigned char st_info, st_other;
    Half st_shndx;
    Addr st_value;
    XWord st_size;
  };
  using Sym = std::conditional_t<Is64, Sym64, Sym32>;
};

using Elf32LE = ElfType<false, true>;
using Elf32BE = ElfType<false, false>;
using Elf64LE = ElfType<true, true>;
using Elf64BE = ElfType<true, false>;

static_assert(sizeof(Elf32LE::Ehdr) == 52 && sizeof(Elf64BE::Ehdr) == 64);
static_assert(sizeof(Elf32BE::Shdr) == 40 && sizeof(Elf64LE::Shdr) == 64);
static_assert(sizeof(Elf32LE::Sym) == 16 && sizeof(Elf64BE::Sym) == 24);

}  // namespace kmodx::elf
