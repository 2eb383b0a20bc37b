// ObjectCache: the read-only view of cached objects that the workload reconcilers read from.
// In `skiff server` it is an Informer (InformerCache); unit tests use MapCache, which holds a
// fixed set of objects and computes the same indexes, so reconcile logic runs without a watch.
// The index names below are registered on the shared informers by the controllers. Keys are
// client::KeyOf's "namespace/name".
// Thread-safety: InformerCache is as safe as its Informer; MapCache is safe for concurrent reads
// and writes (one mutex). Ownership: InformerCache borrows its Informer. Never fails: a missing
// object reads as a null Object.
#ifndef SKIFF_CONTROLLERS_WORKLOAD_OBJECT_CACHE_H_
#define SKIFF_CONTROLLERS_WORKLOAD_OBJECT_CACHE_H_

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "client/client.h"
#include "client/informer.h"

namespace skiff::controllers {

// Index of objects by the uid of their controller ownerReference (controller: true).
inline constexpr char kControllerUidIndex[] = "skiff-controller-uid";
// Index of objects without a controller ownerReference, by namespace (adoption candidates).
inline constexpr char kOrphanNamespaceIndex[] = "skiff-orphan-namespace";
// Index of every object by namespace.
inline constexpr char kNamespaceIndex[] = "skiff-namespace";

std::vector<std::string> ControllerUidIndexValues(const boost::json::value& obj);
std::vector<std::string> OrphanNamespaceIndexValues(const boost::json::value& obj);
std::vector<std::string> NamespaceIndexValues(const boost::json::value& obj);

class ObjectCache {
 public:
  virtual ~ObjectCache() = default;
  virtual client::Object Get(const std::string& key) const = 0;
  // Objects filed under `value` of one of the three indexes above.
  virtual std::vector<client::Object> ByIndex(const std::string& index, const std::string& value) const = 0;
};

// Adds the three indexes to an informer (before it starts); a second call for the same shared
// informer is harmless (Informer::AddIndex keeps the first registration of a name).
void AddWorkloadIndexes(client::Informer& informer);

class InformerCache : public ObjectCache {
 public:
  explicit InformerCache(const client::Informer* informer) : informer_(informer) {}
  client::Object Get(const std::string& key) const override;
  std::vector<client::Object> ByIndex(const std::string& index, const std::string& value) const override;

 private:
  const client::Informer* informer_;
};

// A map-backed cache: Set/Remove objects by hand (tests, or a snapshot of a fake Client).
class MapCache : public ObjectCache {
 public:
  void Set(const client::Object& obj);
  void Remove(const std::string& key);
  void Clear();
  // Holds exactly `objects` (a snapshot, e.g. of a fake Client's store).
  void Reset(const std::vector<client::Object>& objects);
  client::Object Get(const std::string& key) const override;
  std::vector<client::Object> ByIndex(const std::string& index, const std::string& value) const override;

 private:
  mutable std::mutex mu_;
  std::map<std::string, client::Object> objects_;
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_WORKLOAD_OBJECT_CACHE_H_
