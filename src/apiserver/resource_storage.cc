#include "apiserver/resource_storage.h"

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "api/apply.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "api/schema.h"
#include "api/uid.h"
#include "apiserver/crd/conversion.h"
#include "apiserver/crd/crd_names.h"
#include "apiserver/crd/crd_status.h"
#include "apiserver/webhook_sources.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "http/errors.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

constexpr int kMaxAttempts = 16;
// kube-apiserver's maxNameGenerationCreateAttempts.
constexpr int kMaxNameGenerationAttempts = 8;
constexpr char kModified[] =
    "the object has been modified; please apply your changes to the latest version and try again";

absl::BitGen& Rng() {
  thread_local absl::BitGen gen;
  return gen;
}

std::string RandomSuffix() {
  // Kubernetes' alphabet for generated names: no vowels (no accidental words), no look-alikes.
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (int i = 0; i < 5; ++i) out += kAlphabet[absl::Uniform<size_t>(Rng(), 0, sizeof(kAlphabet) - 1)];
  return out;
}

json::object& Meta(json::value& obj) { return base::EnsureObject(obj, {"metadata"}); }

// Kinds whose registry strategy maintains metadata.generation (workloads with a spec/status split;
// the aggregator's APIService strategy does not).
bool TracksGeneration(const api::ResourceInfo& r) {
  if (r.custom || crd::IsCrdResource(r)) return true;  // kube's custom resource and CRD strategies
  if (r.group == "apiregistration.k8s.io") return false;
  if (r.group == "networking.k8s.io") return true;  // IngressClass and NetworkPolicy have no status
  return (!r.group.empty() && r.has_status) || (r.group.empty() && r.kind == "ReplicationController");
}

// Everything except metadata and status (and, for a custom resource without a status
// subresource, everything except metadata): what a generation tracks.
bool SpecChanged(const json::value& a, const json::value& b, bool status_counts = false) {
  const auto* ao = a.if_object();
  const auto* bo = b.if_object();
  if (!ao || !bo) return true;
  auto differs = [status_counts](const json::object& x, const json::object& y) {
    for (const auto& [k, v] : x) {
      if (k == "metadata" || (k == "status" && !status_counts) || k == "kind" || k == "apiVersion") continue;
      const auto* other = y.if_contains(k);
      if (!other || *other != v) return true;
    }
    return false;
  };
  return differs(*ao, *bo) || differs(*bo, *ao);
}

// metadata.finalizers, and for Namespaces also spec.finalizers (emptied through /finalize).
bool HasFinalizers(const json::value& obj) {
  for (const auto* f :
       {base::FindPath(obj, {"metadata", "finalizers"}), base::FindPath(obj, {"spec", "finalizers"})}) {
    if (f && f->is_array() && !f->get_array().empty()) return true;
  }
  return false;
}

void AddFinalizer(json::value& obj, const std::string& finalizer) {
  auto& meta = Meta(obj);
  auto& list = meta["finalizers"];
  if (!list.is_array()) list = json::array();
  for (const auto& f : list.get_array()) {
    if (f.is_string() && f.get_string() == finalizer) return;
  }
  list.get_array().push_back(json::string(finalizer));
}

