#include "api/table.h"

#include "api/object_meta.h"
#include "api/table_internal.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::api {
namespace table_internal {
namespace {

namespace json = boost::json;

// Kinds Kubernetes has no specific printer for (LimitRange, Role, ClusterRole, ...) get the
// generic table: the name and the creation time as a date kubectl renders as CREATED AT.
Printer DefaultPrinter() {
  return {{NameColumn(), {"Created At", "date", 0, "Time the object was created."}},
          [](const json::value& o, absl::Time) {
            return json::array{Name(o), base::GetString(o, {"metadata", "creationTimestamp"})};
          }};
}

Printer CorePrinter(const std::string& k) {
  if (k == "Pod") return PodPrinter();
  if (k == "PodTemplate") return PodTemplatePrinter();
  if (k == "Service") return ServicePrinter();
  if (k == "Node") return NodePrinter();
  if (k == "Namespace") return NamespacePrinter();
  if (k == "Event") return EventPrinter(false);
  if (k == "ConfigMap") return ConfigMapPrinter();
  if (k == "Secret") return SecretPrinter();
  if (k == "ServiceAccount") return ServiceAccountPrinter();
  if (k == "Endpoints") return EndpointsPrinter();
  if (k == "ReplicationController") return ReplicationControllerPrinter();
  if (k == "ResourceQuota") return ResourceQuotaPrinter();
  if (k == "PersistentVolume") return PersistentVolumePrinter();
  if (k == "PersistentVolumeClaim") return PersistentVolumeClaimPrinter();
  return DefaultPrinter();
}

}  // namespace

Printer PrinterFor(const ResourceInfo& r) {
  if (r.custom) return CustomResourcePrinter(*r.custom);
  const std::string& g = r.group;
  const std::string& k = r.kind;
  if (g.empty()) return CorePrinter(k);
  if (g == "apps") {
    if (k == "Deployment") return DeploymentPrinter();
    if (k == "ReplicaSet") return ReplicaSetPrinter();
    if (k == "StatefulSet") return StatefulSetPrinter();
    if (k == "DaemonSet") return DaemonSetPrinter();
    if (k == "ControllerRevision") return ControllerRevisionPrinter();
  }
  if (g == "batch" && k == "Job") return JobPrinter();
  if (g == "batch" && k == "CronJob") return CronJobPrinter();
  if (g == "autoscaling" && k == "HorizontalPodAutoscaler") return HorizontalPodAutoscalerPrinter(r);
  if (g == "certificates.k8s.io" && k == "CertificateSigningRequest") {
    return CertificateSigningRequestPrinter();
  }
  if (g == "coordination.k8s.io" && k == "Lease") return LeasePrinter();
  if (g == "discovery.k8s.io" && k == "EndpointSlice") return EndpointSlicePrinter();
  if (g == "events.k8s.io" && k == "Event") return EventPrinter(true);
  if (g == "networking.k8s.io") {
    if (k == "Ingress") return IngressPrinter();
    if (k == "IngressClass") return IngressClassPrinter();
    if (k == "NetworkPolicy") return NetworkPolicyPrinter();
  }
  if (g == "policy" && k == "PodDisruptionBudget") return PodDisruptionBudgetPrinter();
  if (g == "scheduling.k8s.io" && k == "PriorityClass") return PriorityClassPrinter();
  if (g == "storage.k8s.io" && k == "StorageClass") return StorageClassPrinter();
  if (g == "rbac.authorization.k8s.io" && k == "RoleBinding") return RoleBindingPrinter(false);
  if (g == "rbac.authorization.k8s.io" && k == "ClusterRoleBinding") return RoleBindingPrinter(true);
  if (g == "apiregistration.k8s.io" && k == "APIService") return APIServicePrinter();
  if (g == "admissionregistration.k8s.io" &&
      (k == "MutatingWebhookConfiguration" || k == "ValidatingWebhookConfiguration")) {
    return WebhookConfigurationPrinter();
  }
  if (g == "admissionregistration.k8s.io" && k == "ValidatingAdmissionPolicy") return ValidatingAdmissionPolicyPrinter();
  if (g == "admissionregistration.k8s.io" && k == "ValidatingAdmissionPolicyBinding") {
    return ValidatingAdmissionPolicyBindingPrinter();
  }
  return DefaultPrinter();
}

}  // namespace table_internal

namespace {

namespace json = boost::json;

json::object PartialMetadata(const json::value& obj) {
  json::object meta;
  if (const auto* m = base::FindPath(obj, {"metadata"}); m && m->is_object()) meta = m->get_object();
  meta.erase("managedFields");
  return json::object{
      {"kind", "PartialObjectMetadata"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", std::move(meta)}};
}

}  // namespace

IncludeObject ParseIncludeObject(std::string_view value) {
  if (value == "None") return IncludeObject::kNone;
  if (value == "Object") return IncludeObject::kObject;
  return IncludeObject::kMetadata;
}

json::value ToTable(const ResourceInfo& resource, const std::vector<const json::value*>& objects,
                    const TableOptions& options) {
  table_internal::Printer printer = table_internal::PrinterFor(resource);
  json::object table;
  table["kind"] = "Table";
  table["apiVersion"] = "meta.k8s.io/v1";
  json::object meta;
  meta["resourceVersion"] = options.resource_version;
  if (!options.continue_token.empty()) meta["continue"] = options.continue_token;
  if (options.remaining_item_count) meta["remainingItemCount"] = *options.remaining_item_count;
  table["metadata"] = std::move(meta);
  if (options.include_column_definitions) {
    json::array cols;
    for (const auto& c : printer.columns) {
      cols.push_back(json::object{{"name", c.name},
                                  {"type", c.type},
                                  {"format", c.format},
                                  {"description", c.description},
                                  {"priority", c.priority}});
    }
    table["columnDefinitions"] = std::move(cols);
  } else {
    table["columnDefinitions"] = nullptr;
  }
  json::array rows;
  for (const auto* obj : objects) {
    json::object row;
    row["cells"] = printer.row(*obj, options.now);
    if (options.include_object == IncludeObject::kMetadata) {
      row["object"] = PartialMetadata(*obj);
    } else if (options.include_object == IncludeObject::kObject) {
      row["object"] = *obj;
    }
    rows.push_back(std::move(row));
  }
  table["rows"] = std::move(rows);
  return table;
}

}  // namespace skiff::api
