// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// OpenSSL on the test side, for tests that make real module signatures
/// (tests/unit/elf/signature_test.cpp, tests/unit/crypto/): owning pointers
/// for its objects, a check that throws, and one RSA key per test run
/// (generating keys is the slow part). The unit test binary links libcrypto
/// itself.

#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace kmodx::test {

struct OsslFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
  void operator()(PKCS7* p) const { PKCS7_free(p); }
  void operator()(CMS_ContentInfo* p) const { CMS_ContentInfo_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(ASN1_INTEGER* p) const { ASN1_INTEGER_free(p); }
};
template <class T>
using Ossl = std::unique_ptr<T, OsslFree>;

inline void ossl_check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("OpenSSL: ") + what + " failed");
}

/// One RSA-2048 key for the whole run.
inline EVP_PKEY* test_rsa_key() {
  static Ossl<EVP_PKEY> key = [] {
    Ossl<EVP_PKEY> k(EVP_RSA_gen(2048));
    ossl_check(k != nullptr, "EVP_RSA_gen");
    return k;
  }();
  return key.get();
}

}  // namespace kmodx::test
