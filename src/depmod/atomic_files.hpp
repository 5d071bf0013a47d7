// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Publishing a set of files so that readers never see a torn one: each is
// written to ".<name>.kmodx-XXXXXX" in the target directory, and only when
// all are complete are they renamed over the old files. The directory itself
// is flock()ed meanwhile, so concurrent publishers take turns, and a
// publisher removes temporary files that a killed run left behind.

#include <string>
#include <vector>

#include "kmodx/result.hpp"

namespace kmodx::depmod {

struct PendingFile {
  std::string name;
  std::string content;
};

/// Creates \p dir with its parents (mode 0755) if needed, then publishes
/// \p files (mode 0644) in order. On failure the old files stay in place and
/// no temporary file remains; the error detail is kmod's message.
Result<void> publish_files(const std::string& dir, const std::vector<PendingFile>& files);

}  // namespace kmodx::depmod
