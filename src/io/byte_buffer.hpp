// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// The growable byte buffer module images are decompressed (or read) into.
//
// Two things make it cheaper than std::vector<std::byte> for this job: growing
// does not zero the new bytes (every byte is written by the decompressor
// before anyone reads it), and a destroyed buffer hands its memory to the
// next buffer made on the same thread. depmod opens thousands of modules per
// thread one after another; reusing one warm block avoids faulting in fresh
// pages and returning them to the kernel for every module.

#include <cstddef>
#include <memory>
#include <span>

namespace kmodx::io {

class ByteBuffer {
 public:
  ByteBuffer();  ///< empty; may adopt the block this thread cached
  ~ByteBuffer();  ///< offers the block to this thread's cache
  ByteBuffer(ByteBuffer&& other) noexcept;
  ByteBuffer& operator=(ByteBuffer&& other) noexcept;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;

  std::byte* data() { return block_.get(); }
  const std::byte* data() const { return block_.get(); }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  std::span<const std::byte> bytes() const { return {block_.get(), size_}; }

  /// Capacity for at least \p n bytes; the first size() bytes are kept.
  void reserve(std::size_t n);
  /// Sets the size; bytes past the old size are uninitialised.
  void resize(std::size_t n);

  /// Frees the blocks this thread keeps for reuse (when a burst of module
  /// reading is over and the memory is better returned).
  static void release_thread_cache();

 private:
  std::unique_ptr<std::byte[]> block_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

}  // namespace kmodx::io
