// ResourceStorage: the object semantics of the Kubernetes API on top of the Store and the
// WatchCache — the one write path every client (HTTP or in-process) goes through.
//
// It owns: uid/creationTimestamp/generation/resourceVersion rules, generateName, namespace
// existence, status-subresource rules, optimistic concurrency (409 on a stale resourceVersion),
// finalizers and deletionTimestamp, graceful pod deletion, propagation-policy finalizers, dryRun,
// and admission (defaulting + validation through the Admission interface).
// Thread-safety: all methods may be called concurrently. Ownership: borrows the Store, WatchCache,
// Clock and Admission, which must outlive it.
// Failure: Kubernetes API errors as absl::Status built by api/errors.h (404, 409, 422, ...).
#ifndef SKIFF_APISERVER_RESOURCE_STORAGE_H_
#define SKIFF_APISERVER_RESOURCE_STORAGE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/resources.h"
#include "apiserver/admission.h"
#include "apiserver/watch_cache.h"
#include "base/clock.h"
#include "boost/json/value.hpp"
#include "storage/store.h"

namespace skiff::apiserver {

namespace admissionwebhook {
class ServiceResolver;
}  // namespace admissionwebhook
namespace crd {
class Converter;
}  // namespace crd

// Defaulting and validation of objects about to be stored.
class Admission {
 public:
  virtual ~Admission() = default;
  // `old` is null on create. May default fields of `obj`; returns a 422 Invalid Status on bad input.
  virtual absl::Status Admit(const api::ResourceInfo& resource, boost::json::value& obj,
                             const boost::json::value* old) = 0;
};

// State a kind keeps outside its objects (the Service ClusterIP and NodePort allocators), kept
// in step with every create, update and delete of the kinds the hook handles.
class WriteHook {
 public:
  // What Prepare reserved for one write: Commit() when the write was stored; destroying an
  // uncommitted reservation gives back what it took.
  class Reservation {
   public:
    virtual ~Reservation() = default;
    virtual void Commit() = 0;
  };
  virtual ~WriteHook() = default;
  virtual bool Handles(const api::ResourceInfo& resource) const = 0;
  // After admission (defaulted, schema-valid `obj`), before the write is stored; `old` is null on
  // create. May fill fields of `obj` (allocated values); a non-OK status rejects the write.
  virtual absl::StatusOr<std::unique_ptr<Reservation>> Prepare(const api::ResourceInfo& resource,
                                                               boost::json::value& obj,
                                                               const boost::json::value* old) = 0;
  // After `obj` was removed from storage.
  virtual void Deleted(const api::ResourceInfo& resource, const boost::json::value& obj) = 0;
};

struct WriteOptions {
  bool dry_run = false;
  std::string field_manager;
  // "", "status", "scale" or "binding": which parts of the object the write may change (status
  // only through "status") and the subresource recorded in managedFields.
  std::string subresource;
  // Server-side apply computes managedFields itself; other writes record an "Update" entry.
  bool managed_fields_done = false;
  // The writer, for admission plug-ins; null for the server's own identity-less writes.
  const User* user = nullptr;
  // Collects admission warnings for the client; may be null.
  std::vector<std::string>* warnings = nullptr;
  // Collects admission plug-ins' audit annotations for the request's audit event; may be null.
  AuditAnnotations* audit_annotations = nullptr;
};

struct DeleteOptions {
  bool dry_run = false;
  std::optional<int64_t> grace_period_seconds;
  std::string propagation_policy;  // "", "Orphan", "Background", "Foreground"
  std::string precondition_uid;
  std::string precondition_resource_version;
  const User* user = nullptr;                    // as in WriteOptions
  std::vector<std::string>* warnings = nullptr;  // as in WriteOptions
  AuditAnnotations* audit_annotations = nullptr;  // as in WriteOptions
};

using AdmissionReservations = std::vector<std::unique_ptr<AdmissionReservation>>;

// Picks the name of an object created with metadata.generateName: `base` plus a random suffix.
using NameGenerator = std::function<std::string(const std::string& base)>;

// Computes the new object from the current one during an update. Returning a non-OK status aborts
// the update with that status.
using Mutation = std::function<absl::StatusOr<boost::json::value>(const ObjectPtr& current)>;

class ResourceStorage {
 public:
  ResourceStorage(storage::Store* store, WatchCache* cache, base::Clock* clock, Admission* admission);
  ~ResourceStorage();

  absl::StatusOr<ObjectPtr> Get(const api::ResourceInfo& r, const std::string& ns, const std::string& name);

