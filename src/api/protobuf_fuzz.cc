// libFuzzer target for DecodeKubernetesProtobuf (not built by CMake by default). Build e.g.:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address -Isrc src/api/protobuf_fuzz.cc
//     src/api/protobuf_decode.cc src/api/protobuf_schema*.cc src/base/json.cc
//     -lprotobuf -labsl_* -lboost_json
// Half of the inputs are decoded as whole bodies; the other half are wrapped in a valid envelope
// for one of the described kinds, so mutations reach the deep object tables quickly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/protobuf_decode.h"
#include "base/json.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace {

struct Kind {
  const char* api_version;
  const char* kind;
};

constexpr Kind kKinds[] = {
    {"apps/v1", "Deployment"},
    {"v1", "Pod"},
    {"batch/v1", "CronJob"},
    {"v1", "Service"},
    {"v1", "Secret"},
    {"v1", "ConfigMap"},
    {"v1", "DeleteOptions"},
    {"policy/v1", "Eviction"},
    {"networking.k8s.io/v1", "Ingress"},
    {"rbac.authorization.k8s.io/v1", "ClusterRole"},
};

void WriteBytesField(google::protobuf::io::CodedOutputStream& out, int number, std::string_view bytes) {
  out.WriteTag(static_cast<uint32_t>(number << 3 | 2));
  out.WriteVarint32(static_cast<uint32_t>(bytes.size()));
  out.WriteRaw(bytes.data(), static_cast<int>(bytes.size()));
}

std::string Wrap(const Kind& kind, std::string_view raw) {
  std::string type_meta;
  {
    google::protobuf::io::StringOutputStream stream(&type_meta);
    google::protobuf::io::CodedOutputStream out(&stream);
    WriteBytesField(out, 1, kind.api_version);
    WriteBytesField(out, 2, kind.kind);
  }
  std::string body("k8s\0", 4);
  {
    google::protobuf::io::StringOutputStream stream(&body);
    google::protobuf::io::CodedOutputStream out(&stream);
    WriteBytesField(out, 1, type_meta);
    WriteBytesField(out, 2, raw);
  }
  return body;
}

void Check(const std::string& body) {
  absl::StatusOr<boost::json::value> result = skiff::api::DecodeKubernetesProtobuf(body);
  if (result.ok()) {
    std::string json = skiff::base::ToJson(*result);
    if (json.empty()) __builtin_trap();
  } else if (result.status().code() != absl::StatusCode::kInvalidArgument &&
             result.status().code() != absl::StatusCode::kUnimplemented) {
    __builtin_trap();  // the contract allows only these two failure codes
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.size() < 2 || (input[0] & 1) == 0) {
    Check(std::string(input));
    return 0;
  }
  const Kind& kind = kKinds[static_cast<uint8_t>(input[1]) % std::size(kKinds)];
  Check(Wrap(kind, input.substr(2)));
  return 0;
}
