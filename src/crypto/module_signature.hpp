// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Verifying a module's signature the way the kernel's module_sig_check()
// does (kernel/module/signing.c, 6.1), against a set of X.509 certificates:
// the trusted keys of a kernel (its built-in system keyring, or what
// `kmodx check --cert` names).
//
// The module's last bytes are "~Module signature appended~\n", before them
// the 12-byte info (algo, hash, id_type, signer_len, key_id_len, 3 pad, be32
// sig_len) and before that sig_len bytes of DER PKCS#7/CMS SignedData over
// everything in front of it (elf/signature.cpp reads the same trailer for
// modinfo). The kernel accepts only id_type 2 (PKCS#7) with the other info
// fields 0; the signer is found by issuer and serial number (or subject key
// identifier) among the trusted certificates, and the signature is checked
// over the content with the digest the SignerInfo names.
//
// Outcomes map onto the kernel's: unsigned (ENODATA), unsupported (ENOPKG:
// not PKCS#7), unknown key (ENOKEY), bad (EBADMSG, EKEYREJECTED: anything
// else, fatal even when signatures are not enforced).
//
// libcrypto is opened on first use (util/shared_library.hpp).
//
// Thread safety: a KeyRing is filled on one thread; afterwards
// verify_module_signature() may run on many threads at once with it.

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kmodx/result.hpp"

namespace kmodx::crypto {

class KeyRing {
 public:
  KeyRing();
  ~KeyRing();
  KeyRing(KeyRing&&) noexcept;
  KeyRing& operator=(KeyRing&&) noexcept;

  /// Adds every certificate of \p bytes: one DER certificate, or PEM text
  /// with one or more. EBADMSG (naming \p file) when there is none.
  Result<std::size_t> add_certificates(std::span<const std::byte> bytes, const std::string& file);

  /// Adds the certificates built into a kernel: \p bytes is a vmlinux ELF
  /// image or an x86 bzImage whose payload is xz, gzip or zstd (decompressed
  /// here). Every DER certificate found in the image is taken (the kernel's
  /// system_certificate_list holds them back to back). EBADMSG naming
  /// \p file when the image cannot be decoded; ENOKEY when it holds none.
  Result<std::size_t> add_kernel_image(std::span<const std::byte> bytes, const std::string& file);

  std::size_t size() const;
  bool empty() const { return size() == 0; }
  /// "<subject CN>, serial AA:BB:..." of each certificate, for messages.
  std::vector<std::string> describe() const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

enum class SignatureStatus {
  ok,
  unsigned_module,  ///< no marker: ENODATA
  unsupported,      ///< not PKCS#7 (PGP, X509 id types): ENOPKG
  unknown_key,      ///< no trusted certificate matches the signer: ENOKEY
  bad,              ///< malformed, or the signature does not verify: EBADMSG/EKEYREJECTED
};

struct SignatureCheck {
  SignatureStatus status = SignatureStatus::unsigned_module;
  /// What the kernel's mod_verify_sig() returns: 0, ENODATA, ENOPKG, ENOKEY,
  /// EBADMSG or EKEYREJECTED.
  int kernel_errno = 0;
  std::string digest;    ///< OpenSSL's long name of the digest ("sha256", as the kernel and modinfo name it), when read
  std::string signer;    ///< the issuer's CN and serial, when read ("Build key, serial 5E:E1:...")
  std::string detail;    ///< why, for bad and unsupported
};

/// Checks the signature of the decompressed module \p image against \p keys.
SignatureCheck verify_module_signature(std::span<const std::byte> image, const KeyRing& keys);

/// True for digests (SignatureCheck::digest names) the kernel accepts for
/// module signatures but that are not collision resistant any more, or
/// weaker than what the kernel signs with: md4, md5, sha1, sha224,
/// ripemd160 (also by the kernel's name, rmd160).
bool weak_digest(const std::string& digest);

}  // namespace kmodx::crypto
