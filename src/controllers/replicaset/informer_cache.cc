// InformerCache and index registration live apart from MapCache so that code using only
// MapCache (unit tests) does not link the informer implementation.
#include "controllers/replicaset/object_cache.h"

namespace skiff::controllers {

void AddWorkloadIndexes(client::Informer& informer) {
  // Several controllers share one informer; Informer::AddIndex keeps the first registration.
  informer.AddIndex(kControllerUidIndex, ControllerUidIndexValues);
  informer.AddIndex(kOrphanNamespaceIndex, OrphanNamespaceIndexValues);
  informer.AddIndex(kNamespaceIndex, NamespaceIndexValues);
}

client::Object InformerCache::Get(const std::string& key) const { return informer_->Get(key); }

std::vector<client::Object> InformerCache::ByIndex(const std::string& index, const std::string& value) const {
  return informer_->ByIndex(index, value);
}

}  // namespace skiff::controllers
