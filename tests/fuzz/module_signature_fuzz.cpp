// SPDX-License-Identifier: LGPL-2.1-or-later
// Module signature verification (`kmodx check`, the simulated kernel's
// module_sig): the trailer, the info fields and the CMS blob over any bytes,
// against an empty key ring; and the same bytes as certificates and as a
// kernel image. Nothing is trusted without a key: a verdict of "ok" is a
// broken property.

#include "crypto/module_signature.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kmodx;
  const auto bytes = fuzz::bytes_of(data, size);
  static const crypto::KeyRing none;
  const crypto::SignatureCheck sig = crypto::verify_module_signature(bytes, none);
  FUZZ_EXPECT(sig.status != crypto::SignatureStatus::ok);
  FUZZ_EXPECT(sig.status == crypto::SignatureStatus::ok || sig.kernel_errno != 0);

  crypto::KeyRing ring;
  if (auto added = ring.add_certificates(bytes, "fuzz.pem")) FUZZ_EXPECT(*added == ring.size() && ring.size() > 0);
  if (auto added = ring.add_kernel_image(bytes, "fuzz.vmlinuz")) FUZZ_EXPECT(ring.size() > 0);
  (void)ring.describe();
  // Whatever the ring now holds, the bytes verify only if signed by it.
  (void)crypto::verify_module_signature(bytes, ring);
  return 0;
}
