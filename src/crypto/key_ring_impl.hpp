// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// What a KeyRing holds: libcrypto certificate objects, shared read-only by
// the verifying threads (module_signature.hpp).

#include <string>
#include <vector>

#include "crypto/libcrypto.hpp"
#include "crypto/module_signature.hpp"

namespace kmodx::crypto {

struct KeyRing::Impl {
  std::vector<X509*> certs;  // owned
  ~Impl();
  /// Takes \p cert; false (and frees it) when the ring already holds it.
  bool add(X509* cert);
};

/// "CN, serial AA:BB:..." of a certificate.
std::string certificate_name(X509* cert);

}  // namespace kmodx::crypto
