// FakeClient: an in-memory client::Client for the workload controllers' unit tests (header-only,
// so tests need no server). It keeps objects per resource, assigns uid/resourceVersion/
// generation/creationTimestamp, expands generateName, checks resourceVersion on update and
// merge patch, keeps status apart from the main resource, and records every write so tests can
// assert what a reconcile did. Watch is not supported (tests feed MapCache snapshots instead).
// Thread-safety: all methods lock one mutex. Ownership: owns its objects. Failure: NotFound,
// AlreadyExists and Aborted (conflict) like the real API; `fail_creates` injects errors.
#ifndef SKIFF_CONTROLLERS_REPLICASET_FAKE_CLIENT_H_
#define SKIFF_CONTROLLERS_REPLICASET_FAKE_CLIENT_H_

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/json_patch.h"
#include "api/merge_patch.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "client/client.h"
#include "controllers/workload/object_cache.h"

namespace skiff::controllers::testing {

using ManualClock = base::testing::FakeClock;

class FakeClient : public client::Client {
 public:
  struct Write {
    std::string verb;      // create, update, patch, delete
    std::string resource;  // plural
    std::string name;
    std::string subresource;
  };

  explicit FakeClient(const base::Clock* clock) : clock_(clock) {}

  // Test controls.
  int fail_creates = 0;  // the next N creates fail with Internal
  int fail_creates_after = 0;  // creates that succeed before fail_creates applies
  // When set, the next N creates (of fail_creates) fail with this status instead of Internal.
  absl::Status create_error;
  // The next N creates are stored but answer DeadlineExceeded (a server-side timeout).
  int time_out_creates = 0;

  absl::StatusOr<client::Object> Get(const api::ResourceInfo& r, const std::string& ns,
                                     const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = store_.find(StoreKey(r, ns, name));
    if (it == store_.end()) return api::NotFoundError(r.group, r.plural, name);
    return it->second;
  }

  absl::StatusOr<client::ObjectList> List(const api::ResourceInfo& r, const std::string& ns,
                                          const client::ListOptions&) override {
    client::ObjectList out;
    for (const client::Object& o : Objects(r.plural, ns)) out.items.push_back(o);
    out.resource_version = std::to_string(rv_);
    return out;
  }

