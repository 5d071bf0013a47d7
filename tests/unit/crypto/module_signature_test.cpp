// SPDX-License-Identifier: LGPL-2.1-or-later
// verify_module_signature(), KeyRing and weak_digest() (crypto/module_signature.hpp):
// real module signatures made here with OpenSSL the way scripts/sign-file
// makes them (detached CMS, no certificates, no signed attributes), checked
// against the kernel's outcomes (kernel/module/signing.c mod_verify_sig(),
// kernel/module_signature.c mod_check_sig(), crypto/asymmetric_keys/pkcs7_*):
// ENODATA unsigned, ENOPKG not PKCS#7, ENOKEY no trusted signer, EBADMSG
// malformed, EKEYREJECTED a signature that does not verify. Kernel images
// are synthesized: a vmlinux-like ELF blob with the certificate list inside
// and an x86 bzImage around its xz, gzip or zstd compressed copy.
#include "crypto/module_signature.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "support/compress.hpp"
#include "support/openssl_test.hpp"
#include "support/result_helpers.hpp"
#include "unit/loader/sim/sim_fixture.hpp"

using namespace kmodx;
using namespace kmodx::test;
using kmodx::crypto::KeyRing;
using kmodx::crypto::SignatureCheck;
using kmodx::crypto::SignatureStatus;
using kmodx::crypto::verify_module_signature;
using kmodx::crypto::weak_digest;

