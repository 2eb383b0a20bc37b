// Selection: turns a request's labelSelector / fieldSelector into a watch-cache ObjectFilter, with
// the per-kind selectable fields Kubernetes supports (metadata.name and metadata.namespace for
// every kind; pods spec.nodeName and status.phase; events involvedObject.*; ...).
// Thread-safety: pure functions; the returned filter is immutable. Failure: a malformed selector or
// an unsupported field is a 400 BadRequest Status (`field label not supported: X`).
#ifndef SKIFF_APISERVER_SELECTION_H_
#define SKIFF_APISERVER_SELECTION_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "api/resources.h"
#include "apiserver/watch_cache.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver {

struct Selection {
  ObjectFilter filter;              // null when nothing is selected on
  std::string exact_name;           // set when fieldSelector pins metadata.name
};

absl::StatusOr<Selection> BuildSelection(const api::ResourceInfo& resource, const std::string& label_selector,
                                         const std::string& field_selector);

// The watch cache's FieldIndexer for every resource of the catalogue: records the values of all
// selectable fields of each object version once, so selector filters never parse objects.
FieldIndexer CatalogueFieldIndexer();

// The value of a selectable field of `object`, or nullopt if the kind does not support it.
std::optional<std::string> SelectableField(const api::ResourceInfo& resource, const boost::json::value& object,
                                           std::string_view field);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_SELECTION_H_
