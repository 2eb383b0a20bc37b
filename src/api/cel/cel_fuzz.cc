// libFuzzer target for the CEL compiler and interpreter. Invariants checked:
//   * no input crashes or overflows the stack in Compile (parser depth and size limits);
//   * a compiled program evaluates on sample values without crashing, within a small cost budget,
//     and its result is a value or a Status (never an exception);
//   * evaluating twice gives the same outcome (programs are immutable).
// Not part of the default build (SKIFF_BUILD_FUZZERS); build by hand with -fsanitize=fuzzer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/cel/cel.h"
#include "boost/json/parse.hpp"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

std::string Outcome(const absl::StatusOr<skiff::api::cel::Value>& v) {
  return v.ok() ? v->DebugString() : std::string(v.status().message());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto program = skiff::api::cel::Compile(text, {{"self"}, {"oldSelf"}});
  if (!program.ok()) return 0;
  static const boost::json::value kSamples[] = {
      boost::json::value(),
      boost::json::parse(R"({"a": 1, "b": [1, 2.5, "x"], "c": {"d": true}, "s": "héllo"})"),
      boost::json::parse(R"([3, 1, 2])"),
      boost::json::parse(R"("2023-01-01T00:00:00Z")"),
  };
  for (const auto& sample : kSamples) {
    skiff::api::cel::Bindings bindings = {{"self", &sample}, {"oldSelf", &sample}};
    auto first = (*program)->Evaluate(bindings, 10000);
    auto second = (*program)->Evaluate(bindings, 10000);
    Check(first.ok() == second.ok());
    Check(Outcome(first) == Outcome(second));
  }
  return 0;
}
