#include "apiserver/key_layout.h"

#include <set>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace skiff::apiserver {
namespace {

// Groups whose resources kube-apiserver keys by plural alone (its built-in storage groups).
bool IsBuiltinStorageGroup(std::string_view group) {
  static const std::set<std::string_view> kGroups = {
      "",
      "admissionregistration.k8s.io",
      "apps",
      "authentication.k8s.io",
      "authorization.k8s.io",
      "autoscaling",
      "batch",
      "certificates.k8s.io",
      "coordination.k8s.io",
      "discovery.k8s.io",
      "flowcontrol.apiserver.k8s.io",
      "internal.apiserver.k8s.io",
      "networking.k8s.io",
      "node.k8s.io",
      "policy",
      "rbac.authorization.k8s.io",
      "resource.k8s.io",
      "scheduling.k8s.io",
      "storage.k8s.io",
      "storagemigration.k8s.io",
  };
  return kGroups.contains(group);
}

std::string ResourcePath(const std::string& group, const std::string& plural) {
  if (group.empty()) {
    if (plural == "services") return "services/specs";
    if (plural == "endpoints") return "services/endpoints";
    if (plural == "nodes") return "minions";
    if (plural == "replicationcontrollers") return "controllers";
    return plural;
  }
  if (group == "networking.k8s.io" && plural == "ingresses") return "ingress";
  if (IsBuiltinStorageGroup(group)) return plural;
  return absl::StrCat(group, "/", plural);
}

}  // namespace

std::string ResourcePrefix(const std::string& group, const std::string& plural) {
  return absl::StrCat(kRegistryRoot, ResourcePath(group, plural), "/");
}

std::string ObjectKey(const std::string& resource_prefix, const std::string& ns, const std::string& name) {
  return ns.empty() ? absl::StrCat(resource_prefix, name) : absl::StrCat(resource_prefix, ns, "/", name);
}

std::string ResourcePrefixOfKey(const std::string& key) {
  absl::string_view root = kRegistryRoot;
  if (!absl::StartsWith(key, root)) return "";
  size_t first = key.find('/', root.size());
  if (first == std::string::npos) return "";
  std::string_view segment(key.data() + root.size(), first - root.size());
  // Two-segment paths: services/<specs|endpoints>, and <group>/<plural> (groups have dots).
  if (segment == "services" || segment.find('.') != std::string_view::npos) {
    size_t second = key.find('/', first + 1);
    if (second == std::string::npos) return "";
    return key.substr(0, second + 1);
  }
  return key.substr(0, first + 1);
}

std::string MigratedKey(const std::string& key) {
  absl::string_view root = kRegistryRoot;
  if (!absl::StartsWith(key, root)) return key;
  size_t group_end = key.find('/', root.size());
  if (group_end == std::string::npos) return key;
  size_t plural_end = key.find('/', group_end + 1);
  if (plural_end == std::string::npos) return key;
  std::string group = key.substr(root.size(), group_end - root.size());
  std::string plural = key.substr(group_end + 1, plural_end - group_end - 1);
  if (group == "core")
    group.clear();
  else if (!IsBuiltinStorageGroup(group) && group.find('.') == std::string::npos)
    return key;  // not a group
  return absl::StrCat(ResourcePrefix(group, plural), key.substr(plural_end + 1));
}

}  // namespace skiff::apiserver
