// SPDX-License-Identifier: LGPL-2.1-or-later
// read_signature: the appended module signature (KMOD-SPEC §6.1, §6.2).
#include "kmodx/signature.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "elf/pkcs7_der.hpp"
#include "support/elf_builder.hpp"
#include "support/openssl_test.hpp"

using namespace kmodx::test;
using kmodx::read_signature;
using kmodx::SignatureInfo;
using Bytes = std::vector<std::uint8_t>;

namespace {

// ---- OpenSSL helpers (test side: build a real PKCS#7 like sign-file) ---------

using kmodx::test::Ossl;
using kmodx::test::ossl_check;

// One RSA key for the whole run: generating keys is the slow part.
EVP_PKEY* test_key() { return kmodx::test::test_rsa_key(); }

using NameEntries = std::vector<std::pair<std::string, std::string>>;

// Self-signed certificate with the given issuer/subject name and serial
// number (big-endian bytes, any leading zeros).
Ossl<X509> make_cert(const NameEntries& name, const Bytes& serial) {
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
                                          reinterpret_cast<const unsigned char*>(value.c_str()),
                                          -1, -1, 0) == 1,
               "X509_NAME_add_entry_by_txt");
  ossl_check(X509_set_subject_name(x.get(), nm.get()) == 1, "X509_set_subject_name");
  ossl_check(X509_set_issuer_name(x.get(), nm.get()) == 1, "X509_set_issuer_name");
  ossl_check(X509_set_pubkey(x.get(), test_key()) == 1, "X509_set_pubkey");
  ossl_check(X509_sign(x.get(), test_key(), EVP_sha256()) > 0, "X509_sign");
  return x;
}

constexpr int kSignFlags = PKCS7_BINARY | PKCS7_DETACHED | PKCS7_NOATTR | PKCS7_NOCERTS;

struct Signed {
  Bytes der;
  Bytes first_enc_digest;  // encryptedDigest of the first SignerInfo
};

Signed finish(PKCS7* p7) {
  Signed out;
  unsigned char* buf = nullptr;
  const int len = i2d_PKCS7(p7, &buf);
  ossl_check(len > 0, "i2d_PKCS7");
  out.der.assign(buf, buf + len);
  OPENSSL_free(buf);
  STACK_OF(PKCS7_SIGNER_INFO)* infos = PKCS7_get_signer_info(p7);
  ossl_check(infos != nullptr && sk_PKCS7_SIGNER_INFO_num(infos) > 0, "PKCS7_get_signer_info");
  const ASN1_OCTET_STRING* sig = sk_PKCS7_SIGNER_INFO_value(infos, 0)->enc_digest;
  const unsigned char* p = ASN1_STRING_get0_data(sig);
  out.first_enc_digest.assign(p, p + ASN1_STRING_length(sig));
  return out;
}

// What sign-file does: PKCS7_sign over the module bytes, detached, no certs.
Signed sign_simple(const Bytes& data, X509* cert) {
  Ossl<BIO> in(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  Ossl<PKCS7> p7(PKCS7_sign(cert, test_key(), nullptr, in.get(), kSignFlags));
  ossl_check(p7 != nullptr, "PKCS7_sign");
  return finish(p7.get());
}

// Same with an explicit digest and possibly several signers.
Signed sign_with(const Bytes& data, const std::vector<X509*>& certs, const EVP_MD* md) {
  Ossl<BIO> in(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  Ossl<PKCS7> p7(PKCS7_sign(nullptr, nullptr, nullptr, nullptr, kSignFlags | PKCS7_PARTIAL));
  ossl_check(p7 != nullptr, "PKCS7_sign (partial)");
  for (X509* c : certs)
    ossl_check(PKCS7_sign_add_signer(p7.get(), c, test_key(), md, kSignFlags) != nullptr,
               "PKCS7_sign_add_signer");
  ossl_check(PKCS7_final(p7.get(), in.get(), kSignFlags) == 1, "PKCS7_final");
  return finish(p7.get());
}

Bytes strip_leading_zeros(Bytes b) {
  std::size_t i = 0;
  while (i < b.size() && b[i] == 0) ++i;
  return Bytes(b.begin() + static_cast<std::ptrdiff_t>(i), b.end());
}

// A small module image to sign.
std::vector<std::byte> module_bytes() {
  return ElfBuilder(true, true).modinfo("license=GPL").modinfo("name=signed").build().bytes();
}

Bytes as_u8(const std::vector<std::byte>& b) {
  Bytes out(b.size());
  for (std::size_t i = 0; i < b.size(); ++i) out[i] = std::to_integer<std::uint8_t>(b[i]);
  return out;
}

std::vector<std::byte> with_trailer(std::vector<std::byte> image, const SignatureTrailer& t) {
  append_signature(image, t);
  return image;
}

const Bytes kKeyId{0xe3, 0xc8, 0xfc, 0xa7, 0x3f, 0xb3, 0x1d, 0xde, 0x84, 0x81,
                   0xef, 0x38, 0xe3, 0x4c, 0xde, 0x4b, 0x0c, 0xfd, 0x1b, 0xf9};

Bytes counting(std::size_t n, std::uint8_t start = 1) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(start + i);
  return b;
}

}  // namespace

