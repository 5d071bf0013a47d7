// SPDX-License-Identifier: LGPL-2.1-or-later
// Module signature verification (module_signature.hpp): the kernel's
// mod_verify_sig() and mod_check_sig() (kernel/module/signing.c,
// kernel/module_signature.c) over libcrypto's CMS_verify().
#include "crypto/module_signature.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string_view>

#include "crypto/key_ring_impl.hpp"
#include "kmodx/module_info.hpp"

namespace kmodx::crypto {

const Result<CryptoApi>& libcrypto() {
  static const Result<CryptoApi> table = [] {
    auto api = bind_library<CryptoApi>(KMODX_CRYPTO_SONAME, [](SharedLibrary& lib, CryptoApi& api) {
      return true KMODX_VERIFY_CRYPTO_FUNCTIONS(KMODX_API_BIND);
    });
    if (api) api->OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr);
    return api;
  }();
  return table;
}

namespace {

constexpr std::string_view kMagic = "~Module signature appended~\n";
constexpr std::size_t kInfoSize = 12;
constexpr unsigned kIdPkcs7 = 2;

struct CmsFree {
  void operator()(CMS_ContentInfo* c) const { libcrypto()->CMS_ContentInfo_free(c); }
};
struct BioFree {
  void operator()(BIO* b) const { libcrypto()->BIO_free_all(b); }
};
struct StackFree {
  void operator()(OPENSSL_STACK* s) const { libcrypto()->OPENSSL_sk_free(s); }
};

SignatureCheck outcome(SignatureStatus status, int err, std::string detail = {}) {
  SignatureCheck c;
  c.status = status;
  c.kernel_errno = err;
  c.detail = std::move(detail);
  return c;
}

// The signer as the SignerInfo names it: issuer CN and serial, or the
// subject key identifier.
std::string signer_id(const CryptoApi& api, CMS_SignerInfo* si) {
  ASN1_OCTET_STRING* keyid = nullptr;
  X509_NAME* issuer = nullptr;
  ASN1_INTEGER* serial = nullptr;
  if (api.CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &serial) != 1) return "unknown signer";
  auto bytes = [&](const ASN1_STRING* s) {
    return format_hex(std::span<const std::uint8_t>(api.ASN1_STRING_get0_data(s),
                                                    static_cast<std::size_t>(api.ASN1_STRING_length(s))));
  };
  if (keyid != nullptr) return "key identifier " + bytes(keyid);
  std::string out;
  if (issuer != nullptr) {
    if (int i = api.X509_NAME_get_index_by_NID(issuer, NID_commonName, -1); i >= 0) {
      const ASN1_STRING* s = api.X509_NAME_ENTRY_get_data(api.X509_NAME_get_entry(issuer, i));
      out.assign(reinterpret_cast<const char*>(api.ASN1_STRING_get0_data(s)),
                 static_cast<std::size_t>(api.ASN1_STRING_length(s)));
    }
  }
  if (serial != nullptr) out += ", serial " + bytes(serial);
  return out;
}

}  // namespace

bool weak_digest(const std::string& digest) {
  static constexpr std::string_view kWeak[] = {"md4", "md5", "sha1", "sha224", "ripemd160", "rmd160"};
  return std::find(std::begin(kWeak), std::end(kWeak), digest) != std::end(kWeak);
}

