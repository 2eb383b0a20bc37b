#include "controllers/namespace/namespace_controller.h"

#include <map>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/conversion.h"
#include "api/object_meta.h"
#include "base/clock.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "spdlog/spdlog.h"

namespace skiff::controllers {

namespace json = boost::json;

struct NamespaceController::Progress {
  std::map<std::string, int> remaining;   // "pods" / "deployments.apps" -> objects left
  std::map<std::string, int> finalizers;  // finalizer -> objects carrying it
  std::vector<std::string> failures;      // resources whose list or delete failed
};

namespace {

const api::ResourceInfo& Namespaces() { return client::Resource("", "v1", "namespaces"); }

bool HasFinalizer(const json::value& ns, const std::string& finalizer) {
  const auto* list = base::FindPath(ns, {"spec", "finalizers"});
  if (list == nullptr || !list->is_array()) return false;
  for (const auto& f : list->get_array()) {
    if (f.is_string() && f.get_string() == finalizer) return true;
  }
  return false;
}

// Every stored namespaced resource once (its storage version).
std::vector<const api::ResourceInfo*> NamespacedResources() {
  std::vector<const api::ResourceInfo*> out;
  std::set<std::string> seen;
  for (const auto& r : api::AllResources()) {
    if (!r.stored || !r.namespaced || !r.HasVerb("delete") || !r.HasVerb("list")) continue;
    const api::ResourceInfo& stored = api::StorageVersionOf(r);
    if (seen.insert(stored.QualifiedPlural()).second) out.push_back(&stored);
  }
  return out;
}

json::value Condition(const std::string& type, bool problem, const std::string& reason,
                      const std::string& message) {
  return json::object{
      {"type", type}, {"status", problem ? "True" : "False"}, {"reason", reason}, {"message", message}};
}

std::string Counts(const std::map<std::string, int>& counts, const char* format_suffix) {
  std::vector<std::string> parts;
  for (const auto& [what, n] : counts)
    parts.push_back(absl::StrCat(what, format_suffix, n, " resource instances"));
  return absl::StrJoin(parts, ", ");
}

}  // namespace

NamespaceController::NamespaceController(const client::ControllerContext& context, int workers)
    : context_(context), workers_(workers) {}

NamespaceController::~NamespaceController() { Stop(); }

void NamespaceController::Start() {
  controller_ = std::make_unique<client::Controller>("namespace", this, workers_);
  namespaces_ = &context_.informers->For(Namespaces());
  client::WorkQueue* queue = &controller_->queue();
  auto enqueue = [queue](const client::Object& obj) {
    if (api::IsBeingDeleted(*obj)) queue->Add(client::KeyOf(*obj));
  };
  namespaces_->AddHandlers(
      {enqueue, [enqueue](const client::Object&, const client::Object& obj) { enqueue(obj); }, nullptr});
  controller_->Start();
}

void NamespaceController::Stop() {
  if (controller_) controller_->Stop();
}

client::ReconcileResult NamespaceController::Reconcile(const std::string& name) {
  client::Object ns = namespaces_->Get(name);
  if (!ns || !api::IsBeingDeleted(*ns) || !HasFinalizer(*ns, kFinalizer)) return {};
  Progress progress = DeleteContent(name);
  if (auto s = UpdateConditions(*ns, progress); !s.ok() && client::HttpCode(s) != 404) {
    return {s, std::nullopt};
  }
  if (!progress.failures.empty()) {
    return {absl::UnavailableError(absl::StrCat("namespace ", name, ": deleting content failed for ",
                                                absl::StrJoin(progress.failures, ", "))),
            std::nullopt};
  }
  if (!progress.remaining.empty()) return {absl::OkStatus(), kRecheck};
  // Everything is gone: drop our finalizer; the API server removes the namespace.
  json::value next = *ns;
  json::array kept;
  if (const auto* list = base::FindPath(next, {"spec", "finalizers"}); list && list->is_array()) {
    for (const auto& f : list->get_array()) {
      if (!(f.is_string() && f.get_string() == kFinalizer)) kept.push_back(f);
    }
  }
  base::EnsureObject(next, {"spec"})["finalizers"] = std::move(kept);
  auto finalized = context_.client->Update(Namespaces(), "", std::move(next), "finalize");
  if (!finalized.ok() && client::HttpCode(finalized.status()) != 404)
    return {finalized.status(), std::nullopt};
  spdlog::info("namespace controller: namespace {} finalized", name);
  return {};
}

NamespaceController::Progress NamespaceController::DeleteContent(const std::string& ns) {
  Progress progress;
  for (const api::ResourceInfo* r : NamespacedResources()) {
    auto list = context_.client->List(*r, ns, {});
    if (!list.ok()) {
      progress.failures.push_back(r->QualifiedPlural());
      continue;
    }
    bool failed = false;
    for (const auto& obj : list->items) {
      ++progress.remaining[r->QualifiedPlural()];
      for (const std::string& f : api::Finalizers(*obj)) ++progress.finalizers[f];
      if (api::IsBeingDeleted(*obj)) continue;  // already on its way
      client::DeleteOptions options;
      options.propagation_policy = "Background";
      options.precondition_uid = api::Uid(*obj);
      absl::Status s = context_.client->Delete(*r, ns, api::Name(*obj), options);
      if (!s.ok() && client::HttpCode(s) != 404 && client::HttpCode(s) != 409) failed = true;
    }
    if (failed) progress.failures.push_back(r->QualifiedPlural());
  }
  // Count again what is left after the deletes (most objects go at once).
  if (progress.failures.empty() && !progress.remaining.empty()) {
    Progress after;
    for (const api::ResourceInfo* r : NamespacedResources()) {
      if (!progress.remaining.count(r->QualifiedPlural())) continue;
      auto list = context_.client->List(*r, ns, {});
      if (!list.ok()) {
        after.failures.push_back(r->QualifiedPlural());
        continue;
      }
      for (const auto& obj : list->items) {
        ++after.remaining[r->QualifiedPlural()];
        for (const std::string& f : api::Finalizers(*obj)) ++after.finalizers[f];
      }
    }
    return after;
  }
  return progress;
}

absl::Status NamespaceController::UpdateConditions(const json::value& ns, const Progress& progress) {
  json::array wanted;
  wanted.push_back(Condition("NamespaceDeletionDiscoveryFailure", false, "ResourcesDiscovered",
                             "All resources successfully discovered"));
  wanted.push_back(Condition("NamespaceDeletionGroupVersionParsingFailure", false, "ParsedGroupVersions",
                             "All legacy kube types successfully parsed"));
  wanted.push_back(
      progress.failures.empty()
          ? Condition("NamespaceDeletionContentFailure", false, "ContentDeleted",
                      "All content successfully deleted, may be waiting on finalization")
          : Condition("NamespaceDeletionContentFailure", true, "ContentDeletionFailed",
                      absl::StrCat("Failed to delete all resource types, ", progress.failures.size(),
                                   " remaining: ", absl::StrJoin(progress.failures, ", "))));
  wanted.push_back(
      progress.remaining.empty()
          ? Condition("NamespaceContentRemaining", false, "ContentRemoved",
                      "All content successfully removed")
          : Condition("NamespaceContentRemaining", true, "SomeResourcesRemain",
                      absl::StrCat("Some resources are remaining: ", Counts(progress.remaining, " has "))));
  wanted.push_back(progress.finalizers.empty()
                       ? Condition("NamespaceFinalizersRemaining", false, "ContentHasNoFinalizers",
                                   "All content-preserving finalizers finished")
                       : Condition("NamespaceFinalizersRemaining", true, "SomeFinalizersRemain",
                                   absl::StrCat("Some content in the namespace has finalizers remaining: ",
                                                Counts(progress.finalizers, " in "))));
  // Keep lastTransitionTime of conditions whose status did not change.
  std::map<std::string, const json::value*> existing;
  if (const auto* list = base::FindPath(ns, {"status", "conditions"}); list && list->is_array()) {
    for (const auto& c : list->get_array()) existing[base::GetString(c, {"type"})] = &c;
  }
  std::string now = base::FormatRfc3339(absl::Now());
  bool changed = existing.size() != wanted.size();
  for (auto& c : wanted) {
    auto it = existing.find(base::GetString(c, {"type"}));
    const json::value* old = it == existing.end() ? nullptr : it->second;
    bool same_status = old && base::GetString(*old, {"status"}) == base::GetString(c, {"status"});
    c.as_object()["lastTransitionTime"] =
        same_status ? base::GetString(*old, {"lastTransitionTime"}, now) : now;
    if (!old || base::GetString(*old, {"reason"}) != base::GetString(c, {"reason"}) ||
        base::GetString(*old, {"message"}) != base::GetString(c, {"message"}) || !same_status) {
      changed = true;
    }
  }
  if (!changed) return absl::OkStatus();
  client::PatchOptions options;
  options.subresource = "status";
  json::value patch = json::object{{"status", json::object{{"conditions", std::move(wanted)}}}};
  return context_.client->Patch(Namespaces(), "", api::Name(ns), client::PatchType::kMerge, patch, options)
      .status();
}

}  // namespace skiff::controllers
