// PodReferences: the objects a pod needs from the API to run, as the Node authorizer's graph
// counts them (Kubernetes' podutil.VisitPodSecretNames / VisitPodConfigmapNames and the graph
// populator): Secrets (secret and projected volumes, volume plug-ins' secretRefs, CSI
// nodePublishSecretRef, env, envFrom, imagePullSecrets), ConfigMaps (configMap and projected
// volumes, env, envFrom), PersistentVolumeClaims (persistentVolumeClaim volumes and the claims of
// generic ephemeral volumes, named POD-VOLUME) and its ServiceAccount. Also the Secrets a
// PersistentVolume names (its plug-ins' secretRefs, CSI secret refs).
// Thread-safety: pure functions. Failure: malformed fields are skipped, never an error.
#ifndef SKIFF_APISERVER_NODE_AUTHORIZER_POD_REFERENCES_H_
#define SKIFF_APISERVER_NODE_AUTHORIZER_POD_REFERENCES_H_

#include <set>
#include <string>
#include <utility>

#include "boost/json/fwd.hpp"

namespace skiff::apiserver::node_authorizer {

struct PodReferences {
  std::set<std::string> secrets;
  std::set<std::string> config_maps;
  std::set<std::string> claims;
  std::string service_account;  // "" when the pod names none
};

// The references of `pod` (all in the pod's own namespace).
PodReferences ReferencesOf(const boost::json::value& pod);

// The Secrets `pv` references, as (namespace, name).
std::set<std::pair<std::string, std::string>> SecretsOfVolume(const boost::json::value& pv);

}  // namespace skiff::apiserver::node_authorizer

#endif  // SKIFF_APISERVER_NODE_AUTHORIZER_POD_REFERENCES_H_
