// The PodSecurity plug-in's view of the cluster (podsecurity::Sources) served from the watch
// cache: namespace labels and a namespace's pods, without reading storage.
// Thread-safety: safe to call concurrently (the WatchCache is). Ownership: borrows the cache,
// which must outlive it. Failure: NamespaceLabels answers NotFound for an unknown namespace.
#ifndef SKIFF_APISERVER_POD_SECURITY_SOURCES_H_
#define SKIFF_APISERVER_POD_SECURITY_SOURCES_H_

#include "apiserver/podsecurity/plugin.h"
#include "apiserver/watch_cache.h"

namespace skiff::apiserver {

class PodSecuritySources : public podsecurity::Sources {
 public:
  explicit PodSecuritySources(const WatchCache* cache) : cache_(cache) {}
  absl::StatusOr<boost::json::value> NamespaceLabels(std::string_view ns) const override;
  std::vector<boost::json::value> Pods(std::string_view ns) const override;

 private:
  const WatchCache* cache_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_POD_SECURITY_SOURCES_H_
