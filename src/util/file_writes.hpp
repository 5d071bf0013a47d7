// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Writing files: the one place for write loops, mkdir -p and replacing a
// file so that a reader or a crash sees the old content or the new, never
// half. Thread safety: none needed (no shared state); concurrent writers of
// one path get one whole version each, the last rename winning.

#include <string>
#include <string_view>

#include "kmodx/result.hpp"

namespace kmodx {

/// Writes all of \p data to \p fd (retrying short writes and EINTR); the
/// error carries errno and names \p path.
Result<void> write_all(int fd, std::string_view data, const std::string& path);

/// mkdir -p \p dir with mode 0755 for what it creates; ENOTDIR when \p dir
/// exists and is no directory. The error names \p dir.
Result<void> make_directories(const std::string& dir);

/// Creates or truncates \p path (mode 0644) and writes \p data.
Result<void> write_whole_file(const std::string& path, std::string_view data);

/// Writes \p data to a temporary beside \p path, fsyncs it and renames it
/// over \p path: readers and crashes see the old or the new file, never half.
Result<void> write_file_atomic(const std::string& path, std::string_view data);

/// What replace_output() could not do, with errno.
struct OutputFailure {
  enum Step { create, write } step;
  int code;
};

/// Writes \p data as the content of the output file \p path, as fopen(path,
/// "w") and a write would, but never leaves it half-written: a regular file
/// (or none) is replaced by renaming a complete temporary from its directory
/// (`.<name>.<pid>.<n>`, mode 0666 less the umask, as fopen creates); where no temporary can be
/// made there but \p path itself is writable, it is truncated and written in
/// place; anything else (a device such as /dev/stdout, a FIFO) is written in
/// place. The parent directory must exist.
Result<void> replace_output(const std::string& path, std::string_view data, OutputFailure* failure);

}  // namespace kmodx
