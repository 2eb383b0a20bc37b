#include "client/testing/fake_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/json_patch.h"
#include "api/label_selector.h"
#include "api/merge_patch.h"
#include "api/schema.h"
#include "api/strategic_merge_patch.h"
#include "api/uid.h"
#include "base/json.h"
#include "client/informer.h"

namespace skiff::client::testing {
namespace {

namespace json = boost::json;

constexpr char kModified[] =
    "the object has been modified; please apply your changes to the latest version and try again";

std::string ResourceId(const api::ResourceInfo& r) { return absl::StrCat(r.group, "/", r.plural); }

std::string StoreKey(const api::ResourceInfo& r, const std::string& ns, const std::string& name) {
  return MakeKey(r.namespaced ? ns : "", name);
}

json::object& Meta(json::value& obj) { return base::EnsureObject(obj, {"metadata"}); }

bool HasFinalizers(const json::value& obj) {
  const json::value* f = base::FindPath(obj, {"metadata", "finalizers"});
  return f != nullptr && f->is_array() && !f->get_array().empty();
}

void AddFinalizer(json::value& obj, const char* finalizer) {
  json::value& list = Meta(obj)["finalizers"];
  if (!list.is_array()) list = json::array();
  for (const json::value& f : list.get_array()) {
    if (f == finalizer) return;
  }
  list.get_array().push_back(json::string(finalizer));
}

// The API server's rule (apiserver/resource_storage.cc): kinds whose registry strategy maintains
// metadata.generation.
bool TracksGeneration(const api::ResourceInfo& r) {
  if (r.group == "apiregistration.k8s.io") return false;
  return (!r.group.empty() && r.has_status) || (r.group.empty() && r.kind == "ReplicationController");
}

// Whether anything but metadata, status, kind and apiVersion differs: what generation tracks.
bool SpecChanged(const json::value& a, const json::value& b) {
  const json::object* ao = a.if_object();
  const json::object* bo = b.if_object();
  if (ao == nullptr || bo == nullptr) return true;
  auto differs = [](const json::object& x, const json::object& y) {
    for (const auto& [k, v] : x) {
      if (k == "metadata" || k == "status" || k == "kind" || k == "apiVersion") continue;
      const json::value* other = y.if_contains(k);
      if (other == nullptr || *other != v) return true;
    }
    return false;
  };
  return differs(*ao, *bo) || differs(*bo, *ao);
}

bool InNamespace(const json::value& obj, const std::string& ns) {
  return ns.empty() || base::GetString(obj, {"metadata", "namespace"}) == ns;
}

}  // namespace

struct FakeClient::Watcher {
  std::string resource;  // group/plural
  std::string ns;
  api::LabelSelector selector;
  WatchEventHandler on_event;
  WatchEndHandler on_end;
  bool active = true;

  void Deliver(const WatchEvent& event) {
    if (!active || !InNamespace(*event.object, ns)) return;
    if (!selector.Matches(base::FindPath(*event.object, {"metadata", "labels"}))) return;
    if (!on_event(event)) {
      active = false;
      if (on_end) on_end(absl::OkStatus());
    }
  }
};

class FakeClient::Handle : public WatchHandle {
 public:
  Handle(FakeClient* client, std::shared_ptr<Watcher> watcher)
      : client_(client), watcher_(std::move(watcher)) {}
  ~Handle() override {
    std::lock_guard<std::mutex> lock(client_->mu_);
    watcher_->active = false;
    std::erase(client_->watchers_, watcher_);
  }

