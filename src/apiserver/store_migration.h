// Moving stored objects between key layouts and between stores, at server start:
//  * MigrateKeyLayout rewrites the keys of skiff's first layout ("/registry/<group or core>/
//    <plural>/...") into key_layout.h's Kubernetes layout, so data dirs created before the change
//    open unchanged in content. Safe to re-run after a crash half-way (a key already copied is only
//    deleted at its old place).
//  * ImportObjects copies every object of a store (e.g. a SQLite data dir) into an empty one (etcd),
//    in the current layout: `skiff server --etcd-servers ... --import-from DIR`.
// Objects get new resourceVersions (the revisions of the target store).
//
// Thread-safety: run before anything else uses the stores (they may be used from other threads
// afterwards). Failure: the first store error; FailedPrecondition when the import target is not empty.
#ifndef SKIFF_APISERVER_STORE_MIGRATION_H_
#define SKIFF_APISERVER_STORE_MIGRATION_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "storage/store.h"

namespace skiff::apiserver {

// Returns how many keys moved.
absl::StatusOr<int64_t> MigrateKeyLayout(storage::Store& store);

// Returns how many objects were copied.
absl::StatusOr<int64_t> ImportObjects(storage::Store& source, storage::Store& target);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_STORE_MIGRATION_H_
