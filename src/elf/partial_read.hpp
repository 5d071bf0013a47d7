// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Reading only the parts of a plain module file that the module readers use.
//
// depmod needs a module's symbol table, strings, .modinfo, __versions and
// export data, which are a third of a typical module file; code,
// relocations and BTF are the rest. For a plain (uncompressed) file the
// image buffer is sized for the whole file but filled only at: the ELF
// header, the section header table, the section name table, every section
// the readers look up by name (.modinfo, __versions, .symtab, .strtab,
// __ksymtab_strings, .note.gnu.build-id) whatever its type, every other
// section except SHT_NOBITS, SHT_REL/SHT_RELA, executable and .BTF*/.debug*
// ones, and any skipped section a __crc_ symbol points into. So every byte
// a reader can look at comes from the file, however odd the file. Ranges
// closer than a few pages are read together: a module costs a few reads.
//
// Anything the plan cannot vouch for (a header or section table that does
// not fit the file, an odd entry size) makes it give up; the caller then
// reads the file whole and the ELF parser reports the damage as usual.

#include <cstddef>
#include <cstdint>
#include <functional>

namespace kmodx::elf {

/// Reads \p length bytes at file offset \p offset into \p dest; false on error.
using ReadAt = std::function<bool(std::uint64_t offset, std::size_t length, std::byte* dest)>;

/// Fills the used parts of \p image (\p size bytes, the file's size) through
/// \p read_at. False when the file is not a well-formed ELF for this
/// purpose, or a read failed: then \p image holds nothing reliable.
bool read_module_parts(std::byte* image, std::uint64_t size, const ReadAt& read_at);

}  // namespace kmodx::elf
