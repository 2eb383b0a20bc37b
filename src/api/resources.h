// The catalogue of built-in resources skiff serves: for each resource its group, version, kind,
// plural and singular names, scope, short names, categories, verbs and subresources. Discovery,
// routing, storage keys and OpenAPI paths are all derived from it.
// Thread-safety: the catalogue is built once and immutable; safe to read from any thread.
// Ownership: returned pointers/references live for the whole process. Lookups return nullptr when
// nothing matches (callers turn that into a 404).
#ifndef SKIFF_API_RESOURCES_H_
#define SKIFF_API_RESOURCES_H_

#include <string>
#include <string_view>
#include <vector>

namespace skiff::api {

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

  std::string GroupVersion() const { return group.empty() ? version : group + "/" + version; }
  // "deployments.apps" / "pods": the name Kubernetes uses in messages.
  std::string QualifiedPlural() const { return group.empty() ? plural : plural + "." + group; }
  std::string ListKind() const { return kind + "List"; }
  const SubresourceInfo* FindSubresource(std::string_view name) const;
  bool HasVerb(std::string_view verb) const;
};

struct GroupVersions {
  std::string group;
  std::vector<std::string> versions;  // preferred first
};

// Every served resource, in discovery order.
const std::vector<ResourceInfo>& AllResources();
// Groups in discovery order (core group "" first).
const std::vector<GroupVersions>& AllGroups();

const ResourceInfo* FindResource(std::string_view group, std::string_view version, std::string_view plural);
const ResourceInfo* FindResourceByKind(std::string_view group, std::string_view version, std::string_view kind);
// For apiVersion strings such as "apps/v1" or "v1".
const ResourceInfo* FindResourceByApiVersionKind(std::string_view api_version, std::string_view kind);

}  // namespace skiff::api

#endif  // SKIFF_API_RESOURCES_H_
