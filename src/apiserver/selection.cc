#include "apiserver/selection.h"

#include <initializer_list>
#include <map>
#include <memory>

#include "api/field_selector.h"
#include "api/label_selector.h"
#include "base/json.h"
#include "http/errors.h"

namespace skiff::apiserver {
namespace {

std::string Scalar(const boost::json::value& obj, std::initializer_list<std::string_view> path) {
  const auto* v = base::FindPath(obj, path);
  if (!v || v->is_null()) return "";
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_bool()) return v->get_bool() ? "true" : "false";
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  return "";
}

struct FieldPath {
  std::string_view name;
  std::initializer_list<std::string_view> path;
};

std::optional<std::string> Lookup(const boost::json::value& obj, std::string_view field,
                                  std::initializer_list<FieldPath> table) {
  for (const auto& f : table) {
    if (f.name == field) return Scalar(obj, f.path);
  }
  return std::nullopt;
}

// Kubernetes reports some unset fields with their Go zero value ("false", "0").
std::optional<std::string> WithZero(std::optional<std::string> v, const char* zero) {
  if (v && v->empty()) return std::string(zero);
  return v;
}

// A CRD's selectableFields: "" when absent (kube's jsonPath of an absent field), integers in
// decimal, booleans as true/false.
std::optional<std::string> CustomField(const api::CustomResourceInfo& custom, const boost::json::value& obj,
                                       std::string_view field) {
  bool declared = false;
  for (const auto& f : custom.selectable_fields) declared = declared || f == field;
  if (!declared) return std::nullopt;
  const boost::json::value* v = &obj;
  for (std::string_view rest = field; v != nullptr;) {
    size_t dot = rest.find('.');
    std::string_view key = rest.substr(0, dot);
    v = v->is_object() ? v->get_object().if_contains(key) : nullptr;
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  if (!v || v->is_null()) return std::string();
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_bool()) return v->get_bool() ? "true" : "false";
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  return std::string();
}

// The custom resource stored under `prefix` (its storage version, whose objects are cached), or null.
const api::ResourceInfo* StoredCustomResource(const std::string& prefix) {
  for (const auto& r : api::AllResources()) {
    if (r.custom && r.version == r.custom->storage_version && ResourcePrefix(r.group, r.plural) == prefix) return &r;
  }
  return nullptr;
}

}  // namespace

std::optional<std::string> SelectableField(const api::ResourceInfo& r, const boost::json::value& obj,
                                           std::string_view field) {
  if (field == "metadata.name") return Scalar(obj, {"metadata", "name"});
  if (field == "metadata.namespace") return Scalar(obj, {"metadata", "namespace"});
  if (r.custom) return CustomField(*r.custom, obj, field);
  const std::string& kind = r.kind;
  if (r.group.empty() && kind == "Pod") {
    if (field == "spec.hostNetwork") return WithZero(Scalar(obj, {"spec", "hostNetwork"}), "false");
    return Lookup(obj, field,
                  {{"spec.nodeName", {"spec", "nodeName"}},
                   {"spec.restartPolicy", {"spec", "restartPolicy"}},
                   {"spec.schedulerName", {"spec", "schedulerName"}},
                   {"spec.serviceAccountName", {"spec", "serviceAccountName"}},
                   {"spec.hostNetwork", {"spec", "hostNetwork"}},
                   {"status.phase", {"status", "phase"}},
                   {"status.podIP", {"status", "podIP"}},
                   {"status.nominatedNodeName", {"status", "nominatedNodeName"}}});
  }
  if (r.group.empty() && kind == "Event") {
    return Lookup(obj, field,
                  {{"involvedObject.kind", {"involvedObject", "kind"}},
                   {"involvedObject.namespace", {"involvedObject", "namespace"}},
                   {"involvedObject.name", {"involvedObject", "name"}},
                   {"involvedObject.uid", {"involvedObject", "uid"}},
                   {"involvedObject.apiVersion", {"involvedObject", "apiVersion"}},
                   {"involvedObject.resourceVersion", {"involvedObject", "resourceVersion"}},
                   {"involvedObject.fieldPath", {"involvedObject", "fieldPath"}},
                   {"reason", {"reason"}},
                   {"reportingComponent", {"reportingComponent"}},
                   {"source", {"source", "component"}},
                   {"type", {"type"}}});
  }
  if (r.group == "events.k8s.io" && kind == "Event") {
    return Lookup(obj, field,
                  {{"regarding.kind", {"regarding", "kind"}},
                   {"regarding.namespace", {"regarding", "namespace"}},
                   {"regarding.name", {"regarding", "name"}},
                   {"regarding.uid", {"regarding", "uid"}},
                   {"reason", {"reason"}},
                   {"reportingController", {"reportingController"}},
                   {"type", {"type"}}});
  }
  if (r.group.empty() && kind == "Secret") return Lookup(obj, field, {{"type", {"type"}}});
  if (r.group.empty() && kind == "Namespace") return Lookup(obj, field, {{"status.phase", {"status", "phase"}}});
  if (r.group.empty() && kind == "Node") {
    return WithZero(Lookup(obj, field, {{"spec.unschedulable", {"spec", "unschedulable"}}}), "false");
  }
  if (r.group.empty() && kind == "Service") {
    return Lookup(obj, field, {{"spec.clusterIP", {"spec", "clusterIP"}}, {"spec.type", {"spec", "type"}}});
  }
  if (r.group.empty() && kind == "PersistentVolumeClaim") {
    return Lookup(obj, field, {{"spec.volumeName", {"spec", "volumeName"}}});
  }
  if ((r.group == "apps" && kind == "ReplicaSet") || (r.group.empty() && kind == "ReplicationController")) {
    return WithZero(Lookup(obj, field, {{"status.replicas", {"status", "replicas"}}}), "0");
  }
  if (r.group == "certificates.k8s.io" && kind == "CertificateSigningRequest") {
    return Lookup(obj, field, {{"spec.signerName", {"spec", "signerName"}}});
  }
  if (r.group == "batch" && kind == "Job") {
    return WithZero(Lookup(obj, field, {{"status.successful", {"status", "succeeded"}}}), "0");
  }
  return std::nullopt;
}

