// The StorageClass every skiff cluster has, written by the API server at start (as k3s ships
// local-path): "local-path", provisioner skiff.io/local-path (the built-in provisioner of the
// controller manager), volumeBindingMode WaitForFirstConsumer, reclaimPolicy Delete, marked the
// default class, allowVolumeExpansion true (expansion is bookkeeping for a directory: see
// controllers/volume/local_path_resizer.h). Created when absent; an existing "local-path" that
// skiff made (provisioner skiff.io/local-path) without allowVolumeExpansion, from before
// expansion existed, gains it; one the user changed otherwise is left as it is.
// Thread-safety: call once at start. Ownership: borrows the storage. Failure: the write's error
// (the server does not start without it); AlreadyExists from a concurrent server is success.
#ifndef SKIFF_APISERVER_DEFAULT_STORAGE_CLASS_H_
#define SKIFF_APISERVER_DEFAULT_STORAGE_CLASS_H_

#include "absl/status/status.h"
#include "apiserver/resource_storage.h"

namespace skiff::apiserver {

absl::Status EnsureDefaultStorageClass(ResourceStorage* storage);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_DEFAULT_STORAGE_CLASS_H_
