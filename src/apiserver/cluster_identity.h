// ClusterIdentity: how several `skiff server` processes on one store share one cluster identity,
// the way k3s shares its bootstrap data: the files that make a cluster (the CA certificate and key,
// the ServiceAccount signing key, the admin and node tokens, the front-proxy CA) are kept in the store itself, under
// /bootstrap/<scope>/<hash of the token> (scope: the --etcd-prefix, so clusters sharing one etcd
// under different prefixes keep apart), encrypted with AES-256-GCM under a key derived from the servers'
// shared token (PBKDF2-HMAC-SHA256, random salt). The first server given --token publishes its
// files; every later server given the same token fetches them into its data dir before it issues
// its own serving certificate from the shared CA. Nothing secret is readable from the store
// without the token, and the key is outside /registry/, so no API request can reach it.
//
// Thread-safety: plain functions; call them from the server's start, before it serves.
// Ownership: borrow the store. Failure: FailedPrecondition when the store holds another cluster's
// identity (under another token), when the token does not decrypt it, or when a file already in
// the data dir differs from the cluster's (that data dir belongs to another cluster); store and
// disk errors as they come.
#ifndef SKIFF_APISERVER_CLUSTER_IDENTITY_H_
#define SKIFF_APISERVER_CLUSTER_IDENTITY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/store.h"

namespace skiff::apiserver {

// The files, relative to the data dir, that make one cluster.
const std::vector<std::string>& ClusterIdentityFiles();

// When the store holds the cluster identity for `token`: writes its files into `data_dir` (files
// already there must be equal) and answers true. False when the store holds none yet.
absl::StatusOr<bool> FetchClusterIdentity(storage::Store* store, const std::string& data_dir,
                                          const std::string& token, const std::string& scope = "/registry");

// Stores the identity files of `data_dir` (all must exist) for `token`, unless the store has it
// already (then they must match, as after FetchClusterIdentity).
absl::Status PublishClusterIdentity(storage::Store* store, const std::string& data_dir,
                                    const std::string& token, const std::string& scope = "/registry");

// The encryption itself (exposed for tests): a self-describing JSON envelope and its inverse.
absl::StatusOr<std::string> SealWithToken(const std::string& plaintext, const std::string& token);
absl::StatusOr<std::string> OpenWithToken(const std::string& envelope, const std::string& token);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_CLUSTER_IDENTITY_H_
