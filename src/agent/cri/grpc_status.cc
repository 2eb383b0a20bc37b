#include "agent/cri/grpc_status.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace skiff::agent::cri {

absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view rpc) {
  if (status.ok()) return absl::OkStatus();
  int code = static_cast<int>(status.error_code());
  // Both enumerations are the canonical codes 0..16; anything else is a broken peer.
  absl::StatusCode absl_code =
      (code > 0 && code <= 16) ? static_cast<absl::StatusCode>(code) : absl::StatusCode::kUnknown;
  std::string message = absl::StrCat("CRI ", rpc, ": ", status.error_message());
  return absl::Status(absl_code, message);
}

}  // namespace skiff::agent::cri
