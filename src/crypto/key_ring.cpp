// SPDX-License-Identifier: LGPL-2.1-or-later
// Trusted certificates: from PEM or DER files, and from a kernel image
// (module_signature.hpp).
#include <cerrno>
#include <cstring>
#include <optional>

#include "crypto/key_ring_impl.hpp"
#include "kmodx/module_image.hpp"
#include "kmodx/module_info.hpp"

namespace kmodx::crypto {
namespace {

std::uint32_t le32(std::span<const std::byte> b, std::size_t at) {
  return std::to_integer<std::uint32_t>(b[at]) | std::to_integer<std::uint32_t>(b[at + 1]) << 8 |
         std::to_integer<std::uint32_t>(b[at + 2]) << 16 | std::to_integer<std::uint32_t>(b[at + 3]) << 24;
}

// The compressed payload of an x86 bzImage (boot protocol 2.08+:
// Documentation/x86/boot.rst): the protected-mode code starts after
// setup_sects + 1 sectors, the payload at payload_offset inside it.
std::optional<std::span<const std::byte>> bzimage_payload(std::span<const std::byte> image) {
  if (image.size() < 0x250 || std::memcmp(image.data() + 0x202, "HdrS", 4) != 0) return std::nullopt;
  std::size_t setup_sects = std::to_integer<std::size_t>(image[0x1f1]);
  if (setup_sects == 0) setup_sects = 4;
  const std::uint64_t start = (setup_sects + 1) * 512 + std::uint64_t{le32(image, 0x248)};
  const std::uint64_t length = le32(image, 0x24c);
  if (length == 0 || start > image.size() || length > image.size() - start) return std::nullopt;
  return image.subspan(static_cast<std::size_t>(start), static_cast<std::size_t>(length));
}

// A DER X.509 certificate starts SEQUENCE (long form, 2 length bytes) and
// its first element, the TBSCertificate, is another such SEQUENCE.
bool looks_like_certificate(const std::byte* p) {
  return p[0] == std::byte{0x30} && p[1] == std::byte{0x82} && p[4] == std::byte{0x30} &&
         p[5] == std::byte{0x82};
}

}  // namespace

KeyRing::Impl::~Impl() {
  if (const auto& api = libcrypto(); api)
    for (X509* c : certs) api->X509_free(c);
}

bool KeyRing::Impl::add(X509* cert) {
  const CryptoApi& api = *libcrypto();
  for (X509* c : certs)
    if (api.X509_cmp(c, cert) == 0) {
      api.X509_free(cert);
      return false;
    }
  certs.push_back(cert);
  return true;
}

KeyRing::KeyRing() : impl_(std::make_unique<Impl>()) {}
KeyRing::~KeyRing() = default;
KeyRing::KeyRing(KeyRing&&) noexcept = default;
KeyRing& KeyRing::operator=(KeyRing&&) noexcept = default;

std::size_t KeyRing::size() const { return impl_->certs.size(); }

Result<std::size_t> KeyRing::add_certificates(std::span<const std::byte> bytes, const std::string& file) {
  const auto& api = libcrypto();
  if (!api) return make_error(api.error().code, file + ": " + api.error().detail);
  if (bytes.empty()) return make_error(EBADMSG, file + ": empty, no X.509 certificate");
  std::size_t added = 0, found = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (X509* der = api->d2i_X509(nullptr, &p, static_cast<long>(bytes.size())); der != nullptr) {
    ++found;
    added += impl_->add(der);
  } else {
    BIO* bio = api->BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size()));
    if (bio == nullptr) return make_error(ENOMEM, file + ": out of memory");
    while (X509* pem = api->PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      ++found;
      added += impl_->add(pem);
    }
    api->BIO_free(bio);
  }
  api->ERR_clear_error();
  if (found == 0) return make_error(EBADMSG, file + ": no X.509 certificate (neither DER nor PEM)");
  return added;
}