 private:
  FakeClient* client_;
  std::shared_ptr<Watcher> watcher_;
};

FakeClient::FakeClient(const base::Clock* clock) : clock_(clock ? clock : &base::RealClock()) {}
FakeClient::~FakeClient() = default;

absl::StatusOr<Object> FakeClient::Get(const api::ResourceInfo& r, const std::string& ns,
                                       const std::string& name) {
  if (Object obj = Peek(r, ns, name)) return obj;
  return api::NotFoundError(r.group, r.plural, name);
}

absl::StatusOr<ObjectList> FakeClient::List(const api::ResourceInfo& r, const std::string& ns,
                                            const ListOptions& options) {
  if (!options.field_selector.empty()) return absl::UnimplementedError("FakeClient: field selectors");
  absl::StatusOr<api::LabelSelector> selector = api::LabelSelector::Parse(options.label_selector);
  if (!selector.ok()) return api::BadRequestError(std::string(selector.status().message()));
  std::lock_guard<std::mutex> lock(mu_);
  ObjectList out;
  for (const auto& [key, obj] : stores_[ResourceId(r)]) {
    if (InNamespace(*obj, ns) && selector->Matches(base::FindPath(*obj, {"metadata", "labels"}))) {
      out.items.push_back(obj);
    }
  }
  out.resource_version = std::to_string(revision_);
  return out;
}

absl::StatusOr<Object> FakeClient::Create(const api::ResourceInfo& r, const std::string& ns, json::value obj,
                                          const WriteOptions&) {
  std::lock_guard<std::mutex> lock(mu_);
  Injection fault = FaultLocked("create", r);
  if (!fault.status.ok() && !fault.after_write) return fault.status;
  absl::StatusOr<Object> created = CreateLocked(r, ns, std::move(obj));
  if (!created.ok()) return created;
  RecordLocked(absl::StrCat("create ", r.plural, " ", KeyOf(**created)));
  if (!fault.status.ok()) return fault.status;  // stored, then answered with the injected error
  return created;
}

absl::StatusOr<Object> FakeClient::CreateLocked(const api::ResourceInfo& r, const std::string& ns,
                                                json::value obj) {
  if (!obj.is_object()) return api::BadRequestError("the request body must be a JSON object");
  obj.as_object()["apiVersion"] = r.GroupVersion();
  obj.as_object()["kind"] = r.kind;
  json::object& meta = Meta(obj);
  std::string body_ns = base::GetString(obj, {"metadata", "namespace"});
  if (r.namespaced) {
    if (!body_ns.empty() && !ns.empty() && body_ns != ns) {
      return api::BadRequestError(
          "the namespace of the provided object does not match the namespace sent on the request");
    }
    meta["namespace"] = ns.empty() ? body_ns : ns;
  } else {
    meta.erase("namespace");
  }
  if (!base::GetString(obj, {"metadata", "resourceVersion"}).empty()) {
    return api::BadRequestError("resourceVersion should not be set on objects to be created");
  }
  std::string name = base::GetString(obj, {"metadata", "name"});
  if (name.empty()) {
    std::string generate = base::GetString(obj, {"metadata", "generateName"});
    if (generate.empty()) return api::BadRequestError("name or generateName is required");
    name = NextGeneratedName(generate);
    meta["name"] = name;
  }
  std::string key = StoreKey(r, base::GetString(obj, {"metadata", "namespace"}), name);
  if (stores_[ResourceId(r)].count(key)) return api::AlreadyExistsError(r.group, r.plural, name);
  meta["uid"] = api::NewUid();
  meta["creationTimestamp"] = base::FormatRfc3339(clock_->Now());
  if (TracksGeneration(r)) {
    meta["generation"] = 1;
  } else {
    meta.erase("generation");
  }
  meta.erase("deletionTimestamp");
  meta.erase("deletionGracePeriodSeconds");
  return StoreLocked(r, key, std::move(obj), WatchEventType::kAdded);
}

absl::StatusOr<Object> FakeClient::Update(const api::ResourceInfo& r, const std::string& ns, json::value obj,
                                          const std::string& subresource, const WriteOptions&) {
  std::lock_guard<std::mutex> lock(mu_);
  Injection fault = FaultLocked("update", r);
  if (!fault.status.ok() && !fault.after_write) return fault.status;
  std::string name = base::GetString(obj, {"metadata", "name"});
  absl::StatusOr<Object> updated = UpdateLocked(r, ns, name, std::move(obj), subresource);
  if (!updated.ok()) return updated;
  RecordLocked(absl::StrCat(subresource.empty() ? "update" : "update-" + subresource, " ", r.plural, " ",
                            StoreKey(r, ns, name)));
  if (!fault.status.ok()) return fault.status;  // stored, then answered with the injected error
  return updated;
}

absl::StatusOr<Object> FakeClient::Patch(const api::ResourceInfo& r, const std::string& ns,
                                         const std::string& name, PatchType type, const json::value& patch,
                                         const PatchOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  Injection fault = FaultLocked("patch", r);
  if (!fault.status.ok() && !fault.after_write) return fault.status;
  auto it = stores_[ResourceId(r)].find(StoreKey(r, ns, name));
  if (it == stores_[ResourceId(r)].end()) return api::NotFoundError(r.group, r.plural, name);
  absl::StatusOr<json::value> patched;
  switch (type) {
    case PatchType::kMerge:
      patched = api::ApplyMergePatch(*it->second, patch);
      break;
    case PatchType::kJson:
      patched = api::ApplyJsonPatch(*it->second, patch);
      break;
    case PatchType::kStrategicMerge:
      patched =
          api::ApplyStrategicMergePatch(*it->second, patch, api::PatchMetaFor(r.group, r.version, r.kind));
      break;
    case PatchType::kApply:
      return absl::UnimplementedError("FakeClient: server-side apply");
  }
  if (!patched.ok()) return api::BadRequestError(std::string(patched.status().message()));
  absl::StatusOr<Object> updated = UpdateLocked(r, ns, name, std::move(*patched), options.subresource);
  if (!updated.ok()) return updated;
  RecordLocked(absl::StrCat(options.subresource.empty() ? "patch" : "patch-" + options.subresource, " ",
                            r.plural, " ", StoreKey(r, ns, name)));
  if (!fault.status.ok()) return fault.status;  // stored, then answered with the injected error
  return updated;
}

absl::StatusOr<Object> FakeClient::UpdateLocked(const api::ResourceInfo& r, const std::string& ns,
                                                const std::string& name, json::value obj,
                                                const std::string& subresource) {
  if (!obj.is_object()) return api::BadRequestError("the request body must be a JSON object");
  std::string key = StoreKey(r, ns, name);
  Store& store = stores_[ResourceId(r)];
  auto it = store.find(key);
  if (it == store.end()) return api::NotFoundError(r.group, r.plural, name);
  const json::value& old = *it->second;
  std::string rv = base::GetString(obj, {"metadata", "resourceVersion"});
  if (!rv.empty() && rv != base::GetString(old, {"metadata", "resourceVersion"})) {
    return api::ConflictError(r.group, r.plural, name, kModified);
  }
  if (subresource == "status") {
    json::value merged = old;
    if (const json::value* status = obj.as_object().if_contains("status")) {
      merged.as_object()["status"] = *status;
    } else {
      merged.as_object().erase("status");
    }
    obj = std::move(merged);
  } else if (r.has_status) {
    if (const json::value* status = old.as_object().if_contains("status")) {
      obj.as_object()["status"] = *status;
    } else {
      obj.as_object().erase("status");
    }
  }
  obj.as_object()["apiVersion"] = r.GroupVersion();
  obj.as_object()["kind"] = r.kind;
  json::object& meta = Meta(obj);
  meta["name"] = name;
  if (r.namespaced) meta["namespace"] = ns;
  for (const char* field : {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"}) {
    if (const json::value* v = base::FindPath(old, {"metadata", field})) {
      meta[field] = *v;
    } else {
      meta.erase(field);
    }
  }
  if (TracksGeneration(r)) {
    meta["generation"] = base::GetInt(old, {"metadata", "generation"}, 1) + (SpecChanged(old, obj) ? 1 : 0);
  } else if (const json::value* generation = base::FindPath(old, {"metadata", "generation"})) {
    meta["generation"] = *generation;
  } else {
    meta.erase("generation");
  }
  meta["resourceVersion"] = base::GetString(old, {"metadata", "resourceVersion"});
  if (obj == old) return it->second;  // a no-op writes no revision
  if (base::FindPath(obj, {"metadata", "deletionTimestamp"}) != nullptr && !HasFinalizers(obj)) {
    return RemoveLocked(r, key, std::move(obj));
  }
  return StoreLocked(r, key, std::move(obj), WatchEventType::kModified);
}

absl::Status FakeClient::Delete(const api::ResourceInfo& r, const std::string& ns, const std::string& name,
                                const DeleteOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  Injection fault = FaultLocked("delete", r);
  if (!fault.status.ok() && !fault.after_write) return fault.status;
  if (absl::Status deleted = DeleteLocked(r, ns, name, options); !deleted.ok()) return deleted;
  RecordLocked(absl::StrCat("delete ", r.plural, " ", StoreKey(r, ns, name),
                            options.propagation_policy.empty() ? "" : " " + options.propagation_policy));
  if (!fault.status.ok()) return fault.status;  // stored, then answered with the injected error
  return absl::OkStatus();
}

absl::Status FakeClient::DeleteLocked(const api::ResourceInfo& r, const std::string& ns,
                                      const std::string& name, const DeleteOptions& options) {
  std::string key = StoreKey(r, ns, name);
  Store& store = stores_[ResourceId(r)];
  auto it = store.find(key);
  if (it == store.end()) return api::NotFoundError(r.group, r.plural, name);
  json::value obj = *it->second;
  std::string uid = base::GetString(obj, {"metadata", "uid"});
  if (!options.precondition_uid.empty() && options.precondition_uid != uid) {
    return api::ConflictError(r.group, r.plural, name,
                              absl::StrCat("Precondition failed: UID in precondition: ",
                                           options.precondition_uid, ", UID in object meta: ", uid));
  }
  std::string rv = base::GetString(obj, {"metadata", "resourceVersion"});
  if (!options.precondition_resource_version.empty() && options.precondition_resource_version != rv) {
    return api::ConflictError(
        r.group, r.plural, name,
        absl::StrCat("Precondition failed: ResourceVersion in precondition: ",
                     options.precondition_resource_version, ", ResourceVersion in object meta: ", rv));
  }
  if (options.propagation_policy == "Orphan") AddFinalizer(obj, "orphan");
  if (options.propagation_policy == "Foreground") AddFinalizer(obj, "foregroundDeletion");
  if (!HasFinalizers(obj)) {
    RemoveLocked(r, key, std::move(obj));
    return absl::OkStatus();
  }
  json::object& meta = Meta(obj);
  if (!meta.contains("deletionTimestamp")) {
    meta["deletionTimestamp"] = base::FormatRfc3339(clock_->Now());
    meta["deletionGracePeriodSeconds"] = 0;
  }
  if (obj != *it->second) StoreLocked(r, key, std::move(obj), WatchEventType::kModified);
  return absl::OkStatus();
}

absl::StatusOr<json::value> FakeClient::CreateSubresource(const api::ResourceInfo& r, const std::string&,
                                                          const std::string&, const std::string& subresource,
                                                          json::value) {
  return absl::UnimplementedError(absl::StrCat("FakeClient: ", r.plural, "/", subresource));
}

absl::StatusOr<std::unique_ptr<WatchHandle>> FakeClient::Watch(const api::ResourceInfo& r,
                                                               const std::string& ns,
                                                               const WatchOptions& options,
                                                               WatchEventHandler on_event,
                                                               WatchEndHandler on_end) {
  if (!options.field_selector.empty()) return absl::UnimplementedError("FakeClient: field selectors");
  absl::StatusOr<api::LabelSelector> selector = api::LabelSelector::Parse(options.label_selector);
  if (!selector.ok()) return api::BadRequestError(std::string(selector.status().message()));
  int64_t from = 0;
  if (!options.resource_version.empty() && !absl::SimpleAtoi(options.resource_version, &from)) {
    return api::BadRequestError(absl::StrCat("invalid resourceVersion: ", options.resource_version));
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto watcher = std::make_shared<Watcher>(
      Watcher{ResourceId(r), ns, std::move(*selector), std::move(on_event), std::move(on_end)});
  if (from == 0) {
    for (const auto& [key, obj] : stores_[watcher->resource]) watcher->Deliver({WatchEventType::kAdded, obj});
  } else {
    for (const auto& [revision, resource, event] : history_) {
      if (revision > from && resource == watcher->resource) watcher->Deliver(event);
    }
  }
  watchers_.push_back(watcher);
  return std::unique_ptr<WatchHandle>(new Handle(this, std::move(watcher)));
}

Object FakeClient::Put(const api::ResourceInfo& r, json::value obj) {
  std::lock_guard<std::mutex> lock(mu_);
  json::object& meta = Meta(obj);
  std::string name = base::GetString(obj, {"metadata", "name"});
  if (!meta.contains("uid")) meta["uid"] = api::NewUid();
  if (!meta.contains("creationTimestamp")) meta["creationTimestamp"] = base::FormatRfc3339(clock_->Now());
  std::string key = StoreKey(r, base::GetString(obj, {"metadata", "namespace"}), name);
  bool exists = stores_[ResourceId(r)].count(key) > 0;
  return StoreLocked(r, key, std::move(obj), exists ? WatchEventType::kModified : WatchEventType::kAdded);
}

Object FakeClient::Peek(const api::ResourceInfo& r, const std::string& ns, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  const Store& store = stores_[ResourceId(r)];
  auto it = store.find(StoreKey(r, ns, name));
  return it == store.end() ? nullptr : it->second;
}

std::vector<Object> FakeClient::Objects(const api::ResourceInfo& r, const std::string& ns) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Object> out;
  for (const auto& [key, obj] : stores_[ResourceId(r)]) {
    if (InNamespace(*obj, ns)) out.push_back(obj);
  }
  return out;
}

std::vector<std::string> FakeClient::Calls() {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

std::vector<std::string> FakeClient::TakeCalls() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(calls_, {});
}

int FakeClient::CountCalls(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(std::count_if(calls_.begin(), calls_.end(),
                                        [&](const std::string& c) { return c.starts_with(prefix); }));
}

void FakeClient::Inject(Fault fault) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(faults_,
                [&](const Fault& f) { return f.verb == fault.verb && f.resource == fault.resource; });
  faults_.push_back(std::move(fault));
}

void FakeClient::ClearFaults() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
}

