// SlicePlanner: decides which EndpointSlices of one Service to create, update and delete so they
// hold the desired endpoints with little churn (the reconciler of Kubernetes' endpointslice
// controller): an endpoint already in a slice stays there (updated in place if it changed),
// endpoints that are gone are removed, new ones first fill slices being updated anyway, then
// other slices with room, then slices that would otherwise be deleted, and only then go to new
// slices of at most `max_endpoints_per_slice`. Slices left empty are deleted, except that a
// Service without endpoints keeps one empty placeholder slice. Nothing is planned when nothing
// differs. Pure computation: no I/O.
// Thread-safety: stateless functions. Ownership: inputs borrowed, plan returned by value.
// Failure: none; malformed existing slices are rewritten or deleted.
#ifndef SKIFF_CONTROLLERS_ENDPOINTSLICE_SLICE_PLANNER_H_
#define SKIFF_CONTROLLERS_ENDPOINTSLICE_SLICE_PLANNER_H_

#include <map>
#include <string>
#include <vector>

#include "boost/json/array.hpp"
#include "boost/json/object.hpp"
#include "boost/json/value.hpp"
#include "client/client.h"

namespace skiff::controllers::endpointslice {

// One endpoint of the desired state: `id` identifies it across slices (the pod uid).
struct DesiredEndpoint {
  std::string id;
  boost::json::object value;  // canonical form (see CanonicalEndpoint)
};

struct DesiredState {
  // Canonical port list (see CanonicalPorts) serialized -> endpoints exposing exactly those ports.
  std::map<std::string, std::vector<DesiredEndpoint>> groups;
  boost::json::object labels;           // every label of the slices
  boost::json::array owner_references;  // the Service as controller
  std::string ns;
  std::string generate_name;  // "<service>-"
  size_t max_endpoints_per_slice = 100;
};

struct SlicePlan {
  std::vector<boost::json::value> creates;  // full objects with generateName
  std::vector<boost::json::value> updates;  // existing objects (with resourceVersion) changed
  std::vector<std::string> deletes;         // names
  bool empty() const { return creates.empty() && updates.empty() && deletes.empty(); }
};

// Known fields only, defaults made explicit (name "", protocol TCP).
boost::json::array CanonicalPorts(const boost::json::value* ports);
boost::json::object CanonicalEndpoint(const boost::json::value& endpoint);
// The identity of an existing endpoint: its targetRef uid, else its first address.
std::string EndpointId(const boost::json::value& endpoint);

// `existing` are the Service's slices managed by this controller.
SlicePlan PlanSlices(const DesiredState& desired, const std::vector<client::Object>& existing);

}  // namespace skiff::controllers::endpointslice

#endif  // SKIFF_CONTROLLERS_ENDPOINTSLICE_SLICE_PLANNER_H_
