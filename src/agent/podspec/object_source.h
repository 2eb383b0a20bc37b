// ObjectSource: how podspec reads the API objects a pod refers to (ConfigMaps, Secrets,
// PersistentVolumeClaims, PersistentVolumes), so tests can feed objects directly and the agent can
// read through a client::Client.
// Thread-safety: implementations here are safe for concurrent use (MapObjectSource: Add must not
// race with Get). Ownership: ClientObjectSource borrows its Client, which must outlive it.
// Failure: NotFound with the kubelet's wording (`configmap "x" not found`) when the object is absent;
// other client errors pass through.
#ifndef SKIFF_AGENT_PODSPEC_OBJECT_SOURCE_H_
#define SKIFF_AGENT_PODSPEC_OBJECT_SOURCE_H_

#include <map>
#include <string>
#include <tuple>

#include "absl/status/statusor.h"
#include "client/client.h"

namespace skiff::agent::podspec {

enum class ObjectKind { kConfigMap, kSecret, kPersistentVolumeClaim, kPersistentVolume };

// "configmap", "secret", "persistentvolumeclaim", "persistentvolume": the names kubelet messages use.
const char* ObjectKindName(ObjectKind kind);

// The NotFound status podspec reports for an absent object: `configmap "x" not found`.
absl::Status ObjectNotFound(ObjectKind kind, const std::string& name);

class ObjectSource {
 public:
  virtual ~ObjectSource() = default;
  // `ns` is ignored for cluster-scoped kinds (PersistentVolume).
  virtual absl::StatusOr<client::Object> Get(ObjectKind kind, const std::string& ns,
                                             const std::string& name) = 0;
};

// Reads through a client (one GET per call; no caching).
class ClientObjectSource : public ObjectSource {
 public:
  explicit ClientObjectSource(client::Client* client) : client_(client) {}
  absl::StatusOr<client::Object> Get(ObjectKind kind, const std::string& ns,
                                     const std::string& name) override;

 private:
  client::Client* client_;
};

// Objects held in memory (tests, simulations).
class MapObjectSource : public ObjectSource {
 public:
  // Adds or replaces the object named by its metadata.
  void Add(ObjectKind kind, boost::json::value object);
  void Remove(ObjectKind kind, const std::string& ns, const std::string& name);
  absl::StatusOr<client::Object> Get(ObjectKind kind, const std::string& ns,
                                     const std::string& name) override;

 private:
  std::map<std::tuple<ObjectKind, std::string, std::string>, client::Object> objects_;
};

}  // namespace skiff::agent::podspec

#endif  // SKIFF_AGENT_PODSPEC_OBJECT_SOURCE_H_
