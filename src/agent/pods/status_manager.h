// StatusManager: writes pod status to the API server (merge patch of the pods/status subresource,
// as `skiff sim` does) only when it changed, and holds the probe results that feed readiness:
// SetContainerReadiness / SetContainerStarted are the hooks of the probes helper (a container
// without a readiness probe is ready once running; one with a probe is not until told so).
// Dedupe: a status equal to the last one written for the pod (or, before any write, to the pod's
// stored status) is not written again. Fields the agent stopped reporting are nulled in the patch.
// The patch carries metadata.uid, so it never lands on a newer pod of the same name.
// Thread-safety: all methods are safe to call concurrently. Ownership: borrows the client.
// Failure: Write returns the client's error (NotFound when the pod is gone).
#ifndef SKIFF_AGENT_PODS_STATUS_MANAGER_H_
#define SKIFF_AGENT_PODS_STATUS_MANAGER_H_

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "agent/pods/pod_status.h"
#include "boost/json/value.hpp"
#include "client/client.h"

namespace skiff::agent::pods {

class StatusManager {
 public:
  explicit StatusManager(client::Client* client);

  // Writes `status` (from BuildPodStatus) for `pod` unless unchanged. Returns whether it wrote.
  absl::StatusOr<bool> Write(const boost::json::value& pod, const boost::json::object& status);
  // The status last written for a pod (null when none), e.g. as old status for the next build.
  std::shared_ptr<const boost::json::object> LastWritten(const std::string& uid) const;
  void Forget(const std::string& uid);

  // Probe hooks. `on_change` (set once before use) hears about every change, with the pod uid.
  void SetContainerReadiness(const std::string& uid, const std::string& container, bool ready);
  void SetContainerStarted(const std::string& uid, const std::string& container, bool started);
  ContainerHealth Health(const std::string& uid) const;
  void SetOnChange(std::function<void(const std::string& uid)> on_change) {
    on_change_ = std::move(on_change);
  }

  int64_t writes() const { return writes_.load(); }

 private:
  client::Client* client_;
  const api::ResourceInfo& pods_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const boost::json::object>> last_;
  std::map<std::string, ContainerHealth> health_;
  std::function<void(const std::string&)> on_change_;
  std::atomic<int64_t> writes_{0};
};

// The kubelet-owned fields of a status (what BuildPodStatus produces), for comparisons.
boost::json::object OwnedStatusFields(const boost::json::value& status);

}  // namespace skiff::agent::pods

#endif  // SKIFF_AGENT_PODS_STATUS_MANAGER_H_
