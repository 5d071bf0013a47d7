// SPDX-License-Identifier: LGPL-2.1-or-later
// ModuleImage: format sniffing by magic and decompression (KMOD-SPEC §1.5).
#include "kmodx/module_image.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <future>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/compress.hpp"
#include "support/elf_builder.hpp"
#include "support/result_helpers.hpp"
#include "support/temp_dir.hpp"

using namespace std::string_literals;
using namespace kmodx::test;
using kmodx::Compression;
using kmodx::detect_compression;
using kmodx::ModuleImage;
using kmodx::OpenOptions;
using Blob = std::vector<std::byte>;

namespace {

// A module-like payload: a real ELF image followed by some incompressible-ish
// bytes, so the compressors have something to do.
Blob payload() {
  Blob b = ElfBuilder(true, true)
               .modinfo("license=GPL")
               .modinfo("description=payload for compression tests")
               .ksymtab_string("exported")
               .version("module_layout", 0x1234)
               .undefined("printk")
               .build()
               .bytes();
  std::uint32_t x = 0x12345678;
  for (int i = 0; i < 50000; ++i) {
    x = x * 1103515245u + 12345u;
    b.push_back(static_cast<std::byte>(x >> 24));
  }
  return b;
}

Blob compress(Compression c, const Blob& data) {
  switch (c) {
    case Compression::none: return data;
    case Compression::xz: return xz_compress(data);
    case Compression::zstd: return zstd_compress(data);
    case Compression::gzip: return gzip_compress(data);
  }
  return {};
}

bool same(std::span<const std::byte> a, const Blob& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

const char* name_of(Compression c) {
  switch (c) {
    case Compression::none: return "none";
    case Compression::xz: return "xz";
    case Compression::zstd: return "zstd";
    case Compression::gzip: return "gzip";
  }
  return "?";
}

#define FOR_EACH_COMPRESSED()                                                                \
  const Compression comp = GENERATE(Compression::xz, Compression::zstd, Compression::gzip); \
  INFO("compression " << name_of(comp))

void check_error_names(const kmodx::Result<ModuleImage>& r, int code, const std::string& file) {
  INFO(describe(r));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == code);
  CHECK(r.error().detail.find(file) != std::string::npos);
}

// 64 MiB of zeros, compressed once per format for the whole run.
const Blob& bomb(Compression c) {
  static const Blob zeros(std::size_t{64} << 20, std::byte{0});
  static const Blob xz = xz_compress(zeros, 0);
  static const Blob zst = zstd_compress(zeros, 1, true, /*content_size=*/false);
  static const Blob gz = gzip_compress(zeros, 1);
  switch (c) {
    case Compression::xz: return xz;
    case Compression::zstd: return zst;
    default: return gz;
  }
}

}  // namespace

// ---- detection ---------------------------------------------------------------

TEST_CASE("detect_compression: the magic table", "[io]") {
  CHECK(detect_compression(to_bytes("\x28\xb5\x2f\xfd"s)) == Compression::zstd);
  CHECK(detect_compression(to_bytes("\x28\xb5\x2f\xfd\x24\x00"s)) == Compression::zstd);
  CHECK(detect_compression(to_bytes("\xfd\x37\x7a\x58\x5a\x00"s)) == Compression::xz);
  CHECK(detect_compression(to_bytes("\xfd\x37\x7a\x58\x5a\x00\x00\x04"s)) == Compression::xz);
  CHECK(detect_compression(to_bytes("\x1f\x8b"s)) == Compression::gzip);
  CHECK(detect_compression(to_bytes("\x1f\x8b\x08\x00\x00\x00"s)) == Compression::gzip);
  CHECK(detect_compression(to_bytes("\x7f" "ELF\x02\x01"s)) == Compression::none);
  CHECK(detect_compression(to_bytes("\xfd\x37\x7a\x58\x5a\x01"s)) == Compression::none);
  CHECK(detect_compression(to_bytes("\x28\xb5\x2f\xfe"s)) == Compression::none);
  CHECK(detect_compression(to_bytes("\x1f\x8c"s)) == Compression::none);
  CHECK(detect_compression({}) == Compression::none);
}

TEST_CASE("compression_name: the /sys/module/compression words", "[io]") {
  CHECK(kmodx::compression_name(Compression::none) == "none");
  CHECK(kmodx::compression_name(Compression::zstd) == "zstd");
  CHECK(kmodx::compression_name(Compression::xz) == "xz");
  CHECK(kmodx::compression_name(Compression::gzip) == "gzip");
}

// ---- round trips ---------------------------------------------------------------

