// SPDX-License-Identifier: LGPL-2.1-or-later
// The signature trailer at the end of a module image and the PKCS#7 blob it
// points at (decoded with OpenSSL). When a signature is found, its fields
// must lie inside the image. The input is also taken as a PKCS#7 blob: where
// kmodx's own DER reader accepts it, libcrypto must read the same fields.

#include "fuzz_support.hpp"
#include "elf/pkcs7_der.hpp"
#include "kmodx/signature.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kmodx;
  auto sig = read_signature(fuzz::bytes_of(data, size));
  if (sig) FUZZ_EXPECT(sig->signature.size() <= size);
  const std::span<const std::uint8_t> der(data, size);
  if (auto fast = elf::read_simple_pkcs7(der)) {
    auto lib = elf::read_pkcs7_with_libcrypto(der);
    FUZZ_EXPECT(lib.has_value());
    FUZZ_EXPECT(lib->signer == fast->signer && lib->key_id == fast->key_id && lib->hash_algo == fast->hash_algo &&
                lib->signature == fast->signature);
  }
  return 0;
}
