#include "apiserver/quota/limit_ranger.h"

#include <string>

#include "api/quota/validation.h"
#include "apiserver/quota/forbidden.h"
#include "apiserver/quota/limits.h"
#include "apiserver/schema_admission.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::quota {
namespace {

bool IsCore(const AdmissionRequest& request, const char* plural) {
  return request.resource->group.empty() && request.resource->plural == plural;
}

bool IsPodCreate(const AdmissionRequest& request) {
  return IsCore(request, "pods") && request.operation == AdmissionOperation::kCreate;
}

}  // namespace

std::vector<boost::json::value> LimitRanger::LimitRanges(absl::string_view ns) const {
  std::string prefix = ResourcePrefix("", "limitranges");
  bool more = false;
  auto list = cache_->List(prefix, ObjectKey(prefix, std::string(ns), ""), nullptr, "", 0, &more);
  std::vector<boost::json::value> out;
  for (const auto& obj : list.objects) out.push_back(obj->Parse());
  return out;
}

absl::Status LimitRanger::Mutate(const AdmissionRequest& request, boost::json::value& obj,
                                 const boost::json::value* old, bool* changed) {
  (void)old;
  if (!request.subresource.empty() || !IsPodCreate(request)) return absl::OkStatus();
  for (const auto& limit_range : LimitRanges(request.ns)) {
    if (ApplyLimitRangeDefaults(limit_range, obj)) *changed = true;
  }
  return absl::OkStatus();
}

absl::Status LimitRanger::Validate(const AdmissionRequest& request, const boost::json::value* obj,
                                   const boost::json::value* old) {
  if (!obj || !request.subresource.empty()) return absl::OkStatus();
  if (IsCore(request, "limitranges")) {
    auto errors = api::quota::ValidateLimitRange(*obj);
    if (errors.empty()) return absl::OkStatus();
    return InvalidObjectStatus(*request.resource, std::string(request.name), errors);
  }
  bool claim = IsCore(request, "persistentvolumeclaims");
  if (!IsPodCreate(request) && !claim) return absl::OkStatus();
  if (old && base::FindPath(*old, {"metadata", "deletionTimestamp"})) return absl::OkStatus();
  // Each LimitRange is checked on its own; the first one violated refuses the write.
  for (const auto& limit_range : LimitRanges(request.ns)) {
    auto violations = claim ? ClaimLimitViolations(limit_range, *obj) : PodLimitViolations(limit_range, *obj);
    if (!violations.empty()) return Forbidden(request, AggregateMessage(violations));
  }
  return absl::OkStatus();
}

}  // namespace skiff::apiserver::quota
