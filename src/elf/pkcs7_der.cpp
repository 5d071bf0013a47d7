// SPDX-License-Identifier: LGPL-2.1-or-later
#include "elf/pkcs7_der.hpp"

#include <array>
#include <string_view>

namespace kmodx::elf {
namespace {

using Bytes = std::span<const std::uint8_t>;

constexpr std::uint8_t kInteger = 0x02, kOctetString = 0x04, kNull = 0x05, kOid = 0x06, kUtf8String = 0x0C,
                       kPrintableString = 0x13, kT61String = 0x14, kIa5String = 0x16, kSequence = 0x30,
                       kSet = 0x31, kContext0 = 0xA0;

// DER content octets of the OIDs the structure names.
constexpr std::array<std::uint8_t, 9> kSignedDataOid{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02};
constexpr std::array<std::uint8_t, 9> kDataOid{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01};
constexpr std::array<std::uint8_t, 3> kCommonNameOid{0x55, 0x04, 0x03};

// Digest OIDs and OpenSSL's long names for them (what OBJ_obj2txt prints;
// tests/unit/elf/signature_test.cpp checks each against libcrypto).
constexpr std::array<Pkcs7DigestName, 19> kDigests{{
    {"\x2A\x86\x48\x86\xF7\x0D\x02\x04", "md4"},
    {"\x2A\x86\x48\x86\xF7\x0D\x02\x05", "md5"},
    {"\x2B\x0E\x03\x02\x1A", "sha1"},
    {"\x2B\x24\x03\x02\x01", "ripemd160"},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x01", "sha256"},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x02", "sha384"},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x03", "sha512"},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x04", "sha224"},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x05", "sha512-224"},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x06", "sha512-256"},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x07", "sha3-224"},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x08", "sha3-256"},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x09", "sha3-384"},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x0A", "sha3-512"},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x0B", "shake128"},
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x0C", "shake256"},
    {"\x2A\x81\x1C\xCF\x55\x01\x83\x11", "sm3"},
    {"\x2A\x86\x48\x86\xF7\x0D\x02\x02", "md2"},
    {"\x2B\x0E\x03\x02\x12", "sha"},
}};

bool equal(Bytes a, std::span<const std::uint8_t> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}
bool equal(Bytes a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), reinterpret_cast<const std::uint8_t*>(b.data()));
}

// A cursor over DER elements.
class Der {
 public:
  explicit Der(Bytes in) : in_(in) {}
  bool empty() const { return in_.empty(); }
  std::uint8_t peek_tag() const { return in_.empty() ? 0 : in_[0]; }

  // The next element, which must have \p tag: its content octets.
  std::optional<Bytes> next(std::uint8_t tag) {
    if (in_.size() < 2 || in_[0] != tag || (tag & 0x1F) == 0x1F) return std::nullopt;
    std::size_t len = in_[1], head = 2;
    if (len & 0x80) {
      const std::size_t n = len & 0x7F;
      if (n == 0 || n > 4 || in_.size() < 2 + n || in_[2] == 0) return std::nullopt;  // indefinite, huge, padded
      len = 0;
      for (std::size_t i = 0; i < n; ++i) len = (len << 8) | in_[2 + i];
      if (len < 0x80) return std::nullopt;  // not minimal
      head += n;
    }
    if (len > in_.size() - head) return std::nullopt;
    Bytes content = in_.subspan(head, len);
    in_ = in_.subspan(head + len);
    return content;
  }

 private:
  Bytes in_;
};

bool valid_oid(Bytes oid) {
  if (oid.empty() || (oid.back() & 0x80)) return false;
  bool start = true;
  for (std::uint8_t b : oid) {
    if (start && b == 0x80) return false;  // padded subidentifier
    start = (b & 0x80) == 0;
  }
  return true;
}

// A minimal INTEGER; \p positive requires it to be >= 0.
bool valid_integer(Bytes v, bool positive) {
  if (v.empty()) return false;
  if (v.size() > 1 && ((v[0] == 0x00 && !(v[1] & 0x80)) || (v[0] == 0xFF && (v[1] & 0x80)))) return false;
  return !positive || !(v[0] & 0x80);
}

// AlgorithmIdentifier { OID, NULL or nothing }: the OID.
std::optional<Bytes> algorithm(Der& in) {
  auto seq = in.next(kSequence);
  if (!seq) return std::nullopt;
  Der alg(*seq);
  auto oid = alg.next(kOid);
  if (!oid || !valid_oid(*oid)) return std::nullopt;
  if (!alg.empty()) {
    auto null = alg.next(kNull);
    if (!null || !null->empty()) return std::nullopt;
  }
  if (!alg.empty()) return std::nullopt;
  return oid;
}

