#include "apiserver/podsecurity/pod_template.h"

#include "base/json.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::podsecurity {

namespace {

bool Is(const api::ResourceInfo& r, std::string_view group, std::string_view plural) {
  return r.group == group && r.plural == plural;
}

PodParts FromTemplate(const boost::json::value* tmpl) {
  if (!tmpl || !tmpl->is_object()) return {};
  return {base::Find(*tmpl, "metadata"), base::Find(*tmpl, "spec"), true};
}

}  // namespace

bool IsPods(const api::ResourceInfo& r) { return Is(r, "", "pods"); }

bool HasPodSpec(const api::ResourceInfo& r) {
  return IsPods(r) || Is(r, "", "replicationcontrollers") || Is(r, "", "podtemplates") ||
         Is(r, "apps", "replicasets") || Is(r, "apps", "deployments") || Is(r, "apps", "statefulsets") ||
         Is(r, "apps", "daemonsets") || Is(r, "batch", "jobs") || Is(r, "batch", "cronjobs");
}

PodParts ExtractPod(const api::ResourceInfo& r, const boost::json::value& obj) {
  if (IsPods(r)) return {base::Find(obj, "metadata"), base::Find(obj, "spec"), true};
  if (Is(r, "", "podtemplates")) return FromTemplate(base::Find(obj, "template"));
  if (Is(r, "batch", "cronjobs"))
    return FromTemplate(base::FindPath(obj, {"spec", "jobTemplate", "spec", "template"}));
  return FromTemplate(base::FindPath(obj, {"spec", "template"}));
}

}  // namespace skiff::apiserver::podsecurity
