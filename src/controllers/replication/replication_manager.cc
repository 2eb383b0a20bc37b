#include "controllers/replication/replication_manager.h"

#include "controllers/replicaset/replicaset_controller.h"

namespace skiff::controllers {

std::unique_ptr<client::Runnable> NewReplicationManager(const client::ControllerContext& context) {
  return std::make_unique<ReplicaSetController>(context, 5, ReplicationControllerOwner());
}

}  // namespace skiff::controllers
