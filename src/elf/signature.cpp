// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kmodx/signature.hpp"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include <array>
#include <cstring>
#include <memory>
#include <string_view>

#include "elf/pkcs7_der.hpp"
#include "util/shared_library.hpp"

namespace kmodx {
namespace {

#define KMODX_CRYPTO_FUNCTIONS(X)                                                                          \
  X(ASN1_INTEGER_to_BN) X(ASN1_STRING_get0_data) X(ASN1_STRING_length) X(BN_bn2bin) X(BN_free)             \
  X(BN_num_bits) X(OBJ_obj2nid) X(OBJ_obj2txt) X(OPENSSL_sk_num) X(OPENSSL_sk_value)                       \
  X(PKCS7_SIGNER_INFO_get0_algs) X(PKCS7_free) X(PKCS7_get_signer_info) X(X509_ALGOR_get0)                 \
  X(X509_NAME_ENTRY_get_data) X(X509_NAME_ENTRY_get_object) X(X509_NAME_entry_count) X(X509_NAME_get_entry) \
  X(d2i_PKCS7) X(OPENSSL_init_crypto)

KMODX_LIBRARY_API(CryptoApi, bound_crypto_api, KMODX_CRYPTO_SONAME, KMODX_CRYPTO_FUNCTIONS)

// libcrypto, opened the first time a signature is not of the form
// elf/pkcs7_der.cpp reads. Decoding DER needs no configuration: it is told
// not to read openssl.cnf (and set up the providers it names).
const Result<CryptoApi>& crypto_api() {
  static const bool initialised = [] {
    if (bound_crypto_api()) bound_crypto_api()->OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr);
    return true;
  }();
  (void)initialised;
  return bound_crypto_api();
}
// Only after read_pkcs7_with_libcrypto() has checked that crypto_api() loaded.
const CryptoApi& crypto() { return *crypto_api(); }

constexpr std::string_view kMagic = "~Module signature appended~\n";
constexpr std::size_t kInfoSize = 12;

constexpr std::array<const char*, 9> kHashNames = {"md4",    "md5",    "sha1",   "rmd160", "sha256",
                                                   "sha384", "sha512", "sha224", "sm3"};
constexpr std::array<const char*, 3> kIdTypes = {"PGP", "X509", "PKCS#7"};
constexpr unsigned kIdPkcs7 = 2;

std::vector<std::uint8_t> to_vector(std::span<const std::byte> s) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  return {p, p + s.size()};
}

// The issuer's CN, or the value of its last entry when it has no CN.
std::string issuer_name(X509_NAME* name) {
  const int count = crypto().X509_NAME_entry_count(name);
  if (count <= 0) return {};
  X509_NAME_ENTRY* chosen = nullptr;
  for (int i = 0; i < count; ++i) {
    chosen = crypto().X509_NAME_get_entry(name, i);
    if (crypto().OBJ_obj2nid(crypto().X509_NAME_ENTRY_get_object(chosen)) == NID_commonName) break;
  }
  const ASN1_STRING* data = crypto().X509_NAME_ENTRY_get_data(chosen);
  const char* s = reinterpret_cast<const char*>(crypto().ASN1_STRING_get0_data(data));
  // kmod takes the bytes as a C string.
  return std::string(s, strnlen(s, static_cast<std::size_t>(crypto().ASN1_STRING_length(data))));
}

}  // namespace

