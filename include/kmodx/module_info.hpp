// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// The key/value list modinfo prints for one module (libkmod's
/// kmod_module_get_info): the `.modinfo` strings in file order, then
/// `build-id` (kmod 35 and later), then the signature keys `sig_id`, `signer`,
/// `sig_key`, `sig_hashalgo`, `signature` when the module is signed.
///
/// For built-in modules the list comes from `modules.builtin.modinfo`, a
/// sequence of NUL-terminated `<module>.<key>=<value>` strings grouped by module.
///
/// Thread safety: reentrant; nothing is shared between calls.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kmodx/export.hpp"
#include "kmodx/result.hpp"

namespace kmodx {

struct KMODX_API InfoField {
  std::string key;
  std::string value;
};

/// kmod's hex rendering: uppercase byte pairs joined by ':', with "\n\t\t"
/// after every 20th byte's ':' so long values wrap under modinfo's column.
KMODX_API std::string format_hex(std::span<const std::uint8_t> bytes);
KMODX_API std::string format_hex(std::span<const std::byte> bytes);

/// Info list of a decompressed module image: `.modinfo`, build-id, and
/// unless \p with_signature is false the signature fields (sig_id, signer,
/// sig_key, sig_hashalgo, signature; decoding a PKCS#7 one loads libcrypto).
/// Errors: those of ModuleElf::parse, and ENOENT when the module has no
/// `.modinfo`.
KMODX_API Result<std::vector<InfoField>> read_module_info(std::span<const std::byte> image, std::string_view file,
                                                bool with_signature = true);

/// Whether \p key is one of the fields read_module_info() takes from the
/// signature.
KMODX_API bool is_signature_field(std::string_view key);

/// Records of \p name in the `modules.builtin.modinfo` file at \p path.
/// ENOENT when the file is missing; EINVAL (detail names the file and the
/// offset) for a record without a `<module>.` prefix. A module that has no
/// records gets an empty list, as in kmod 34 and later (kmod 30 failed with
/// ENOSYS, which modinfo showed as "Function not implemented").
KMODX_API Result<std::vector<InfoField>> read_builtin_info(const std::string& path, std::string_view name);

/// The same over the file's bytes \p data; \p file names it in errors.
KMODX_API Result<std::vector<InfoField>> parse_builtin_info(std::string_view data, std::string_view name,
                                                  const std::string& file);

}  // namespace kmodx