namespace {

using Bytes = std::vector<std::byte>;

// ---- OpenSSL, test side ----------------------------------------------------

using kmodx::test::Ossl;
using kmodx::test::ossl_check;

// Keys are generated once per run: RSA generation is the slow part.
EVP_PKEY* build_key() { return kmodx::test::test_rsa_key(); }

EVP_PKEY* other_key() {
  static Ossl<EVP_PKEY> key = [] {
    Ossl<EVP_PKEY> k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    ossl_check(k != nullptr, "EVP_PKEY_Q_keygen");
    return k;
  }();
  return key.get();
}

// A self-signed certificate: subject = issuer = CN \p cn (plus O), serial
// number \p serial (big-endian bytes).
Ossl<X509> make_cert(EVP_PKEY* key, const std::string& cn, const std::vector<unsigned char>& serial) {
  return self_signed_cert(key, {{"O", "kmodx test"}, {"CN", cn}}, serial);
}

Bytes der_of(X509* cert) {
  unsigned char* buf = nullptr;
  const int len = i2d_X509(cert, &buf);
  ossl_check(len > 0, "i2d_X509");
  Bytes out(reinterpret_cast<std::byte*>(buf), reinterpret_cast<std::byte*>(buf) + len);
  OPENSSL_free(buf);
  return out;
}

std::string pem_of(X509* cert) {
  Ossl<BIO> bio(BIO_new(BIO_s_mem()));
  ossl_check(bio != nullptr && PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

// The certificates of the whole run. "Build key" plays the kernel's
// per-build signing key; "Other key" a key the kernel does not trust.
X509* build_cert() {
  static Ossl<X509> cert = make_cert(build_key(), "Build key", {0x5E, 0xE1, 0x01});
  return cert.get();
}
X509* second_build_cert() {  // the same key, another certificate
  static Ossl<X509> cert = make_cert(build_key(), "Second build key", {0x42});
  return cert.get();
}
X509* other_cert() {
  static Ossl<X509> cert = make_cert(other_key(), "Other key", {0x01, 0x02});
  return cert.get();
}

// What sign-file does: CMS over the module, detached, without certificates
// and signed attributes, with the given digest. DER.
Bytes cms_sign(std::span<const std::byte> content, X509* cert, EVP_PKEY* key, const EVP_MD* md) {
  constexpr unsigned kFlags = CMS_BINARY | CMS_DETACHED | CMS_NOCERTS | CMS_NOATTR | CMS_NOSMIMECAP;
  Ossl<BIO> in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  ossl_check(in != nullptr, "BIO_new_mem_buf");
  Ossl<CMS_ContentInfo> cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, kFlags | CMS_PARTIAL));
  ossl_check(cms != nullptr, "CMS_sign");
  ossl_check(CMS_add1_signer(cms.get(), cert, key, md, kFlags) != nullptr, "CMS_add1_signer");
  ossl_check(CMS_final(cms.get(), in.get(), nullptr, kFlags) == 1, "CMS_final");
  unsigned char* buf = nullptr;
  const int len = i2d_CMS_ContentInfo(cms.get(), &buf);
  ossl_check(len > 0, "i2d_CMS_ContentInfo");
  Bytes out(reinterpret_cast<std::byte*>(buf), reinterpret_cast<std::byte*>(buf) + len);
  OPENSSL_free(buf);
  return out;
}

// The 12-byte struct module_signature (include/linux/module_signature.h).
struct Info {
  std::uint8_t algo = 0, hash = 0, id_type = 2, signer_len = 0, key_id_len = 0;
  std::array<std::uint8_t, 3> pad{};
  std::optional<std::uint32_t> sig_len;  ///< default: the real length
};

constexpr std::string_view kMarker = "~Module signature appended~\n";

void append(Bytes& to, std::span<const std::byte> b) { to.insert(to.end(), b.begin(), b.end()); }
void append(Bytes& to, std::string_view s) {
  for (char c : s) to.push_back(static_cast<std::byte>(c));
}

// module + signature + info + marker.
Bytes with_signature(std::span<const std::byte> module, std::span<const std::byte> sig, const Info& info = {}) {
  Bytes out(module.begin(), module.end());
  append(out, sig);
  const std::uint32_t len = info.sig_len.value_or(static_cast<std::uint32_t>(sig.size()));
  const std::uint8_t raw[12] = {info.algo,
                                info.hash,
                                info.id_type,
                                info.signer_len,
                                info.key_id_len,
                                info.pad[0],
                                info.pad[1],
                                info.pad[2],
                                static_cast<std::uint8_t>(len >> 24),
                                static_cast<std::uint8_t>(len >> 16),
                                static_cast<std::uint8_t>(len >> 8),
                                static_cast<std::uint8_t>(len)};
  append(out, std::as_bytes(std::span(raw)));
  append(out, kMarker);
  return out;
}

const Bytes& module_bytes() {
  static const Bytes m = build_module({.name = "signed_mod", .uses = {"_printk"}});
  return m;
}

Bytes signed_module(const EVP_MD* md = EVP_sha256(), X509* cert = build_cert(), EVP_PKEY* key = build_key()) {
  return with_signature(module_bytes(), cms_sign(module_bytes(), cert, key, md));
}

KeyRing ring_of(std::span<const std::byte> bytes, const std::string& file = "keys") {
  KeyRing ring;
  auto added = ring.add_certificates(bytes, file);
  INFO(describe(added));
  REQUIRE(added.ok());
  return ring;
}
KeyRing ring_of(const std::string& text, const std::string& file = "keys.pem") {
  return ring_of(std::as_bytes(std::span(text)), file);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string detail_of(const Result<std::size_t>& r) { return r.ok() ? std::string() : r.error().detail; }

Bytes random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  Bytes out(n);
  for (std::byte& b : out) b = static_cast<std::byte>(gen() & 0xff);
  return out;
}

// A vmlinux stand-in: ELF magic, filler, the certificates back to back (the
// kernel's system_certificate_list), filler.
Bytes fake_vmlinux(const std::vector<X509*>& certs, unsigned seed = 1) {
  Bytes out;
  append(out, std::string_view("\x7f" "ELF\x02\x01\x01\0", 8));
  append(out, random_bytes(3000, seed));
  for (X509* c : certs) append(out, der_of(c));
  append(out, random_bytes(700, seed + 1));
  return out;
}

void put_le32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::byte>(v >> (8 * i));
}

