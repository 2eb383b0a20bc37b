#include "apiserver/quota_sources.h"

#include <string>

namespace skiff::apiserver {

int64_t QuotaSources::List(std::string_view group, std::string_view plural, std::string_view ns,
                           Visitor visit) const {
  std::string prefix = ResourcePrefix(std::string(group), std::string(plural));
  bool more = false;
  auto list = cache_->List(prefix, ObjectKey(prefix, std::string(ns), ""), nullptr, "", 0, &more);
  for (const ObjectPtr& object : list.objects) visit(object->name, object->revision, object->json);
  return list.revision;
}

}  // namespace skiff::apiserver
