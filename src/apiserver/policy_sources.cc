#include "apiserver/policy_sources.h"

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "apiserver/key_layout.h"
#include "boost/json.hpp"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

std::string PolicyPrefix(bool bindings) {
  return ResourcePrefix("admissionregistration.k8s.io",
                        bindings ? "validatingadmissionpolicybindings" : "validatingadmissionpolicies");
}

}  // namespace

int64_t PolicySources::Revision(bool bindings) const { return cache_->ResourceRevision(PolicyPrefix(bindings)); }

std::vector<json::value> PolicySources::Objects(bool bindings) const {
  std::string prefix = PolicyPrefix(bindings);
  bool more = false;
  auto list = cache_->List(prefix, prefix, nullptr, "", 0, &more);
  std::vector<json::value> out;
  out.reserve(list.objects.size());
  for (const auto& object : list.objects) out.push_back(object->Parse());
  return out;
}

absl::StatusOr<json::value> PolicySources::Namespace(std::string_view name) const {
  static const std::string prefix = ResourcePrefix("", "namespaces");
  ObjectPtr object = cache_->Get(prefix, ObjectKey(prefix, "", std::string(name)));
  if (!object) return api::NotFoundError("", "namespaces", std::string(name));
  return object->Parse();
}

absl::StatusOr<json::value> PolicySources::Param(const api::ResourceInfo& resource, std::string_view ns,
                                                 std::string_view name) const {
  std::string prefix = ResourcePrefix(resource.group, resource.plural);
  ObjectPtr object = cache_->Get(prefix, ObjectKey(prefix, std::string(ns), std::string(name)));
  if (!object) return api::NotFoundError(resource.group, resource.plural, std::string(name));
  return object->Parse();
}

std::vector<json::value> PolicySources::Params(const api::ResourceInfo& resource, std::string_view ns,
                                               const api::LabelSelector& selector) const {
  std::string prefix = ResourcePrefix(resource.group, resource.plural);
  std::string key_prefix = ns.empty() ? prefix : absl::StrCat(prefix, std::string(ns), "/");
  bool more = false;
  auto list = cache_->List(
      prefix, key_prefix, [&](const CachedObject& o) { return selector.Matches(&o.labels); }, "", 0, &more);
  std::vector<json::value> out;
  for (const auto& object : list.objects) out.push_back(object->Parse());
  return out;
}

}  // namespace skiff::apiserver
