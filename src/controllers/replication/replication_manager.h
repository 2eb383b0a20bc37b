// The ReplicationController controller (k8s pkg/controller/replication, "ReplicationManager"):
// keeps spec.replicas pods of each core/v1 ReplicationController running. Like Kubernetes, which
// runs its ReplicaSet controller for RCs through an adapter, skiff runs the ReplicaSet controller
// (replicaset/) with ReplicationControllerOwner(): the same claiming (adopt/release by the plain
// label-map selector), slow-start creation, deletion ranking, expectations and status (replicas,
// fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration, ReplicaFailure).
// Thread-safety, ownership and failure: those of ReplicaSetController.
#ifndef SKIFF_CONTROLLERS_REPLICATION_REPLICATION_MANAGER_H_
#define SKIFF_CONTROLLERS_REPLICATION_REPLICATION_MANAGER_H_

#include <memory>

#include "client/controller_context.h"

namespace skiff::controllers {

// The controller manager's factory for "replicationcontroller".
std::unique_ptr<client::Runnable> NewReplicationManager(const client::ControllerContext& context);

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_REPLICATION_REPLICATION_MANAGER_H_
