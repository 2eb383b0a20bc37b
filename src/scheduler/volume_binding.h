// VolumeBinding: what the pod's PersistentVolumeClaims mean for scheduling (kube-scheduler's
// VolumeBinding plugin, simplified to skiff's provisioners):
//   * a missing claim, a claim being deleted, a bound claim whose PV is missing, or an unbound
//     claim whose class binds Immediately make the pod unschedulable for now (retried when a
//     volume object changes);
//   * a bound claim's PV node affinity becomes a node constraint;
//   * an unbound claim of a WaitForFirstConsumer class is bound after placement: when its class
//     has a dynamic provisioner any node will do, else the node must admit one of the PVs the claim
//     could bind; after the node is chosen, SelectNode writes volume.kubernetes.io/selected-node on
//     it, and the PV controller (a PV admitting that node) or the provisioner (a new PV there)
//     completes the binding.
// Thread-safety: Check reads informer caches and may run concurrently; SelectNode writes through
// the client. Ownership: borrows the informers and client. Failure: Check reports reasons in its
// Decision; SelectNode returns the first write error (404 when a claim is gone).
#ifndef SKIFF_SCHEDULER_VOLUME_BINDING_H_
#define SKIFF_SCHEDULER_VOLUME_BINDING_H_

#include <atomic>
#include <string>
#include <vector>

#include "client/shared_informers.h"
#include "scheduler/pod_info.h"

namespace skiff::scheduler {

class VolumeBinding {
 public:
  explicit VolumeBinding(client::SharedInformers* informers);

  struct Decision {
    std::string unschedulable;                       // non-empty: why no node can take the pod now
    std::vector<VolumeNodeConstraint> constraints;   // what the chosen node must satisfy
    std::vector<std::string> claims_to_place;        // unbound WaitForFirstConsumer claims (pod's namespace)
  };
  Decision Check(const PodInfo& pod) const;

  // Annotates each claim with the chosen node (skipping claims already annotated so).
  absl::Status SelectNode(client::Client* client, const std::string& ns, const std::vector<std::string>& claims,
                          const std::string& node) const;

  // Waits until every claim is bound (spec.volumeName and pv.kubernetes.io/bind-completed), as
  // kube-scheduler's PreBind does, so the node's agent finds the volume when the pod arrives.
  // DeadlineExceeded after `timeout`, Cancelled when *stop turns true, NotFound when a claim goes.
  absl::Status WaitForBinding(const std::string& ns, const std::vector<std::string>& claims, absl::Duration timeout,
                              const std::atomic<bool>* stop) const;

  client::Informer& claims() const { return *claims_; }
  client::Informer& volumes() const { return *volumes_; }
  client::Informer& classes() const { return *classes_; }

 private:
  client::Informer* claims_;
  client::Informer* volumes_;
  client::Informer* classes_;
};

}  // namespace skiff::scheduler

#endif  // SKIFF_SCHEDULER_VOLUME_BINDING_H_
