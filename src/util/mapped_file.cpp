// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace kmodx {

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    this->~MappedFile();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_ != nullptr && size_ > 0) munmap(data_, size_);
}

RegularFile::RegularFile(RegularFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(std::exchange(other.size_, 0)) {}

RegularFile::~RegularFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::string absolute_path(std::string_view path) {
  if (!path.empty() && path.front() == '/') return std::string(path);
  std::string buf(4096, '\0');
  if (::getcwd(buf.data(), buf.size()) == nullptr) buf.clear();
  else buf.resize(buf.find('\0'));
  return buf + "/" + std::string(path);
}

Result<RegularFile> RegularFile::open(const std::string& path, Links links) {
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer; the
  // fstat below then refuses it.
  const int nofollow = links == Links::refuse ? O_NOFOLLOW : 0;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | nofollow);
  if (fd < 0) return make_error(errno, path + ": " + std::strerror(errno));
  RegularFile file(fd, 0);
  struct stat st {};
  if (fstat(fd, &st) != 0) return make_error(errno, path + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return make_error(EISDIR, path + ": is a directory, not a module file");
  if (!S_ISREG(st.st_mode)) return make_error(EINVAL, path + ": not a regular file");
  file.size_ = static_cast<std::size_t>(st.st_size);
  return file;
}

Result<void> RegularFile::read_at(std::uint64_t offset, std::size_t length, std::byte* out,
                                  const std::string& path) const {
  std::size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd_, out + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(errno, path + ": read: " + std::strerror(errno));
    if (n == 0) return make_error(EIO, path + ": file shrank while being read");
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Result<std::string> read_text_file(const std::string& path, std::size_t limit) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return make_error(errno, path + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (fstat(fd, &st) != 0) return make_error(errno, path + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return make_error(EISDIR, path + ": " + std::strerror(EISDIR));
  if (!S_ISREG(st.st_mode)) return make_error(EINVAL, path + ": not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > limit)
    return make_error(EFBIG, path + ": larger than " + std::to_string(limit) + " bytes");
  std::string text;
  text.reserve(static_cast<std::size_t>(st.st_size));
  char buffer[16384];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(errno, path + ": " + std::strerror(errno));
    if (n == 0) break;
    if (text.size() + static_cast<std::size_t>(n) > limit)
      return make_error(EFBIG, path + ": larger than " + std::to_string(limit) + " bytes");
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

Result<MappedFile> MappedFile::open(const std::string& path) {
  auto file = RegularFile::open(path);
  if (!file) return std::move(file).take_error();
  MappedFile mapped;
  mapped.size_ = file->size();
  if (mapped.size_ > 0) {
    void* p = mmap(nullptr, mapped.size_, PROT_READ, MAP_PRIVATE, file->fd(), 0);
    if (p == MAP_FAILED) {
      int err = errno;
      mapped.size_ = 0;
      return make_error(err, path + ": mmap: " + std::strerror(err));
    }
    mapped.data_ = p;
  }
  return mapped;
}

}  // namespace kmodx
