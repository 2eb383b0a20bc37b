// The catalogue of resources skiff serves: for each resource its group, version, kind, plural and
// singular names, scope, short names, categories, verbs and subresources. Discovery, routing,
// storage keys and OpenAPI paths are all derived from it. It holds the built-in resources plus the
// custom resources of Established CustomResourceDefinitions, which SetCustomResources replaces.
// Thread-safety: readers see an immutable snapshot, swapped atomically (no lock on the read path);
// SetCustomResources may be called from any thread. A reader that looks twice may see two
// snapshots: callers compare resources by value, never by address across calls.
// Ownership: snapshots are never freed, so returned pointers/references live for the whole process
// (a replaced snapshot costs a few KB; CRDs change rarely). Lookups return nullptr when nothing
// matches (callers turn that into a 404).
#ifndef SKIFF_API_RESOURCES_H_
#define SKIFF_API_RESOURCES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/patch_meta.h"
#include "boost/json/value.hpp"

namespace skiff::api {

namespace structural {
struct Schema;  // api/structural/structural.h (a library above this one)
}  // namespace structural

struct KindRef {
  std::string group;
  std::string version;
  std::string kind;
};

struct SubresourceInfo {
  std::string name;  // "status", "scale", "binding", "eviction", "log", "exec", ...
  KindRef response_kind;
  std::vector<std::string> verbs;
};

// A column of `kubectl get` for a custom resource (a CRD's additionalPrinterColumns).
struct PrinterColumn {
  std::string name;
  std::string type;    // integer, number, string, boolean, date
  std::string format;  // "" or the OpenAPI format (int32, date-time, ...)
  std::string description;
  int priority = 0;       // > 0: only with -o wide
  std::string json_path;  // ".spec.replicas"
};

// What a custom resource adds to ResourceInfo (from its CustomResourceDefinition).
struct CustomResourceInfo {
  std::string crd_name;         // "widgets.example.com"
  std::string storage_version;  // the version objects are stored in
  std::string list_kind;        // spec.names.listKind ("" = <Kind>List)
  // spec.conversion: {"strategy": "None"} or {"strategy": "Webhook", "webhook": {clientConfig,
  // conversionReviewVersions}} (apiserver/crd/conversion.h calls the webhook).
  boost::json::value conversion;
  // status.storedVersions is exactly [storage_version]: every stored object is in that version, so
  // reads in it need no per-object version check.
  bool single_stored_version = false;
  // The CRD has a deletionTimestamp: its objects may be read and deleted, not created.
  bool terminating = false;
  std::vector<PrinterColumn> printer_columns;  // empty: NAME and AGE
  // The scale subresource's JSON paths (".spec.replicas"); empty spec path: no scale subresource.
  std::string spec_replicas_path;
  std::string status_replicas_path;
  std::string label_selector_path;
  // The version's openAPIV3Schema (null when the CRD has none), and that schema compiled (null
  // when absent or not structural): what custom resources are pruned, defaulted and validated with.
  boost::json::value schema;
  std::shared_ptr<const structural::Schema> structural;
  // The schema's list/map topology for server-side apply (null without a structural schema).
  std::shared_ptr<const PatchMeta> patch_meta;
  // The schema declares a `default` somewhere: objects stored before it was added get it on read.
  bool defaults_on_read = false;
  // spec.versions[].selectableFields as field-selector names ("spec.color"; jsonPath without the
  // leading dot), usable in list/watch fieldSelectors besides metadata.name/namespace.
  std::vector<std::string> selectable_fields;
};

struct ResourceInfo {
  std::string group;    // "" for core
  std::string version;  // "v1"
  std::string kind;     // "Pod"
  std::string plural;   // "pods"
  std::string singular; // "pod"
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  std::vector<std::string> verbs;
  std::vector<SubresourceInfo> subresources;
  // When false the resource is computed, not stored (metrics).
  bool stored = true;
  // Spec changes bump metadata.generation (kinds with a spec or equivalent desired state).
  bool has_status = false;
  // A DELETE that removes the object answers with the object itself rather than a Status
  // (the registry's ReturnDeletedObject in Kubernetes: pods, services, namespaces, ...). While a
  // deletion is pending (finalizers, graceful pod termination) every kind answers with the object.
  bool returns_deleted_object = false;
  // Set for custom resources (served from a CustomResourceDefinition), null for built-ins.
  std::shared_ptr<const CustomResourceInfo> custom;

  std::string GroupVersion() const { return group.empty() ? version : group + "/" + version; }
  // "deployments.apps" / "pods": the name Kubernetes uses in messages.
  std::string QualifiedPlural() const { return group.empty() ? plural : plural + "." + group; }
  std::string ListKind() const { return custom && !custom->list_kind.empty() ? custom->list_kind : kind + "List"; }
  const SubresourceInfo* FindSubresource(std::string_view name) const;
  bool HasVerb(std::string_view verb) const;
};

struct GroupVersions {
  std::string group;
  std::vector<std::string> versions;  // preferred first
};

// Every served resource, in discovery order (built-ins, then custom resources).
const std::vector<ResourceInfo>& AllResources();
// Groups in discovery order (core group "" first).
const std::vector<GroupVersions>& AllGroups();
// Increases each time the catalogue changes (for caches of documents derived from it).
uint64_t ResourcesGeneration();

// Replaces every custom resource with `custom` (all versions of all Established CRDs; for each
// group and plural the preferred version first). A no-op when nothing changed.
void SetCustomResources(std::vector<ResourceInfo> custom);

const ResourceInfo* FindResource(std::string_view group, std::string_view version, std::string_view plural);
const ResourceInfo* FindResourceByKind(std::string_view group, std::string_view version, std::string_view kind);
// For apiVersion strings such as "apps/v1" or "v1".
const ResourceInfo* FindResourceByApiVersionKind(std::string_view api_version, std::string_view kind);

}  // namespace skiff::api

#endif  // SKIFF_API_RESOURCES_H_
