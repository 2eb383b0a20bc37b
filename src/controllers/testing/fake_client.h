// FakeClient: an in-memory client::Client for controller unit tests (header-only; no library).
// It keeps objects per resource with a global resourceVersion counter and implements the parts
// of the API semantics controllers depend on: uid/generateName/creationTimestamp on create,
// optimistic concurrency on update (409 when a given resourceVersion is stale), the status
// subresource (only status changes), finalizers and propagation-policy finalizers on delete
// (deletionTimestamp until the last finalizer is removed), delete preconditions, JSON merge patch,
// label-selector lists, and watches with history replay (so an informer never misses events
// between its list and its watch). Watch events are delivered synchronously by the writing thread,
// in resourceVersion order.
// Pods are deleted at once (no graceful termination) and no admission runs.
// Thread-safety: all methods are safe from any thread; watch handlers must not call the client.
// Ownership: watch handles must be destroyed before the FakeClient. Failure: Kubernetes-style
// errors built with api/errors.h (404, 409, 400).
#ifndef SKIFF_CONTROLLERS_TESTING_FAKE_CLIENT_H_
#define SKIFF_CONTROLLERS_TESTING_FAKE_CLIENT_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/errors.h"
#include "api/label_selector.h"
#include "base/clock.h"
#include "base/json.h"
#include "client/client.h"
#include "client/informer.h"

namespace skiff::controllers::testing {

class FakeClient : public client::Client {
 public:
  // Every call made, e.g. "delete pods default/a", "update-status nodes n1", for assertions.
  std::vector<std::string> Calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  // Makes every write to `plural` fail with `status` (OK clears it).
  void FailWrites(const std::string& plural, absl::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_[plural] = std::move(status);
  }
  // Reads an object directly (null when absent).
  client::Object Peek(const api::ResourceInfo& r, const std::string& ns, const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& objs = store_[Res(r)];
    auto it = objs.find(client::MakeKey(r.namespaced ? ns : "", name));
    return it == objs.end() ? nullptr : it->second;
  }

  absl::StatusOr<client::Object> Get(const api::ResourceInfo& r, const std::string& ns,
                                     const std::string& name) override {
    if (auto obj = Peek(r, ns, name)) return obj;
    return api::NotFoundError(r.group, r.plural, name);
  }

  absl::StatusOr<client::ObjectList> List(const api::ResourceInfo& r, const std::string& ns,
                                          const client::ListOptions& options) override {
    auto selector = api::LabelSelector::Parse(options.label_selector);
    if (!selector.ok()) return api::BadRequestError(std::string(selector.status().message()));
    std::lock_guard<std::mutex> lock(mu_);
    client::ObjectList out;
    for (const auto& [key, obj] : store_[Res(r)]) {
      if (!ns.empty() && base::GetString(*obj, {"metadata", "namespace"}) != ns) continue;
      if (!selector->Matches(base::FindPath(*obj, {"metadata", "labels"}))) continue;
      out.items.push_back(obj);
    }
    out.resource_version = std::to_string(revision_);
    return out;
  }