// ---- legacy trailers (§6.2, id_type 0/1) -------------------------------------

TEST_CASE("signature: unsigned images have none", "[elf]") {
  CHECK_FALSE(read_signature({}).has_value());
  CHECK_FALSE(read_signature(module_bytes()).has_value());
  CHECK_FALSE(read_signature(to_bytes(kSignatureMagic)).has_value());
}

TEST_CASE("signature: legacy trailers carry signer, key id, hash and signature", "[elf]") {
  const std::uint8_t id_type = GENERATE(0, 1);
  const std::uint8_t hash = GENERATE(range(0, 9));
  static const char* const kHashes[] = {"md4",    "md5",    "sha1",   "rmd160", "sha256",
                                        "sha384", "sha512", "sha224", "sm3"};
  INFO("id_type " << int(id_type) << " hash " << int(hash));
  const Bytes sig = counting(77);
  auto image = with_trailer(module_bytes(),
                            legacy_signature(id_type, "Build time autogenerated kernel key",
                                             kKeyId, sig, hash));
  auto info = read_signature(image);
  REQUIRE(info.has_value());
  CHECK(info->id_type == (id_type == 0 ? "PGP" : "X509"));
  CHECK(info->signer == "Build time autogenerated kernel key");
  CHECK(info->key_id == kKeyId);
  CHECK(info->hash_algo == kHashes[hash]);
  CHECK(info->signature == sig);
}

TEST_CASE("signature: algo 0 and 1 are both accepted", "[elf]") {
  const std::uint8_t algo = GENERATE(0, 1);
  SignatureTrailer t = legacy_signature(1, "signer", {1, 2}, {3, 4, 5});
  t.algo = algo;
  auto info = read_signature(with_trailer(module_bytes(), t));
  REQUIRE(info.has_value());
  CHECK(info->signer == "signer");
}

TEST_CASE("signature: empty signer and key id are fine in legacy trailers", "[elf]") {
  auto info = read_signature(with_trailer(module_bytes(), legacy_signature(0, "", {}, {9})));
  REQUIRE(info.has_value());
  CHECK(info->id_type == "PGP");
  CHECK(info->signer.empty());
  CHECK(info->key_id.empty());
  CHECK(info->signature == Bytes{9});
}

TEST_CASE("signature: lengths that exactly fill the image are accepted", "[elf]") {
  // Nothing before the signer: the bytes before the info block are exactly
  // signer_len + key_id_len + sig_len.
  auto trailer = encode_signature_trailer(legacy_signature(1, "abc", {1, 2, 3, 4}, {5, 6}));
  auto info = read_signature(trailer);
  REQUIRE(info.has_value());
  CHECK(info->signer == "abc");
  CHECK(info->key_id == Bytes{1, 2, 3, 4});
  CHECK(info->signature == Bytes{5, 6});
}

