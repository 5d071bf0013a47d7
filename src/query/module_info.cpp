// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kmodx/module_info.hpp"

#include <cerrno>

#include "kmodx/module_elf.hpp"
#include "kmodx/signature.hpp"
#include "util/mapped_file.hpp"

namespace kmodx {

std::string format_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 3 + bytes.size() / 20 * 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0xF];
    if (i + 1 == bytes.size()) break;
    out += ':';
    if ((i + 1) % 20 == 0) out += "\n\t\t";
  }
  return out;
}

std::string format_hex(std::span<const std::byte> bytes) {
  return format_hex(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

bool is_signature_field(std::string_view key) {
  return key == "sig_id" || key == "signer" || key == "sig_key" || key == "sig_hashalgo" || key == "signature";
}

Result<std::vector<InfoField>> read_module_info(std::span<const std::byte> image, std::string_view file,
                                                bool with_signature) {
  auto elf = ModuleElf::parse(image, file);
  if (!elf) return std::move(elf).take_error();
  auto entries = elf->modinfo();
  if (!entries) return std::move(entries).take_error();
  std::vector<InfoField> info;
  info.reserve(entries->size() + 6);
  for (const ModinfoEntry& e : *entries) info.push_back({std::string(e.key), std::string(e.value)});
  if (auto id = elf->build_id()) info.push_back({"build-id", format_hex(*id)});
  if (!with_signature) return info;
  if (auto sig = read_signature(image)) {
    info.push_back({"sig_id", sig->id_type});
    // libkmod keeps info values as C strings: a signer name from a PGP or
    // X.509 trailer ends at its first NUL.
    info.push_back({"signer", sig->signer.substr(0, sig->signer.find('\0'))});
    info.push_back({"sig_key", format_hex(sig->key_id)});
    info.push_back({"sig_hashalgo", sig->hash_algo});
    info.push_back({"signature", format_hex(sig->signature)});
  }
  return info;
}

Result<std::vector<InfoField>> parse_builtin_info(std::string_view data, std::string_view name,
                                                  const std::string& file) {
  std::vector<InfoField> info;
  bool in_module = false;
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t end = data.find('\0', pos);
    if (end == std::string_view::npos) end = data.size();
    std::string_view record = data.substr(pos, end - pos);
    const std::size_t record_offset = pos;
    pos = end + 1;
    if (record.empty()) continue;
    std::size_t dot = record.find('.');
    if (dot == std::string_view::npos)
      return make_error(EINVAL, file + ": record at offset " + std::to_string(record_offset) +
                                    " has no '<module>.' prefix");
    if (record.substr(0, dot) != name) {
      // Records of one module are contiguous; the first foreign one after
      // ours ends the list.
      if (in_module) break;
      continue;
    }
    in_module = true;
    std::string_view rest = record.substr(dot + 1);
    std::size_t eq = rest.find('=');
    if (eq == std::string_view::npos)
      info.push_back({std::string(rest), {}});
    else
      info.push_back({std::string(rest.substr(0, eq)), std::string(rest.substr(eq + 1))});
  }
  return info;
}

Result<std::vector<InfoField>> read_builtin_info(const std::string& path, std::string_view name) {
  auto file = MappedFile::open(path);
  if (!file) return std::move(file).take_error();
  std::string_view data(reinterpret_cast<const char*>(file->bytes().data()), file->bytes().size());
  return parse_builtin_info(data, name, path);
}

}  // namespace kmodx
