// PodInfo: everything the scheduler needs from a Pod, parsed once per pod version (the per-pod
// precomputation of the issue): effective resource requests, host ports, node selector and node
// affinity, tolerations, inter-pod (anti-)affinity terms and topology spread constraints.
// Also the small node-side types (Resources, Taint) and matching helpers shared by the plugins.
// Thread-safety: PodInfo is immutable after MakePodInfo and shared between threads via PodInfoPtr.
// Ownership: a PodInfo holds a reference to its Object. Failure: malformed fields never fail the
// parse: an unparsable quantity counts as zero and an invalid label selector matches nothing (the
// API server validates pods before they reach the scheduler).
#ifndef SKIFF_SCHEDULER_POD_INFO_H_
#define SKIFF_SCHEDULER_POD_INFO_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/label_selector.h"
#include "boost/json/value.hpp"
#include "client/client.h"

namespace skiff::scheduler {

// Amounts in integer units: cpu in millicores, the rest in base units (bytes, counts).
struct Resources {
  int64_t milli_cpu = 0;
  int64_t memory = 0;
  int64_t ephemeral_storage = 0;
  int64_t pods = 0;                       // meaningful for node allocatable only
  std::map<std::string, int64_t> scalar;  // extended resources and hugepages

  // Parses a ResourceList object (requests, limits, allocatable); null means all zero.
  static Resources FromResourceList(const boost::json::value* list);
  void Add(const Resources& other);
  void Sub(const Resources& other);
  // Per-resource maximum (used for init containers).
  void Max(const Resources& other);
  bool IsZero() const;
};

struct Taint {
  std::string key;
  std::string value;
  std::string effect;  // NoSchedule | PreferNoSchedule | NoExecute
  bool operator==(const Taint&) const = default;
};

struct Toleration {
  std::string key;
  std::string op = "Equal";  // Equal | Exists
  std::string value;
  std::string effect;  // empty tolerates every effect
  bool Tolerates(const Taint& taint) const;
};

// True when some toleration tolerates the taint.
bool Tolerated(const std::vector<Toleration>& tolerations, const Taint& taint);

struct NodeSelectorRequirement {
  std::string key;
  std::string op;  // In NotIn Exists DoesNotExist Gt Lt
  std::vector<std::string> values;
};

// One nodeSelectorTerm: expressions and fields are ANDed; an empty term matches nothing.
struct NodeSelectorTerm {
  std::vector<NodeSelectorRequirement> match_expressions;
  std::vector<NodeSelectorRequirement> match_fields;  // only metadata.name is defined
  bool Matches(const boost::json::value& node_labels, const std::string& node_name) const;
};

// Parses one nodeSelectorTerm object (missing parts are empty).
NodeSelectorTerm ParseNodeSelectorTerm(const boost::json::value& term);

// What the pod's PersistentVolumes require of a node (VolumeBinding): one of `terms` must match.
struct VolumeNodeConstraint {
  std::vector<NodeSelectorTerm> terms;  // ORed; empty matches no node
  bool bound = false;  // a bound PV's affinity (else: the PVs an unbound claim could bind)
};

struct PreferredSchedulingTerm {
  int32_t weight = 0;
  NodeSelectorTerm term;
};

// Namespace name -> metadata.labels, for namespaceSelector in affinity terms.
using NamespaceLabels = std::unordered_map<std::string, boost::json::value>;

struct PodInfo;

// A (weighted) pod affinity term with its namespaces resolved as far as the pod allows.
struct AffinityTerm {
  api::LabelSelector selector = api::LabelSelector::Nothing();
  std::vector<std::string> namespaces;                   // explicit list (or the pod's own namespace)
  bool all_namespaces = false;                           // namespaceSelector: {}
  std::optional<api::LabelSelector> namespace_selector;  // a non-empty namespaceSelector
  std::string topology_key;
  int32_t weight = 0;  // preferred terms only
  // Equal for terms that select the same pods by the same topology key (weight excluded): the
  // key under which the scheduler shares counts between pods (see TopologyIndex).
  std::string signature;

