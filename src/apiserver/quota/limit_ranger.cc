#include "apiserver/quota/limit_ranger.h"

#include <string>

#include "api/quota/validation.h"
#include "api/validation.h"
#include "apiserver/quota/forbidden.h"
#include "apiserver/quota/limits.h"
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
  std::vector<boost::json::value> out;
  sources_->List("", "limitranges", std::string_view(ns.data(), ns.size()),
                 [&](std::string_view, int64_t, std::string_view json) {
                   if (auto parsed = base::ParseJson(json); parsed.ok()) out.push_back(std::move(*parsed));
                 });
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
    return api::InvalidObjectStatus(*request.resource, std::string(request.name), errors);
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