// An x86 bzImage (Documentation/arch/x86/boot.rst, protocol 2.08+): the
// real-mode setup (setup_sects sectors after the boot sector, 0 meaning 4),
// then the protected-mode code, which holds the payload at payload_offset.
// kbuild's compressed vmlinux ends with its uncompressed size (size_append),
// and payload_length counts those 4 bytes.
Bytes fake_bzimage(std::span<const std::byte> compressed_vmlinux, std::uint32_t uncompressed_size,
                   std::uint8_t setup_sects = 27) {
  const std::size_t sects = setup_sects == 0 ? 4 : setup_sects;
  const std::size_t pm_start = (sects + 1) * 512;
  const std::uint32_t payload_offset = 0x3a5;
  Bytes image = random_bytes(pm_start + payload_offset, 7);
  image[0x1f1] = static_cast<std::byte>(setup_sects);
  image[0x1fe] = std::byte{0x55};
  image[0x1ff] = std::byte{0xaa};
  std::memcpy(image.data() + 0x202, "HdrS", 4);
  image[0x206] = std::byte{0x0f};  // protocol 2.15
  image[0x207] = std::byte{0x02};
  Bytes payload(compressed_vmlinux.begin(), compressed_vmlinux.end());
  payload.resize(payload.size() + 4);
  put_le32(payload, payload.size() - 4, uncompressed_size);
  put_le32(image, 0x248, payload_offset);
  put_le32(image, 0x24c, static_cast<std::uint32_t>(payload.size()));
  append(image, payload);
  append(image, random_bytes(1024, 9));  // the rest of the decompressor
  return image;
}

}  // namespace

// ---- verify_module_signature -------------------------------------------------

TEST_CASE("module signature: signed with the trusted key verifies", "[crypto]") {
  const Bytes module = signed_module();
  SECTION("DER certificate") {
    const KeyRing ring = ring_of(der_of(build_cert()), "signing_key.x509");
    CHECK(ring.size() == 1);
    const SignatureCheck c = verify_module_signature(module, ring);
    INFO(c.detail);
    CHECK(c.status == SignatureStatus::ok);
    CHECK(c.kernel_errno == 0);
    CHECK(c.digest == "sha256");
    CHECK(contains(c.signer, "Build key"));
    CHECK(contains(c.signer, "5E:E1:01"));
  }
  SECTION("PEM certificate") {
    const KeyRing ring = ring_of(pem_of(build_cert()));
    CHECK(ring.size() == 1);
    const SignatureCheck c = verify_module_signature(module, ring);
    INFO(c.detail);
    CHECK(c.status == SignatureStatus::ok);
    CHECK(c.kernel_errno == 0);
  }
  SECTION("PEM with two certificates, the signer's second") {
    KeyRing ring;
    const std::string two = pem_of(other_cert()) + pem_of(build_cert());
    auto added = ring.add_certificates(std::as_bytes(std::span(two)), "two.pem");
    KMODX_REQUIRE_OK(added);
    CHECK(*added == 2);
    CHECK(ring.size() == 2);
    const auto names = ring.describe();
    REQUIRE(names.size() == 2);
    CHECK((contains(names[0] + names[1], "Other key") && contains(names[0] + names[1], "Build key")));
    CHECK(contains(names[0] + names[1], "serial 5E:E1:01"));
    const SignatureCheck c = verify_module_signature(module, ring);
    INFO(c.detail);
    CHECK(c.status == SignatureStatus::ok);
    CHECK(c.kernel_errno == 0);
  }
  SECTION("certificates added from two files") {
    KeyRing ring;
    KMODX_REQUIRE_OK(ring.add_certificates(der_of(other_cert()), "other.der"));
    const std::string pem = pem_of(build_cert());
    KMODX_REQUIRE_OK(ring.add_certificates(std::as_bytes(std::span(pem)), "build.pem"));
    CHECK(ring.size() == 2);
    CHECK(verify_module_signature(module, ring).status == SignatureStatus::ok);
  }
  SECTION("signed with an EC key") {
    const Bytes ec_module = signed_module(EVP_sha256(), other_cert(), other_key());
    const SignatureCheck c = verify_module_signature(ec_module, ring_of(der_of(other_cert())));
    INFO(c.detail);
    CHECK(c.status == SignatureStatus::ok);
  }
}

