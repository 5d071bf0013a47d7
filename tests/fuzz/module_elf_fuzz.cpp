// SPDX-License-Identifier: LGPL-2.1-or-later
// The ELF view and every module reader on arbitrary bytes, plus the
// partial-read promise: an image filled only where read_module_parts() says
// the readers look gives the same results as the whole file, whatever the
// unread bytes hold.

#include <cstring>
#include <string>
#include <vector>

#include "elf/partial_read.hpp"
#include "fuzz_support.hpp"
#include "kmodx/module_elf.hpp"
#include "kmodx/module_info.hpp"

namespace {

using namespace kmodx;

void append(std::string& out, std::string_view s) {
  out += s;
  out += '\0';
}

template <class T>
void append_result(std::string& out, const Result<std::vector<T>>& r, auto&& each) {
  if (!r) {
    out += "error " + std::to_string(r.error().code) + "\n";
    return;
  }
  for (const T& item : *r) each(item);
  out += "\n";
}

// Everything the readers return, as one string to compare.
std::string read_everything(std::span<const std::byte> image) {
  std::string out;
  auto elf = ModuleElf::parse(image, "fuzz.ko");
  if (!elf) return "parse error " + std::to_string(elf.error().code);
  out += std::to_string(elf->is_64bit()) + std::to_string(elf->is_little_endian()) +
         std::to_string(elf->machine()) + "\n";
  append_result(out, elf->modinfo(), [&](const ModinfoEntry& e) {
    append(out, e.key);
    append(out, e.value);
  });
  append_result(out, elf->versions(), [&](const ModVersion& v) {
    append(out, v.name);
    out += std::to_string(v.crc);
  });
  append_result(out, elf->exports(), [&](const ModuleSymbol& s) {
    append(out, s.name);
    out += std::to_string(s.crc) + std::to_string(static_cast<int>(s.bind));
  });
  append_result(out, elf->dependencies(), [&](const ModuleSymbol& s) {
    append(out, s.name);
    out += std::to_string(s.crc) + std::to_string(static_cast<int>(s.bind));
  });
  if (auto id = elf->build_id())
    out.append(reinterpret_cast<const char*>(id->data()), id->size());
  return out;
}

std::string partial_copy_results(std::span<const std::byte> image, std::byte fill, bool& planned) {
  std::vector<std::byte> partial(image.size(), fill);
  planned = elf::read_module_parts(partial.data(), image.size(),
                                   [&](std::uint64_t offset, std::size_t length, std::byte* dest) {
                                     if (offset > image.size() || length > image.size() - offset) return false;
                                     std::memcpy(dest, image.data() + offset, length);
                                     return true;
                                   });
  return planned ? read_everything(partial) : std::string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto image = fuzz::bytes_of(data, size);
  const std::string whole = read_everything(image);
  (void)read_module_info(image, "fuzz.ko");

  bool planned = false;
  const std::string zeros = partial_copy_results(image, std::byte{0x00}, planned);
  if (planned) {
    FUZZ_EXPECT(zeros == whole);
    FUZZ_EXPECT(partial_copy_results(image, std::byte{0xA5}, planned) == whole);
  }
  return 0;
}
