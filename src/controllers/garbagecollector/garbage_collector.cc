#include "controllers/garbagecollector/garbage_collector.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "base/json.h"
#include "client/informer.h"

namespace skiff::controllers {
namespace {

namespace json = boost::json;

constexpr char kOwnerIndex[] = "lifecycle-owner-uid";
constexpr char kOrphanFinalizer[] = "orphan";
constexpr char kForegroundFinalizer[] = "foregroundDeletion";

std::string GroupName(const std::string& group) { return group.empty() ? "core" : group; }

// The owner references of `obj`, or null when it has none.
const json::array* OwnerRefs(const json::value& obj) {
  const json::array* refs = api::OwnerReferences(obj);
  return refs != nullptr && !refs->empty() ? refs : nullptr;
}

}  // namespace

GarbageCollector::GarbageCollector(const client::ControllerContext& context, Options options)
    : context_(context), options_(options) {
  for (const api::ResourceInfo* r : WatchedResources()) {
    client::Informer& informer = context_.informers->For(*r);
    tracked_.emplace(absl::StrCat(GroupName(r->group), "/", r->plural), Tracked{r, &informer});
  }
}

GarbageCollector::~GarbageCollector() { Stop(); }

std::vector<const api::ResourceInfo*> GarbageCollector::WatchedResources() {
  std::vector<const api::ResourceInfo*> out;
  std::set<std::string> seen;
  for (const auto& r : api::AllResources()) {
    if (!r.stored || !r.HasVerb("list") || !r.HasVerb("watch") || !r.HasVerb("delete")) continue;
    // A resource served in several versions is stored once: watch its first (preferred) version.
    if (!seen.insert(absl::StrCat(r.group, "/", r.plural)).second) continue;
    out.push_back(&r);
  }
  return out;
}

std::string GarbageCollector::KeyOf(const api::ResourceInfo& r, const std::string& ns,
                                    const std::string& name) {
  return absl::StrCat(GroupName(r.group), "/", r.plural, "|", client::MakeKey(r.namespaced ? ns : "", name));
}

void GarbageCollector::Start() {
  controller_ = std::make_unique<client::Controller>("garbagecollector", this, options_.workers);
  std::vector<const Tracked*> initial;
  {
    std::unique_lock<std::shared_mutex> lock(tracked_mu_);
    for (const auto& [name, t] : tracked_) initial.push_back(&t);
    started_ = true;
  }
  for (const Tracked* tracked : initial) Watch(tracked);
  if (const api::ResourceInfo* crds =
          api::FindResource("apiextensions.k8s.io", "v1", "customresourcedefinitions")) {
    client::InformerHandlers handlers;
    handlers.on_add = [this](const client::Object&) { TrackNewResources(); };
    handlers.on_update = [this](const client::Object&, const client::Object&) { TrackNewResources(); };
    context_.informers->For(*crds).AddHandlers(std::move(handlers));
  }
  controller_->Start();
}

void GarbageCollector::Watch(const Tracked* tracked) {
  tracked->informer->AddIndex(kOwnerIndex, client::IndexByOwnerUid());
  auto on_object = [this, tracked](const client::Object& obj) {
    const json::value& o = *obj;
    bool owner_pending = api::IsBeingDeleted(o) && (api::HasFinalizer(o, kOrphanFinalizer) ||
                                                    api::HasFinalizer(o, kForegroundFinalizer));
    if (OwnerRefs(o) != nullptr || owner_pending) {
      controller_->queue().Add(KeyOf(*tracked->resource, api::Namespace(o), api::Name(o)));
    }
  };
  client::InformerHandlers handlers;
  handlers.on_add = on_object;
  handlers.on_update = [this, on_object](const client::Object& old_obj, const client::Object& new_obj) {
    // Only reference changes and deletion marks matter (status churn of many pods must not
    // flood the queue); every object was looked at once when it was added.
    const json::value* old_refs = base::FindPath(*old_obj, {"metadata", "ownerReferences"});
    const json::value* new_refs = base::FindPath(*new_obj, {"metadata", "ownerReferences"});
    bool refs_changed =
        (old_refs == nullptr) != (new_refs == nullptr) || (old_refs && *old_refs != *new_refs);
    const json::value* old_fin = base::FindPath(*old_obj, {"metadata", "finalizers"});
    const json::value* new_fin = base::FindPath(*new_obj, {"metadata", "finalizers"});
    bool finalizers_changed =
        (old_fin == nullptr) != (new_fin == nullptr) || (old_fin && *old_fin != *new_fin);
    bool marked = api::IsBeingDeleted(*new_obj) && (!api::IsBeingDeleted(*old_obj) || finalizers_changed);
    if (refs_changed || marked) on_object(new_obj);
    // A dependent that dropped (or changed) references may unblock a foreground owner.
    if (refs_changed && OwnerRefs(*old_obj) != nullptr) EnqueueOwners(*old_obj);
  };
  handlers.on_delete = [this](const client::Object& obj) {
    EnqueueDependents(*obj);
    if (OwnerRefs(*obj) != nullptr) EnqueueOwners(*obj);
  };
  tracked->informer->AddHandlers(std::move(handlers));
}

void GarbageCollector::TrackNewResources() {
  std::vector<const Tracked*> added;
  {
    std::unique_lock<std::shared_mutex> lock(tracked_mu_);
    if (!started_) return;
    for (const api::ResourceInfo* r : WatchedResources()) {
      auto [it, inserted] = tracked_.try_emplace(absl::StrCat(GroupName(r->group), "/", r->plural),
                                                 Tracked{r, nullptr});
      if (!inserted) continue;
      it->second.informer = &context_.informers->For(*r);
      added.push_back(&it->second);
    }
  }
  // Outside the lock: a handler registered on a started informer hears its cache at once.
  for (const Tracked* tracked : added) Watch(tracked);
}

void GarbageCollector::Stop() {
  if (controller_) controller_->Stop();
}

const GarbageCollector::Tracked* GarbageCollector::Find(const std::string& group,
                                                        const std::string& plural) const {
  std::shared_lock<std::shared_mutex> lock(tracked_mu_);
  auto it = tracked_.find(absl::StrCat(GroupName(group), "/", plural));
  return it == tracked_.end() ? nullptr : &it->second;
}

const GarbageCollector::Tracked* GarbageCollector::ResolveOwner(const json::value& ref) const {
  std::string api_version = base::GetString(ref, {"apiVersion"});
  std::string kind = base::GetString(ref, {"kind"});
  if (const api::ResourceInfo* r = api::FindResourceByApiVersionKind(api_version, kind)) {
    return Find(r->group, r->plural);
  }
  // Another version of a served group/kind (e.g. an old apiVersion in a stored reference).
  std::string group =
      api_version.find('/') == std::string::npos ? "" : api_version.substr(0, api_version.find('/'));
  std::shared_lock<std::shared_mutex> lock(tracked_mu_);
  for (const auto& [name, t] : tracked_) {
    if (t.resource->group == group && t.resource->kind == kind) return &t;
  }
  return nullptr;
}

std::vector<GarbageCollector::Dependent> GarbageCollector::DependentsOf(const json::value& owner) const {
  std::vector<Dependent> out;
  std::string uid = api::Uid(owner);
  if (uid.empty()) return out;
  std::string ns = api::Namespace(owner);
  std::shared_lock<std::shared_mutex> lock(tracked_mu_);
  for (const auto& [name, t] : tracked_) {
    for (auto& obj : t.informer->ByIndex(kOwnerIndex, uid)) {
      // A namespaced owner only owns objects of its own namespace.
      if (!ns.empty() && api::Namespace(*obj) != ns) continue;
      out.push_back(Dependent{&t, std::move(obj)});
    }
  }
  return out;
}

void GarbageCollector::EnqueueDependents(const json::value& owner) {
  for (const auto& d : DependentsOf(owner)) {
    controller_->queue().Add(KeyOf(*d.tracked->resource, api::Namespace(*d.object), api::Name(*d.object)));
  }
}

void GarbageCollector::EnqueueOwners(const json::value& dependent) {
  const json::array* refs = OwnerRefs(dependent);
  if (refs == nullptr) return;
  for (const auto& ref : *refs) {
    if (const Tracked* t = ResolveOwner(ref)) {
      controller_->queue().Add(
          KeyOf(*t->resource, api::Namespace(dependent), base::GetString(ref, {"name"})));
    }
  }
}

client::ReconcileResult GarbageCollector::Reconcile(const std::string& key) {
  size_t bar = key.find('|');
  size_t slash = key.find('/');
  if (bar == std::string::npos || slash == std::string::npos || slash > bar) return {};
  std::string group = key.substr(0, slash);
  const Tracked* t = Find(group == "core" ? "" : group, key.substr(slash + 1, bar - slash - 1));
  if (t == nullptr) return {};
  client::Object obj = t->informer->Get(key.substr(bar + 1));
  if (!obj) return {};  // gone: its dependents were queued by the delete handler
  if (api::IsBeingDeleted(*obj)) return {ProcessAsOwner(*t, obj)};
  return {ProcessAsDependent(*t, obj)};
}

absl::StatusOr<GarbageCollector::OwnerState> GarbageCollector::ClassifyOwner(const Tracked& owner,
                                                                             const std::string& ns,
                                                                             const json::value& ref) {
  std::string owner_ns = owner.resource->namespaced ? ns : "";
  std::string name = base::GetString(ref, {"name"});
  std::string uid = base::GetString(ref, {"uid"});
  client::Object found = owner.informer->Get(client::MakeKey(owner_ns, name));
  if (!found || api::Uid(*found) != uid) {
    // The cache may lag behind the server: only a live read may declare an owner gone.
    auto live = context_.client->Get(*owner.resource, owner_ns, name);
    if (!live.ok()) {
      if (client::HttpCode(live.status()) == 404) return OwnerState::kDangling;
      return live.status();
    }
    found = *live;
    if (api::Uid(*found) != uid) return OwnerState::kDangling;
  }
  if (api::IsBeingDeleted(*found) && api::HasFinalizer(*found, kForegroundFinalizer))
    return OwnerState::kWaiting;
  return OwnerState::kSolid;
}

absl::Status GarbageCollector::ProcessAsDependent(const Tracked& t, const client::Object& obj) {
  const json::array* refs = OwnerRefs(*obj);
  if (refs == nullptr) return absl::OkStatus();
  std::string ns = api::Namespace(*obj);
  bool solid = false;
  std::vector<std::string> gone;  // uids of dangling or waiting owners
  bool waiting = false;
  for (const auto& ref : *refs) {
    const Tracked* owner = ResolveOwner(ref);
    if (owner == nullptr) {
      solid = true;  // a kind we do not serve: never delete on its account
      continue;
    }
    auto state = ClassifyOwner(*owner, ns, ref);
    if (!state.ok()) return state.status();
    if (*state == OwnerState::kSolid) {
      solid = true;
    } else {
      gone.push_back(base::GetString(ref, {"uid"}));
      waiting = waiting || *state == OwnerState::kWaiting;
    }
  }
  if (gone.empty()) return absl::OkStatus();
  if (solid) return RemoveOwnerRefs(t, obj, gone);
  client::DeleteOptions options;
  options.precondition_uid = api::Uid(*obj);
  // Under a foreground owner, a dependent with dependents of its own is deleted in the
  // foreground too, so the whole chain blocks the owner.
  options.propagation_policy = waiting && !DependentsOf(*obj).empty() ? "Foreground" : "Background";
  absl::Status s = context_.client->Delete(*t.resource, ns, api::Name(*obj), options);
  int code = client::HttpCode(s);
  return s.ok() || code == 404 || code == 409 ? absl::OkStatus() : s;
}

absl::Status GarbageCollector::ProcessAsOwner(const Tracked& t, const client::Object& obj) {
  std::string uid = api::Uid(*obj);
  if (api::HasFinalizer(*obj, kOrphanFinalizer)) {
    for (const auto& d : DependentsOf(*obj)) {
      if (auto s = RemoveOwnerRefs(*d.tracked, d.object, {uid}); !s.ok()) return s;
    }
    return RemoveFinalizer(t, obj, kOrphanFinalizer);
  }
  if (api::HasFinalizer(*obj, kForegroundFinalizer)) {
    bool blocked = false;
    for (const auto& d : DependentsOf(*obj)) {
      if (!api::IsBeingDeleted(*d.object)) {
        controller_->queue().Add(
            KeyOf(*d.tracked->resource, api::Namespace(*d.object), api::Name(*d.object)));
      }
      for (const auto& ref : *OwnerRefs(*d.object)) {
        if (base::GetString(ref, {"uid"}) == uid && base::GetBool(ref, {"blockOwnerDeletion"}))
          blocked = true;
      }
    }
    // Deletions of the blocking dependents re-queue this owner (see the delete handler).
    if (blocked) return absl::OkStatus();
    return RemoveFinalizer(t, obj, kForegroundFinalizer);
  }
  return absl::OkStatus();
}

absl::Status GarbageCollector::RemoveOwnerRefs(const Tracked& t, const client::Object& obj,
                                               const std::vector<std::string>& uids) {
  json::value copy = *obj;
  json::value* refs = copy.as_object()["metadata"].as_object().if_contains("ownerReferences");
  if (refs == nullptr || !refs->is_array()) return absl::OkStatus();
  json::array kept;
  for (const auto& ref : refs->get_array()) {
    if (std::find(uids.begin(), uids.end(), base::GetString(ref, {"uid"})) == uids.end()) kept.push_back(ref);
  }
  if (kept.size() == refs->get_array().size()) return absl::OkStatus();
  if (kept.empty()) {
    copy.as_object()["metadata"].as_object().erase("ownerReferences");
  } else {
    *refs = std::move(kept);
  }
  // Carries the cached resourceVersion: a concurrent change answers 409 and the key is retried.
  auto updated = context_.client->Update(*t.resource, api::Namespace(*obj), std::move(copy));
  if (!updated.ok() && client::HttpCode(updated.status()) == 404) return absl::OkStatus();
  return updated.status();
}

absl::Status GarbageCollector::RemoveFinalizer(const Tracked& t, const client::Object& obj,
                                               const std::string& finalizer) {
  json::value copy = *obj;
  json::value& list = copy.as_object()["metadata"].as_object()["finalizers"];
  json::array kept;
  for (const auto& f : list.as_array()) {
    if (!(f.is_string() && f.get_string() == finalizer)) kept.push_back(f);
  }
  list = std::move(kept);
  auto updated = context_.client->Update(*t.resource, api::Namespace(*obj), std::move(copy));
  if (!updated.ok() && client::HttpCode(updated.status()) == 404) return absl::OkStatus();
  return updated.status();
}

std::unique_ptr<client::Runnable> NewGarbageCollector(const client::ControllerContext& context) {
  return std::make_unique<GarbageCollector>(context, GarbageCollector::Options{});
}

}  // namespace skiff::controllers