TEST_CASE("module signature: a key the kernel does not have is ENOKEY", "[crypto]") {
  const Bytes module = signed_module();
  SECTION("another certificate") {
    const SignatureCheck c = verify_module_signature(module, ring_of(der_of(other_cert())));
    CHECK(c.status == SignatureStatus::unknown_key);
    CHECK(c.kernel_errno == ENOKEY);
    // The signer as the SignerInfo names it: issuer CN and serial.
    CHECK(contains(c.signer, "Build key"));
    CHECK(contains(c.signer, "serial 5E:E1:01"));
    CHECK(c.digest == "sha256");
  }
  SECTION("a certificate of the same key with another issuer and serial") {
    // The kernel finds the signer by issuer and serial number, not by key.
    const SignatureCheck c = verify_module_signature(module, ring_of(der_of(second_build_cert())));
    CHECK(c.status == SignatureStatus::unknown_key);
    CHECK(c.kernel_errno == ENOKEY);
  }
  SECTION("no keys at all") {
    const SignatureCheck c = verify_module_signature(module, KeyRing());
    CHECK(c.status == SignatureStatus::unknown_key);
    CHECK(c.kernel_errno == ENOKEY);
  }
  SECTION("a changed module and an unknown key: the key is missing first") {
    // pkcs7_verify() skips a SignerInfo whose certificate it cannot find;
    // pkcs7_validate_trust() then says ENOKEY.
    Bytes changed = module;
    changed[100] ^= std::byte{0x01};
    const SignatureCheck c = verify_module_signature(changed, ring_of(der_of(other_cert())));
    CHECK(c.status == SignatureStatus::unknown_key);
    CHECK(c.kernel_errno == ENOKEY);
  }
}

TEST_CASE("module signature: changed content is EKEYREJECTED", "[crypto]") {
  const KeyRing ring = ring_of(der_of(build_cert()));
  Bytes module = signed_module();
  SECTION("a byte of the ELF header") { module[20] ^= std::byte{0x40}; }
  SECTION("the last byte before the signature") { module[module_bytes().size() - 1] ^= std::byte{0x01}; }
  const SignatureCheck c = verify_module_signature(module, ring);
  CHECK(c.status == SignatureStatus::bad);
  CHECK(c.kernel_errno == EKEYREJECTED);
  CHECK_FALSE(c.detail.empty());
}

TEST_CASE("module signature: a signature over other content does not verify", "[crypto]") {
  // A valid CMS blob, but for another module.
  const Bytes other = build_module({.name = "another"});
  const Bytes module = with_signature(module_bytes(), cms_sign(other, build_cert(), build_key(), EVP_sha256()));
  const SignatureCheck c = verify_module_signature(module, ring_of(der_of(build_cert())));
  CHECK(c.status == SignatureStatus::bad);
  CHECK(c.kernel_errno == EKEYREJECTED);
}

TEST_CASE("module signature: no marker is unsigned (ENODATA)", "[crypto]") {
  const KeyRing ring = ring_of(der_of(build_cert()));
  SECTION("a plain module") {
    const SignatureCheck c = verify_module_signature(module_bytes(), ring);
    CHECK(c.status == SignatureStatus::unsigned_module);
    CHECK(c.kernel_errno == ENODATA);
  }
  SECTION("empty") {
    const SignatureCheck c = verify_module_signature({}, ring);
    CHECK(c.status == SignatureStatus::unsigned_module);
    CHECK(c.kernel_errno == ENODATA);
  }
  SECTION("the marker alone: the kernel needs more than the marker") {
    Bytes only;
    append(only, kMarker);
    const SignatureCheck c = verify_module_signature(only, ring);
    CHECK(c.status == SignatureStatus::unsigned_module);
    CHECK(c.kernel_errno == ENODATA);
  }
  SECTION("a marker with its last byte changed") {
    Bytes module = signed_module();
    module.back() = std::byte{'X'};
    const SignatureCheck c = verify_module_signature(module, ring);
    CHECK(c.status == SignatureStatus::unsigned_module);
    CHECK(c.kernel_errno == ENODATA);
  }
}

