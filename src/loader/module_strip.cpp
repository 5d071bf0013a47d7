// SPDX-License-Identifier: LGPL-2.1-or-later
#include "loader/module_strip.hpp"

#include <cerrno>
#include <cstring>
#include <optional>

#include "elf/elf_view.hpp"

namespace kmodx::loader {
namespace {

struct StripSites {
  std::optional<std::size_t> versions_flags_byte;  ///< byte of sh_flags holding SHF_ALLOC
  std::optional<std::pair<std::size_t, std::size_t>> vermagic;  ///< offset, length of the string
  bool has_modinfo = false;  ///< without .modinfo there is nothing to strip (kmod master)
};

}  // namespace

Result<void> strip_for_forced_load(std::vector<std::byte>& image, std::string_view file, bool force_modversion,
                                   bool force_vermagic) {
  std::span<const std::byte> view_bytes(image.data(), image.size());
  auto sites = elf::visit_elf(view_bytes, file, [&](auto& view) -> Result<StripSites> {
    using View = std::remove_reference_t<decltype(view)>;
    StripSites out;
    if (auto versions = view.find_section("__versions"); versions && (versions->flags & elf::kShfAlloc)) {
      // sh_flags follows sh_name and sh_type in both classes; SHF_ALLOC is
      // in its least significant byte.
      using Traits = typename View::Traits;
      constexpr std::size_t flags_size = sizeof(typename Traits::XWord);
      std::size_t at = static_cast<std::size_t>(view.section_header_offset(versions->index)) + 8;
      out.versions_flags_byte = Traits::is_le ? at : at + flags_size - 1;
    }
    if (auto modinfo = view.find_section(".modinfo")) {
      out.has_modinfo = true;
      auto bytes = view.contents(*modinfo);
      std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      std::size_t pos = 0;
      while (pos < text.size()) {
        std::size_t end = text.find('\0', pos);
        if (end == std::string_view::npos) end = text.size();
        if (text.substr(pos, end - pos).starts_with("vermagic=")) {
          out.vermagic = {static_cast<std::size_t>(modinfo->offset) + pos, end - pos};
          break;
        }
        pos = end + 1;
      }
    }
    return out;
  });
  if (!sites) return std::move(sites).take_error();
  if (force_modversion && sites->versions_flags_byte)
    image[*sites->versions_flags_byte] &= ~std::byte{static_cast<unsigned char>(elf::kShfAlloc)};
  if (force_vermagic && sites->has_modinfo) {
    if (!sites->vermagic) return make_error(ENODATA, std::string(file) + ": no vermagic in .modinfo");
    std::memset(image.data() + sites->vermagic->first, 0, sites->vermagic->second);
  }
  return {};
}

}  // namespace kmodx::loader
