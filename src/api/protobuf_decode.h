// Decodes Kubernetes protobuf request bodies (Content-Type: application/vnd.kubernetes.protobuf)
// into the JSON object the Kubernetes JSON codec would produce for the same Go object. kubectl's
// `create <generator>` subcommands and drain's DELETE fallback send only this encoding.
//
// Wire format: the 4-byte magic "k8s\0", then a runtime.Unknown message {typeMeta 1 {apiVersion 1,
// kind 2}, raw 2 (the object's message), contentEncoding 3, contentType 4}. The object message is
// walked with the tables of protobuf_schema.h. JSON follows Go's encoding: scalars that are zero
// are dropped unless the Go field is a pointer or not `omitempty`; nested messages present on the
// wire become objects (possibly empty, like Go's `"status":{}`); a zero Time becomes null.
//
// Thread-safety: pure function, safe to call concurrently. Ownership: returns a fresh value.
// Failure: malformed bytes (bad magic, truncated varint or length, wrong wire type, invalid
// time/quantity/int-or-string/JSON payload) -> InvalidArgument (HTTP 400). A kind, content
// encoding or non-empty field skiff has no description for -> Unimplemented (HTTP 415); the
// message names the kind or field so the user can fall back to JSON. Never crashes on any input.
#ifndef SKIFF_API_PROTOBUF_DECODE_H_
#define SKIFF_API_PROTOBUF_DECODE_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"

namespace skiff::api {

// The media type of Kubernetes protobuf bodies.
inline constexpr std::string_view kKubernetesProtobufContentType = "application/vnd.kubernetes.protobuf";

// Decodes a whole request body (magic prefix included) into a JSON object with "kind" and
// "apiVersion" taken from the envelope's typeMeta.
absl::StatusOr<boost::json::value> DecodeKubernetesProtobuf(std::string_view body);

}  // namespace skiff::api

#endif  // SKIFF_API_PROTOBUF_DECODE_H_