TEST_CASE("module signature: id_type other than PKCS#7 is unsupported (ENOPKG)", "[crypto]") {
  const KeyRing ring = ring_of(der_of(build_cert()));
  const Bytes sig = cms_sign(module_bytes(), build_cert(), build_key(), EVP_sha256());
  for (std::uint8_t id_type : {std::uint8_t{0}, std::uint8_t{1}}) {
    INFO("id_type " << int(id_type));
    Info info;
    info.id_type = id_type;
    const SignatureCheck c = verify_module_signature(with_signature(module_bytes(), sig, info), ring);
    CHECK(c.status == SignatureStatus::unsupported);
    CHECK(c.kernel_errno == ENOPKG);
  }
  SECTION("X.509 id type with legacy fields set: still ENOPKG, the id type is checked first") {
    Info info;
    info.id_type = 1;
    info.algo = 1;
    info.hash = 4;
    info.signer_len = 3;
    const SignatureCheck c = verify_module_signature(with_signature(module_bytes(), sig, info), ring);
    CHECK(c.status == SignatureStatus::unsupported);
    CHECK(c.kernel_errno == ENOPKG);
  }
}

TEST_CASE("module signature: malformed information is EBADMSG", "[crypto]") {
  const KeyRing ring = ring_of(der_of(build_cert()));
  const Bytes sig = cms_sign(module_bytes(), build_cert(), build_key(), EVP_sha256());
  auto check_bad = [&](const Bytes& image) {
    const SignatureCheck c = verify_module_signature(image, ring);
    CHECK(c.status == SignatureStatus::bad);
    CHECK(c.kernel_errno == EBADMSG);
    CHECK_FALSE(c.detail.empty());
  };
  SECTION("non-zero fields beside id_type 2") {
    for (int field = 0; field < 8; ++field) {
      if (field == 2) continue;
      INFO("info byte " << field);
      Info info;
      std::uint8_t* bytes[8] = {&info.algo,       &info.hash,  &info.id_type, &info.signer_len,
                                &info.key_id_len, &info.pad[0], &info.pad[1], &info.pad[2]};
      *bytes[field] = 1;
      check_bad(with_signature(module_bytes(), sig, info));
    }
  }
  SECTION("sig_len as long as everything before the info") {
    Info info;
    info.sig_len = static_cast<std::uint32_t>(module_bytes().size() + sig.size());
    check_bad(with_signature(module_bytes(), sig, info));
  }
  SECTION("sig_len far beyond the file") {
    Info info;
    info.sig_len = 0xffffffffu;
    check_bad(with_signature(module_bytes(), sig, info));
  }
  SECTION("a bad sig_len is found before an unsupported id_type (mod_check_sig() order)") {
    Info info;
    info.sig_len = 0x7fffffffu;
    info.id_type = 1;
    check_bad(with_signature(module_bytes(), sig, info));
  }
  SECTION("no room for the information") {
    Bytes image;
    append(image, std::string_view("12345"));
    append(image, kMarker);
    check_bad(image);
  }
  SECTION("garbage instead of the CMS message") {
    check_bad(with_signature(module_bytes(), random_bytes(300, 3)));
  }
  SECTION("a truncated CMS message") {
    check_bad(with_signature(module_bytes(), std::span(sig).first(sig.size() / 2)));
  }
  SECTION("sig_len shorter than the CMS message") {
    // The message is cut where sig_len says: its tail becomes module content.
    Info info;
    info.sig_len = static_cast<std::uint32_t>(sig.size() - 40);
    check_bad(with_signature(module_bytes(), sig, info));
  }
}