  // An object with metadata.generateName and no name gets a generated one; when that name is
  // taken the whole create is retried with a fresh name, 8 attempts in all (as kube-apiserver),
  // before it fails with 409 AlreadyExists.
  absl::StatusOr<ObjectPtr> Create(const api::ResourceInfo& r, const std::string& ns, boost::json::value obj,
                                   const WriteOptions& options);

  // Reads the current object, applies `mutate`, and stores the result if the object is unchanged
  // in storage meanwhile; on a race it re-reads and retries while `retry_on_conflict` is true (a
  // patch without a resourceVersion), else answers 409. When the object does not exist and
  // `create_if_missing` is set (server-side apply), `mutate` is called with nullptr and the result
  // is created.
  absl::StatusOr<ObjectPtr> Update(const api::ResourceInfo& r, const std::string& ns, const std::string& name,
                                   const Mutation& mutate, const WriteOptions& options,
                                   bool retry_on_conflict, bool create_if_missing = false,
                                   bool* created = nullptr);

  // Deletes (or marks for deletion when finalizers or graceful termination apply). Returns the
  // object as it was deleted or as it now stands with its deletionTimestamp; `deleted` tells which.
  absl::StatusOr<ObjectPtr> Delete(const api::ResourceInfo& r, const std::string& ns, const std::string& name,
                                   const DeleteOptions& options, bool* deleted);

  // Registers a hook (before any write; the hook must outlive the storage).
  void AddWriteHook(WriteHook* hook) { hooks_.push_back(hook); }
  // Appends an admission plug-in to the chain (before any write; it must outlive the storage).
  void AddAdmissionPlugin(AdmissionPlugin* plugin) { plugins_.push_back(plugin); }
  // Replaces the random generator of names for generateName (tests force collisions with it).
  // Call before serving.
  void SetNameGenerator(NameGenerator generator) { generate_name_ = std::move(generator); }

  WatchCache* cache() const { return cache_; }
  storage::Store* store() const { return store_; }
  // Converts objects between the versions of a resource, calling CRD conversion webhooks (by URL,
  // or at a ready endpoint of their Service, found in the cache) — for every client alike.
  const crd::Converter& converter() const { return *converter_; }

 private:
  absl::Status CheckNamespace(const api::ResourceInfo& r, const std::string& ns, bool creating);
  // One create attempt; `generated_name_taken` tells that it failed because the name it
  // generated exists.
  absl::StatusOr<ObjectPtr> CreateOnce(const api::ResourceInfo& r, const std::string& ns, boost::json::value obj,
                                       const WriteOptions& options, bool* generated_name_taken);
  absl::StatusOr<ObjectPtr> Persist(const api::ResourceInfo& r, const ObjectPtr& current,
                                    boost::json::value obj, bool dry_run);
  // Schema admission and the plug-in chain (admission.h) for a create or update of `obj`.
  // Reservations the plug-ins make go to `reservations`, for the caller to commit once stored.
  absl::Status Admit(const api::ResourceInfo& r, AdmissionOperation op, const std::string& ns,
                     boost::json::value& obj, const boost::json::value* old, const WriteOptions& options,
                     AdmissionReservations* reservations);
  WriteHook* HookFor(const api::ResourceInfo& r) const;
  // Runs the hook of `r`, if any; a null reservation when there is none.
  absl::StatusOr<std::unique_ptr<WriteHook::Reservation>> PrepareHook(const api::ResourceInfo& r,
                                                                      boost::json::value& obj,
                                                                      const boost::json::value* old);
  void NotifyDeleted(const api::ResourceInfo& r, const boost::json::value& obj);
  // The object a write stored at `revision` (the cache has applied it): the cache's own copy when it
  // still holds that version, else one built from `obj`.
  ObjectPtr Written(const std::string& prefix, const std::string& key, boost::json::value obj,
                    int64_t revision) const;

  storage::Store* store_;
  WatchCache* cache_;
  base::Clock* clock_;
  Admission* admission_;
  std::vector<WriteHook*> hooks_;
  std::vector<AdmissionPlugin*> plugins_;
  NameGenerator generate_name_;
  std::unique_ptr<admissionwebhook::ServiceResolver> services_;
  std::unique_ptr<crd::Converter> converter_;
};

// Kubernetes' generated names: `base` cut to 58 characters plus 5 random characters from an
// alphabet without vowels and look-alikes.
std::string GenerateName(const std::string& base);

// Storage form of an object: its JSON without metadata.resourceVersion.
std::string StoredForm(boost::json::value obj);
// The same without copying `obj`: its resourceVersion (if any) is taken out for the serialization
// and put back, last among the metadata fields.
std::string StoredFormOf(boost::json::value& obj);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_RESOURCE_STORAGE_H_