std::string QosClass(const json::value& pod) {
  bool any = false;
  bool guaranteed = true;
  for (const char* list : {"containers", "initContainers"}) {
    const auto* cs = base::FindPath(pod, {"spec", list});
    if (!cs || !cs->is_array()) continue;
    for (const auto& c : cs->get_array()) {
      const auto* limits = base::FindPath(c, {"resources", "limits"});
      const auto* requests = base::FindPath(c, {"resources", "requests"});
      bool has_limits = limits && limits->is_object() && !limits->get_object().empty();
      bool has_requests = requests && requests->is_object() && !requests->get_object().empty();
      if (has_limits || has_requests) any = true;
      for (const char* res : {"cpu", "memory"}) {
        const auto* l = has_limits ? limits->get_object().if_contains(res) : nullptr;
        const auto* q = has_requests ? requests->get_object().if_contains(res) : nullptr;
        if (!l || (q && *q != *l)) guaranteed = false;
      }
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

// Invariants the registry enforces on every write.
void ApplyKindInvariants(const api::ResourceInfo& r, json::value& obj) {
  if (r.group.empty() && r.kind == "Namespace") {
    std::string name = api::Name(obj);
    base::EnsureObject(obj, {"metadata", "labels"})["kubernetes.io/metadata.name"] = name;
  }
}

// Kind-specific state on create, as the Kubernetes registry strategies set it.
void PrepareForCreate(const api::ResourceInfo& r, json::value& obj, const std::string& now) {
  auto& o = obj.as_object();
  if (r.group.empty() && r.kind == "Pod") {
    json::object status;
    status["phase"] = "Pending";
    status["qosClass"] = QosClass(obj);
    o["status"] = std::move(status);
  } else if (r.group.empty() && r.kind == "Namespace") {
    o["status"] = json::object{{"phase", "Active"}};
  } else if ((r.group.empty() && r.kind == "Service") ||
             (r.group == "networking.k8s.io" && r.kind == "Ingress")) {
    o["status"] = json::object{{"loadBalancer", json::object()}};
  } else if (r.group.empty() && (r.kind == "PersistentVolumeClaim" || r.kind == "PersistentVolume")) {
    o["status"] = json::object{{"phase", "Pending"}};
  } else if (r.group == "apiregistration.k8s.io" && r.kind == "APIService") {
    // A local APIService (no spec.service: served by this server) is available from the start.
    json::object status;
    const auto* service = base::FindPath(obj, {"spec", "service"});
    if (!service || service->is_null()) {
      status["conditions"] = json::array{json::object{{"type", "Available"},
                                                      {"status", "True"},
                                                      {"lastTransitionTime", now},
                                                      {"reason", "Local"},
                                                      {"message", "Local APIServices are always available"}}};
    }
    o["status"] = std::move(status);
  } else if (r.has_status && !(r.group.empty() && r.kind == "Node")) {
    o.erase("status");
  }
  if (r.group == "batch" && r.kind == "Job" && !base::GetBool(obj, {"spec", "manualSelector"})) {
    // The Job registry owns the selector: it selects the Job's own pods by its uid.
    std::string uid = api::Uid(obj);
    std::string name = api::Name(obj);
    auto& labels = base::EnsureObject(obj, {"spec", "template", "metadata", "labels"});
    labels["batch.kubernetes.io/controller-uid"] = uid;
    labels["batch.kubernetes.io/job-name"] = name;
    labels["controller-uid"] = uid;
    labels["job-name"] = name;
    base::EnsureObject(obj, {"spec"})["selector"] =
        json::object{{"matchLabels", json::object{{"batch.kubernetes.io/controller-uid", uid}}}};
  }
}

}  // namespace

std::string StoredForm(json::value obj) { return StoredFormOf(obj); }

std::string StoredFormOf(json::value& obj) {
  auto* meta = obj.is_object() ? obj.as_object().if_contains("metadata") : nullptr;
  json::object* fields = meta != nullptr && meta->is_object() ? &meta->as_object() : nullptr;
  auto rv = fields != nullptr ? fields->find("resourceVersion") : json::object::iterator();
  if (fields == nullptr || rv == fields->end()) return base::ToJson(obj);
  json::value kept = std::move(rv->value());
  fields->erase(rv);
  std::string out = base::ToJson(obj);
  (*fields)["resourceVersion"] = std::move(kept);
  return out;
}

std::string GenerateName(const std::string& base) {
  constexpr size_t kMaxGeneratedNameLength = 63 - 5;  // maxNameLength - randomLength
  return base.substr(0, kMaxGeneratedNameLength) + RandomSuffix();
}

ResourceStorage::ResourceStorage(storage::Store* store, WatchCache* cache, base::Clock* clock,
                                 Admission* admission)
    : store_(store),
      cache_(cache),
      clock_(clock),
      admission_(admission),
      generate_name_(GenerateName),
      services_(std::make_unique<WebhookSources>(cache)),
      converter_(std::make_unique<crd::Converter>(services_.get())) {}

ResourceStorage::~ResourceStorage() = default;

absl::Status ResourceStorage::Admit(const api::ResourceInfo& r, AdmissionOperation op, const std::string& ns,
                                    json::value& obj, const json::value* old, const WriteOptions& options,
                                    AdmissionReservations* reservations) {
  // A binding changes only spec.nodeName and the PodScheduled condition of a pod that was admitted
  // when it was stored; kube's BindingREST neither defaults nor validates the pod again.
  const bool schema = admission_ != nullptr && options.subresource != "binding";
  if (schema) {
    if (auto s = admission_->Admit(r, obj, old); !s.ok()) return s;
  }
  if (plugins_.empty()) return absl::OkStatus();
  std::string name = api::Name(obj);
  AdmissionRequest request{.operation = op,
                           .resource = &r,
                           .subresource = options.subresource,
                           .ns = ns,
                           .name = name,
                           .user = options.user,
                           .dry_run = options.dry_run,
                           .warnings = options.warnings,
                           .reservations = reservations,
                           .audit_annotations = options.audit_annotations};
  bool changed = false;
  for (AdmissionPlugin* plugin : plugins_) {
    if (auto s = plugin->Mutate(request, obj, old, &changed); !s.ok()) return s;
  }
  if (changed && admission_) {  // a plug-in's changes are validated, a binding's too
    if (auto s = admission_->Admit(r, obj, old); !s.ok()) return s;
  }
  for (AdmissionPlugin* plugin : plugins_) {
    if (auto s = plugin->Validate(request, &obj, old); !s.ok()) return s;
  }
  return absl::OkStatus();
}

WriteHook* ResourceStorage::HookFor(const api::ResourceInfo& r) const {
  for (auto* hook : hooks_) {
    if (hook->Handles(r)) return hook;
  }
  return nullptr;
}

absl::StatusOr<std::unique_ptr<WriteHook::Reservation>> ResourceStorage::PrepareHook(
    const api::ResourceInfo& r, json::value& obj, const json::value* old) {
  auto* hook = HookFor(r);
  if (!hook) return std::unique_ptr<WriteHook::Reservation>();
  return hook->Prepare(r, obj, old);
}

void ResourceStorage::NotifyDeleted(const api::ResourceInfo& r, const json::value& obj) {
  if (auto* hook = HookFor(r)) hook->Deleted(r, obj);
}

absl::StatusOr<ObjectPtr> ResourceStorage::Get(const api::ResourceInfo& r, const std::string& ns,
                                               const std::string& name) {
  std::string prefix = ResourcePrefix(r.group, r.plural);
  auto obj = cache_->Get(prefix, ObjectKey(prefix, r.namespaced ? ns : "", name));
  if (!obj) return api::NotFoundError(r.group, r.plural, name);
  return obj;
}

absl::Status ResourceStorage::CheckNamespace(const api::ResourceInfo& r, const std::string& ns,
                                             bool creating) {
  if (!r.namespaced) return absl::OkStatus();
  if (ns.empty()) return api::BadRequestError("the namespace of the object must be set");
  std::string prefix = ResourcePrefix("", "namespaces");
  auto nsobj = cache_->Get(prefix, ObjectKey(prefix, "", ns));
  if (!nsobj) return api::NotFoundError("", "namespaces", ns);
  if (!creating) return absl::OkStatus();
  // Most namespaces are neither terminating nor being deleted: parse only one whose text mentions
  // either (a parse per create was 2% of the server's CPU under a create load).
  const std::string& text = nsobj->json;
  if (text.find("Terminating") == std::string::npos && text.find("deletionTimestamp") == std::string::npos)
    return absl::OkStatus();
  json::value nsval = nsobj->Parse();
  if (base::GetString(nsval, {"status", "phase"}) == "Terminating" || api::IsBeingDeleted(nsval)) {
    return api::ToStatus(
        {403, "Forbidden",
         absl::StrCat(r.QualifiedPlural(), " is forbidden: unable to create new content in namespace ", ns,
                      " because it is being terminated"),
         "", r.group, r.plural});
  }
  return absl::OkStatus();
}

absl::StatusOr<ObjectPtr> ResourceStorage::Create(const api::ResourceInfo& r, const std::string& ns,
                                                  json::value obj, const WriteOptions& options) {
  bool generated = api::Name(obj).empty() && !base::GetString(obj, {"metadata", "generateName"}).empty();
  bool taken = false;
  if (!generated) return CreateOnce(r, ns, std::move(obj), options, &taken);
  absl::StatusOr<ObjectPtr> result;
  for (int attempt = 0; attempt < kMaxNameGenerationAttempts; ++attempt) {
    result = CreateOnce(r, ns, obj, options, &taken);
    if (!taken) break;
  }
  return result;
}

absl::StatusOr<ObjectPtr> ResourceStorage::CreateOnce(const api::ResourceInfo& r, const std::string& ns,
                                                      json::value obj, const WriteOptions& options,
                                                      bool* generated_name_taken) {
  *generated_name_taken = false;
  if (!obj.is_object()) return api::BadRequestError("the request body must be a JSON object");
  // Insert top-level keys before taking references into the object: inserting may move entries.
  obj.as_object()["apiVersion"] = r.GroupVersion();
  obj.as_object()["kind"] = r.kind;
  auto& meta = Meta(obj);
  std::string body_ns = api::Namespace(obj);
  if (r.namespaced) {
    if (!body_ns.empty() && !ns.empty() && body_ns != ns) {
      return api::BadRequestError(
          "the namespace of the provided object does not match the namespace sent on the request");
    }
    meta["namespace"] = ns.empty() ? body_ns : ns;
  } else {
    meta.erase("namespace");
  }
  std::string the_ns = r.namespaced ? std::string(meta["namespace"].as_string()) : "";
  if (auto s = CheckNamespace(r, the_ns, true); !s.ok()) return s;
  if (!api::ResourceVersion(obj).empty()) {
    return api::BadRequestError("resourceVersion should not be set on objects to be created");
  }
  std::string name = api::Name(obj);
  std::string generate = base::GetString(obj, {"metadata", "generateName"});
  if (name.empty() && !generate.empty()) {
    name = generate_name_(generate);
    meta["name"] = name;
  }
  meta["uid"] = api::NewUid();
  meta["creationTimestamp"] = base::FormatRfc3339(clock_->Now());
  if (TracksGeneration(r)) {
    meta["generation"] = 1;
  } else {
    meta.erase("generation");
  }
  meta.erase("deletionTimestamp");
  meta.erase("deletionGracePeriodSeconds");
  meta.erase("selfLink");
  PrepareForCreate(r, obj, base::FormatRfc3339(clock_->Now()));
  ApplyKindInvariants(r, obj);
  if (!options.field_manager.empty() && !options.managed_fields_done) {
    api::UpdateManagedFields(nullptr, obj, options.field_manager, "Update", r.GroupVersion(),
                             base::FormatRfc3339(clock_->Now()),
                             api::PatchMetaFor(r));
  }
  AdmissionReservations reservations;  // given back unless committed below
  if (auto s = Admit(r, AdmissionOperation::kCreate, the_ns, obj, nullptr, options, &reservations); !s.ok())
    return s;
  auto reservation = PrepareHook(r, obj, nullptr);
  if (!reservation.ok()) return reservation.status();
  name = api::Name(obj);
  std::string prefix = ResourcePrefix(r.group, r.plural);
  std::string key = ObjectKey(prefix, the_ns, name);
  std::string stored = StoredFormOf(obj);
  if (options.dry_run) return cache_->Materialize(key, std::move(obj), 0);
  auto rev = store_->Create(key, stored);
  if (!rev.ok()) {
    if (absl::IsAlreadyExists(rev.status())) {
      if (!generate.empty() && base::GetString(obj, {"metadata", "generateName"}) == generate) {
        *generated_name_taken = true;
        api::ApiError e{409, "AlreadyExists",
                   absl::StrCat(r.QualifiedPlural(), " \"", name,
                                "\" already exists, the server was not able to generate a unique name for "
                                "the object"),
                   name, r.group, r.plural};
        e.retry_after_seconds = 1;
        return api::ToStatus(e);
      }
      return api::AlreadyExistsError(r.group, r.plural, name);
    }
    return rev.status();
  }
  if (*reservation) (*reservation)->Commit();
  for (auto& admitted : reservations) admitted->Commit(*rev);
  if (auto s = cache_->WaitForRevision(*rev); !s.ok()) return s;
  return Written(prefix, key, std::move(obj), *rev);
}

absl::StatusOr<ObjectPtr> ResourceStorage::Persist(const api::ResourceInfo& r, const ObjectPtr& current,
                                                   json::value obj, bool dry_run) {
  std::string stored = StoredFormOf(obj);
  if (dry_run) return cache_->Materialize(current->key, std::move(obj), current->revision);
  // An object marked for deletion whose last finalizer is gone is removed (pods on a node wait for
  // the node agent's final delete instead).
  bool terminating = api::IsBeingDeleted(obj);
  bool graceful_pod = r.group.empty() && r.kind == "Pod" &&
                      base::GetInt(obj, {"metadata", "deletionGracePeriodSeconds"}, 0) > 0;
  if (terminating && !HasFinalizers(obj) && !graceful_pod) {
    auto rev = store_->Delete(current->key, current->revision);
    if (!rev.ok()) return rev.status();
    NotifyDeleted(r, obj);
    if (auto s = cache_->WaitForRevision(*rev); !s.ok()) return s;
    return cache_->MakeObject(current->key, stored, *rev);
  }
  auto rev = store_->Update(current->key, stored, current->revision);
  if (!rev.ok()) return rev.status();
  if (auto s = cache_->WaitForRevision(*rev); !s.ok()) return s;
  return Written(ResourcePrefix(r.group, r.plural), current->key, std::move(obj), *rev);
}

ObjectPtr ResourceStorage::Written(const std::string& prefix, const std::string& key, json::value obj,
                                   int64_t revision) const {
  // The cache decoded the stored bytes already; building the object again would serialize it a
  // second time. A newer write may have replaced it since: then the written version is built.
  if (ObjectPtr cached = cache_->Get(prefix, key); cached != nullptr && cached->revision == revision) {
    return cached;
  }
  return cache_->Materialize(key, std::move(obj), revision);
}

absl::StatusOr<ObjectPtr> ResourceStorage::Update(const api::ResourceInfo& r, const std::string& ns,
                                                  const std::string& name, const Mutation& mutate,
                                                  const WriteOptions& options, bool retry_on_conflict,
                                                  bool create_if_missing, bool* created) {
  if (created) *created = false;
  std::string prefix = ResourcePrefix(r.group, r.plural);
  std::string key = ObjectKey(prefix, r.namespaced ? ns : "", name);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    ObjectPtr current = cache_->Get(prefix, key);
    if (!current) {
      if (!create_if_missing) return api::NotFoundError(r.group, r.plural, name);
      auto obj = mutate(nullptr);
      if (!obj.ok()) return obj.status();
      auto made = Create(r, ns, std::move(*obj), options);
      if (made.ok() && created) *created = true;
      if (!made.ok() && absl::IsAborted(made.status()) && attempt + 1 < kMaxAttempts &&
          api::HttpCode(made.status()) == 409 && api::StatusObject(made.status()).at("reason") == "AlreadyExists") {
        continue;  // created concurrently: apply onto it
      }
      return made;
    }
    auto next = mutate(current);
    if (!next.ok()) return next.status();
    json::value obj = std::move(*next);
    if (!obj.is_object()) return api::BadRequestError("the request body must be a JSON object");
    obj.as_object()["apiVersion"] = r.GroupVersion();
    obj.as_object()["kind"] = r.kind;
    auto& meta = Meta(obj);
    std::string body_name = api::Name(obj);
    if (!body_name.empty() && body_name != name) {
      return api::BadRequestError(absl::StrCat("the name of the object (", body_name,
                                          ") does not match the name on the URL (", name, ")"));
    }
    std::string body_ns = api::Namespace(obj);
    if (r.namespaced && !body_ns.empty() && body_ns != ns) {
      return api::BadRequestError(
          "the namespace of the provided object does not match the namespace sent on the request");
    }
    std::string body_rv = api::ResourceVersion(obj);
    if (!body_rv.empty() && body_rv != std::to_string(current->revision)) {
      return api::ConflictError(r.group, r.plural, name, kModified);
    }
    const json::value old = current->Parse();
    // System-owned metadata is never taken from the request.
    meta["name"] = name;
    if (r.namespaced) meta["namespace"] = ns;
    for (const char* field :
         {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"}) {
      const auto* v = base::FindPath(old, {"metadata", field});
      if (v) {
        meta[field] = *v;
      } else {
        meta.erase(field);
      }
    }
    if (r.has_status && options.subresource != "binding") {
      if (options.subresource == "status" || options.subresource == "approval") {
        // A status write changes only status (and metadata a controller may legitimately touch);
        // so does a CSR approval, whose narrower rules are the CSR admission plug-in's.
        json::value merged = old;
        if (const auto* st = obj.as_object().if_contains("status")) {
          merged.as_object()["status"] = *st;
        } else {
          merged.as_object().erase("status");
        }
        obj = std::move(merged);
      } else if (const auto* st = old.as_object().if_contains("status")) {
        obj.as_object()["status"] = *st;
      } else {
        obj.as_object().erase("status");
      }
    }
    ApplyKindInvariants(r, obj);
    if (TracksGeneration(r)) {
      int64_t generation = base::GetInt(old, {"metadata", "generation"}, 1);
      if (SpecChanged(old, obj, r.custom && !r.has_status)) ++generation;
      Meta(obj)["generation"] = generation;
    } else if (const auto* g = base::FindPath(old, {"metadata", "generation"})) {
      Meta(obj)["generation"] = *g;
    } else {
      Meta(obj).erase("generation");
    }
    AdmissionReservations reservations;  // given back unless committed below
    if (auto s = Admit(r, AdmissionOperation::kUpdate, ns, obj, &old, options, &reservations); !s.ok()) return s;
    if (TracksGeneration(r)) {
      // Again over the defaulted, admitted object, as kube's PrepareForUpdate sees it: a request that
      // leaves out fields the defaults fill in (a re-applied atomic list) changes nothing.
      int64_t generation = base::GetInt(old, {"metadata", "generation"}, 1);
      if (SpecChanged(old, obj, r.custom && !r.has_status)) ++generation;
      Meta(obj)["generation"] = generation;
    }
    auto reservation = PrepareHook(r, obj, &old);
    if (!reservation.ok()) return reservation.status();
    Meta(obj)["resourceVersion"] = std::to_string(current->revision);
    // No-op updates do not create a revision. A binding is never one (it sets the node of a pod
    // that had none), and comparing two whole pods was 3% of the server's CPU under a pod load.
    if (options.subresource != "binding" && obj == old) return current;
    if (!options.field_manager.empty() && !options.managed_fields_done) {
      api::UpdateManagedFields(&old, obj, options.field_manager, "Update", r.GroupVersion(),
                               base::FormatRfc3339(clock_->Now()),
                               api::PatchMetaFor(r), options.subresource);
    }
    auto result = Persist(r, current, std::move(obj), options.dry_run);
    if (result.ok()) {
      if (!options.dry_run) {
        if (*reservation) (*reservation)->Commit();
        for (auto& admitted : reservations) admitted->Commit((*result)->revision);
      }
      return result;
    }
    if (absl::IsFailedPrecondition(result.status()) || absl::IsNotFound(result.status())) {
      if (retry_on_conflict) {
        // The write that won may not be in the cache yet: re-reading before it is would lose again.
        if (auto s = cache_->WaitForRevision(store_->CurrentRevision()); !s.ok()) return s;
        continue;
      }
      if (absl::IsNotFound(result.status())) return api::NotFoundError(r.group, r.plural, name);
      return api::ConflictError(r.group, r.plural, name, kModified);
    }
    return result.status();
  }
  return api::ConflictError(r.group, r.plural, name, kModified);
}

absl::StatusOr<ObjectPtr> ResourceStorage::Delete(const api::ResourceInfo& r, const std::string& ns,
                                                  const std::string& name, const DeleteOptions& options,
                                                  bool* deleted) {
  *deleted = false;
  std::string prefix = ResourcePrefix(r.group, r.plural);
  std::string key = ObjectKey(prefix, r.namespaced ? ns : "", name);
  // The namespaces every cluster relies on cannot be deleted (Kubernetes' NamespaceLifecycle).
  if (r.group.empty() && r.kind == "Namespace" &&
      (name == "default" || name == "kube-system" || name == "kube-public")) {
    return api::ToStatus(
        {403, "Forbidden",
         absl::StrCat("namespaces \"", name, "\" is forbidden: this namespace may not be deleted"), name, "",
         "namespaces"});
  }
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    ObjectPtr current = cache_->Get(prefix, key);
    if (!current) return api::NotFoundError(r.group, r.plural, name);
    const json::value live = current->Parse();
    std::string uid = api::Uid(live);
    if (!options.precondition_uid.empty() && options.precondition_uid != uid) {
      return api::ConflictError(r.group, r.plural, name,
                           absl::StrCat("Precondition failed: UID in precondition: ",
                                        options.precondition_uid, ", UID in object meta: ", uid));
    }
    if (!options.precondition_resource_version.empty() &&
        options.precondition_resource_version != std::to_string(current->revision)) {
      return api::ConflictError(r.group, r.plural, name,
                           absl::StrCat("Precondition failed: ResourceVersion in precondition: ",
                                        options.precondition_resource_version,
                                        ", ResourceVersion in object meta: ", current->revision));
    }
    if (attempt == 0 && !plugins_.empty()) {
      AdmissionRequest request{.operation = AdmissionOperation::kDelete,
                               .resource = &r,
                               .ns = r.namespaced ? absl::string_view(ns) : absl::string_view(),
                               .name = name,
                               .user = options.user,
                               .dry_run = options.dry_run,
                               .warnings = options.warnings,
                               .audit_annotations = options.audit_annotations};
      for (AdmissionPlugin* plugin : plugins_) {
        if (auto s = plugin->Validate(request, nullptr, &live); !s.ok()) return s;
      }
    }
    json::value obj = live;
    bool already_terminating = api::IsBeingDeleted(obj);
    if (options.propagation_policy == "Orphan") AddFinalizer(obj, "orphan");
    if (options.propagation_policy == "Foreground") AddFinalizer(obj, "foregroundDeletion");
    if (crd::IsCrdResource(r) && !already_terminating) {
      // kube's CRD registry: the CRD's objects go first (apiserver/crd_controller.h removes this).
      AddFinalizer(obj, crd::kCleanupFinalizer);
      crd::SetCondition(obj, "Terminating", "True", "InstanceDeletionPending",
                        "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon",
                        base::FormatRfc3339(clock_->Now()));
    }
    bool is_namespace = r.group.empty() && r.kind == "Namespace";
    bool is_pod = r.group.empty() && r.kind == "Pod";
    int64_t grace = 0;
    bool graceful = false;
    if (is_pod && !api::NodeName(obj).empty() && !api::IsTerminal(obj)) {
      grace = options.grace_period_seconds.value_or(
          base::GetInt(obj, {"spec", "terminationGracePeriodSeconds"}, 30));
      graceful = grace > 0;
    }
    if (is_namespace) {
      const auto* fin = base::FindPath(obj, {"spec", "finalizers"});
      if (fin && fin->is_array() && !fin->get_array().empty()) graceful = true;
    }
    if (HasFinalizers(obj) || graceful) {
      if (options.dry_run) return cache_->MakeObject(current->key, StoredForm(obj), current->revision);
      auto& meta = Meta(obj);
      // A pod already terminating may only have its grace period shortened (k8s BeforeDelete),
      // down to 0: the node agent's final delete of a pod that still has finalizers, after
      // which removing the last finalizer deletes the pod (see Persist).
      if (!already_terminating ||
          (is_pod && grace < base::GetInt(obj, {"metadata", "deletionGracePeriodSeconds"}, 0))) {
        meta["deletionTimestamp"] = base::FormatRfc3339(clock_->Now() + absl::Seconds(grace));
        meta["deletionGracePeriodSeconds"] = grace;
      }
      if (is_namespace) base::EnsureObject(obj, {"status"})["phase"] = "Terminating";
      if (obj == live) return current;
      auto stored = store_->Update(current->key, StoredForm(obj), current->revision);
      if (!stored.ok()) {
        if (absl::IsFailedPrecondition(stored.status()) || absl::IsNotFound(stored.status())) {
          // Lost to a concurrent write: re-read only once the cache holds it, else every retry loses.
          if (auto s = cache_->WaitForRevision(store_->CurrentRevision()); !s.ok()) return s;
          continue;
        }
        return stored.status();
      }
      if (auto s = cache_->WaitForRevision(*stored); !s.ok()) return s;
      return cache_->MakeObject(current->key, StoredForm(obj), *stored);
    }
    if (options.dry_run) {
      *deleted = true;
      return current;
    }
    auto rev = store_->Delete(current->key, current->revision);
    if (!rev.ok()) {
      if (absl::IsFailedPrecondition(rev.status()) || absl::IsNotFound(rev.status())) {
        if (auto s = cache_->WaitForRevision(store_->CurrentRevision()); !s.ok()) return s;
        continue;
      }
      return rev.status();
    }
    NotifyDeleted(r, live);
    if (auto s = cache_->WaitForRevision(*rev); !s.ok()) return s;
    *deleted = true;
    return current;
  }
  return api::ConflictError(r.group, r.plural, name, kModified);
}

}  // namespace skiff::apiserver