TEST_CASE("module signature: the digest is reported, and weak ones are known", "[crypto]") {
  const KeyRing ring = ring_of(der_of(build_cert()));
  SECTION("sha1 verifies, and is weak") {
    const SignatureCheck c = verify_module_signature(signed_module(EVP_sha1()), ring);
    INFO(c.detail);
    CHECK(c.status == SignatureStatus::ok);
    CHECK(c.digest == "sha1");
    CHECK(weak_digest(c.digest));
  }
  SECTION("sha512") {
    const SignatureCheck c = verify_module_signature(signed_module(EVP_sha512()), ring);
    INFO(c.detail);
    CHECK(c.status == SignatureStatus::ok);
    CHECK(c.digest == "sha512");
    CHECK_FALSE(weak_digest(c.digest));
  }
  SECTION("weak_digest") {
    for (const char* weak : {"md4", "md5", "sha1", "sha224", "rmd160"}) {
      INFO(weak);
      CHECK(weak_digest(weak));
    }
    for (const char* strong : {"sha256", "sha384", "sha512", "sha3-256", "sm3", "", "unknown"}) {
      INFO(strong);
      CHECK_FALSE(weak_digest(strong));
    }
  }
}

// ---- KeyRing -----------------------------------------------------------------

TEST_CASE("KeyRing::add_certificates: no certificate is EBADMSG naming the file", "[crypto]") {
  KeyRing ring;
  SECTION("random bytes") {
    auto r = ring.add_certificates(random_bytes(512, 11), "/etc/keys/garbage.der");
    KMODX_CHECK_ERRNO(r, EBADMSG);
    CHECK(contains(detail_of(r), "/etc/keys/garbage.der"));
  }
  SECTION("text without a PEM block") {
    const std::string text = "not a certificate\n";
    auto r = ring.add_certificates(std::as_bytes(std::span(text)), "notes.txt");
    KMODX_CHECK_ERRNO(r, EBADMSG);
    CHECK(contains(detail_of(r), "notes.txt"));
  }
  SECTION("an empty file") {
    const std::string empty;
    auto r = ring.add_certificates(std::as_bytes(std::span(empty)), "empty.pem");
    KMODX_CHECK_ERRNO(r, EBADMSG);
    CHECK(contains(detail_of(r), "empty.pem"));
  }
  SECTION("an empty span") {
    auto r = ring.add_certificates({}, "empty.der");
    KMODX_CHECK_ERRNO(r, EBADMSG);
    CHECK(contains(detail_of(r), "empty.der"));
  }
  CHECK(ring.empty());
  CHECK(ring.describe().empty());
}

TEST_CASE("KeyRing::add_kernel_image: certificates built into a vmlinux", "[crypto]") {
  KeyRing ring;
  SECTION("one certificate among other bytes") {
    auto r = ring.add_kernel_image(fake_vmlinux({build_cert()}), "vmlinux");
    KMODX_REQUIRE_OK(r);
    CHECK(*r == 1);
    CHECK(ring.size() == 1);
    REQUIRE(ring.describe().size() == 1);
    CHECK(contains(ring.describe()[0], "Build key"));
    CHECK(contains(ring.describe()[0], "5E:E1:01"));
    const SignatureCheck c = verify_module_signature(signed_module(), ring);
    INFO(c.detail);
    CHECK(c.status == SignatureStatus::ok);
  }
  SECTION("two certificates back to back") {
    auto r = ring.add_kernel_image(fake_vmlinux({second_build_cert(), build_cert()}), "vmlinux");
    KMODX_REQUIRE_OK(r);
    CHECK(*r == 2);
    CHECK(ring.size() == 2);
    CHECK(verify_module_signature(signed_module(), ring).status == SignatureStatus::ok);
  }
  SECTION("none: ENOKEY") {
    auto r = ring.add_kernel_image(fake_vmlinux({}), "vmlinux-nokeys");
    KMODX_CHECK_ERRNO(r, ENOKEY);
    CHECK(ring.empty());
  }
  SECTION("a file that is no kernel image: EBADMSG naming it") {
    const std::string text(4096, 'x');
    auto r = ring.add_kernel_image(std::as_bytes(std::span(text)), "/boot/config-6.1.0");
    KMODX_CHECK_ERRNO(r, EBADMSG);
    CHECK(contains(detail_of(r), "/boot/config-6.1.0"));
  }
  SECTION("a DER certificate file is no kernel image either") {
    auto r = ring.add_kernel_image(der_of(build_cert()), "signing_key.x509");
    KMODX_CHECK_ERRNO(r, EBADMSG);
    CHECK(contains(detail_of(r), "signing_key.x509"));
  }
}

