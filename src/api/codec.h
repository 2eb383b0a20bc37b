// Request body decoding: JSON, YAML (apply patches, `application/yaml`) and Kubernetes protobuf,
// chosen by Content-Type, into the JSON object model.
// Thread-safety: pure functions. Failure: malformed bodies -> InvalidArgument naming the position
// (the API answers 400); unsupported content types -> Unimplemented (415).
#ifndef SKIFF_API_CODEC_H_
#define SKIFF_API_CODEC_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"

namespace skiff::api {

// The media type without parameters, lower-cased ("application/json").
std::string MediaType(std::string_view content_type);

absl::StatusOr<boost::json::value> DecodeBody(std::string_view content_type, std::string_view body);

// YAML (a single document) to JSON. Quoted scalars stay strings; plain scalars become numbers,
// booleans or null where YAML 1.2's core schema says so.
absl::StatusOr<boost::json::value> YamlToJson(std::string_view yaml);

}  // namespace skiff::api

#endif  // SKIFF_API_CODEC_H_