FieldIndexer CatalogueFieldIndexer() {
  // Every field name some kind supports; each kind keeps the ones SelectableField knows.
  static const char* kCandidates[] = {
      "metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
      "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName",
      "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
      "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
      "reportingComponent", "source", "type", "regarding.kind", "regarding.namespace", "regarding.name",
      "regarding.uid", "reportingController", "spec.unschedulable", "spec.clusterIP", "spec.type",
      "spec.volumeName", "status.replicas", "status.successful", "spec.signerName"};
  auto by_prefix = std::make_shared<std::map<std::string, const api::ResourceInfo*>>();
  for (const auto& r : api::AllResources()) (*by_prefix)[ResourcePrefix(r.group, r.plural)] = &r;
  return [by_prefix](const std::string& prefix, const boost::json::value& obj) {
    SelectableFields out;
    auto it = by_prefix->find(prefix);
    if (it == by_prefix->end()) {
      // Custom resources come and go: index the selectableFields their storage version declares.
      const api::ResourceInfo* custom = StoredCustomResource(prefix);
      if (custom == nullptr) return out;
      for (const auto& name : custom->custom->selectable_fields) {
        if (auto v = CustomField(*custom->custom, obj, name)) out.emplace_back(name, std::move(*v));
      }
      return out;
    }
    for (const char* name : kCandidates) {
      // metadata.* are answered from CachedObject's name/namespace directly.
      if (std::string_view(name).substr(0, 9) == "metadata.") continue;
      if (auto v = SelectableField(*it->second, obj, name)) out.emplace_back(name, std::move(*v));
    }
    return out;
  };
}

absl::StatusOr<Selection> BuildSelection(const api::ResourceInfo& resource, const std::string& label_selector,
                                         const std::string& field_selector) {
  Selection out;
  std::optional<api::LabelSelector> labels;
  std::optional<api::FieldSelector> fields;
  if (!label_selector.empty()) {
    auto parsed = api::LabelSelector::Parse(label_selector);
    if (!parsed.ok()) return api::BadRequestError(std::string(parsed.status().message()));
    if (!parsed->Empty()) labels = std::move(*parsed);
  }
  if (!field_selector.empty()) {
    auto parsed = api::FieldSelector::Parse(field_selector);
    if (!parsed.ok()) return api::BadRequestError(std::string(parsed.status().message()));
    // Check support against an empty object: support depends only on the kind.
    boost::json::value empty = boost::json::object();
    auto getter = [&](std::string_view f) { return SelectableField(resource, empty, f); };
    for (const auto& f : parsed->UnsupportedFields(getter)) {
      return api::BadRequestError("field label not supported: " + f);
    }
    if (auto name = parsed->RequiresExactMatch("metadata.name")) out.exact_name = *name;
    if (!parsed->Empty()) fields = std::move(*parsed);
  }
  if (!labels && !fields) return out;
  out.filter = [labels = std::move(labels), fields = std::move(fields),
                custom = resource.custom](const CachedObject& o) {
    if (labels && !labels->Matches(o.labels.is_object() ? &o.labels : nullptr)) return false;
    if (fields) {
      auto getter = [&](std::string_view f) -> std::optional<std::string> {
        if (f == "metadata.name") return o.name;
        if (f == "metadata.namespace") return o.namespace_name;
        if (const std::string* v = o.Field(f)) return *v;
        // A custom resource's field declared after this object version was cached.
        if (custom) return CustomField(*custom, o.Parse(), f);
        return std::nullopt;
      };
      if (!fields->Matches(getter)) return false;
    }
    return true;
  };
  return out;
}

}  // namespace skiff::apiserver
