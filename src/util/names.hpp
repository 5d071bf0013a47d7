// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// The four name normalisations kmod applies (KMOD-SPEC §1.2). They look alike
// but differ in where they stop, whether brackets are special and whether they
// can fail, and every .bin key depends on which one was used, so they are kept
// separate on purpose.
//
// All of them follow C string semantics: an embedded NUL ends the input, as it
// would in kmod.

#include <cstddef>
#include <string>
#include <string_view>

#include "kmodx/result.hpp"

namespace kmodx {

/// kmod's PATH_MAX - 1: the longest name the normalisers produce.
inline constexpr std::size_t kMaxNameLength = 4095;

/// `-` becomes `_`; copying stops at the first `.` or after kMaxNameLength
/// characters. `snd-hda-intel` -> `snd_hda_intel`, `foo.ko.xz` -> `foo`.
std::string modname_normalize(std::string_view name);

/// modname_normalize() of the text after the last `/`. A path ending in `/`
/// (empty base name) is EINVAL.
Result<std::string> path_to_modname(std::string_view path);

/// Key normalisation for aliases: `-` becomes `_` except inside a `[...]`
/// bracket expression, which is copied verbatim. A `[` without a closing `]`
/// or a stray `]` is EINVAL ("Unmatched bracket" in depmod). Input beyond
/// kMaxNameLength characters is dropped, but a bracket expression that would
/// have to close beyond that limit is EINVAL (kmod master; v30 overflowed).
Result<std::string> alias_normalize(std::string_view alias);

/// Whether a file name looks like a module: `.ko`, `.ko.gz`, `.ko.xz` or
/// `.ko.zst` with at least one character before it (KMOD-SPEC §1.5). Files
/// are recognised by name before anything is opened, as kmod does; all four
/// compressions are compiled in here.
bool has_module_extension(std::string_view name);

/// The config parser's in-place variant: same `-` -> `_` rule outside
/// brackets, EINVAL on an unclosed `[` or a stray `]`, no length limit. On
/// error \p s is left partly rewritten, as kmod leaves its buffer.
Result<void> underscores(std::string& s);

}  // namespace kmodx
