// NodeGraph: which API objects each node may read, kept from pod and PersistentVolume events (the
// graph of Kubernetes' Node authorizer, flattened). A pod bound to a node (spec.nodeName) makes
// the pod itself, its Secrets, ConfigMaps, PersistentVolumeClaims and ServiceAccount reachable
// from that node; a PersistentVolume is reachable when its claimRef's claim is, and so are the
// Secrets it names. Unbound pods reach nothing.
// Each node holds a count per reachable object (how many of its pods reference it), so a pod's
// add, re-binding or deletion costs O(its references) and a decision is a few hash lookups.
// Thread-safety: all methods may be called concurrently (a shared mutex; readers do not block
// each other). Ownership: a value type holding copies of names. Failure: none; malformed objects
// contribute what can be read of them.
#ifndef SKIFF_APISERVER_NODE_AUTHORIZER_NODE_GRAPH_H_
#define SKIFF_APISERVER_NODE_AUTHORIZER_NODE_GRAPH_H_

#include <cstddef>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "boost/json/fwd.hpp"

namespace skiff::apiserver::node_authorizer {

enum class ObjectType { kPod, kSecret, kConfigMap, kClaim, kServiceAccount, kVolume };

class NodeGraph {
 public:
  // Adds or replaces `pod` (its namespace and name are its identity).
  void UpsertPod(const boost::json::value& pod);
  void RemovePod(std::string_view ns, std::string_view name);
  // Adds or replaces a PersistentVolume.
  void UpsertVolume(const boost::json::value& pv);
  void RemoveVolume(std::string_view name);

  // Whether `node` reaches the object (`ns` is "" for PersistentVolumes).
  bool Reaches(std::string_view node, ObjectType type, std::string_view ns, std::string_view name) const;
  // The node `ns/name` is bound to, or "" when the graph holds no such bound pod.
  std::string NodeOfPod(std::string_view ns, std::string_view name) const;
  size_t pod_count() const;

 private:
  struct PodEntry {
    std::string node;
    std::vector<std::string> keys;  // what the pod makes reachable, itself included
  };
  struct VolumeEntry {
    std::string claim_key;
    std::vector<std::string> secret_keys;
  };
  using Counts = std::unordered_map<std::string, int>;

  void RemovePodLocked(const std::string& pod_key);
  void RemoveVolumeLocked(const std::string& name);
  bool ReachesKeyLocked(const Counts& counts, const std::string& key) const;

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Counts> reach_;         // node -> object key -> referencing pods
  std::unordered_map<std::string, PodEntry> pods_;        // "ns/name" -> entry
  std::unordered_map<std::string, VolumeEntry> volumes_;  // PV name -> entry
  std::unordered_map<std::string, std::set<std::string>> volumes_of_secret_;  // secret key -> PV names
};

}  // namespace skiff::apiserver::node_authorizer

#endif  // SKIFF_APISERVER_NODE_AUTHORIZER_NODE_GRAPH_H_
