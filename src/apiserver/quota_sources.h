// The quota plug-ins' view of the cluster (quota::Sources) served from the watch cache, without
// reading storage or copying objects.
// Thread-safety: safe to call concurrently (the WatchCache is). Ownership: borrows the cache,
// which must outlive it. Failure: never fails.
#ifndef SKIFF_APISERVER_QUOTA_SOURCES_H_
#define SKIFF_APISERVER_QUOTA_SOURCES_H_

#include "apiserver/quota/sources.h"
#include "apiserver/watch_cache.h"

namespace skiff::apiserver {

class QuotaSources : public quota::Sources {
 public:
  explicit QuotaSources(const WatchCache* cache) : cache_(cache) {}
  int64_t List(std::string_view group, std::string_view plural, std::string_view ns,
               Visitor visit) const override;

 private:
  const WatchCache* cache_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_QUOTA_SOURCES_H_
