// SPDX-License-Identifier: LGPL-2.1-or-later
// The signature trailer at the end of a module image and the PKCS#7 blob it
// points at (decoded with OpenSSL). When a signature is found, its fields
// must lie inside the image.

#include "fuzz_support.hpp"
#include "kmodx/signature.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kmodx;
  auto sig = read_signature(fuzz::bytes_of(data, size));
  if (sig) FUZZ_EXPECT(sig->signature.size() <= size);
  return 0;
}