  absl::StatusOr<client::Object> Create(const api::ResourceInfo& r, const std::string& ns,
                                        boost::json::value obj, const client::WriteOptions& = {}) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto s = Injected(r); !s.ok()) return s;
    auto& meta = base::EnsureObject(obj, {"metadata"});
    std::string name = base::GetString(obj, {"metadata", "name"});
    if (name.empty()) {
      name = absl::StrCat(base::GetString(obj, {"metadata", "generateName"}), "x", ++generated_);
      meta["name"] = name;
    }
    if (r.namespaced) meta["namespace"] = ns;
    std::string key = client::MakeKey(r.namespaced ? ns : "", name);
    if (store_[Res(r)].count(key)) return api::AlreadyExistsError(r.group, r.plural, name);
    if (base::GetString(obj, {"metadata", "uid"}).empty())
      meta["uid"] = absl::StrCat("uid-", name, "-", revision_ + 1);
    if (!meta.contains("creationTimestamp")) meta["creationTimestamp"] = base::FormatRfc3339(absl::Now());
    if (!meta.contains("generation")) meta["generation"] = 1;
    calls_.push_back(absl::StrCat("create ", r.plural, " ", key));
    return Store(r, key, std::move(obj), client::WatchEventType::kAdded);
  }

  absl::StatusOr<client::Object> Update(const api::ResourceInfo& r, const std::string& ns,
                                        boost::json::value obj, const std::string& subresource = "",
                                        const client::WriteOptions& = {}) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto s = Injected(r); !s.ok()) return s;
    std::string name = base::GetString(obj, {"metadata", "name"});
    std::string key = client::MakeKey(r.namespaced ? ns : "", name);
    auto& objs = store_[Res(r)];
    auto it = objs.find(key);
    if (it == objs.end()) return api::NotFoundError(r.group, r.plural, name);
    std::string rv = base::GetString(obj, {"metadata", "resourceVersion"});
    if (!rv.empty() && rv != base::GetString(*it->second, {"metadata", "resourceVersion"})) {
      return api::ConflictError(r.group, r.plural, name, "the object has been modified");
    }
    boost::json::value next = *it->second;
    if (subresource == "status") {
      const auto* status = base::FindPath(obj, {"status"});
      next.as_object()["status"] = status ? *status : boost::json::value(boost::json::object{});
    } else {
      const auto* old_status = base::FindPath(next, {"status"});
      boost::json::value keep = old_status ? *old_status : boost::json::value(nullptr);
      next = std::move(obj);
      if (!keep.is_null()) next.as_object()["status"] = keep;
      // System metadata cannot be changed by an update.
      for (const char* f : {"uid", "creationTimestamp", "deletionTimestamp", "namespace"}) {
        const auto* v = base::FindPath(*it->second, {"metadata", f});
        if (v) base::EnsureObject(next, {"metadata"})[f] = *v;
      }
    }
    calls_.push_back(
        absl::StrCat(subresource == "status" ? "update-status " : "update ", r.plural, " ", key));
    return Replace(r, key, std::move(next));
  }

  absl::StatusOr<client::Object> Patch(const api::ResourceInfo& r, const std::string& ns,
                                       const std::string& name, client::PatchType type,
                                       const boost::json::value& patch,
                                       const client::PatchOptions& options = {}) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (type != client::PatchType::kMerge) return absl::UnimplementedError("FakeClient: merge patches only");
    if (auto s = Injected(r); !s.ok()) return s;
    std::string key = client::MakeKey(r.namespaced ? ns : "", name);
    auto& objs = store_[Res(r)];
    auto it = objs.find(key);
    if (it == objs.end()) return api::NotFoundError(r.group, r.plural, name);
    boost::json::value next = *it->second;
    MergePatch(next, patch);
    calls_.push_back(absl::StrCat("patch", options.subresource.empty() ? "" : "-" + options.subresource, " ",
                                  r.plural, " ", key));
    return Replace(r, key, std::move(next));
  }

  absl::Status Delete(const api::ResourceInfo& r, const std::string& ns, const std::string& name,
                      const client::DeleteOptions& options = {}) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto s = Injected(r); !s.ok()) return s;
    std::string key = client::MakeKey(r.namespaced ? ns : "", name);
    auto& objs = store_[Res(r)];
    auto it = objs.find(key);
    if (it == objs.end()) return api::NotFoundError(r.group, r.plural, name);
    if (!options.precondition_uid.empty() &&
        options.precondition_uid != base::GetString(*it->second, {"metadata", "uid"})) {
      return api::ConflictError(r.group, r.plural, name, "Precondition failed: UID");
    }
    calls_.push_back(
        absl::StrCat("delete ", r.plural, " ", key,
                     options.propagation_policy.empty() ? "" : " " + options.propagation_policy));
    boost::json::value next = *it->second;
    auto& meta = base::EnsureObject(next, {"metadata"});
    auto add = [&](const char* finalizer) {
      auto& list = meta["finalizers"];
      if (!list.is_array()) list = boost::json::array();
      for (const auto& f : list.get_array()) {
        if (f == finalizer) return;
      }
      list.get_array().push_back(finalizer);
    };
    if (options.propagation_policy == "Orphan") add("orphan");
    if (options.propagation_policy == "Foreground") add("foregroundDeletion");
    if (HasFinalizers(next)) {
      if (!meta.contains("deletionTimestamp")) meta["deletionTimestamp"] = base::FormatRfc3339(absl::Now());
      Replace(r, key, std::move(next));
      return absl::OkStatus();
    }
    client::Object gone = it->second;
    objs.erase(it);
    boost::json::value last = *gone;
    base::EnsureObject(last, {"metadata"})["resourceVersion"] = std::to_string(++revision_);
    Emit(r, client::WatchEventType::kDeleted, std::make_shared<const boost::json::value>(std::move(last)));
    return absl::OkStatus();
  }

  absl::StatusOr<boost::json::value> CreateSubresource(const api::ResourceInfo& r, const std::string&,
                                                       const std::string&, const std::string& subresource,
                                                       boost::json::value) override {
    return absl::UnimplementedError(absl::StrCat("FakeClient: ", r.plural, "/", subresource));
  }

  absl::StatusOr<std::unique_ptr<client::WatchHandle>> Watch(const api::ResourceInfo& r,
                                                             const std::string& ns,
                                                             const client::WatchOptions& options,
                                                             client::WatchEventHandler on_event,
                                                             client::WatchEndHandler on_end) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto w = std::make_shared<Watcher>();
    w->resource = Res(r);
    w->ns = ns;
    w->on_event = std::move(on_event);
    w->on_end = std::move(on_end);
    int64_t from = options.resource_version.empty() ? 0 : std::stoll(options.resource_version);
    if (from == 0) {
      for (const auto& [key, obj] : store_[w->resource]) Deliver(*w, {client::WatchEventType::kAdded, obj});
    } else {
      for (const auto& [rv, resource, event] : history_) {
        if (rv > from && resource == w->resource) Deliver(*w, event);
      }
    }
    watchers_.push_back(w);
    return std::unique_ptr<client::WatchHandle>(new Handle(this, w));
  }

 private:
  struct Watcher {
    std::string resource;
    std::string ns;
    client::WatchEventHandler on_event;
    client::WatchEndHandler on_end;
    bool active = true;
  };
  class Handle : public client::WatchHandle {
   public:
    Handle(FakeClient* c, std::shared_ptr<Watcher> w) : client_(c), watcher_(std::move(w)) {}
    ~Handle() override {
      std::lock_guard<std::mutex> lock(client_->mu_);
      watcher_->active = false;
      std::erase(client_->watchers_, watcher_);
    }

   private:
    FakeClient* client_;
    std::shared_ptr<Watcher> watcher_;
  };

  static std::string Res(const api::ResourceInfo& r) { return absl::StrCat(r.group, "/", r.plural); }

  static bool HasFinalizers(const boost::json::value& obj) {
    const auto* f = base::FindPath(obj, {"metadata", "finalizers"});
    return f && f->is_array() && !f->get_array().empty();
  }

  static void MergePatch(boost::json::value& target, const boost::json::value& patch) {
    if (!patch.is_object()) {
      target = patch;
      return;
    }
    if (!target.is_object()) target = boost::json::object();
    for (const auto& kv : patch.get_object()) {
      if (kv.value().is_null()) {
        target.get_object().erase(kv.key());
      } else {
        MergePatch(target.get_object()[kv.key()], kv.value());
      }
    }
  }

  absl::Status Injected(const api::ResourceInfo& r) {
    auto it = fail_.find(r.plural);
    return it == fail_.end() ? absl::OkStatus() : it->second;
  }

  // Stores a new object (caller holds mu_).
  client::Object Store(const api::ResourceInfo& r, const std::string& key, boost::json::value obj,
                       client::WatchEventType type) {
    base::EnsureObject(obj, {"metadata"})["resourceVersion"] = std::to_string(++revision_);
    auto stored = std::make_shared<const boost::json::value>(std::move(obj));
    store_[Res(r)][key] = stored;
    Emit(r, type, stored);
    return stored;
  }

  // Replaces an object; an object marked for deletion whose finalizers are gone is deleted.
  client::Object Replace(const api::ResourceInfo& r, const std::string& key, boost::json::value obj) {
    if (base::FindPath(obj, {"metadata", "deletionTimestamp"}) && !HasFinalizers(obj)) {
      base::EnsureObject(obj, {"metadata"})["resourceVersion"] = std::to_string(++revision_);
      auto last = std::make_shared<const boost::json::value>(std::move(obj));
      store_[Res(r)].erase(key);
      Emit(r, client::WatchEventType::kDeleted, last);
      return last;
    }
    return Store(r, key, std::move(obj), client::WatchEventType::kModified);
  }

  void Emit(const api::ResourceInfo& r, client::WatchEventType type, const client::Object& obj) {
    client::WatchEvent event{type, obj};
    history_.push_back({revision_, Res(r), event});
    auto watchers = watchers_;
    for (const auto& w : watchers) {
      if (w->resource == Res(r)) Deliver(*w, event);
    }
  }

  void Deliver(Watcher& w, const client::WatchEvent& event) {
    if (!w.active) return;
    if (!w.ns.empty() && base::GetString(*event.object, {"metadata", "namespace"}) != w.ns) return;
    if (!w.on_event(event)) {
      w.active = false;
      if (w.on_end) w.on_end(absl::OkStatus());
    }
  }

  std::mutex mu_;
  int64_t revision_ = 0;
  int generated_ = 0;
  std::map<std::string, std::map<std::string, client::Object>> store_;  // resource -> key -> object
  std::vector<std::tuple<int64_t, std::string, client::WatchEvent>> history_;
  std::vector<std::shared_ptr<Watcher>> watchers_;
  std::map<std::string, absl::Status> fail_;
  std::vector<std::string> calls_;
};

// Polls `condition` until it holds or `timeout` passes; returns its last value.
inline bool Eventually(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(5)) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return condition();
}

}  // namespace skiff::controllers::testing

#endif  // SKIFF_CONTROLLERS_TESTING_FAKE_CLIENT_H_
