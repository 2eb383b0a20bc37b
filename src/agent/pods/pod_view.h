// PodView: the parts of a Pod object (boost::json) the pod workers decide on, parsed once per sync
// into plain structs so the decision and status functions are easy to test: identity, restart
// policy, init/app containers (image, pull policy, sidecar, probes, preStop hook), grace periods,
// deletion, host network, readiness gates. Also the kubelet's image pull-policy default and QoS class.
// Thread-safety: values; functions are pure. Ownership: PodView copies what it needs (it does not
// point into the JSON). Failure: missing or mistyped fields take their Kubernetes defaults.
#ifndef SKIFF_AGENT_PODS_POD_VIEW_H_
#define SKIFF_AGENT_PODS_POD_VIEW_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "boost/json/value.hpp"

namespace skiff::agent::pods {

enum class RestartPolicy { kAlways, kOnFailure, kNever };
enum class PullPolicy { kAlways, kIfNotPresent, kNever };

struct ContainerView {
  std::string name;
  std::string image;
  PullPolicy pull_policy = PullPolicy::kIfNotPresent;
  bool sidecar = false;  // an init container with restartPolicy Always
  bool has_readiness_probe = false;
  bool has_startup_probe = false;
  std::vector<std::string> pre_stop_exec;  // lifecycle.preStop.exec.command (empty: none)
  bool has_pre_stop_http = false;          // lifecycle.preStop.httpGet (run by a probes helper)
};

struct PodView {
  std::string uid, name, ns;
  RestartPolicy restart_policy = RestartPolicy::kAlways;
  std::vector<ContainerView> init_containers;
  std::vector<ContainerView> containers;
  bool host_network = false;
  std::vector<std::string> readiness_gates;  // condition types
  int64_t termination_grace_seconds = 30;
  bool deleting = false;                            // metadata.deletionTimestamp is set
  std::optional<int64_t> deletion_grace_seconds;    // metadata.deletionGracePeriodSeconds
  absl::Time deletion_time = absl::InfinitePast();  // metadata.deletionTimestamp
  std::string phase;                                // status.phase as stored

  // The container of either list with this name (nullptr when none).
  const ContainerView* Find(const std::string& name) const;
  bool ApiPhaseTerminal() const { return phase == "Succeeded" || phase == "Failed"; }
  // "name_namespace(uid)", the kubelet's format.Pod.
  std::string Describe() const;
};

PodView ParsePod(const boost::json::value& pod);

// The kubelet's default: "Always" for images tagged :latest or untagged, else "IfNotPresent".
PullPolicy DefaultPullPolicy(const std::string& image);

// status.qosClass: "Guaranteed", "Burstable" or "BestEffort" (Kubernetes' GetPodQOS over the
// cpu and memory requests/limits of every app and init container).
std::string QosClass(const boost::json::value& pod);

}  // namespace skiff::agent::pods

#endif  // SKIFF_AGENT_PODS_POD_VIEW_H_
