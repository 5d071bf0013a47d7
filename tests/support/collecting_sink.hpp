// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// A DiagnosticSink that keeps what it is told, for tests of library code
// that reports through a sink.

#include <string>
#include <vector>

#include "kmodx/diag.hpp"

namespace kmodx::test {

class CollectingSink final : public DiagnosticSink {
 public:
  void report(Severity severity, std::string_view message) override {
    messages.push_back({severity, std::string(message)});
  }
  std::vector<std::string> texts() const {
    std::vector<std::string> out;
    for (const auto& m : messages) out.push_back(m.text);
    return out;
  }

  struct Message {
    Severity severity;
    std::string text;
  };
  std::vector<Message> messages;
};

}  // namespace kmodx::test
