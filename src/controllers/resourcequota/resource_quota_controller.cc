#include "controllers/resourcequota/resource_quota_controller.h"

#include <optional>
#include <vector>

#include "api/quota/usage.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "client/informer.h"
#include "client/shared_informers.h"
#include "controllers/workload/object_cache.h"

namespace skiff::controllers {
namespace {

namespace json = boost::json;
namespace quota = api::quota;

const api::ResourceInfo& Quotas() { return client::Resource("", "v1", "resourcequotas"); }

// Core kinds quotas count under their own names; followed from the start.
constexpr const char* kCoreCounted[] = {"pods",          "services", "persistentvolumeclaims",
                                        "configmaps",    "secrets",  "replicationcontrollers",
                                        "resourcequotas"};

// The served namespaced resource of `group`/`plural` (preferred version first), or null.
const api::ResourceInfo* FindCounted(absl::string_view group, absl::string_view plural) {
  for (const auto& r : api::AllResources()) {
    if (r.namespaced && r.group == group && r.plural == plural) return &r;
  }
  return nullptr;
}

// The kinds a quota's spec.hard may count: the core kinds and those its count/<resource>.<group> name.
std::vector<const api::ResourceInfo*> CandidateKinds(const quota::ResourceList& hard) {
  std::vector<const api::ResourceInfo*> out;
  for (const char* plural : kCoreCounted) out.push_back(FindCounted("", plural));
  for (const auto& [name, q] : hard) {
    if (name.rfind("count/", 0) != 0) continue;
    std::string rest = name.substr(6);
    auto dot = rest.find('.');
    std::string plural = rest.substr(0, dot);
    std::string group = dot == std::string::npos ? "" : rest.substr(dot + 1);
    const api::ResourceInfo* r = FindCounted(group, plural);
    bool known = false;
    for (const auto* k : out) known = known || k == r;
    if (r && !known) out.push_back(r);
  }
  return out;
}

// When a deleting pod's grace period ends (it stops counting then), if it is still ahead.
std::optional<absl::Time> GraceEnds(const json::value& pod, absl::Time now) {
  std::string deletion = base::GetString(pod, {"metadata", "deletionTimestamp"});
  absl::Time at;
  if (deletion.empty() || !base::ParseRfc3339(deletion, &at)) return std::nullopt;
  at += absl::Seconds(base::GetInt(pod, {"metadata", "deletionGracePeriodSeconds"}));
  if (at < now) return std::nullopt;
  return at;
}

}  // namespace

ResourceQuotaController::ResourceQuotaController(const client::ControllerContext& context, Options options)
    : context_(context), options_(options), quotas_(&context.informers->For(Quotas())) {
  if (!options_.clock) options_.clock = &base::RealClock();
}

ResourceQuotaController::~ResourceQuotaController() { Stop(); }

void ResourceQuotaController::Start() {
  controller_ = std::make_unique<client::Controller>("resourcequota", this, options_.workers);
  quotas_->AddIndex(kNamespaceIndex, NamespaceIndexValues);
  client::InformerHandlers handlers;
  handlers.on_add = [this](const client::Object& q) { controller_->queue().Add(client::KeyOf(*q)); };
  handlers.on_update = [this](const client::Object& old_q, const client::Object& q) {
    // Our own status writes change nothing to count.
    if (base::FindPath(*old_q, {"spec"}) == nullptr || base::FindPath(*q, {"spec"}) == nullptr ||
        *base::FindPath(*old_q, {"spec"}) != *base::FindPath(*q, {"spec"}) ||
        base::FindPath(*q, {"status"}) == nullptr) {
      controller_->queue().Add(client::KeyOf(*q));
    }
  };
  quotas_->AddHandlers(std::move(handlers));
  // The informers of counted kinds are made when a quota first counts them (Reconcile), not here:
  // a cluster without quotas on ConfigMaps need not index every ConfigMap by namespace.
  controller_->Start();
}

void ResourceQuotaController::Stop() {
  if (controller_) controller_->Stop();
}

client::Informer* ResourceQuotaController::CountedInformer(const api::ResourceInfo& resource) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string id = resource.plural + "." + resource.group;
  if (auto it = counted_.find(id); it != counted_.end()) return it->second;
  client::Informer* informer = &context_.informers->For(resource);
  informer->AddIndex(kNamespaceIndex, NamespaceIndexValues);
  auto recount = [this](const client::Object& obj) {
    EnqueueNamespace(base::GetString(*obj, {"metadata", "namespace"}));
  };
  client::InformerHandlers handlers;
  handlers.on_add = recount;
  handlers.on_update = [recount](const client::Object&, const client::Object& obj) { recount(obj); };
  handlers.on_delete = recount;
  informer->AddHandlers(std::move(handlers));
  counted_[id] = informer;
  return informer;
}

void ResourceQuotaController::EnqueueNamespace(const std::string& ns) {
  if (ns.empty() || !controller_) return;
  for (const auto& q : quotas_->ByIndex(kNamespaceIndex, ns)) controller_->queue().Add(client::KeyOf(*q));
}

client::ReconcileResult ResourceQuotaController::Reconcile(const std::string& key) {
  client::Object current = quotas_->Get(key);
  if (!current) return {};
  const json::value& q = *current;
  std::string ns = base::GetString(q, {"metadata", "namespace"});
  quota::ResourceList hard = quota::FromJson(base::FindPath(q, {"spec", "hard"}));
  auto scopes = quota::QuotaScopes(q);
  absl::Time now = options_.clock->Now();
  absl::Duration requeue = options_.resync;
  quota::ResourceList used;
  for (const auto& [name, limit] : hard) used[name] = api::Quantity();
  for (const api::ResourceInfo* r : CandidateKinds(hard)) {
    if (!r) continue;
    quota::Kind kind{r->group, r->plural};
    quota::ResourceNames tracked = quota::TrackedNames(kind, hard);
    if (tracked.empty()) continue;
    client::Informer* informer = CountedInformer(*r);
    if (!informer->HasSynced()) return {absl::OkStatus(), absl::Seconds(1)};
    for (const auto& obj : informer->ByIndex(kNamespaceIndex, ns)) {
      quota::Charge charge = quota::ChargeOf(kind, *obj, now);
      if (!quota::MatchesScopes(scopes, charge)) continue;
      quota::AddTo(used, quota::Mask(charge.usage, tracked));
      if (charge.pod) {
        if (auto ends = GraceEnds(*obj, now))
          requeue = std::min(requeue, *ends - now + absl::Milliseconds(100));
      }
    }
  }
  json::value status = json::object{{"hard", quota::ToJson(hard)}, {"used", quota::ToJson(used)}};
  const json::value* old_status = base::FindPath(q, {"status"});
  if (old_status && *old_status == status) return {absl::OkStatus(), requeue};
  json::value updated = q;
  updated.as_object()["status"] = std::move(status);
  auto written = context_.client->Update(Quotas(), ns, std::move(updated), "status");
  if (!written.ok()) {
    if (client::HttpCode(written.status()) == 404) return {};  // deleted meanwhile
    return {written.status()};                                 // a conflict: our cache is behind; retried
  }
  return {absl::OkStatus(), requeue};
}

std::unique_ptr<client::Runnable> NewResourceQuotaController(const client::ControllerContext& context) {
  return std::make_unique<ResourceQuotaController>(context, ResourceQuotaController::Options{});
}

}  // namespace skiff::controllers
