// libFuzzer target for structural schemas. The input is a schema and an object, as JSON texts
// separated by a NUL byte. Invariants checked:
//   * no schema crashes or overflows the stack in Compile (nesting is capped at kMaxDepth);
//   * for a schema that compiles, Prune, Default, Validate (create and update) and the published
//     OpenAPI never crash on any object;
//   * Prune is idempotent.
// Not part of the default build (SKIFF_BUILD_FUZZERS); scripts/fuzz.sh builds and runs it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/structural/structural.h"
#include "boost/json/parse.hpp"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Parse(std::string_view text, boost::json::value* out) {
  boost::json::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 256;
  *out = boost::json::parse(text, ec, {}, options);
  return !ec;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace structural = skiff::api::structural;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t nul = text.find('\0');
  boost::json::value schema_json, object;
  if (!Parse(text.substr(0, nul), &schema_json)) return 0;
  if (nul == std::string_view::npos || !Parse(text.substr(nul + 1), &object)) object = boost::json::object();
  structural::CompileResult compiled = structural::Compile(schema_json, "openAPIV3Schema");
  auto* schema = std::get_if<std::shared_ptr<const structural::Schema>>(&compiled);
  if (schema == nullptr) return 0;
  boost::json::value old = object;
  structural::Prune(**schema, &object);
  boost::json::value pruned_once = object;
  Check(structural::Prune(**schema, &object).empty());
  Check(object == pruned_once);
  structural::Default(**schema, &object);
  structural::Validate(**schema, object, nullptr);
  structural::Validate(**schema, object, &old);
  structural::PublishedV3(**schema, "example.com", "v1", "Fuzz");
  structural::PublishedV2(**schema, "example.com", "v1", "Fuzz");
  return 0;
}
