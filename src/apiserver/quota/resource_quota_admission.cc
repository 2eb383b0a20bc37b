#include "apiserver/quota/resource_quota_admission.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/quota/usage.h"
#include "api/quota/validation.h"
#include "api/validation.h"
#include "apiserver/quota/forbidden.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::quota {
namespace {

namespace json = boost::json;
using api::quota::Charge;
using api::quota::ResourceList;
using api::quota::ResourceNames;

struct QuotaView {
  std::string name;
  ResourceList hard;
  std::vector<api::quota::ScopeRequirement> scopes;
};

bool Ignored(const api::ResourceInfo& r) {
  return r.plural == "events" && (r.group.empty() || r.group == "events.k8s.io");
}

// What an object's change adds to one quota: its charge now (if the quota selects it) less its
// charge before (if the quota selected it), per name of spec.hard, never negative.
ResourceList Added(const QuotaView& q, const Charge& now, const Charge* before) {
  ResourceNames hard = api::quota::Names(q.hard);
  ResourceList added;
  if (api::quota::MatchesScopes(q.scopes, now)) added = api::quota::Mask(now.usage, hard);
  if (before && api::quota::MatchesScopes(q.scopes, *before)) {
    added = api::quota::SubtractNonNegative(added, before->usage);
  }
  return added;
}

std::string Uid(const json::value& obj) { return base::GetString(obj, {"metadata", "uid"}); }

// What the keys of one kind's objects start with in a namespace's state ("apps/deployments/").
std::string KindKey(const api::ResourceInfo& r) { return absl::StrCat(r.group, "/", r.plural, "/"); }

}  // namespace

// An admitted write the cache may not show yet.
struct Pending {
  std::string key;  // KindKey + name
  std::string uid;
  int64_t old_revision = 0;  // the version an update replaces; 0 for a create
  Charge charge;
  std::optional<Charge> old_charge;
  int64_t committed_revision = 0;  // 0 until the write is stored
};

// What the plug-in knows of one stored object version.
struct Seen {
  int64_t revision = 0;
  std::string uid;
  Charge charge;
  bool time_dependent = false;  // a pod being deleted: its charge ends with its grace period
};

struct ResourceQuotaAdmission::NamespaceState {
  std::mutex mu;
  uint64_t next_id = 1;
  std::map<uint64_t, Pending> pending;  // by reservation id
  std::map<std::string, Seen> seen;     // by KindKey + name, for the kinds counted so far
};

class ResourceQuotaAdmission::Held : public AdmissionReservation {
 public:
  Held(std::shared_ptr<NamespaceState> state, uint64_t id) : state_(std::move(state)), id_(id) {}
  ~Held() override {
    if (committed_) return;
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->pending.erase(id_);
  }
  void Commit(int64_t revision) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    committed_ = true;
    if (auto it = state_->pending.find(id_); it != state_->pending.end())
      it->second.committed_revision = revision;
  }

 private:
  std::shared_ptr<NamespaceState> state_;
  uint64_t id_;
  bool committed_ = false;
};

ResourceQuotaAdmission::ResourceQuotaAdmission(const Sources* sources, base::Clock* clock)
    : sources_(sources), clock_(clock) {}

ResourceQuotaAdmission::~ResourceQuotaAdmission() = default;

std::shared_ptr<ResourceQuotaAdmission::NamespaceState> ResourceQuotaAdmission::StateFor(
    const std::string& ns) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto& state = namespaces_[ns];
  if (!state) {
    state = std::make_shared<NamespaceState>();
    tracked_namespaces_.store(namespaces_.size(), std::memory_order_relaxed);
  }
  return state;
}

void ResourceQuotaAdmission::Forget(const std::string& ns) {
  if (tracked_namespaces_.load(std::memory_order_relaxed) == 0) return;  // the common case: no lock
  std::lock_guard<std::mutex> lock(mu_);
  if (namespaces_.erase(ns)) tracked_namespaces_.store(namespaces_.size(), std::memory_order_relaxed);
}

size_t ResourceQuotaAdmission::PendingCount(const std::string& ns) const {
  auto state = StateFor(ns);
  std::lock_guard<std::mutex> lock(state->mu);
  return state->pending.size();
}