SignatureCheck verify_module_signature(std::span<const std::byte> image, const KeyRing& keys) {
  if (image.size() <= kMagic.size() ||
      std::memcmp(image.data() + image.size() - kMagic.size(), kMagic.data(), kMagic.size()) != 0)
    return outcome(SignatureStatus::unsigned_module, ENODATA);
  const std::size_t len = image.size() - kMagic.size();
  if (len <= kInfoSize) return outcome(SignatureStatus::bad, EBADMSG, "no room for the signature information");
  const auto* info = reinterpret_cast<const std::uint8_t*>(image.data() + len - kInfoSize);
  const std::size_t sig_len =
      std::size_t{info[8]} << 24 | std::size_t{info[9]} << 16 | std::size_t{info[10]} << 8 | info[11];
  if (sig_len >= len - kInfoSize)
    return outcome(SignatureStatus::bad, EBADMSG,
                   "signature length " + std::to_string(sig_len) + " exceeds the module");
  if (info[2] != kIdPkcs7)
    return outcome(SignatureStatus::unsupported, ENOPKG, "not signed with expected PKCS#7 message");
  if (info[0] != 0 || info[1] != 0 || info[3] != 0 || info[4] != 0 || info[5] != 0 || info[6] != 0 || info[7] != 0)
    return outcome(SignatureStatus::bad, EBADMSG, "PKCS#7 signature info has unexpected non-zero params");
  const std::size_t content_len = len - kInfoSize - sig_len;

  const auto& api = libcrypto();
  if (!api) return outcome(SignatureStatus::bad, ELIBACC, api.error().detail);
  const auto* der = reinterpret_cast<const unsigned char*>(image.data() + content_len);
  std::unique_ptr<CMS_ContentInfo, CmsFree> cms(api->d2i_CMS_ContentInfo(nullptr, &der, static_cast<long>(sig_len)));
  if (!cms) {
    api->ERR_clear_error();
    return outcome(SignatureStatus::bad, EBADMSG, "the PKCS#7 message does not parse");
  }
  // sign-file's messages carry no content: the module is the content. (The
  // kernel refuses one that brings its own; CMS_verify() would also leak a
  // buffer on it, in OpenSSL 3.0.)
  if (api->CMS_is_detached(cms.get()) != 1)
    return outcome(SignatureStatus::bad, EBADMSG, "the PKCS#7 message carries content of its own");
  auto* signers = reinterpret_cast<OPENSSL_STACK*>(api->CMS_get0_SignerInfos(cms.get()));
  if (signers == nullptr || api->OPENSSL_sk_num(signers) < 1)
    return outcome(SignatureStatus::bad, EBADMSG, "the PKCS#7 message has no signer");
  auto* si = static_cast<CMS_SignerInfo*>(api->OPENSSL_sk_value(signers, 0));

  SignatureCheck result;
  result.signer = signer_id(*api, si);
  X509_ALGOR* digest = nullptr;
  api->CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digest, nullptr);
  if (digest != nullptr) {
    const ASN1_OBJECT* oid = nullptr;
    api->X509_ALGOR_get0(&oid, nullptr, nullptr, digest);
    const char* name = api->OBJ_nid2ln(api->OBJ_obj2nid(oid));  // "sha256", as the kernel names it
    result.digest = name != nullptr ? name : "unknown";
  }

  X509* signer = nullptr;
  for (X509* cert : keys.impl().certs)
    if (api->CMS_SignerInfo_cert_cmp(si, cert) == 0) signer = cert;
  if (signer == nullptr) {
    result.status = SignatureStatus::unknown_key;
    result.kernel_errno = ENOKEY;
    result.detail = "no trusted key for " + result.signer;
    return result;
  }
  std::unique_ptr<OPENSSL_STACK, StackFree> certs(api->OPENSSL_sk_new_null());
  // The content behind a pass-through filter: CMS_verify() copies a memory
  // BIO it is given and, in OpenSSL 3.0, leaks the copy when the message
  // names a digest it does not know (found by the module_signature fuzzer).
  std::unique_ptr<BIO, BioFree> content(api->BIO_new_mem_buf(image.data(), static_cast<int>(content_len)));
  if (content) {
    BIO* filter = api->BIO_new(api->BIO_f_null());
    if (filter == nullptr) content.reset();
    else content.reset(api->BIO_push(filter, content.release()));
  }
  if (!certs || !content || api->OPENSSL_sk_push(certs.get(), signer) <= 0)
    return outcome(SignatureStatus::bad, ENOMEM, "out of memory");
  const int ok = api->CMS_verify(cms.get(), reinterpret_cast<STACK_OF(X509)*>(certs.get()), nullptr, content.get(),
                                 nullptr, CMS_BINARY | CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY);
  api->ERR_clear_error();
  if (ok != 1) {
    result.status = SignatureStatus::bad;
    result.kernel_errno = EKEYREJECTED;
    result.detail = "the signature does not verify with " + certificate_name(signer);
    return result;
  }
  result.status = SignatureStatus::ok;
  return result;
}

}  // namespace kmodx::crypto
