// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kmodx/signature.hpp"

#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include <array>
#include <cstring>
#include <memory>
#include <string_view>

namespace kmodx {
namespace {

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
  const int count = X509_NAME_entry_count(name);
  if (count <= 0) return {};
  X509_NAME_ENTRY* chosen = nullptr;
  for (int i = 0; i < count; ++i) {
    chosen = X509_NAME_get_entry(name, i);
    if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(chosen)) == NID_commonName) break;
  }
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(chosen);
  const char* s = reinterpret_cast<const char*>(ASN1_STRING_get0_data(data));
  // kmod takes the bytes as a C string.
  return std::string(s, strnlen(s, static_cast<std::size_t>(ASN1_STRING_length(data))));
}

bool fill_from_pkcs7(std::span<const std::byte> der, SignatureInfo& info) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<PKCS7, decltype(&PKCS7_free)> pkcs7(
      d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())), &PKCS7_free);
  if (!pkcs7) return false;
  STACK_OF(PKCS7_SIGNER_INFO)* signers = PKCS7_get_signer_info(pkcs7.get());
  if (signers == nullptr || sk_PKCS7_SIGNER_INFO_num(signers) < 1) return false;
  PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(signers, 0);
  if (si == nullptr || si->issuer_and_serial == nullptr || si->enc_digest == nullptr) return false;

  info.signer = issuer_name(si->issuer_and_serial->issuer);

  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(
      ASN1_INTEGER_to_BN(si->issuer_and_serial->serial, nullptr), &BN_free);
  if (!serial) return false;
  info.key_id.resize(static_cast<std::size_t>(BN_num_bytes(serial.get())));
  BN_bn2bin(serial.get(), info.key_id.data());

  // OpenSSL's long name of the digest OID ("sha256"), as kmod 32+ prints it.
  X509_ALGOR* digest = nullptr;
  PKCS7_SIGNER_INFO_get0_algs(si, nullptr, &digest, nullptr);
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, digest);
  const int len = OBJ_obj2txt(nullptr, 0, oid, 0);
  if (len < 0) return false;
  info.hash_algo.resize(static_cast<std::size_t>(len) + 1);
  OBJ_obj2txt(info.hash_algo.data(), len + 1, oid, 0);
  info.hash_algo.resize(static_cast<std::size_t>(len));

  const auto* sig = ASN1_STRING_get0_data(si->enc_digest);
  info.signature.assign(sig, sig + ASN1_STRING_length(si->enc_digest));
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
