// The storage key layout of API objects: kube-apiserver's etcd layout, so `etcdctl get --prefix
// /registry --keys-only` on a skiff cluster reads like a Kubernetes cluster's, whatever the backend.
//
//   /registry/<resource path>/<namespace>/<name>   (namespaced)
//   /registry/<resource path>/<name>               (cluster-scoped)
//
// The resource path is the plural for built-in groups, with Kubernetes' historical exceptions
// (services/specs, services/endpoints, minions, controllers, ingress), and <group>/<plural> for
// aggregated and custom groups (apiregistration.k8s.io/apiservices). One deliberate difference:
// events.k8s.io Events keep "events.k8s.io/events", because skiff stores them apart from core
// Events (Kubernetes stores both versions under /registry/events and converts).
// `--etcd-prefix` does not change these keys: EtcdStore maps the /registry root onto it.
//
// Thread-safety: pure functions. Failure: none (unknown shapes map to "").
#ifndef SKIFF_APISERVER_KEY_LAYOUT_H_
#define SKIFF_APISERVER_KEY_LAYOUT_H_

#include <string>

namespace skiff::apiserver {

inline constexpr char kRegistryRoot[] = "/registry/";

// The storage prefix of a resource: "/registry/pods/", "/registry/services/specs/".
std::string ResourcePrefix(const std::string& group, const std::string& plural);
// The key of an object: prefix + (namespace + "/" if namespaced) + name.
std::string ObjectKey(const std::string& resource_prefix, const std::string& ns, const std::string& name);
// The resource prefix a full key belongs to ("/registry/services/specs/ns/a" ->
// "/registry/services/specs/"); "" for a key outside the layout.
std::string ResourcePrefixOfKey(const std::string& key);
// The key that a key of skiff's first layout ("/registry/<group or core>/<plural>/...") has in
// this layout; keys already in this layout map to themselves.
std::string MigratedKey(const std::string& key);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_KEY_LAYOUT_H_
