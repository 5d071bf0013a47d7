// SPDX-License-Identifier: LGPL-2.1-or-later
#include "io/byte_buffer.hpp"

#include <cstring>
#include <utility>

namespace kmodx::io {
namespace {

// A block bigger than this is not kept: one odd huge file must not pin its
// memory for the rest of the run.
constexpr std::size_t kMaxCachedCapacity = std::size_t{64} << 20;

struct CachedBlock {
  std::unique_ptr<std::byte[]> block;
  std::size_t capacity = 0;
};
// Two slots: a compressed module needs one block for the file and one for
// its decompressed image.
thread_local CachedBlock tls_cache[2];

}  // namespace

ByteBuffer::ByteBuffer() {
  for (CachedBlock& slot : tls_cache) {
    if (!slot.block) continue;
    block_ = std::move(slot.block);
    capacity_ = std::exchange(slot.capacity, 0);
    return;
  }
}

ByteBuffer::~ByteBuffer() {
  if (!block_ || capacity_ > kMaxCachedCapacity) return;
  CachedBlock& smaller = tls_cache[0].capacity <= tls_cache[1].capacity ? tls_cache[0] : tls_cache[1];
  if (capacity_ > smaller.capacity) {
    smaller.block = std::move(block_);
    smaller.capacity = capacity_;
  }
}

ByteBuffer::ByteBuffer(ByteBuffer&& other) noexcept
    : block_(std::move(other.block_)),
      capacity_(std::exchange(other.capacity_, 0)),
      size_(std::exchange(other.size_, 0)) {}

ByteBuffer& ByteBuffer::operator=(ByteBuffer&& other) noexcept {
  if (this != &other) {
    block_ = std::move(other.block_);
    capacity_ = std::exchange(other.capacity_, 0);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void ByteBuffer::release_thread_cache() {
  for (CachedBlock& slot : tls_cache) {
    slot.block.reset();
    slot.capacity = 0;
  }
}

void ByteBuffer::reserve(std::size_t n) {
  if (n <= capacity_) return;
  auto bigger = std::make_unique_for_overwrite<std::byte[]>(n);
  if (size_ > 0) std::memcpy(bigger.get(), block_.get(), size_);
  block_ = std::move(bigger);
  capacity_ = n;
}

void ByteBuffer::resize(std::size_t n) {
  reserve(n);
  size_ = n;
}

}  // namespace kmodx::io
