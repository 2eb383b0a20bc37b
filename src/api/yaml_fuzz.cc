// libFuzzer target for the request body decoders (api/codec.h). Invariants checked:
//   * no input crashes, hangs or exhausts memory in YamlToJson or DecodeBody (YAML, JSON and
//     apply-patch media types);
//   * a decoded document serializes to JSON that parses back to an equal value (doubles within
//     rounding);
//   * alias expansion stays within its budget: the JSON text is at most a bounded multiple of the
//     input (escaping may grow a byte to six; copies cost at most 1 MiB + 8x the input).
// Built by scripts/fuzz.sh (SKIFF_BUILD_FUZZERS) into build-fuzz/fuzz/yaml_fuzz.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/codec.h"
#include "base/json.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

// Equal, except that doubles may differ in the last bits: Boost.JSON 1.81 does not parse every
// double exactly back to the value it printed.
bool Same(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() && b.is_double()) {
    double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-15 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.is_array() && b.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!Same(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object() && b.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& kv : x) {
      const boost::json::value* other = y.if_contains(kv.key());
      if (!other || !Same(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

void CheckDecoded(std::string_view input, const absl::StatusOr<boost::json::value>& decoded) {
  if (!decoded.ok()) return;
  std::string text = skiff::base::ToJson(*decoded);
  Check(text.size() <= 6 * (2 * 1024 * 1024 + 64 * input.size()));
  absl::StatusOr<boost::json::value> again = skiff::base::ParseJson(text);
  Check(again.ok());
  Check(Same(*again, *decoded));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckDecoded(input, skiff::api::YamlToJson(input));
  CheckDecoded(input, skiff::api::DecodeBody("application/apply-patch+yaml", input));
  (void)skiff::api::DecodeBody("application/json", input);
  return 0;
}
