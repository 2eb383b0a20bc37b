// libFuzzer target for the selector and quantity parsers. Invariants checked:
//   * no input crashes Parse (label selector, field selector, quantity);
//   * a parsed label selector's String() parses again to an equal selector with the same String()
//     and the same verdict on sample label sets;
//   * a field selector's String() parses again to the same requirements (order aside);
//   * a quantity's String() parses again to the same value and text.
// Not part of the default build (SKIFF_BUILD_FUZZERS); build by hand with -fsanitize=fuzzer.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "api/field_selector.h"
#include "api/label_selector.h"
#include "api/quantity.h"
#include "boost/json/parse.hpp"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void FuzzLabelSelector(std::string_view text) {
  absl::StatusOr<skiff::api::LabelSelector> first = skiff::api::LabelSelector::Parse(text);
  if (!first.ok()) return;
  std::string canonical = first->String();
  absl::StatusOr<skiff::api::LabelSelector> second = skiff::api::LabelSelector::Parse(canonical);
  Check(second.ok());
  Check(*first == *second);
  Check(second->String() == canonical);
  static const boost::json::value kSamples[] = {
      boost::json::value(),
      boost::json::parse(R"({"a":"b","x":"5","in":"in","":""})"),
      boost::json::parse(R"({"app":"web","tier":"","n":"-3"})"),
  };
  for (const boost::json::value& labels : kSamples)
    Check(first->Matches(&labels) == second->Matches(&labels));
}

void FuzzFieldSelector(std::string_view text) {
  absl::StatusOr<skiff::api::FieldSelector> first = skiff::api::FieldSelector::Parse(text);
  if (!first.ok()) return;
  absl::StatusOr<skiff::api::FieldSelector> second = skiff::api::FieldSelector::Parse(first->String());
  Check(second.ok());
  auto key = [](const skiff::api::FieldRequirement& r) { return std::tie(r.field, r.negated, r.value); };
  auto sorted = [&](std::vector<skiff::api::FieldRequirement> v) {
    std::sort(v.begin(), v.end(), [&](const auto& a, const auto& b) { return key(a) < key(b); });
    return v;
  };
  Check(sorted(first->Requirements()) == sorted(second->Requirements()));
}

void FuzzQuantity(std::string_view text) {
  absl::StatusOr<skiff::api::Quantity> first = skiff::api::Quantity::Parse(text);
  if (!first.ok()) return;
  std::string canonical = first->String();
  absl::StatusOr<skiff::api::Quantity> second = skiff::api::Quantity::Parse(canonical);
  Check(second.ok());
  Check(*first == *second);
  Check(second->String() == canonical);
  (void)first->Value();
  (void)first->MilliValue();
  skiff::api::Quantity sum = *first;
  (void)sum.Add(*second);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  FuzzLabelSelector(text);
  FuzzFieldSelector(text);
  FuzzQuantity(text);
  return 0;
}
