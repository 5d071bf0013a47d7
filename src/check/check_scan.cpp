// SPDX-License-Identifier: LGPL-2.1-or-later
// Reading the modules for `kmodx check` (check_context.hpp): each file is
// opened, read as the simulated
// kernel reads it, and its signature verified, on the pool's threads. Each
// task writes only its own module.
#include "check/check_context.hpp"
#include "depmod/module_loader.hpp"
#include "kmodx/module_image.hpp"
#include "util/thread_pool.hpp"

namespace kmodx::check {

namespace {

void scan_one(ModuleFacts& m, const CheckContext& ctx) {
  // The signature covers every byte; without it the code, relocations and
  // debug sections need not be read (elf/partial_read.hpp).
  OpenOptions options;
  options.only_module_sections = !ctx.checks_signatures();
  auto image = ModuleImage::open(m.path, options);
  if (!image) {
    m.unreadable = image.error().detail;
    // depmod reads it again and reports it as it does.
    return;
  }
  // depmod's view of the same bytes, for the stale-index check.
  if (ctx.request.targets.empty()) depmod::read_module_contents(image->bytes(), m.path, m.contents.emplace());
  auto scanned = loader::scan_module(image->bytes(), m.path);
  if (!scanned) {
    m.unreadable = scanned.error().detail;
    return;
  }
  m.scanned = std::move(*scanned);
  if (ctx.checks_signatures()) m.signature = crypto::verify_module_signature(image->bytes(), ctx.keys);
}

}  // namespace

void scan_modules(CheckContext& ctx, unsigned threads) {
  ThreadPool pool(threads);
  for (ModuleFacts& m : ctx.modules) pool.submit([&m, &ctx] { scan_one(m, ctx); });
  pool.wait();
}

}  // namespace kmodx::check
