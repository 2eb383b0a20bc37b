// Helpers for the structural-schema unit tests: compile a schema from JSON text and render errors
// as kube prints them. Thread-safety: test code. Ownership: values. Failure: gtest assertions.
#ifndef SKIFF_API_STRUCTURAL_TEST_UTIL_H_
#define SKIFF_API_STRUCTURAL_TEST_UTIL_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/structural/structural.h"
#include "boost/json/parse.hpp"
#include "gtest/gtest.h"

namespace skiff::api::structural::testing {

inline constexpr std::string_view kPrefix = "spec.versions[0].schema.openAPIV3Schema";

inline std::vector<std::string> Format(const std::vector<FieldError>& errors) {
  std::vector<std::string> out;
  for (const FieldError& e : errors) out.push_back(FormatFieldError(e));
  return out;
}

// The compile errors of `schema_json` (empty when it compiles).
inline std::vector<std::string> CompileErrors(std::string_view schema_json, CompileOptions options = {}) {
  CompileResult r = Compile(boost::json::parse(schema_json), kPrefix, options);
  if (auto* errors = std::get_if<std::vector<FieldError>>(&r)) return Format(*errors);
  return {};
}

inline std::shared_ptr<const Schema> MustCompile(std::string_view schema_json) {
  CompileResult r = Compile(boost::json::parse(schema_json), kPrefix);
  if (auto* errors = std::get_if<std::vector<FieldError>>(&r)) {
    for (const std::string& e : Format(*errors)) ADD_FAILURE() << e;
    return std::make_shared<Schema>();
  }
  return std::get<std::shared_ptr<const Schema>>(r);
}

// A root schema {type: object, properties: {spec: <spec_json>}}.
inline std::shared_ptr<const Schema> SpecSchema(std::string_view spec_json) {
  return MustCompile(std::string(R"({"type":"object","properties":{"spec":)") + std::string(spec_json) + "}}");
}

inline std::vector<std::string> ValidateErrors(const Schema& schema, std::string_view object_json) {
  return Format(Validate(schema, boost::json::parse(object_json), nullptr));
}

}  // namespace skiff::api::structural::testing

#endif  // SKIFF_API_STRUCTURAL_TEST_UTIL_H_
