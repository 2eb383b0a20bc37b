// Conversion of gRPC call results to absl::Status for the CRI client (internal to
// skiff_agent_cri; includes gRPC headers, so the rest of the agent should not include it).
// Thread-safety: pure functions. Failures: none (a status is the result).
#ifndef SKIFF_AGENT_CRI_GRPC_STATUS_H_
#define SKIFF_AGENT_CRI_GRPC_STATUS_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace skiff::agent::cri {

// Keeps the canonical code (gRPC and absl share the numbering) and prefixes "CRI <rpc>: ".
absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view rpc);

}  // namespace skiff::agent::cri

#endif  // SKIFF_AGENT_CRI_GRPC_STATUS_H_
