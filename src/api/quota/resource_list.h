// ResourceList: Kubernetes' corev1.ResourceList (resource name -> Quantity) and the arithmetic
// quota and limit-range checks need: sums, non-negative differences, masks, comparisons, and the
// "name=value,..." text of quota messages.
// Names are kept sorted (std::map), which is the order Kubernetes prints them in.
// Thread-safety: value type. Failure: FromJson skips entries that are not quantities (schema
// validation rejects those before admission); arithmetic saturates rather than fail.
#ifndef SKIFF_API_QUOTA_RESOURCE_LIST_H_
#define SKIFF_API_QUOTA_RESOURCE_LIST_H_

#include <map>
#include <set>
#include <string>

#include "api/quantity.h"
#include "boost/json/value.hpp"

namespace skiff::api::quota {

using ResourceList = std::map<std::string, Quantity, std::less<>>;
using ResourceNames = std::set<std::string, std::less<>>;

// A JSON object of quantities (`requests`, `spec.hard` ...); null or a non-object gives {}.
ResourceList FromJson(const boost::json::value* list);
boost::json::object ToJson(const ResourceList& list);

ResourceNames Names(const ResourceList& list);
// a + b for every name in either.
ResourceList Add(const ResourceList& a, const ResourceList& b);
void AddTo(ResourceList& into, const ResourceList& add);
// a - b per name of a, never below zero (Kubernetes' SubtractWithNonNegativeResult).
ResourceList SubtractNonNegative(const ResourceList& a, const ResourceList& b);
// The entries of `list` whose names are in `names`.
ResourceList Mask(const ResourceList& list, const ResourceNames& names);
bool IsZero(const ResourceList& list);
// Names whose value in `a` is above the value in `b` (a name missing from b is not compared).
ResourceNames Exceeding(const ResourceList& a, const ResourceList& b);
// "pods=1,requests.cpu=500m": sorted names, canonical quantities.
std::string PrettyPrint(const ResourceList& list);

}  // namespace skiff::api::quota

#endif  // SKIFF_API_QUOTA_RESOURCE_LIST_H_