TEST_CASE("ModuleImage::from_bytes: round trip to identical bytes", "[io]") {
  const Compression comp =
      GENERATE(Compression::none, Compression::xz, Compression::zstd, Compression::gzip);
  INFO("compression " << name_of(comp));
  const Blob data = payload();
  const Blob file = compress(comp, data);
  auto img = ModuleImage::from_bytes(file, "mem.ko");
  KMODX_REQUIRE_OK(img);
  CHECK(img->compression() == comp);
  CHECK(same(img->bytes(), data));
}

TEST_CASE("ModuleImage::open: round trip to identical bytes", "[io]") {
  const Compression comp =
      GENERATE(Compression::none, Compression::xz, Compression::zstd, Compression::gzip);
  INFO("compression " << name_of(comp));
  TempDir dir;
  const Blob data = payload();
  const Blob file = compress(comp, data);
  const std::string path = dir.write("mod.ko", file);
  auto img = ModuleImage::open(path);
  KMODX_REQUIRE_OK(img);
  CHECK(img->compression() == comp);
  CHECK(img->file_size() == file.size());
  CHECK(same(img->bytes(), data));

  // Moving keeps the bytes valid.
  ModuleImage moved = std::move(img).value();
  CHECK(same(moved.bytes(), data));
  ModuleImage assigned = std::move(moved);
  CHECK(same(assigned.bytes(), data));
}

TEST_CASE("ModuleImage::from_bytes: plain bytes are copied", "[io]") {
  Blob data = payload();
  const Blob original = data;
  auto img = ModuleImage::from_bytes(data, "copy.ko");
  KMODX_REQUIRE_OK(img);
  CHECK(img->compression() == Compression::none);
  std::fill(data.begin(), data.end(), std::byte{0xee});
  data.clear();
  data.shrink_to_fit();
  CHECK(same(img->bytes(), original));
}

TEST_CASE("ModuleImage: zstd frames without content size or checksum", "[io]") {
  const Blob data = payload();
  const bool checksum = GENERATE(false, true);
  const bool content_size = GENERATE(false, true);
  auto img = ModuleImage::from_bytes(zstd_compress(data, 3, checksum, content_size), "z.ko");
  KMODX_REQUIRE_OK(img);
  CHECK(same(img->bytes(), data));
}

TEST_CASE("ModuleImage: the format is decided by the magic, not the name", "[io]") {
  TempDir dir;
  const Blob data = payload();
  SECTION("xz data named .ko") {
    auto img = ModuleImage::open(dir.write("plain-looking.ko", xz_compress(data)));
    KMODX_REQUIRE_OK(img);
    CHECK(img->compression() == Compression::xz);
    CHECK(same(img->bytes(), data));
  }
  SECTION("plain ELF named .ko.zst") {
    auto img = ModuleImage::open(dir.write("compressed-looking.ko.zst", data));
    KMODX_REQUIRE_OK(img);
    CHECK(img->compression() == Compression::none);
    CHECK(same(img->bytes(), data));
  }
  SECTION("gzip data named .ko.xz") {
    auto img = ModuleImage::open(dir.write("mod.ko.xz", gzip_compress(data)));
    KMODX_REQUIRE_OK(img);
    CHECK(img->compression() == Compression::gzip);
    CHECK(same(img->bytes(), data));
  }
  SECTION("zstd data with no extension at all") {
    auto img = ModuleImage::open(dir.write("module", zstd_compress(data)));
    KMODX_REQUIRE_OK(img);
    CHECK(img->compression() == Compression::zstd);
    CHECK(same(img->bytes(), data));
  }
}

TEST_CASE("ModuleImage: concatenated gzip members decompress to the concatenation", "[io]") {
  const Blob a = payload();
  const Blob b = to_bytes("second member\n");
  Blob file = gzip_compress(a);
  const Blob gb = gzip_compress(b);
  file.insert(file.end(), gb.begin(), gb.end());
  Blob want = a;
  want.insert(want.end(), b.begin(), b.end());
  TempDir dir;
  auto img = ModuleImage::open(dir.write("two.ko.gz", file));
  KMODX_REQUIRE_OK(img);
  CHECK(same(img->bytes(), want));
}

TEST_CASE("ModuleImage: plain files of 6 bytes or more are accepted as they are", "[io]") {
  TempDir dir;
  auto img = ModuleImage::open(dir.write("six.ko", "abcdef"));
  KMODX_REQUIRE_OK(img);
  CHECK(img->compression() == Compression::none);
  CHECK(same(img->bytes(), to_bytes("abcdef")));
}