namespace elf {

// Without libcrypto the signature reads as one that does not decode.
std::optional<Pkcs7Signer> read_pkcs7_with_libcrypto(std::span<const std::uint8_t> der) {
  if (!crypto_api()) return std::nullopt;
  const auto* p = der.data();
  std::unique_ptr<PKCS7, decltype(&PKCS7_free)> pkcs7(
      crypto().d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())), crypto().PKCS7_free);
  if (!pkcs7) return std::nullopt;
  STACK_OF(PKCS7_SIGNER_INFO)* signers = crypto().PKCS7_get_signer_info(pkcs7.get());
  // sk_PKCS7_SIGNER_INFO_num/_value are inline wrappers of OPENSSL_sk_*.
  const auto* stack = reinterpret_cast<const OPENSSL_STACK*>(signers);
  if (signers == nullptr || crypto().OPENSSL_sk_num(stack) < 1) return std::nullopt;
  auto* si = static_cast<PKCS7_SIGNER_INFO*>(crypto().OPENSSL_sk_value(stack, 0));
  if (si == nullptr || si->issuer_and_serial == nullptr || si->enc_digest == nullptr) return std::nullopt;

  Pkcs7Signer out;
  out.signer = issuer_name(si->issuer_and_serial->issuer);

  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(
      crypto().ASN1_INTEGER_to_BN(si->issuer_and_serial->serial, nullptr), crypto().BN_free);
  if (!serial) return std::nullopt;
  // BN_num_bytes() is a macro over BN_num_bits().
  out.key_id.resize(static_cast<std::size_t>((crypto().BN_num_bits(serial.get()) + 7) / 8));
  crypto().BN_bn2bin(serial.get(), out.key_id.data());

  // OpenSSL's long name of the digest OID ("sha256"), as kmod 32+ prints it.
  X509_ALGOR* digest = nullptr;
  crypto().PKCS7_SIGNER_INFO_get0_algs(si, nullptr, &digest, nullptr);
  const ASN1_OBJECT* oid = nullptr;
  crypto().X509_ALGOR_get0(&oid, nullptr, nullptr, digest);
  const int len = crypto().OBJ_obj2txt(nullptr, 0, oid, 0);
  if (len < 0) return std::nullopt;
  out.hash_algo.resize(static_cast<std::size_t>(len) + 1);
  crypto().OBJ_obj2txt(out.hash_algo.data(), len + 1, oid, 0);
  out.hash_algo.resize(static_cast<std::size_t>(len));

  const auto* sig = crypto().ASN1_STRING_get0_data(si->enc_digest);
  out.signature.assign(sig, sig + crypto().ASN1_STRING_length(si->enc_digest));
  return out;
}

}  // namespace elf

namespace {

// The plain form sign-file writes is read here; anything else by libcrypto.
bool fill_from_pkcs7(std::span<const std::byte> der, SignatureInfo& info) {
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(der.data()), der.size());
  auto signer = elf::read_simple_pkcs7(bytes);
  if (!signer) signer = elf::read_pkcs7_with_libcrypto(bytes);
  if (!signer) return false;
  info.signer = std::move(signer->signer);
  info.key_id = std::move(signer->key_id);
  info.hash_algo = std::move(signer->hash_algo);
  info.signature = std::move(signer->signature);
  return true;
}

}  // namespace

std::optional<SignatureInfo> read_signature(std::span<const std::byte> image) {
  if (image.size() < kMagic.size() + kInfoSize) return std::nullopt;
  auto tail = image.last(kMagic.size());
  if (std::memcmp(tail.data(), kMagic.data(), kMagic.size()) != 0) return std::nullopt;
  auto body = image.first(image.size() - kMagic.size() - kInfoSize);
  const auto* raw = reinterpret_cast<const std::uint8_t*>(image.data() + body.size());
  const unsigned algo = raw[0], hash = raw[1], id_type = raw[2];
  const std::size_t signer_len = raw[3], key_id_len = raw[4];
  const std::uint64_t sig_len = (std::uint64_t{raw[8]} << 24) | (std::uint64_t{raw[9]} << 16) |
                                (std::uint64_t{raw[10]} << 8) | raw[11];
  if (algo >= 2 || hash >= kHashNames.size() || id_type >= kIdTypes.size() || sig_len == 0)
    return std::nullopt;
  if (body.size() < sig_len + signer_len + key_id_len) return std::nullopt;

  auto signature = body.last(static_cast<std::size_t>(sig_len));
  auto before_sig = body.first(body.size() - signature.size());
  auto key_id = before_sig.last(key_id_len);
  auto signer = before_sig.first(before_sig.size() - key_id_len).last(signer_len);

  SignatureInfo info;
  info.id_type = kIdTypes[id_type];
  if (id_type == kIdPkcs7) {
    if (!fill_from_pkcs7(signature, info)) return std::nullopt;
    return info;
  }
  info.signer.assign(reinterpret_cast<const char*>(signer.data()), signer.size());
  info.key_id = to_vector(key_id);
  info.hash_algo = kHashNames[hash];
  info.signature = to_vector(signature);
  return info;
}

}  // namespace kmodx