TEST_CASE("signature: inconsistent trailers give nothing", "[elf]") {
  SignatureTrailer t = legacy_signature(1, "signer", {1, 2, 3}, counting(32));
  std::vector<std::byte> image = module_bytes();
  SECTION("sig_len bigger than the file") { t.sig_len = 0x10000000; }
  SECTION("sig_len 0xffffffff") { t.sig_len = 0xffffffff; }
  SECTION("sig_len one more than the bytes before the info block") {
    image.clear();
    t.sig_len = 33;
  }
  SECTION("signer_len + key_id_len too big") {
    image.clear();
    t.signer_len = 200;
    t.key_id_len = 200;
  }
  SECTION("signer_len alone one too big") {
    image.clear();
    t.signer_len = 7;
  }
  SECTION("sig_len 0") { t.sig_len = 0; }
  SECTION("algo 2") { t.algo = 2; }
  SECTION("algo 255") { t.algo = 255; }
  SECTION("hash 9") { t.hash = 9; }
  SECTION("hash 255") { t.hash = 255; }
  SECTION("id_type 3") { t.id_type = 3; }
  SECTION("id_type 255") { t.id_type = 255; }
  auto info = read_signature(with_trailer(image, t));
  CHECK_FALSE(info.has_value());
}

TEST_CASE("signature: images shorter than 40 bytes or without the magic give nothing", "[elf]") {
  const auto good = encode_signature_trailer(legacy_signature(1, "", {}, {7}));
  REQUIRE(good.size() == 41);
  REQUIRE(read_signature(good).has_value());
  // The last n bytes only.
  for (std::size_t n : {0, 1, 27, 28, 29, 39, 40}) {
    INFO("last " << n << " bytes");
    std::vector<std::byte> tail(good.end() - static_cast<std::ptrdiff_t>(n), good.end());
    CHECK_FALSE(read_signature(tail).has_value());
  }
  std::vector<std::byte> bad_magic = good;
  bad_magic.back() = std::byte{'!'};
  CHECK_FALSE(read_signature(bad_magic).has_value());
  std::vector<std::byte> extra = good;
  extra.push_back(std::byte{0});
  CHECK_FALSE(read_signature(extra).has_value());
}

// ---- PKCS#7 (§6.2, id_type 2) ------------------------------------------------

TEST_CASE("signature: PKCS#7 from sign-file's flags", "[elf]") {
  const Bytes serial = GENERATE(Bytes{0x01, 0x02, 0x03, 0x04, 0x05},
                                Bytes{0x00, 0x9a, 0xbc, 0x01},  // needs a DER pad byte
                                Bytes{0x7f, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90,
                                      0xa0, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0, 0x01, 0x02, 0x03, 0x04},
                                Bytes{0xe3, 0xc8, 0xfc, 0xa7, 0x3f, 0xb3, 0x1d, 0xde, 0x84, 0x81,
                                      0xef, 0x38, 0xe3, 0x4c, 0xde, 0x4b, 0x0c, 0xfd, 0x1b, 0xf9},
                                Bytes{0x2a});
  auto cert = make_cert({{"O", "kmodx project"}, {"CN", "kmodx test key"},
                         {"emailAddress", "keys@example.org"}},
                        serial);
  const std::vector<std::byte> module = module_bytes();
  const Signed s = sign_simple(as_u8(module), cert.get());
  auto info = read_signature(with_trailer(module, pkcs7_signature(s.der)));
  REQUIRE(info.has_value());
  CHECK(info->id_type == "PKCS#7");
  CHECK(info->signer == "kmodx test key");
  CHECK(info->key_id == strip_leading_zeros(serial));
  CHECK(info->hash_algo == "sha256");
  CHECK(info->signature == s.first_enc_digest);
  CHECK(info->signature.size() == 256);  // RSA-2048
}

TEST_CASE("signature: PKCS#7 digest algorithm is reported by name", "[elf]") {
  using Md = std::pair<const EVP_MD* (*)(), const char*>;
  const Md md = GENERATE(Md{EVP_sha256, "sha256"}, Md{EVP_sha384, "sha384"},
                         Md{EVP_sha512, "sha512"}, Md{EVP_sha224, "sha224"});
  INFO(md.second);
  auto cert = make_cert({{"CN", "kmodx test key"}}, {0x11, 0x22});
  const std::vector<std::byte> module = module_bytes();
  const Signed s = sign_with(as_u8(module), {cert.get()}, md.first());
  auto info = read_signature(with_trailer(module, pkcs7_signature(s.der)));
  REQUIRE(info.has_value());
  CHECK(info->hash_algo == md.second);
  CHECK(info->signer == "kmodx test key");
  CHECK(info->key_id == Bytes{0x11, 0x22});
  CHECK(info->signature == s.first_enc_digest);
}

