#include "apiserver/crd_controller.h"

#include <algorithm>
#include <string>
#include <vector>

#include "api/object_meta.h"
#include "api/resources.h"
#include "apiserver/crd/crd_names.h"
#include "apiserver/crd/crd_resources.h"
#include "apiserver/crd/crd_status.h"
#include "apiserver/key_layout.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "spdlog/spdlog.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

const api::ResourceInfo& CrdResource() {
  static const api::ResourceInfo* r = api::FindResource(crd::kGroup, "v1", crd::kPlural);
  return *r;
}

std::string CrdPrefix() { return ResourcePrefix(crd::kGroup, crd::kPlural); }

bool HasFinalizer(const json::value& obj, const std::string& finalizer) {
  const auto* list = base::FindPath(obj, {"metadata", "finalizers"});
  if (!list || !list->is_array()) return false;
  for (const auto& f : list->get_array()) {
    if (f.is_string() && f.get_string() == finalizer) return true;
  }
  return false;
}

}  // namespace

// Wakes the worker on every CRD change.
class CrdController::Listener : public WatchListener {
 public:
  explicit Listener(CrdController* owner) : owner_(owner) {}
  bool OnEvent(EventType, const ObjectPtr&) override {
    owner_->Wake();
    return true;
  }

 private:
  CrdController* owner_;
};

CrdController::CrdController(ResourceStorage* storage, base::Clock* clock) : storage_(storage), clock_(clock) {}

CrdController::~CrdController() { Stop(); }

absl::Status CrdController::Start() {
  Reconcile();
  listener_ = std::make_shared<Listener>(this);
  auto id = storage_->cache()->StartWatch(CrdPrefix(), CrdPrefix(), storage_->cache()->Revision(), nullptr, listener_);
  if (!id.ok()) return id.status();
  watch_id_ = *id;
  worker_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void CrdController::Stop() {
  if (listener_) {
    storage_->cache()->StopWatch(CrdPrefix(), watch_id_);
    listener_.reset();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void CrdController::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    dirty_ = true;
  }
  cv_.notify_all();
}

void CrdController::Run() {
  bool retry = false;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (retry) {
        cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return dirty_ || stopping_; });
      } else {
        cv_.wait(lock, [this] { return dirty_ || stopping_; });
      }
      if (stopping_) return;
      dirty_ = false;
    }
    retry = !Reconcile();
  }
}

bool CrdController::Reconcile() {
  bool done = true;
  WatchCache* cache = storage_->cache();
  bool more = false;
  auto listed = cache->List(CrdPrefix(), CrdPrefix(), nullptr, "", 0, &more);
  std::vector<json::value> crds;
  for (const auto& o : listed.objects) crds.push_back(o->Parse());
  // Older CRDs keep contested names (kube: the first to claim a name holds it).
  std::stable_sort(crds.begin(), crds.end(), [](const json::value& a, const json::value& b) {
    return base::GetString(a, {"metadata", "creationTimestamp"}) <
           base::GetString(b, {"metadata", "creationTimestamp"});
  });
  std::string now = base::FormatRfc3339(clock_->Now());
  std::vector<json::value> desired = crds;
  for (size_t i = 0; i < desired.size(); ++i) {
    std::vector<const json::value*> others;
    for (size_t j = 0; j < desired.size(); ++j) {
      if (j != i) others.push_back(&desired[j]);
    }
    desired[i].as_object()["status"] = crd::DesiredStatus(desired[i], others, now);
  }
  // Serve first, then say so.
  std::vector<api::ResourceInfo> custom;
  for (const auto& d : desired) {
    if (!crd::IsEstablished(d)) continue;
    for (auto& r : crd::ServedResources(d)) custom.push_back(std::move(r));
  }
  api::SetCustomResources(std::move(custom));

  for (size_t i = 0; i < desired.size(); ++i) {
    json::value& want = desired[i];
    const std::string name = api::Name(want);
    bool terminating = api::IsBeingDeleted(want) && HasFinalizer(want, crd::kCleanupFinalizer);
    if (terminating) {
      crd::SetCondition(want, "Terminating", "True", "InstanceDeletionInProgress",
                        "CustomResource deletion is in progress", now);
    }
    if (want != crds[i]) {
      json::value status = want.as_object()["status"];
      WriteOptions options;
      options.subresource = "status";
      auto written = storage_->Update(
          CrdResource(), "", name,
          [&](const ObjectPtr& current) -> absl::StatusOr<json::value> {
            json::value obj = current->Parse();
            obj.as_object()["status"] = status;
            base::EnsureObject(obj, {"metadata"}).erase("resourceVersion");
            return obj;
          },
          options, /*retry_on_conflict=*/true);
      if (!written.ok() && !absl::IsNotFound(written.status())) {
        spdlog::warn("crd {}: status update failed: {}", name, written.status().ToString());
        done = false;
      }
    }
    if (!terminating) continue;
    // The finalizer: delete every object of the resource, then let the CRD go.
    auto served = crd::ServedResources(want);
    if (!served.empty()) {
      const api::ResourceInfo& r = served.front();
      std::string prefix = ResourcePrefix(r.group, r.plural);
      auto objects = cache->List(prefix, prefix, nullptr, "", 0, &more);
      for (const auto& o : objects.objects) {
        bool deleted = false;
        auto s = storage_->Delete(r, o->namespace_name, o->name, DeleteOptions{}, &deleted);
        if (!s.ok() && !absl::IsNotFound(s.status())) {
          spdlog::warn("crd {}: deleting {}/{} failed: {}", name, o->namespace_name, o->name, s.status().ToString());
        }
      }
      if (!objects.objects.empty()) {
        done = false;  // wait for them (finalizers) to be gone
        continue;
      }
    }
    auto removed = storage_->Update(
        CrdResource(), "", name,
        [&](const ObjectPtr& current) -> absl::StatusOr<json::value> {
          json::value obj = current->Parse();
          auto& meta = base::EnsureObject(obj, {"metadata"});
          if (auto* list = meta.if_contains("finalizers"); list && list->is_array()) {
            auto& a = list->as_array();
            a.erase(std::remove(a.begin(), a.end(), json::value(crd::kCleanupFinalizer)), a.end());
          }
          meta.erase("resourceVersion");
          return obj;
        },
        WriteOptions{}, /*retry_on_conflict=*/true);
    if (!removed.ok() && !absl::IsNotFound(removed.status())) {
      spdlog::warn("crd {}: removing the finalizer failed: {}", name, removed.status().ToString());
      done = false;
    }
  }
  return done;
}

}  // namespace skiff::apiserver
