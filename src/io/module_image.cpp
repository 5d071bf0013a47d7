// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kmodx/module_image.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <variant>
#include <vector>

#include "elf/partial_read.hpp"
#include "io/decompressors.hpp"
#include "util/mapped_file.hpp"

namespace kmodx {
namespace {

struct Format {
  std::array<unsigned char, 6> magic;
  std::size_t magic_len;
  Compression compression;
  std::string_view name;
  io::Decompressor decompress;
};

// Checked in order; the first whose magic prefixes the file wins.
constexpr std::array<Format, 3> kFormats{{
    {{0x28, 0xB5, 0x2F, 0xFD}, 4, Compression::zstd, "zstd", &io::decompress_zstd},
    {{0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00}, 6, Compression::xz, "xz", &io::decompress_xz},
    {{0x1F, 0x8B}, 2, Compression::gzip, "gzip", &io::decompress_gzip},
}};

// libkmod reads this many bytes to sniff the format and refuses shorter files.
constexpr std::size_t kMagicProbeSize = 6;

const Format* find_format(std::span<const std::byte> head) {
  for (const Format& f : kFormats) {
    if (head.size() >= f.magic_len &&
        std::memcmp(head.data(), f.magic.data(), f.magic_len) == 0)
      return &f;
  }
  return nullptr;
}

}  // namespace

struct ModuleImage::Storage {
  std::variant<MappedFile, io::ByteBuffer> data;
};

std::string_view compression_name(Compression c) {
  for (const Format& f : kFormats)
    if (f.compression == c) return f.name;
  return "none";
}

Compression detect_compression(std::span<const std::byte> head) {
  const Format* f = find_format(head);
  return f ? f->compression : Compression::none;
}

ModuleImage::ModuleImage(std::unique_ptr<Storage> storage, std::span<const std::byte> bytes,
                         Compression c, std::uint64_t file_size)
    : storage_(std::move(storage)), bytes_(bytes), compression_(c), file_size_(file_size) {}
ModuleImage::ModuleImage(ModuleImage&&) noexcept = default;
ModuleImage& ModuleImage::operator=(ModuleImage&&) noexcept = default;
ModuleImage::~ModuleImage() = default;

namespace {

Result<ModuleImage> decompress_into_image(const Format& f, std::span<const std::byte> data,
                                          std::string_view name, const OpenOptions& options,
                                          auto make_image) {
  io::ByteBuffer out;
  auto r = f.decompress(data, options.max_decompressed_size, out);
  if (!r) {
    Error e = std::move(r).take_error();
    e.detail = std::string(name) + ": " + e.detail;
    return e;
  }
  return make_image(std::move(out), f.compression);
}

}  // namespace

namespace {

// Files up to this size are read into a reused buffer: for thousands of
// small modules that is cheaper than mapping each one, faulting its pages in
// and tearing the mapping down again. Bigger ones are mapped.
constexpr std::size_t kReadLimit = std::size_t{32} << 20;

}  // namespace

Result<ModuleImage> ModuleImage::open(const std::string& path, const OpenOptions& options) {
  auto file = RegularFile::open(path);
  if (!file) return std::move(file).take_error();
  const std::uint64_t file_size = file->size();
  if (file_size < kMagicProbeSize)
    return make_error(EINVAL, path + ": file is " + std::to_string(file_size) +
                                  " bytes, too short to be a module");

  std::unique_ptr<Storage> raw;  // the file's bytes
  std::span<const std::byte> data;
  if (file_size <= kReadLimit && !options.map_file) {
    io::ByteBuffer buffer;
    buffer.resize(file->size());
    auto read_at = [&](std::uint64_t offset, std::size_t length, std::byte* dest) {
      return static_cast<bool>(file->read_at(offset, length, dest, path));
    };
    // A compressed file fails the ELF check at once and is read whole.
    const bool partial = options.only_module_sections && elf::read_module_parts(buffer.data(), file_size, read_at);
    if (!partial)
      if (auto r = file->read_all(buffer.data(), path); !r) return std::move(r).take_error();
    raw = std::make_unique<Storage>(Storage{std::move(buffer)});
    data = std::get<io::ByteBuffer>(raw->data).bytes();
  } else {
    auto mapped = MappedFile::open(path);
    if (!mapped) return std::move(mapped).take_error();
    raw = std::make_unique<Storage>(Storage{std::move(*mapped)});
    data = std::get<MappedFile>(raw->data).bytes();
  }
  const Format* f = find_format(data);
  if (f == nullptr) return ModuleImage(std::move(raw), data, Compression::none, file_size);
  return decompress_into_image(*f, data, path, options, [&](io::ByteBuffer out, Compression c) {
    auto storage = std::make_unique<Storage>(Storage{std::move(out)});
    std::span<const std::byte> bytes = std::get<io::ByteBuffer>(storage->data).bytes();
    return ModuleImage(std::move(storage), bytes, c, file_size);
  });
}

Result<ModuleImage> ModuleImage::from_bytes(std::span<const std::byte> data, std::string_view name,
                                            const OpenOptions& options) {
  if (data.size() < kMagicProbeSize)
    return make_error(EINVAL, std::string(name) + ": too short to be a module");
  auto make = [&](io::ByteBuffer out, Compression c) {
    auto storage = std::make_unique<Storage>(Storage{std::move(out)});
    std::span<const std::byte> bytes = std::get<io::ByteBuffer>(storage->data).bytes();
    return ModuleImage(std::move(storage), bytes, c, data.size());
  };
  const Format* f = find_format(data);
  if (f == nullptr) {
    io::ByteBuffer copy;
    copy.resize(data.size());
    std::memcpy(copy.data(), data.data(), data.size());
    return make(std::move(copy), Compression::none);
  }
  return decompress_into_image(*f, data, name, options, make);
}

}  // namespace kmodx
