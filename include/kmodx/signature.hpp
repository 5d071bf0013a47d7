// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// The signature trailer sign-file appends to a module:
///
///   [ELF image][signer][key id][signature][info: 12 bytes]["~Module signature appended~\n"]
///   info = u8 algo, u8 hash, u8 id_type, u8 signer_len, u8 key_id_len,
///          u8 pad[3], u32 sig_len (big-endian)
///
/// id_type 0 (PGP) and 1 (X509) carry signer, key id and hash in the trailer;
/// id_type 2 (PKCS#7, what kernels produce) carries a DER PKCS#7 blob whose
/// first SignerInfo supplies them, decoded with OpenSSL's libcrypto.
///
/// Thread safety: reentrant; libcrypto is loaded and initialised once, under
/// a magic static, on first use.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kmodx/export.hpp"

namespace kmodx {

struct KMODX_API SignatureInfo {
  std::string id_type;  ///< "PGP", "X509" or "PKCS#7"
  std::string signer;
  std::vector<std::uint8_t> key_id;
  std::string hash_algo;
  std::vector<std::uint8_t> signature;
};

/// The signature of a (decompressed) module image, or nullopt when the image
/// carries none or its trailer is inconsistent (lengths that do not fit,
/// unknown algorithm/hash/id type, undecodable PKCS#7): kmod then shows no
/// signature fields at all, and so do we.
KMODX_API std::optional<SignatureInfo> read_signature(std::span<const std::byte> image);

}  // namespace kmodx
