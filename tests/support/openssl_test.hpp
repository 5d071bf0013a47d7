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
#include <utility>
#include <vector>

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

/// A self-signed X.509 v3 certificate of \p key: subject = issuer = the
/// \p name entries (field, value) in order, serial number \p serial
/// (big-endian bytes, leading zeros allowed), valid for an hour.
inline Ossl<X509> self_signed_cert(EVP_PKEY* key, const std::vector<std::pair<std::string, std::string>>& name,
                                   const std::vector<unsigned char>& serial) {
  Ossl<X509> x(X509_new());
  ossl_check(x != nullptr, "X509_new");
  ossl_check(X509_set_version(x.get(), 2) == 1, "X509_set_version");
  Ossl<BIGNUM> bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  ossl_check(bn != nullptr, "BN_bin2bn");
  Ossl<ASN1_INTEGER> ai(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  ossl_check(ai != nullptr, "BN_to_ASN1_INTEGER");
  ossl_check(X509_set_serialNumber(x.get(), ai.get()) == 1, "X509_set_serialNumber");
  ossl_check(X509_gmtime_adj(X509_getm_notBefore(x.get()), 0) != nullptr, "notBefore");
  ossl_check(X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600) != nullptr, "notAfter");
  Ossl<X509_NAME> nm(X509_NAME_new());
  for (const auto& [field, value] : name)
    ossl_check(X509_NAME_add_entry_by_txt(nm.get(), field.c_str(), MBSTRING_UTF8,
                                          reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0) == 1,
               "X509_NAME_add_entry_by_txt");
  ossl_check(X509_set_subject_name(x.get(), nm.get()) == 1, "X509_set_subject_name");
  ossl_check(X509_set_issuer_name(x.get(), nm.get()) == 1, "X509_set_issuer_name");
  ossl_check(X509_set_pubkey(x.get(), key) == 1, "X509_set_pubkey");
  ossl_check(X509_sign(x.get(), key, EVP_sha256()) > 0, "X509_sign");
  return x;
}

}  // namespace kmodx::test
