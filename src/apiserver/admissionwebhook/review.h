// AdmissionReview (admission.k8s.io/v1, or v1beta1 for webhooks that accept only that): the
// request body sent to a webhook and the checks on its answer, as kube-apiserver makes them.
// skiff admits a subresource write (pods/status, deployments/scale) on the whole object, so the
// review's kind and object are the parent resource's for subresources too.
// Thread-safety: pure functions. Ownership: values; ReviewRequest borrows what it points to.
// Failure: ParseReviewResponse returns InvalidArgument with kube's wording for an answer that is
// not a usable AdmissionReview (wrong apiVersion/kind, no response, another uid, a patch without
// patchType JSONPatch, a patch from a validating webhook, a patch that is not a JSON array).
#ifndef SKIFF_APISERVER_ADMISSIONWEBHOOK_REVIEW_H_
#define SKIFF_APISERVER_ADMISSIONWEBHOOK_REVIEW_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/resources.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::admissionwebhook {

struct ReviewUser {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;
};

struct ReviewRequest {
  std::string uid;
  const api::ResourceInfo* resource = nullptr;          // the version the webhook is sent
  const api::ResourceInfo* request_resource = nullptr;  // the version of the request
  std::string subresource;
  std::string name;
  std::string ns;
  std::string operation;  // CREATE, UPDATE, DELETE, CONNECT
  std::optional<ReviewUser> user;
  const boost::json::value* object = nullptr;      // null for DELETE; a CONNECT's options
  const boost::json::value* old_object = nullptr;  // null for CREATE and CONNECT
  bool dry_run = false;
  boost::json::value options;  // CreateOptions/UpdateOptions/DeleteOptions or a CONNECT's options
};

// {"apiVersion":"admission.k8s.io/<version>","kind":"AdmissionReview","request":{...}}.
boost::json::value BuildReview(const ReviewRequest& request, std::string_view version);

// The options object kube sends for an operation: {"kind":"CreateOptions",
// "apiVersion":"meta.k8s.io/v1"} (dryRun ["All"] when dry); null for CONNECT.
boost::json::value OperationOptions(std::string_view operation, bool dry_run);

struct ReviewResponse {
  bool allowed = false;
  boost::json::value status;  // response.status, or null
  std::optional<boost::json::value> patch;  // the decoded JSONPatch operations
  std::vector<std::string> warnings;
  std::map<std::string, std::string> audit_annotations;
};

absl::StatusOr<ReviewResponse> ParseReviewResponse(std::string_view body, std::string_view version,
                                                   std::string_view uid, bool mutating);

}  // namespace skiff::apiserver::admissionwebhook

#endif  // SKIFF_APISERVER_ADMISSIONWEBHOOK_REVIEW_H_