TEST_CASE("signature: PKCS#7 signer from an issuer without CN is its last entry", "[elf]") {
  auto cert = make_cert({{"C", "DE"}, {"O", "kmodx org"}, {"OU", "kmodx unit"}}, {0x05});
  const std::vector<std::byte> module = module_bytes();
  const Signed s = sign_simple(as_u8(module), cert.get());
  auto info = read_signature(with_trailer(module, pkcs7_signature(s.der)));
  REQUIRE(info.has_value());
  CHECK(info->signer == "kmodx unit");
  CHECK(info->key_id == Bytes{0x05});
}

TEST_CASE("signature: PKCS#7 signer from an empty issuer is empty", "[elf]") {
  auto cert = make_cert({}, {0x06});
  const std::vector<std::byte> module = module_bytes();
  const Signed s = sign_simple(as_u8(module), cert.get());
  auto info = read_signature(with_trailer(module, pkcs7_signature(s.der)));
  REQUIRE(info.has_value());
  CHECK(info->signer.empty());
  CHECK(info->key_id == Bytes{0x06});
  CHECK(info->hash_algo == "sha256");
}

TEST_CASE("signature: PKCS#7 uses the first SignerInfo", "[elf]") {
  auto first = make_cert({{"CN", "first signer"}}, {0x01, 0x01});
  auto second = make_cert({{"CN", "second signer"}}, {0x02, 0x02});
  const std::vector<std::byte> module = module_bytes();
  const Signed s = sign_with(as_u8(module), {first.get(), second.get()}, EVP_sha256());
  auto info = read_signature(with_trailer(module, pkcs7_signature(s.der)));
  REQUIRE(info.has_value());
  CHECK(info->signer == "first signer");
  CHECK(info->key_id == Bytes{0x01, 0x01});
  CHECK(info->signature == s.first_enc_digest);
}

TEST_CASE("signature: undecodable PKCS#7 gives nothing", "[elf]") {
  auto cert = make_cert({{"CN", "kmodx test key"}}, {0x07});
  const std::vector<std::byte> module = module_bytes();
  const Signed s = sign_simple(as_u8(module), cert.get());
  Bytes der;
  SECTION("garbage") { der = counting(100, 0x41); }
  SECTION("DER cut in half") { der.assign(s.der.begin(), s.der.begin() + s.der.size() / 2); }
  SECTION("one byte") { der = {0x30}; }
  SECTION("an ASN.1 INTEGER instead of a PKCS#7") { der = {0x02, 0x01, 0x05}; }
  auto info = read_signature(with_trailer(module, pkcs7_signature(der)));
  CHECK_FALSE(info.has_value());
}

// ---- the DER reader (src/elf/pkcs7_der.cpp) against libcrypto ---------------

static bool same_fields(const kmodx::elf::Pkcs7Signer& a, const kmodx::elf::Pkcs7Signer& b) {
  return a.signer == b.signer && a.key_id == b.key_id && a.hash_algo == b.hash_algo && a.signature == b.signature;
}

TEST_CASE("pkcs7: the DER reader reads what sign-file writes, as libcrypto does", "[elf]") {
  auto cert = make_cert({{"O", "kmodx project"}, {"CN", "kmodx test key"}}, {0x00, 0x9a, 0xbc, 0x01});
  const std::vector<std::byte> module = module_bytes();
  using Md = std::pair<const EVP_MD* (*)(), const char*>;
  const Md md = GENERATE(Md{EVP_sha1, "sha1"}, Md{EVP_sha256, "sha256"}, Md{EVP_sha384, "sha384"},
                         Md{EVP_sha512, "sha512"}, Md{EVP_sha224, "sha224"}, Md{EVP_sha3_256, "sha3-256"},
                         Md{EVP_sha3_512, "sha3-512"}, Md{EVP_sha512_256, "sha512-256"});
  INFO(md.second);
  const Signed s = sign_with(as_u8(module), {cert.get()}, md.first());
  auto fast = kmodx::elf::read_simple_pkcs7(s.der);
  auto lib = kmodx::elf::read_pkcs7_with_libcrypto(s.der);
  REQUIRE(fast.has_value());
  REQUIRE(lib.has_value());
  CHECK(fast->hash_algo == md.second);
  CHECK(same_fields(*fast, *lib));
}