int FakeClient::Injected() {
  std::lock_guard<std::mutex> lock(mu_);
  return injected_;
}

FakeClient::Injection FakeClient::FaultLocked(const std::string& verb, const api::ResourceInfo& r) {
  for (Fault& f : faults_) {
    if (f.resource != r.plural || (!f.verb.empty() && f.verb != verb)) continue;
    if (f.skip > 0) {
      --f.skip;
      return {};
    }
    if (f.times == 0 || f.status.ok()) return {};
    if (f.times > 0) --f.times;
    ++injected_;
    return {f.status, f.after_write};
  }
  return {};
}

Object FakeClient::StoreLocked(const api::ResourceInfo& r, const std::string& key, json::value obj,
                               WatchEventType type) {
  Meta(obj)["resourceVersion"] = std::to_string(++revision_);
  auto stored = std::make_shared<const json::value>(std::move(obj));
  stores_[ResourceId(r)][key] = stored;
  EmitLocked(r, {type, stored});
  return stored;
}

Object FakeClient::RemoveLocked(const api::ResourceInfo& r, const std::string& key, json::value last) {
  stores_[ResourceId(r)].erase(key);
  Meta(last)["resourceVersion"] = std::to_string(++revision_);
  auto gone = std::make_shared<const json::value>(std::move(last));
  EmitLocked(r, {WatchEventType::kDeleted, gone});
  return gone;
}

void FakeClient::EmitLocked(const api::ResourceInfo& r, WatchEvent event) {
  history_.emplace_back(revision_, ResourceId(r), event);
  std::vector<std::shared_ptr<Watcher>> watchers = watchers_;  // a handler may end its own watch
  for (const auto& w : watchers) {
    if (w->resource == ResourceId(r)) w->Deliver(event);
  }
}

std::string FakeClient::NextGeneratedName(const std::string& base) {
  // Kubernetes' alphabet for generated names (no vowels, no look-alikes); a counter instead of
  // randomness keeps tests repeatable.
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  constexpr int kLetters = sizeof(kAlphabet) - 1;
  std::string suffix;
  for (int i = 0, n = ++generated_; i < 5; ++i, n /= kLetters) suffix.push_back(kAlphabet[n % kLetters]);
  return base.substr(0, 58) + suffix;
}

}  // namespace skiff::client::testing