TEST_CASE("KeyRing::add_kernel_image: an x86 bzImage with a compressed payload", "[crypto]") {
  const Bytes vmlinux = fake_vmlinux({build_cert()}, 21);
  const auto size = static_cast<std::uint32_t>(vmlinux.size());
  KeyRing ring;
  SECTION("xz") {
    auto r = ring.add_kernel_image(fake_bzimage(xz_compress(vmlinux), size), "vmlinuz-6.1.0-56-amd64");
    KMODX_REQUIRE_OK(r);
    CHECK(*r == 1);
    CHECK(ring.size() == 1);
    const SignatureCheck c = verify_module_signature(signed_module(), ring);
    INFO(c.detail);
    CHECK(c.status == SignatureStatus::ok);
  }
  SECTION("gzip") {
    auto r = ring.add_kernel_image(fake_bzimage(gzip_compress(vmlinux), size), "vmlinuz");
    KMODX_REQUIRE_OK(r);
    CHECK(*r == 1);
  }
  SECTION("zstd") {
    auto r = ring.add_kernel_image(fake_bzimage(zstd_compress(vmlinux), size), "vmlinuz");
    KMODX_REQUIRE_OK(r);
    CHECK(*r == 1);
  }
  SECTION("setup_sects 0 means 4") {
    auto r = ring.add_kernel_image(fake_bzimage(xz_compress(vmlinux), size, 0), "vmlinuz");
    KMODX_REQUIRE_OK(r);
    CHECK(*r == 1);
  }
  SECTION("truncated inside the payload: EBADMSG naming the file") {
    const Bytes xz = xz_compress(vmlinux);
    Bytes image = fake_bzimage(xz, size);
    // Up to the middle of the payload (setup: 27 + 1 sectors, payload_offset 0x3a5).
    image.resize((27 + 1) * 512 + 0x3a5 + xz.size() / 2);
    auto r = ring.add_kernel_image(image, "vmlinuz-truncated");
    KMODX_CHECK_ERRNO(r, EBADMSG);
    CHECK(contains(detail_of(r), "vmlinuz-truncated"));
    CHECK(ring.empty());
  }
  SECTION("cut off before the setup header") {
    Bytes image = fake_bzimage(xz_compress(vmlinux), size);
    image.resize(0x220);
    auto r = ring.add_kernel_image(image, "vmlinuz-short");
    KMODX_CHECK_ERRNO(r, EBADMSG);
    CHECK(contains(detail_of(r), "vmlinuz-short"));
  }
  SECTION("a payload that is not compressed data: EBADMSG") {
    auto r = ring.add_kernel_image(fake_bzimage(random_bytes(4000, 5), size), "vmlinuz-odd");
    KMODX_CHECK_ERRNO(r, EBADMSG);
    CHECK(contains(detail_of(r), "vmlinuz-odd"));
  }
  SECTION("a corrupt xz payload: EBADMSG") {
    Bytes xz = xz_compress(vmlinux);
    for (std::size_t i = 64; i < xz.size() - 64; i += 7) xz[i] ^= std::byte{0x5a};
    auto r = ring.add_kernel_image(fake_bzimage(xz, size), "vmlinuz-corrupt");
    KMODX_CHECK_ERRNO(r, EBADMSG);
    CHECK(contains(detail_of(r), "vmlinuz-corrupt"));
  }
  SECTION("a kernel without certificates: ENOKEY") {
    const Bytes bare = fake_vmlinux({}, 31);
    auto r = ring.add_kernel_image(fake_bzimage(xz_compress(bare), static_cast<std::uint32_t>(bare.size())),
                                   "vmlinuz-nokeys");
    KMODX_CHECK_ERRNO(r, ENOKEY);
    CHECK(ring.empty());
  }
}