TEST_CASE("pkcs7: every digest name of the DER reader is libcrypto's", "[elf]") {
  for (const auto& d : kmodx::elf::pkcs7_digest_names()) {
    // An OBJECT IDENTIFIER element around the content octets.
    Bytes der{0x06, static_cast<std::uint8_t>(d.oid.size())};
    der.insert(der.end(), d.oid.begin(), d.oid.end());
    const unsigned char* p = der.data();
    ASN1_OBJECT* obj = d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(der.size()));
    REQUIRE(obj != nullptr);
    char name[80];
    OBJ_obj2txt(name, sizeof name, obj, 0);
    ASN1_OBJECT_free(obj);
    CHECK(std::string(name) == std::string(d.name));
  }
}

TEST_CASE("pkcs7: forms outside the plain one are left to libcrypto", "[elf]") {
  auto first = make_cert({{"CN", "first signer"}}, {0x01});
  auto second = make_cert({{"CN", "second signer"}}, {0x02});
  const std::vector<std::byte> module = module_bytes();
  // Two signers; signed attributes (no PKCS7_NOATTR); a certificate inside.
  const Signed two = sign_with(as_u8(module), {first.get(), second.get()}, EVP_sha256());
  Ossl<BIO> in(BIO_new_mem_buf(module.data(), static_cast<int>(module.size())));
  Ossl<PKCS7> attrs(PKCS7_sign(first.get(), test_key(), nullptr, in.get(),
                               PKCS7_BINARY | PKCS7_DETACHED | PKCS7_NOCERTS));
  ossl_check(attrs != nullptr, "PKCS7_sign with attributes");
  const Signed with_attrs = finish(attrs.get());
  Ossl<BIO> in2(BIO_new_mem_buf(module.data(), static_cast<int>(module.size())));
  Ossl<PKCS7> certs(PKCS7_sign(first.get(), test_key(), nullptr, in2.get(),
                               PKCS7_BINARY | PKCS7_DETACHED | PKCS7_NOATTR));
  ossl_check(certs != nullptr, "PKCS7_sign with the certificate");
  const Signed with_cert = finish(certs.get());
  for (const Signed* s : {&two, &with_attrs, &with_cert}) {
    CHECK_FALSE(kmodx::elf::read_simple_pkcs7(s->der).has_value());
    auto info = read_signature(with_trailer(module, pkcs7_signature(s->der)));
    REQUIRE(info.has_value());
    CHECK(info->signer == "first signer");
  }
}

TEST_CASE("pkcs7: where the DER reader accepts a damaged blob, libcrypto reads the same", "[elf]") {
  auto cert = make_cert({{"C", "DE"}, {"CN", "kmodx test key"}, {"OU", "unit"}}, {0x31, 0x41, 0x59});
  const Signed s = sign_simple(as_u8(module_bytes()), cert.get());
  REQUIRE(kmodx::elf::read_simple_pkcs7(s.der).has_value());
  std::size_t accepted = 0, tried = 0;
  auto check = [&](const Bytes& blob) {
    ++tried;
    auto fast = kmodx::elf::read_simple_pkcs7(blob);
    if (!fast) return;
    ++accepted;
    auto lib = kmodx::elf::read_pkcs7_with_libcrypto(blob);
    INFO("blob of " << blob.size() << " bytes");
    REQUIRE(lib.has_value());
    REQUIRE(same_fields(*fast, *lib));
  };
  for (std::size_t i = 0; i < s.der.size(); ++i) {
    for (std::uint8_t v : {std::uint8_t(s.der[i] ^ 0x01), std::uint8_t(s.der[i] ^ 0x80), std::uint8_t{0x00},
                           std::uint8_t{0xFF}, std::uint8_t(s.der[i] + 1)}) {
      Bytes m = s.der;
      m[i] = v;
      check(m);
    }
    check(Bytes(s.der.begin(), s.der.begin() + static_cast<std::ptrdiff_t>(i)));
  }
  Bytes longer = s.der;
  longer.insert(longer.end(), {0x30, 0x00, 0xFF});  // bytes after the object are ignored by both
  check(longer);
  INFO(accepted << " of " << tried << " variants accepted");
  CHECK(accepted > s.der.size() / 4);  // signature and name bytes vary freely
}