absl::Status ResourceQuotaAdmission::Validate(const AdmissionRequest& request, const json::value* obj,
                                              const json::value* old) {
  if (!obj || !request.subresource.empty()) return absl::OkStatus();
  const api::ResourceInfo& r = *request.resource;
  if (!r.namespaced || request.ns.empty() || Ignored(r)) return absl::OkStatus();
  if (r.group.empty() && r.plural == "resourcequotas") {
    auto errors = api::quota::ValidateResourceQuota(*obj);
    if (!errors.empty()) return api::InvalidObjectStatus(r, std::string(request.name), errors);
  }
  const std::string ns(request.ns);
  const api::quota::Kind kind{r.group, r.plural};

  // The quotas of the namespace that track this kind and select this object.
  std::vector<json::value> quotas;
  sources_->List("", "resourcequotas", ns, [&](std::string_view, int64_t, std::string_view text) {
    if (auto parsed = base::ParseJson(text); parsed.ok()) quotas.push_back(std::move(*parsed));
  });
  if (quotas.empty()) {
    Forget(ns);
    return absl::OkStatus();
  }
  absl::Time now = clock_->Now();
  Charge charge = api::quota::ChargeOf(kind, *obj, now);
  std::optional<Charge> old_charge;
  if (old) old_charge = api::quota::ChargeOf(kind, *old, now);
  bool pod_create = r.group.empty() && r.plural == "pods" && request.operation == AdmissionOperation::kCreate;
  std::vector<std::pair<QuotaView, ResourceList>> affected;  // quota, what the write adds to it
  for (const json::value& q : quotas) {
    QuotaView view{base::GetString(q, {"metadata", "name"}),
                   api::quota::FromJson(base::FindPath(q, {"spec", "hard"})), api::quota::QuotaScopes(q)};
    ResourceNames tracked = api::quota::TrackedNames(kind, view.hard);
    if (tracked.empty() || !api::quota::MatchesScopes(view.scopes, charge)) continue;
    if (pod_create) {
      std::string missing = api::quota::PodMissingResources(tracked, *obj);
      if (!missing.empty())
        return Forbidden(request, absl::StrCat("failed quota: ", view.name, ": ", missing));
    }
    ResourceList added = Added(view, charge, old_charge ? &*old_charge : nullptr);
    if (!api::quota::IsZero(added)) affected.emplace_back(std::move(view), std::move(added));
  }
  if (affected.empty()) return absl::OkStatus();

  auto state = StateFor(ns);
  std::unique_lock<std::mutex> lock(state->mu);
  // What is stored: the objects of this kind in the namespace (charges remembered per version).
  const std::string key_prefix = KindKey(r);
  std::map<std::string, Seen> seen;
  std::vector<std::string> listed;  // keys, in listing order
  int64_t listed_revision = sources_->List(
      r.group, r.plural, ns, [&](std::string_view name, int64_t revision, std::string_view text) {
        std::string key = key_prefix;
        key.append(name);
        listed.push_back(key);
        auto it = state->seen.find(key);
        if (it != state->seen.end() && it->second.revision == revision && !it->second.time_dependent) {
          seen.emplace(std::move(key), std::move(it->second));
          return;
        }
        auto parsed = base::ParseJson(text);
        if (!parsed.ok()) return;  // the cache holds what the server serialized: never malformed
        Seen s{revision, Uid(*parsed), api::quota::ChargeOf(kind, *parsed, now),
               base::FindPath(*parsed, {"metadata", "deletionTimestamp"}) != nullptr};
        seen.emplace(std::move(key), std::move(s));
      });
  state->seen.erase(state->seen.lower_bound(key_prefix), state->seen.lower_bound(key_prefix + '\xff'));
  state->seen.merge(seen);
  // Admitted writes not in the listing yet still count; those it shows are done with.
  std::vector<const Pending*> in_flight;
  for (auto it = state->pending.begin(); it != state->pending.end();) {
    Pending& p = it->second;
    if (p.key.compare(0, key_prefix.size(), key_prefix) != 0) {
      ++it;
      continue;
    }
    if (p.committed_revision != 0 && p.committed_revision <= listed_revision) {
      it = state->pending.erase(it);
      continue;
    }
    auto shown = state->seen.find(p.key);
    bool in_listing = shown != state->seen.end() && shown->second.uid == p.uid &&
                      (p.old_revision == 0 || shown->second.revision != p.old_revision);
    if (!in_listing) in_flight.push_back(&p);
    ++it;
  }

  for (const auto& [view, added] : affected) {
    ResourceNames tracked = api::quota::TrackedNames(kind, view.hard);
    ResourceList used;
    for (const auto& name : tracked) used[name] = api::Quantity();
    for (const std::string& key : listed) {
      auto found = state->seen.find(key);
      if (found == state->seen.end()) continue;  // listed but unparseable (never in practice)
      const Seen& s = found->second;
      if (api::quota::MatchesScopes(view.scopes, s.charge)) {
        api::quota::AddTo(used, api::quota::Mask(s.charge.usage, tracked));
      }
    }
    for (const Pending* p : in_flight) {
      api::quota::AddTo(used, Added(view, p->charge, p->old_charge ? &*p->old_charge : nullptr));
    }
    ResourceList after = api::quota::Mask(api::quota::Add(used, added), api::quota::Names(added));
    ResourceNames exceeded = api::quota::Exceeding(after, view.hard);
    if (!exceeded.empty()) {
      return Forbidden(
          request,
          absl::StrCat("exceeded quota: ", view.name,
                       ", requested: ", api::quota::PrettyPrint(api::quota::Mask(added, exceeded)),
                       ", used: ", api::quota::PrettyPrint(api::quota::Mask(used, exceeded)),
                       ", limited: ", api::quota::PrettyPrint(api::quota::Mask(view.hard, exceeded))));
    }
  }
  if (request.dry_run) return absl::OkStatus();  // nothing will be stored: nothing to hold
  int64_t old_revision = 0;
  if (old && !absl::SimpleAtoi(base::GetString(*old, {"metadata", "resourceVersion"}), &old_revision))
    old_revision = 0;
  uint64_t id = state->next_id++;
  state->pending.emplace(id, Pending{absl::StrCat(key_prefix, request.name), Uid(*obj), old_revision,
                                     std::move(charge), std::move(old_charge)});
  lock.unlock();  // a write that keeps no reservations gives this one back at once
  request.Reserve(std::make_unique<Held>(state, id));
  return absl::OkStatus();
}

}  // namespace skiff::apiserver::quota
