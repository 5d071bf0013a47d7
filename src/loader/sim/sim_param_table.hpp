// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// The parameters a module declares, as the kernel knows them: the
// `struct kernel_param` entries of its __param section. Every
// module_param*() macro emits one; only module_param() and its variants
// also write a `parmtype=name:type` .modinfo entry, so a parameter declared
// with module_param_cb() (its own kernel_param_ops, loop's max_loop) is
// known from __param alone.
//
// struct kernel_param starts with `const char *name`; in a relocatable
// module that pointer is 0 (RELA) or an addend (REL) plus a relocation in
// .rela__param / .rel__param naming the symbol of the string's section (or
// the string itself). The entry is 40 bytes on 64-bit targets and 20 on
// 32-bit ones (name, mod, ops, perm/level/flags, the argument union), as in
// every kernel since 4.2.
//
// Thread safety: pure functions of their arguments.
#include <optional>
#include <string>
#include <vector>

#include "elf/elf_view.hpp"

namespace kmodx::loader {

/// The parameter names of \p view's __param section, in table order.
/// nullopt when there is no __param section, or when it cannot be decoded
/// whole (an odd size, a name without a relocation, a relocation naming a
/// symbol or string outside the image): the caller then has only the
/// parmtype= entries.
template <class ELFT>
std::optional<std::vector<std::string>> param_table_names(const elf::ElfView<ELFT>& view);

}  // namespace kmodx::loader