// ---- errors --------------------------------------------------------------------

TEST_CASE("ModuleImage: files shorter than 6 bytes are EINVAL", "[io]") {
  TempDir dir;
  const std::string content = GENERATE(""s, "a"s, "\x7f" "ELF"s, "\x1f\x8b\x08"s,
                                       "\x28\xb5\x2f\xfd\x00"s, "\xfd\x37\x7a\x58\x5a"s);
  INFO("size " << content.size());
  const std::string path = dir.write("short.ko", content);
  check_error_names(ModuleImage::open(path), EINVAL, path);
  check_error_names(ModuleImage::from_bytes(to_bytes(content), "short-mem.ko"), EINVAL,
                    "short-mem.ko");
}

TEST_CASE("ModuleImage: corrupt compressed data is EINVAL naming the file", "[io]") {
  FOR_EACH_COMPRESSED();
  TempDir dir;
  const Blob data = payload();
  Blob file = compress(comp, data);
  SECTION("magic followed by garbage") {
    const std::size_t magic = comp == Compression::xz ? 6 : comp == Compression::zstd ? 4 : 2;
    for (std::size_t i = magic; i < file.size(); ++i) file[i] = std::byte{0xff};
  }
  SECTION("a flipped byte in the middle") {
    file[file.size() / 2] ^= std::byte{0x55};
    file[file.size() / 2 + 1] ^= std::byte{0xaa};
  }
  SECTION("a flipped byte in the trailer") { file[file.size() - 3] ^= std::byte{0x01}; }
  SECTION("truncated to half") { file.resize(file.size() / 2); }
  SECTION("last byte missing") { file.pop_back(); }
  SECTION("only the header") { file.resize(12); }
  const std::string path = dir.write("corrupt.ko", file);
  check_error_names(ModuleImage::open(path), EINVAL, path);
  check_error_names(ModuleImage::from_bytes(file, "corrupt-mem.ko"), EINVAL, "corrupt-mem.ko");
}

TEST_CASE("ModuleImage: a decompression bomb is EFBIG, quickly", "[io]") {
  FOR_EACH_COMPRESSED();
  const Blob& file = bomb(comp);
  const OpenOptions small{.max_decompressed_size = 1 << 20};
  TempDir dir;
  const std::string path = dir.write("bomb.ko", file);
  const auto start = std::chrono::steady_clock::now();
  auto r = ModuleImage::open(path, small);
  const auto took = std::chrono::steady_clock::now() - start;
  check_error_names(r, EFBIG, path);
  auto m = ModuleImage::from_bytes(file, "bomb-mem.ko", small);
  check_error_names(m, EFBIG, "bomb-mem.ko");
  // Stopping at the cap means decompressing about 1 MiB, not 64.
  CHECK(took < std::chrono::seconds(2));
}

TEST_CASE("ModuleImage: the size cap is inclusive", "[io]") {
  FOR_EACH_COMPRESSED();
  const Blob data = payload();
  const Blob file = compress(comp, data);
  auto at = ModuleImage::from_bytes(file, "cap.ko", OpenOptions{.max_decompressed_size = data.size()});
  KMODX_REQUIRE_OK(at);
  CHECK(same(at->bytes(), data));
  auto below =
      ModuleImage::from_bytes(file, "cap.ko", OpenOptions{.max_decompressed_size = data.size() - 1});
  check_error_names(below, EFBIG, "cap.ko");
}

TEST_CASE("ModuleImage: a directory is EISDIR", "[io]") {
  TempDir dir;
  auto r = ModuleImage::open(dir.path().string());
  INFO(describe(r));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == EISDIR);
}

TEST_CASE("ModuleImage: a nonexistent file is ENOENT", "[io]") {
  TempDir dir;
  const std::string path = dir.file("missing.ko");
  check_error_names(ModuleImage::open(path), ENOENT, path);
}

TEST_CASE("ModuleImage: a FIFO is EINVAL and does not block", "[io]") {
  TempDir dir;
  const std::string path = dir.file("fifo.ko");
  REQUIRE(mkfifo(path.c_str(), 0600) == 0);
  auto fut = std::async(std::launch::async, [&] { return ModuleImage::open(path); });
  if (fut.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    // Unblock the reader so the test run can go on, then fail.
    int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd >= 0) ::close(fd);
    fut.wait();
    FAIL("ModuleImage::open blocked on a FIFO");
  }
  auto r = fut.get();
  INFO(describe(r));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == EINVAL);
  CHECK(r.error().detail.find(path) != std::string::npos);
}
