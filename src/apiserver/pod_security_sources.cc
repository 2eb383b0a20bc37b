#include "apiserver/pod_security_sources.h"

#include "absl/strings/str_cat.h"

namespace skiff::apiserver {

absl::StatusOr<boost::json::value> PodSecuritySources::NamespaceLabels(std::string_view ns) const {
  static const std::string prefix = ResourcePrefix("", "namespaces");
  ObjectPtr object = cache_->Get(prefix, ObjectKey(prefix, "", std::string(ns)));
  if (!object) return absl::NotFoundError(absl::StrCat("namespace ", std::string(ns), " not found"));
  return object->labels;
}

std::vector<boost::json::value> PodSecuritySources::Pods(std::string_view ns) const {
  static const std::string prefix = ResourcePrefix("", "pods");
  bool more = false;
  auto list = cache_->List(prefix, absl::StrCat(prefix, std::string(ns), "/"), nullptr, "", 0, &more);
  std::vector<boost::json::value> pods;
  pods.reserve(list.objects.size());
  for (const auto& object : list.objects) pods.push_back(object->Parse());
  return pods;
}

}  // namespace skiff::apiserver