// Name: SEQUENCE OF SET OF { OID, string }: the CN's value, else the last
// entry's (what libcrypto's entry walk in signature.cpp takes).
std::optional<std::string> issuer(Bytes name) {
  Der rdns(name);
  std::optional<std::string> common, last;
  while (!rdns.empty()) {
    auto set = rdns.next(kSet);
    if (!set || set->empty()) return std::nullopt;
    Der avas(*set);
    while (!avas.empty()) {
      auto ava = avas.next(kSequence);
      if (!ava) return std::nullopt;
      Der parts(*ava);
      auto oid = parts.next(kOid);
      if (!oid || !valid_oid(*oid)) return std::nullopt;
      const std::uint8_t type = parts.peek_tag();
      if (type != kUtf8String && type != kPrintableString && type != kIa5String && type != kT61String)
        return std::nullopt;
      auto value = parts.next(type);
      if (!value || !parts.empty()) return std::nullopt;
      for (std::uint8_t c : *value)
        if (c < 0x20 || c > 0x7E) return std::nullopt;  // libcrypto's string rules left to it
      std::string text(value->begin(), value->end());
      if (!common && equal(*oid, kCommonNameOid)) common = text;
      last = std::move(text);
    }
  }
  if (common) return common;
  return last ? last : std::nullopt;
}

}  // namespace

std::span<const Pkcs7DigestName> pkcs7_digest_names() { return kDigests; }

std::optional<Pkcs7Signer> read_simple_pkcs7(std::span<const std::uint8_t> der) {
  // ContentInfo { signedData, [0] EXPLICIT SignedData }; bytes after it are
  // ignored, as by d2i_PKCS7.
  Der top(der);
  auto content_info = top.next(kSequence);
  if (!content_info) return std::nullopt;
  Der ci(*content_info);
  auto type = ci.next(kOid);
  if (!type || !equal(*type, kSignedDataOid)) return std::nullopt;
  auto explicit_content = ci.next(kContext0);
  if (!explicit_content || !ci.empty()) return std::nullopt;
  Der wrapper(*explicit_content);
  auto signed_data = wrapper.next(kSequence);
  if (!signed_data || !wrapper.empty()) return std::nullopt;

  // SignedData { version, digestAlgorithms, contentInfo (detached data),
  // signerInfos } without certificates or CRLs.
  Der sd(*signed_data);
  auto version = sd.next(kInteger);
  if (!version || !valid_integer(*version, false)) return std::nullopt;
  auto digests = sd.next(kSet);
  if (!digests) return std::nullopt;
  for (Der d(*digests); !d.empty();)
    if (!algorithm(d)) return std::nullopt;
  auto inner = sd.next(kSequence);
  if (!inner) return std::nullopt;
  Der inner_ci(*inner);
  auto inner_type = inner_ci.next(kOid);
  if (!inner_type || !equal(*inner_type, kDataOid) || !inner_ci.empty()) return std::nullopt;
  auto signers = sd.next(kSet);
  if (!signers || !sd.empty()) return std::nullopt;

  // Exactly one SignerInfo { version, issuerAndSerialNumber,
  // digestAlgorithm, digestEncryptionAlgorithm, encryptedDigest }.
  Der si_set(*signers);
  auto si = si_set.next(kSequence);
  if (!si || !si_set.empty()) return std::nullopt;
  Der s(*si);
  auto si_version = s.next(kInteger);
  if (!si_version || !valid_integer(*si_version, false)) return std::nullopt;
  auto ias = s.next(kSequence);
  if (!ias) return std::nullopt;
  Der ias_parts(*ias);
  auto name = ias_parts.next(kSequence);
  auto serial = ias_parts.next(kInteger);
  if (!name || !serial || !ias_parts.empty() || !valid_integer(*serial, true)) return std::nullopt;
  auto digest = algorithm(s);
  if (!digest || !algorithm(s)) return std::nullopt;
  auto encrypted = s.next(kOctetString);
  if (!encrypted || !s.empty()) return std::nullopt;

  Pkcs7Signer out;
  for (const Pkcs7DigestName& d : kDigests)
    if (equal(*digest, d.oid)) out.hash_algo = d.name;
  if (out.hash_algo.empty()) return std::nullopt;  // libcrypto knows more names
  auto signer = issuer(*name);
  if (!signer) return std::nullopt;
  out.signer = std::move(*signer);
  std::size_t skip = 0;
  while (skip < serial->size() && (*serial)[skip] == 0) ++skip;
  out.key_id.assign(serial->begin() + static_cast<std::ptrdiff_t>(skip), serial->end());
  out.signature.assign(encrypted->begin(), encrypted->end());
  return out;
}

}  // namespace kmodx::elf