  // Whether `pod` is selected by this term (namespace and labels).
  bool Matches(const PodInfo& pod, const NamespaceLabels& ns_labels) const;
};

struct SpreadConstraint {
  int32_t max_skew = 1;
  std::string topology_key;
  bool hard = true;  // DoNotSchedule (false: ScheduleAnyway)
  api::LabelSelector selector = api::LabelSelector::Nothing();
  int32_t min_domains = 1;
  bool honor_node_affinity = true;  // nodeAffinityPolicy (default Honor)
  bool honor_taints = false;        // nodeTaintsPolicy (default Ignore)
  // Equal for constraints that count the same pods over the same domains: namespace, selector,
  // topology key(s) and, when honoured, the pod's node affinity and tolerations (see TopologyIndex).
  std::string signature;
};

struct HostPort {
  std::string ip;  // "" or 0.0.0.0 means every address
  std::string protocol = "TCP";
  int32_t port = 0;
  bool Conflicts(const HostPort& other) const;
};

struct PodInfo {
  client::Object pod;
  std::string ns;
  std::string name;
  std::string uid;
  std::string key;  // namespace/name
  std::string node_name;
  std::string scheduler_name;
  std::string phase;
  std::string priority_class_name;
  bool has_priority = false;  // spec.priority was set
  int32_t priority = 0;
  bool preempt_never = false;  // preemptionPolicy: Never
  bool terminating = false;    // metadata.deletionTimestamp set
  boost::json::value labels;   // metadata.labels (object or null)

  Resources requests;           // effective requests for fit
  Resources non_zero_requests;  // cpu/memory with kube-scheduler's defaults (for scoring)
  std::vector<HostPort> host_ports;
  std::map<std::string, std::string> node_selector;
  bool has_required_node_affinity = false;
  std::vector<NodeSelectorTerm> required_node_terms;  // ORed
  std::vector<PreferredSchedulingTerm> preferred_node_terms;
  std::vector<Toleration> tolerations;
  std::vector<AffinityTerm> required_affinity;
  std::vector<AffinityTerm> required_anti_affinity;
  std::vector<AffinityTerm> preferred_affinity;
  std::vector<AffinityTerm> preferred_anti_affinity;
  std::vector<SpreadConstraint> spread_constraints;
  std::vector<std::string> images;  // init and regular container images, normalized (":latest" added)
  // Set by the scheduler's VolumeBinding from the pod's claims (MakePodInfo leaves it empty).
  std::vector<VolumeNodeConstraint> volume_constraints;

  bool HasAnyAffinity() const {
    return !required_affinity.empty() || !required_anti_affinity.empty() || !preferred_affinity.empty() ||
           !preferred_anti_affinity.empty();
  }
  // Whether the pod's node selector and required node affinity accept the node.
  bool MatchesNodeSelectorAndAffinity(const boost::json::value& node_labels,
                                      const std::string& node_name) const;
  // Whether every volume constraint admits the node; the first one that does not, else null.
  const VolumeNodeConstraint* VolumeConflict(const boost::json::value& node_labels,
                                             const std::string& node_name) const;
};

using PodInfoPtr = std::shared_ptr<const PodInfo>;

// Parses a pod. `priority_of_class` resolves spec.priorityClassName when spec.priority is unset
// (may be null: priority 0).
// kube-scheduler's normalizedImageName: a reference without a tag gets ":latest".
std::string NormalizedImageName(std::string image);

PodInfoPtr MakePodInfo(
    client::Object pod,
    const std::function<int32_t(const std::string& class_name)>& priority_of_class = nullptr);

// Default requests kube-scheduler assumes for scoring containers without requests.
inline constexpr int64_t kDefaultMilliCpuRequest = 100;
inline constexpr int64_t kDefaultMemoryRequest = 200 * 1024 * 1024;

}  // namespace skiff::scheduler

#endif  // SKIFF_SCHEDULER_POD_INFO_H_