  absl::StatusOr<client::Object> Create(const api::ResourceInfo& r, const std::string& ns,
                                        boost::json::value obj, const client::WriteOptions& = {}) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_creates_after > 0) {
      --fail_creates_after;
    } else if (fail_creates > 0) {
      --fail_creates;
      return create_error.ok() ? absl::InternalError("injected create failure") : create_error;
    }
    const bool time_out = time_out_creates > 0;
    if (time_out) --time_out_creates;
    boost::json::object& meta = base::EnsureObject(obj, {"metadata"});
    std::string name = base::GetString(obj, {"metadata", "name"});
    if (name.empty()) {
      name = base::GetString(obj, {"metadata", "generateName"}) + Suffix(++generated_);
      meta["name"] = name;
    }
    if (store_.count(StoreKey(r, ns, name))) {
      return api::AlreadyExistsError(r.group, r.plural, name);
    }
    if (r.namespaced) meta["namespace"] = ns;
    meta["uid"] = absl::StrCat("uid-", name, "-", ++uids_);
    meta["resourceVersion"] = std::to_string(++rv_);
    meta["creationTimestamp"] = base::FormatRfc3339(clock_->Now());
    if (r.has_status) meta["generation"] = 1;
    obj.as_object()["apiVersion"] = r.GroupVersion();
    obj.as_object()["kind"] = r.kind;
    auto stored = std::make_shared<const boost::json::value>(std::move(obj));
    store_[StoreKey(r, ns, name)] = stored;
    writes_.push_back({"create", r.plural, name, ""});
    if (time_out) return absl::DeadlineExceededError("injected timeout (the object was stored)");
    return stored;
  }

  absl::StatusOr<client::Object> Update(const api::ResourceInfo& r, const std::string& ns,
                                        boost::json::value obj, const std::string& subresource = "",
                                        const client::WriteOptions& = {}) override {
    std::lock_guard<std::mutex> lock(mu_);
    return UpdateLocked(r, ns, std::move(obj), subresource, "update");
  }

  absl::StatusOr<client::Object> Patch(const api::ResourceInfo& r, const std::string& ns,
                                       const std::string& name, client::PatchType type,
                                       const boost::json::value& patch,
                                       const client::PatchOptions& options = {}) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = store_.find(StoreKey(r, ns, name));
    if (it == store_.end()) return api::NotFoundError(r.group, r.plural, name);
    boost::json::value doc;
    if (type == client::PatchType::kMerge) {
      doc = api::ApplyMergePatch(*it->second, patch);
    } else if (type == client::PatchType::kJson) {
      auto patched = api::ApplyJsonPatch(*it->second, patch);
      if (!patched.ok()) return patched.status();
      doc = std::move(*patched);
    } else {
      return absl::UnimplementedError("fake client: only merge and JSON patches");
    }
    return UpdateLocked(r, ns, std::move(doc), options.subresource, "patch");
  }

  absl::Status Delete(const api::ResourceInfo& r, const std::string& ns, const std::string& name,
                      const client::DeleteOptions& options = {}) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = store_.find(StoreKey(r, ns, name));
    if (it == store_.end()) return api::NotFoundError(r.group, r.plural, name);
    if (!options.precondition_uid.empty() &&
        options.precondition_uid != base::GetString(*it->second, {"metadata", "uid"})) {
      return api::ConflictError(r.group, r.plural, name, "uid precondition failed");
    }
    store_.erase(it);
    writes_.push_back({"delete", r.plural, name, ""});
    return absl::OkStatus();
  }

  absl::StatusOr<boost::json::value> CreateSubresource(const api::ResourceInfo&, const std::string&,
                                                       const std::string&, const std::string&,
                                                       boost::json::value) override {
    return absl::UnimplementedError("fake client: no subresources");
  }

  absl::StatusOr<std::unique_ptr<client::WatchHandle>> Watch(const api::ResourceInfo&, const std::string&,
                                                             const client::WatchOptions&,
                                                             client::WatchEventHandler,
                                                             client::WatchEndHandler) override {
    return absl::UnimplementedError("fake client: no watch");
  }

  // Every stored object of a resource (plural), optionally in one namespace, by name.
  std::vector<client::Object> Objects(const std::string& plural, const std::string& ns = "") {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<client::Object> out;
    for (const auto& [key, obj] : store_) {
      if (key.rfind(plural + "|", 0) != 0) continue;
      if (!ns.empty() && base::GetString(*obj, {"metadata", "namespace"}) != ns) continue;
      out.push_back(obj);
    }
    return out;
  }

  // Replaces `cache` with the current objects of `plural` (a perfectly synced informer).
  void SyncCache(const std::string& plural, MapCache& cache) {
    cache.Clear();
    for (const client::Object& o : Objects(plural)) cache.Set(o);
  }

  // Stores an object as-is (test setup), overwriting any previous one; fills uid/rv if missing.
  client::Object Put(const api::ResourceInfo& r, boost::json::value obj) {
    std::lock_guard<std::mutex> lock(mu_);
    boost::json::object& meta = base::EnsureObject(obj, {"metadata"});
    std::string name = base::GetString(obj, {"metadata", "name"});
    if (!meta.contains("uid")) meta["uid"] = absl::StrCat("uid-", name, "-", ++uids_);
    if (!meta.contains("creationTimestamp")) meta["creationTimestamp"] = base::FormatRfc3339(clock_->Now());
    meta["resourceVersion"] = std::to_string(++rv_);
    auto stored = std::make_shared<const boost::json::value>(std::move(obj));
    store_[StoreKey(r, base::GetString(*stored, {"metadata", "namespace"}), name)] = stored;
    return stored;
  }

  std::vector<Write> TakeWrites() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Write> out;
    out.swap(writes_);
    return out;
  }

 private:
  static std::string StoreKey(const api::ResourceInfo& r, const std::string& ns, const std::string& name) {
    return r.plural + "|" + ns + "|" + name;
  }
  static std::string Suffix(int n) {
    static const char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    std::string s;
    for (int i = 0; i < 5; ++i, n /= 27) s.push_back(kAlphabet[n % 27]);
    return s;
  }

  absl::StatusOr<client::Object> UpdateLocked(const api::ResourceInfo& r, const std::string& ns,
                                              boost::json::value obj, const std::string& subresource,
                                              const std::string& verb) {
    std::string name = base::GetString(obj, {"metadata", "name"});
    auto it = store_.find(StoreKey(r, ns, name));
    if (it == store_.end()) return api::NotFoundError(r.group, r.plural, name);
    const boost::json::value& old = *it->second;
    std::string rv = base::GetString(obj, {"metadata", "resourceVersion"});
    if (!rv.empty() && rv != base::GetString(old, {"metadata", "resourceVersion"})) {
      return api::ConflictError(
          r.group, r.plural, name,
          "the object has been modified; please apply your changes to the latest version "
          "and try again");
    }
    boost::json::value next;
    if (subresource == "status") {
      next = old;
      if (const boost::json::value* st = obj.as_object().if_contains("status"))
        next.as_object()["status"] = *st;
    } else {
      next = std::move(obj);
      if (const boost::json::value* st = old.as_object().if_contains("status")) {
        next.as_object()["status"] = *st;
      } else {
        next.as_object().erase("status");
      }
      for (const char* f : {"uid", "creationTimestamp", "generation"}) {
        if (const boost::json::value* v = base::FindPath(old, {"metadata", f})) {
          base::EnsureObject(next, {"metadata"})[f] = *v;
        }
      }
      const boost::json::value* old_spec = base::Find(old, "spec");
      const boost::json::value* new_spec = base::Find(next, "spec");
      bool spec_changed = (old_spec == nullptr) != (new_spec == nullptr) ||
                          (old_spec != nullptr && !api::JsonEqual(*old_spec, *new_spec));
      if (r.has_status && spec_changed) {
        base::EnsureObject(next, {"metadata"})["generation"] =
            base::GetInt(old, {"metadata", "generation"}, 1) + 1;
      }
    }
    base::EnsureObject(next, {"metadata"})["resourceVersion"] = std::to_string(++rv_);
    auto stored = std::make_shared<const boost::json::value>(std::move(next));
    it->second = stored;
    writes_.push_back({verb, r.plural, name, subresource});
    return stored;
  }

  const base::Clock* clock_;
  mutable std::mutex mu_;
  std::map<std::string, client::Object> store_;
  std::vector<Write> writes_;
  int64_t rv_ = 100;
  int uids_ = 0;
  int generated_ = 0;
};

}  // namespace skiff::controllers::testing

#endif  // SKIFF_CONTROLLERS_REPLICASET_FAKE_CLIENT_H_
