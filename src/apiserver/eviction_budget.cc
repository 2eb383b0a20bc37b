#include "apiserver/eviction_budget.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "api/label_selector.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "base/json.h"
#include "http/errors.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

const api::ResourceInfo& PdbResource() {
  static const api::ResourceInfo* r = api::FindResource("policy", "v1", "poddisruptionbudgets");
  return *r;
}

const api::ResourceInfo& PodResource() {
  static const api::ResourceInfo* r = api::FindResource("", "v1", "pods");
  return *r;
}

absl::Status BudgetViolation(const std::string& cause) {
  api::ApiError e{429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget."};
  e.causes.push_back({"DisruptionBudget", cause, ""});
  return api::ToStatus(e);
}

// The budgets of `ns` whose selector matches the pod's labels.
std::vector<json::value> MatchingBudgets(ResourceStorage* storage, const std::string& ns,
                                         const json::value& pod) {
  std::string prefix = ResourcePrefix(PdbResource().group, PdbResource().plural);
  bool more = false;
  auto listed = storage->cache()->List(prefix, ObjectKey(prefix, ns, ""), nullptr, "", 0, &more);
  const json::value* labels = api::Labels(pod);
  std::vector<json::value> out;
  for (const auto& obj : listed.objects) {
    json::value pdb = obj->Parse();
    const json::value* selector = base::FindPath(pdb, {"spec", "selector"});
    auto parsed = api::LabelSelector::FromJson(selector ? *selector : json::value(nullptr));
    if (parsed.ok() && parsed->Matches(labels)) out.push_back(std::move(pdb));
  }
  return out;
}

}  // namespace

absl::Status ChargeDisruptionBudget(ResourceStorage* storage, const base::Clock& clock, const std::string& ns,
                                    const std::string& pod_name, bool dry_run) {
  auto pod_obj = storage->Get(PodResource(), ns, pod_name);
  if (!pod_obj.ok()) return pod_obj.status();
  json::value pod = (*pod_obj)->Parse();
  std::string phase = api::PodPhase(pod);
  if (api::IsBeingDeleted(pod) || phase == "Pending" || phase == "Succeeded" || phase == "Failed") {
    return absl::OkStatus();
  }
  std::vector<json::value> budgets = MatchingBudgets(storage, ns, pod);
  if (budgets.empty()) return absl::OkStatus();
  if (budgets.size() > 1) {
    return api::ToStatus(
        api::ApiError{500, "InternalError",
                 "This pod has more than one PodDisruptionBudget, which the eviction subresource does "
                 "not support."});
  }
  const json::value& budget = budgets.front();
  std::string budget_name = api::Name(budget);
  if (!api::IsPodReady(pod)) {
    std::string policy = base::GetString(budget, {"spec", "unhealthyPodEvictionPolicy"}, "IfHealthyBudget");
    if (policy == "AlwaysAllow" || base::GetInt(budget, {"status", "currentHealthy"}) >=
                                       base::GetInt(budget, {"status", "desiredHealthy"})) {
      return absl::OkStatus();
    }
  }
  WriteOptions options;
  options.dry_run = dry_run;
  options.subresource = "status";
  options.field_manager = "eviction";
  auto updated = storage->Update(
      PdbResource(), ns, budget_name,
      [&](const ObjectPtr& current) -> absl::StatusOr<json::value> {
        json::value obj = current->Parse();
        if (base::GetInt(obj, {"status", "observedGeneration"}) < api::Generation(obj)) {
          return BudgetViolation(absl::StrCat("The disruption budget ", budget_name,
                                              " is still being processed by the server."));
        }
        int64_t allowed = base::GetInt(obj, {"status", "disruptionsAllowed"});
        if (allowed < 0) return api::ForbiddenError("pdb disruptions allowed is negative");
        if (allowed == 0) {
          return BudgetViolation(absl::StrCat("The disruption budget ", budget_name, " needs ",
                                              base::GetInt(obj, {"status", "desiredHealthy"}),
                                              " healthy pods and has ",
                                              base::GetInt(obj, {"status", "currentHealthy"}), " currently"));
        }
        json::object& status = base::EnsureObject(obj, {"status"});
        status["disruptionsAllowed"] = allowed - 1;
        base::EnsureObject(obj, {"status", "disruptedPods"})[pod_name] = base::FormatRfc3339(clock.Now());
        base::EnsureObject(obj, {"metadata"}).erase("resourceVersion");
        return obj;
      },
      options, /*retry_on_conflict=*/true);
  return updated.status();
}

}  // namespace skiff::apiserver
