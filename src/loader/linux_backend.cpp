// SPDX-License-Identifier: LGPL-2.1-or-later
// The running kernel as loader backend. This is the only file in kmodx that
// makes the module system calls; tests never reach it on the build host (it
// runs only inside the VM test, tests/vm/).
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "kmodx/loader.hpp"
#include "kmodx/module_image.hpp"
#include "loader/module_strip.hpp"
#include "loader/sysfs_state.hpp"
#include "util/libkmod_sites.hpp"
#include "util/line_reader.hpp"
#include "util/mapped_file.hpp"

namespace kmodx {
namespace {

// From <linux/module.h>; spelled out so the build does not depend on the
// kernel headers' version.
constexpr unsigned kIgnoreModversions = 1;  // MODULE_INIT_IGNORE_MODVERSIONS
constexpr unsigned kIgnoreVermagic = 2;     // MODULE_INIT_IGNORE_VERMAGIC
constexpr unsigned kCompressedFile = 4;     // MODULE_INIT_COMPRESSED_FILE

class LinuxBackend final : public LoaderBackend {
 public:
  explicit LinuxBackend(DiagnosticSink& sink) : sink_(sink), state_("/proc/modules", "/sys/module") {}

  std::string_view kind() const override { return "linux"; }

  Result<void> insert(const InsertRequest& request) override {
    {
      // RegularFile opens without blocking and refuses anything but a
      // regular file: a FIFO named x.ko cannot hang us.
      auto file = RegularFile::open(request.path);
      if (!file) return std::move(file).take_error();
      std::byte head[8] = {};
      std::size_t got = std::min(sizeof head, file->size());
      if (!file->read_at(0, got, head, request.path)) got = 0;
      Compression format = detect_compression(std::span<const std::byte>(head, got));
      unsigned flags =
          (request.ignore_modversions ? kIgnoreModversions : 0) | (request.ignore_vermagic ? kIgnoreVermagic : 0);
      // The file itself goes to the kernel when it is plain, or compressed
      // in the format the kernel says it can decompress.
      if (format == Compression::none || format == kernel_compression()) {
        if (format != Compression::none) flags |= kCompressedFile;
        long rc = ::syscall(SYS_finit_module, file->fd(), request.params.c_str(), flags);
        if (rc == 0) return {};
        int saved = errno;
        // A kernel that cannot decompress this file after all (an xz check
        // its decompressor lacks, as plain `xz` writes CRC64; a format it
        // was built without) says EINVAL, ENOSYS or EOPNOTSUPP: then the
        // file is decompressed here, as kmod 30 always did. A genuine
        // EINVAL (bad parameters) comes back from init_module again.
        const bool retry = saved == ENOSYS || (format != Compression::none && (saved == EINVAL || saved == EOPNOTSUPP));
        if (!retry) return make_error(saved, request.path + ": " + std::strerror(saved));
        if (format != Compression::none)
          sink_.report(Severity::notice, "the kernel refused the " + std::string(compression_name(format)) +
                                             " file " + request.path + " (" + std::strerror(saved) +
                                             "): decompressing it here and loading the image");
      }
    }
    return insert_image(request);
  }

  Result<void> remove(std::string_view name, bool force) override {
    std::string n(name);
    long rc = ::syscall(SYS_delete_module, n.c_str(), O_NONBLOCK | (force ? O_TRUNC : 0));
    if (rc == 0) return {};
    int saved = errno;
    return make_error(saved, n + ": " + std::strerror(saved));
  }

  Result<InitState> initstate(std::string_view name) override { return state_.initstate(name); }
  Result<long> refcnt(std::string_view name) override { return state_.refcnt(name); }
  Result<std::vector<std::string>> holders(std::string_view name) override { return state_.holders(name); }
  Result<long> size(std::string_view name) override { return state_.size(name); }
  Result<std::vector<ModuleSection>> sections(std::string_view name) override { return state_.sections(name); }
  Result<std::vector<ProcModule>> loaded_modules() override { return state_.loaded_modules(); }

 private:
  /// What /sys/module/compression names; none when absent or unknown.
  Compression kernel_compression() {
    if (compression_) return *compression_;
    compression_ = Compression::none;
    auto text = read_text_file("/sys/module/compression");
    if (!text) return *compression_;
    if (*text == "zstd\n") compression_ = Compression::zstd;
    else if (*text == "xz\n") compression_ = Compression::xz;
    else if (*text == "gzip\n") compression_ = Compression::gzip;
    else sink_.report_from(Severity::error, libkmod_site::insert_module_open,
                           "unknown kernel compression " + *text);
    return *compression_;
  }

  /// Decompresses in-process and passes the image; forced loads strip the
  /// data the kernel would check, since this call takes no flags.
  Result<void> insert_image(const InsertRequest& request) {
    auto image = ModuleImage::open(request.path);
    if (!image) return std::move(image).take_error();
    std::span<const std::byte> bytes = image->bytes();
    std::vector<std::byte> copy;
    if (request.ignore_modversions || request.ignore_vermagic) {
      copy.assign(bytes.begin(), bytes.end());
      auto stripped = loader::strip_for_forced_load(copy, request.path, request.ignore_modversions,
                                                    request.ignore_vermagic);
      if (!stripped) {
        sink_.report_from(Severity::error, libkmod_site::insert_module_strip,
                          std::string("Failed to strip version information: ") + std::strerror(stripped.error().code));
        return std::move(stripped).take_error();
      }
      bytes = copy;
    }
    long rc = ::syscall(SYS_init_module, bytes.data(), static_cast<unsigned long>(bytes.size()), request.params.c_str());
    if (rc == 0) return {};
    int saved = errno;
    return make_error(saved, request.path + ": " + std::strerror(saved));
  }

  DiagnosticSink& sink_;
  loader::SysfsState state_;
  std::optional<Compression> compression_;
};

}  // namespace

Result<std::unique_ptr<LoaderBackend>> open_linux_backend(DiagnosticSink& sink) {
  return std::unique_ptr<LoaderBackend>(std::make_unique<LinuxBackend>(sink));
}

}  // namespace kmodx
