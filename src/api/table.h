// Table conversion for `kubectl get`: the server-side printing of each built-in kind into a
// meta.k8s.io/v1 Table (column definitions + one row of cells per object), with the columns
// kubectl shows for the real Kubernetes kinds (see kubectl-wire §6) and Name/Created At otherwise.
// The per-kind printers live in table_*.cc (see table_internal.h); cells follow Kubernetes 1.32's
// pkg/printers/internalversion, always with the wide (priority 1) cells, as the real server sends.
// Thread-safety: pure functions. Ownership: returns values. Never fails: missing fields print as
// Kubernetes prints them ("<none>", 0, "").
#ifndef SKIFF_API_TABLE_H_
#define SKIFF_API_TABLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "api/resources.h"
#include "boost/json/value.hpp"

namespace skiff::api {

enum class IncludeObject { kNone, kMetadata, kObject };
IncludeObject ParseIncludeObject(std::string_view value);  // default Metadata

struct TableOptions {
  IncludeObject include_object = IncludeObject::kMetadata;
  bool include_column_definitions = true;
  absl::Time now;
  std::string resource_version;  // list metadata
  std::string continue_token;
  std::optional<int64_t> remaining_item_count;  // list metadata.remainingItemCount, when known
};

// `objects` are full objects (with apiVersion/kind).
boost::json::value ToTable(const ResourceInfo& resource, const std::vector<const boost::json::value*>& objects,
                           const TableOptions& options);

}  // namespace skiff::api

#endif  // SKIFF_API_TABLE_H_