Result<std::size_t> KeyRing::add_kernel_image(std::span<const std::byte> bytes, const std::string& file) {
  const auto& api = libcrypto();
  if (!api) return make_error(api.error().code, file + ": " + api.error().detail);
  static constexpr unsigned char kElf[] = {0x7f, 'E', 'L', 'F'};
  std::optional<ModuleImage> decoded;
  std::span<const std::byte> vmlinux = bytes;
  if (bytes.size() < 4 || std::memcmp(bytes.data(), kElf, 4) != 0) {
    auto payload = bzimage_payload(bytes);
    if (!payload)
      return make_error(EBADMSG, file + ": neither a vmlinux ELF image nor an x86 bzImage (no HdrS header, or "
                                        "a payload outside the file)");
    if (detect_compression(*payload) == Compression::none)
      return make_error(EBADMSG, file + ": the bzImage payload is not xz, gzip or zstd data");
    OpenOptions options;
    options.max_decompressed_size = std::uint64_t{1} << 30;
    // kbuild appends the uncompressed size (4 bytes) to the compressed data
    // (size_append), which the decoders take for the start of a damaged
    // second stream: the payload without them first, then whole.
    auto image = payload->size() > 4 ? ModuleImage::from_bytes(payload->first(payload->size() - 4), file, options)
                                     : ModuleImage::from_bytes(*payload, file, options);
    if (!image && payload->size() > 4) image = ModuleImage::from_bytes(*payload, file, options);
    if (!image) return make_error(EBADMSG, file + ": cannot decompress the kernel: " + image.error().detail);
    decoded.emplace(std::move(*image));
    vmlinux = decoded->bytes();
  }
  std::size_t added = 0, found = 0;
  for (std::size_t at = 0; at + 6 <= vmlinux.size(); ++at) {
    const void* hit = std::memchr(vmlinux.data() + at, 0x30, vmlinux.size() - at - 5);
    if (hit == nullptr) break;
    at = static_cast<std::size_t>(static_cast<const std::byte*>(hit) - vmlinux.data());
    if (!looks_like_certificate(vmlinux.data() + at)) continue;
    const std::size_t len =
        4 + (std::to_integer<std::size_t>(vmlinux[at + 2]) << 8 | std::to_integer<std::size_t>(vmlinux[at + 3]));
    if (len > vmlinux.size() - at) continue;
    const auto* p = reinterpret_cast<const unsigned char*>(vmlinux.data() + at);
    X509* cert = api->d2i_X509(nullptr, &p, static_cast<long>(len));
    if (cert == nullptr) continue;
    if (p != reinterpret_cast<const unsigned char*>(vmlinux.data() + at + len)) {
      api->X509_free(cert);
      continue;
    }
    ++found;
    added += impl_->add(cert);
    at += len - 1;
  }
  api->ERR_clear_error();
  if (found == 0) return make_error(ENOKEY, file + ": no X.509 certificate built into the kernel image");
  return added;
}

std::string certificate_name(X509* cert) {
  const CryptoApi& api = *libcrypto();
  std::string out;
  X509_NAME* subject = api.X509_get_subject_name(cert);
  if (int i = api.X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0) {
    const ASN1_STRING* s = api.X509_NAME_ENTRY_get_data(api.X509_NAME_get_entry(subject, i));
    out.assign(reinterpret_cast<const char*>(api.ASN1_STRING_get0_data(s)),
               static_cast<std::size_t>(api.ASN1_STRING_length(s)));
  }
  const ASN1_INTEGER* serial = api.X509_get0_serialNumber(cert);
  const auto* data = api.ASN1_STRING_get0_data(serial);
  const auto length = static_cast<std::size_t>(api.ASN1_STRING_length(serial));
  out += ", serial " + format_hex(std::span<const std::uint8_t>(data, length));
  return out;
}

std::vector<std::string> KeyRing::describe() const {
  std::vector<std::string> out;
  for (X509* c : impl_->certs) out.push_back(certificate_name(c));
  return out;
}

}  // namespace kmodx::crypto
