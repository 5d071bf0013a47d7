// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Publishing a set of files so that readers never see a torn one: each is
// written to a temporary file in the target directory, named as kmod 30
// names them ("<name>.<pid>.<usec>.<sec>"), and only when all are complete
// are they renamed over the old files, one rename each. A reader (or a
// crash) between two renames sees some files old and the others new, each
// of them whole; an error before the renames leaves every old file. The
// directory is flock()ed meanwhile, so concurrent kmodx runs take turns, and
// temporaries that a killed run left behind (their pid no longer alive) are
// removed by the next run.

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kmodx/diag.hpp"
#include "kmodx/result.hpp"

namespace kmodx::depmod {

struct PendingFile {
  std::string name;
  std::string content;
  /// When not empty, the file is these pieces, back to back, instead of
  /// `content`; they point into what `keep` holds, so that a PendingFile
  /// may be moved or copied freely.
  std::vector<std::span<const std::byte>> pieces;
  std::vector<std::shared_ptr<const void>> keep;
};

enum class PublishOutcome {
  published,  ///< every file was renamed into place
  skipped,    ///< a temporary file could not be created: reported, nothing
              ///< published, and like kmod depmod still succeeds
  failed,     ///< a temporary file could not be written: reported; depmod fails
};

/// Creates \p dir with its parents (mode 0755) if needed, then publishes
/// \p files (mode 0644). Per-file problems are reported to \p sink as kmod's
/// ERROR lines and give `skipped` or `failed`. The error is what kmod ends
/// on (its FATAL): the directory cannot be created or opened, or a rename
/// fails; its detail is kmod's text ("could not create directory …",
/// "renameat(…): …"). Unless the outcome is `published`, no temporary file
/// remains and the old files are untouched, except after a rename that fails
/// although the target is no directory (the files renamed before it are
/// new, as in kmod).
Result<PublishOutcome> publish_files(const std::string& dir, const std::vector<PendingFile>& files,
                                     DiagnosticSink& sink);

}  // namespace kmodx::depmod
