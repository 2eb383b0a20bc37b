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

// YAML (the first document) to JSON. Quoted scalars stay strings; plain scalars become numbers,
// booleans or null where YAML 1.2's core schema says so (numbers no int64/uint64/finite double
// holds stay strings). Hostile input is bounded, each case an InvalidArgument:
//   * inputs above 3 MiB (Kubernetes' request limit) are not parsed;
//   * nesting deeper than 256 levels ("nested too deeply"; yaml-cpp's own parser also stops
//     recursing at its depth guard);
//   * aliases are expanded by copying, and all copies together may cost at most 1 MiB plus 8x the
//     input size, a node costing 32 plus its scalar bytes ("document contains excessive
//     aliasing", as Kubernetes rejects "billion laughs" documents, CVE-2019-11253);
//   * more than 256Ki characters that can start a token (indicators, quotes) read ahead of the
//     parser ("too complex"): yaml-cpp queues a whole flow collection at a key position, or a
//     whole line, before parsing it, at ~250 bytes per token;
//   * scalars that are not valid UTF-8, an alias inside the node it names, non-scalar map keys.
absl::StatusOr<boost::json::value> YamlToJson(std::string_view yaml);

}  // namespace skiff::api

#endif  // SKIFF_API_CODEC_H_
