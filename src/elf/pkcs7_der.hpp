// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// The PKCS#7 SignedData of a module signature, read without libcrypto when
// it has the plain form sign-file writes: one SignerInfo, no certificates,
// CRLs or attributes, detached data, and a digest OID of the table in
// pkcs7_der.cpp. Loading and relocating libcrypto costs more than the rest
// of a `modinfo` (3 of its 3.7 million instructions, and 3 MiB of memory),
// and every module of a distribution kernel is signed.
//
// The reader is strict DER: definite minimal lengths, low tag numbers,
// valid OIDs, minimal positive INTEGERs, ASCII name strings, the structure
// exactly as above with nothing left over inside it. Anything else returns
// nullopt and the caller asks libcrypto (d2i_PKCS7), so that a blob is
// accepted or refused as kmod (which uses libcrypto) does; where this reader
// accepts, its fields are libcrypto's (tests/unit/elf/pkcs7_der_test.cpp and
// the signature fuzz target compare the two). Thread safety: a pure
// function.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kmodx::elf {

struct Pkcs7Signer {
  std::string signer;                  ///< issuer CN, else the issuer's last entry's value
  std::vector<std::uint8_t> key_id;    ///< serial number, big-endian without leading zeros
  std::string hash_algo;               ///< OpenSSL's long name of the digest OID ("sha256")
  std::vector<std::uint8_t> signature; ///< encryptedDigest
};

std::optional<Pkcs7Signer> read_simple_pkcs7(std::span<const std::uint8_t> der);

/// The digest OIDs read_simple_pkcs7() names (DER content octets) and the
/// names it gives them; others are left to libcrypto.
struct Pkcs7DigestName {
  std::string_view oid;
  std::string_view name;
};
std::span<const Pkcs7DigestName> pkcs7_digest_names();

/// The same fields through libcrypto (d2i_PKCS7), loaded on first use
/// (signature.cpp); nullopt when it refuses the blob or cannot be loaded.
std::optional<Pkcs7Signer> read_pkcs7_with_libcrypto(std::span<const std::uint8_t> der);

}  // namespace kmodx::elf
