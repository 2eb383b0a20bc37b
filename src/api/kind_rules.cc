#include "api/kind_rules.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "api/admission_policy_rules.h"
#include "api/ingress_rules.h"
#include "api/label_selector.h"
#include "api/name_validation.h"
#include "api/network_policy_rules.h"
#include "api/object_meta.h"
#include "api/service_rules.h"
#include "api/volume_rules.h"
#include "api/webhook_rules.h"
#include "base/json.h"
#include "base/strings.h"
#include "boost/json.hpp"

namespace skiff::api {
namespace {

namespace json = boost::json;

constexpr size_t kMaxDataBytes = 1024 * 1024;  // ConfigMap and Secret payload limit

size_t DataBytes(const json::value& obj, bool base64) {
  size_t total = 0;
  for (const char* field : {"data", "binaryData", "stringData"}) {
    const auto* m = base::Find(obj, field);
    if (!m || !m->is_object()) continue;
    bool encoded = base64 || std::string_view(field) == "binaryData";
    for (const auto& [k, v] : m->get_object()) {
      total += k.size();
      if (v.is_string()) {
        size_t n = v.get_string().size();
        total += (encoded && std::string_view(field) != "stringData") ? n / 4 * 3 : n;
      }
    }
  }
  return total;
}

std::string GoMap(const json::value* labels) {
  std::string out = "map[string]string{";
  bool first = true;
  if (labels && labels->is_object()) {
    for (const auto& [k, v] : labels->get_object()) {
      if (!first) out += ", ";
      first = false;
      absl::StrAppend(&out, "\"", std::string(k), "\":\"", v.is_string() ? std::string(v.get_string()) : "",
                      "\"");
    }
  }
  return out + "}";
}

void CheckWorkloadSelector(std::string_view kind, const json::value& obj, std::vector<FieldError>* errors) {
  const auto* selector = base::FindPath(obj, {"spec", "selector"});
  if (!selector || !selector->is_object()) return;  // "Required value" comes from the schema
  auto parsed = LabelSelector::FromJson(*selector);
  if (!parsed.ok()) return;  // malformed selectors are reported by the schema/selector validation
  std::string lower(kind);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (parsed->Empty()) {
    errors->push_back({std::string(kFieldValueInvalid), "spec.selector", *selector,
                       absl::StrCat("empty selector is invalid for ", lower)});
    return;
  }
  const auto* labels = base::FindPath(obj, {"spec", "template", "metadata", "labels"});
  if (!parsed->Matches(labels)) {
    errors->push_back({std::string(kFieldValueInvalid), "spec.template.metadata.labels",
                       json::string(GoMap(labels)), "`selector` does not match template `labels`"});
  }
}

// kube-aggregator's ValidateAPIService: the name is <version>.<group>, the group a DNS subdomain
// (empty only for the legacy "v1"), the version a DNS-1035 label, the priorities in range, and a
// local APIService (no spec.service) has no TLS settings.
void CheckAPIService(const json::value& obj, std::vector<FieldError>* errors) {
  std::string group = base::GetString(obj, {"spec", "group"});
  std::string version = base::GetString(obj, {"spec", "version"});
  std::string name = Name(obj);
  std::string required_name = absl::StrCat(version, ".", group);
  // (The path-segment rules for the name come from the schema validation.)
  bool path_segment = name != "." && name != ".." && name.find_first_of("/%") == std::string::npos;
  if (!name.empty() && path_segment && name != required_name) {
    errors->push_back({std::string(kFieldValueInvalid), "metadata.name", json::string(name),
                       absl::StrCat("must be `spec.version+\".\"+spec.group`: \"", required_name, "\"")});
  }
  if (group.empty() && version != "v1") {
    errors->push_back({std::string(kFieldValueRequired), "spec.group", nullptr,
                       "only v1 may have an empty group and it better be legacy kube"});
  }
  if (!group.empty()) {
    for (auto& msg : IsDns1123Subdomain(group)) {
      errors->push_back({std::string(kFieldValueInvalid), "spec.group", json::string(group), std::move(msg)});
    }
  }
  for (auto& msg : IsDns1035Label(version)) {
    errors->push_back({std::string(kFieldValueInvalid), "spec.version", json::string(version), std::move(msg)});
  }
  // Missing priorities are reported as required by the schema.
  if (const auto* p = base::FindPath(obj, {"spec", "groupPriorityMinimum"}); p && p->is_int64()) {
    if (p->get_int64() <= 0 || p->get_int64() > 20000) {
      errors->push_back({std::string(kFieldValueInvalid), "spec.groupPriorityMinimum", *p,
                         "must be positive and less than 20000"});
    }
  }
  if (const auto* p = base::FindPath(obj, {"spec", "versionPriority"}); p && p->is_int64()) {
    if (p->get_int64() <= 0 || p->get_int64() > 1000) {
      errors->push_back(
          {std::string(kFieldValueInvalid), "spec.versionPriority", *p, "must be positive and less than 1000"});
    }
  }
  std::string ca_bundle;
  if (!absl::Base64Unescape(base::GetString(obj, {"spec", "caBundle"}), &ca_bundle)) ca_bundle = "?";
  bool insecure = base::GetBool(obj, {"spec", "insecureSkipTLSVerify"});
  const auto* service = base::FindPath(obj, {"spec", "service"});
  if (!service || service->is_null()) {
    if (!ca_bundle.empty()) {
      errors->push_back({std::string(kFieldValueInvalid), "spec.caBundle",
                         json::string(absl::StrCat(ca_bundle.size(), " bytes")),
                         "local APIServices may not have a caBundle"});
    }
    if (insecure) {
      errors->push_back({std::string(kFieldValueInvalid), "spec.insecureSkipTLSVerify", true,
                         "local APIServices may not have insecureSkipTLSVerify"});
    }
    return;
  }
  for (const char* field : {"namespace", "name"}) {
    if (base::GetString(*service, {field}).empty()) {
      errors->push_back({std::string(kFieldValueRequired), absl::StrCat("spec.service.", field), nullptr, ""});
    }
  }
  if (insecure && !ca_bundle.empty()) {
    errors->push_back({std::string(kFieldValueInvalid), "spec.insecureSkipTLSVerify", true,
                       "may not be true if caBundle is present"});
  }
}

// Kubernetes' HPAScaleToZero: minReplicas 0 only with a metric that does not come from the
// target's own pods (an Object or External metric), which can still be read at zero replicas.
void CheckScaleToZero(const json::value& hpa, std::vector<FieldError>* errors) {
  const json::value* min = base::FindPath(hpa, {"spec", "minReplicas"});
  if (min == nullptr || !min->is_number() || min->to_number<int64_t>() != 0) return;
  if (base::GetString(hpa, {"apiVersion"}) == "autoscaling/v1") return;  // the schema refuses 0 there
  if (const json::value* metrics = base::FindPath(hpa, {"spec", "metrics"}); metrics && metrics->is_array()) {
    for (const json::value& m : metrics->get_array()) {
      const std::string type = base::GetString(m, {"type"});
      if (type == "Object" || type == "External") return;
    }
  }
  errors->push_back({std::string(kFieldValueForbidden), "spec.metrics", nullptr,
                     "must specify at least one Object or External metric to support scaling to zero replicas"});
}

}  // namespace

void NormalizeKindFields(std::string_view group, std::string_view kind, json::value& obj) {
  if (!group.empty() || kind != "Secret" || !obj.is_object()) return;
  json::object& secret = obj.as_object();
  json::value* string_data = secret.if_contains("stringData");
  if (!string_data) return;
  if (string_data->is_null() || (string_data->is_object() && string_data->get_object().empty())) {
    secret.erase("stringData");
    return;
  }
  if (!string_data->is_object()) return;
  for (const auto& [k, v] : string_data->get_object()) {
    if (!v.is_string()) return;
  }
  const json::value* data = secret.if_contains("data");
  if (data && !data->is_null() && !data->is_object()) return;
  json::object merged = data && data->is_object() ? data->get_object() : json::object();
  for (const auto& [k, v] : string_data->get_object()) {
    merged[k] = absl::Base64Escape(base::Av(std::string_view(v.get_string())));
  }
  secret["data"] = std::move(merged);
  secret.erase("stringData");
}

std::vector<FieldError> ValidateKindRules(std::string_view group, std::string_view kind,
                                          const json::value& obj, const json::value* old_obj) {
  std::vector<FieldError> errors;
  if (group.empty() && (kind == "ConfigMap" || kind == "Secret")) {
    if (DataBytes(obj, kind == "Secret") > kMaxDataBytes) {
      errors.push_back({std::string(kFieldValueTooLong), "[]", nullptr,
                        absl::StrCat("must have at most ", kMaxDataBytes, " bytes")});
    }
    // immutable: true freezes the payload.
    if (old_obj && base::GetBool(*old_obj, {"immutable"})) {
      for (const char* field : {"data", "binaryData"}) {
        const auto* a = base::Find(*old_obj, field);
        const auto* b = base::Find(obj, field);
        bool same = (!a && !b) || (a && b && *a == *b);
        if (!same) {
          errors.push_back({std::string(kFieldValueForbidden), field, nullptr,
                            "field is immutable when `immutable` is set"});
        }
      }
      if (!base::GetBool(obj, {"immutable"})) {
        errors.push_back({std::string(kFieldValueForbidden), "immutable", nullptr,
                          "field is immutable when `immutable` is set"});
      }
    }
  }
  if (group == "apiregistration.k8s.io" && kind == "APIService") CheckAPIService(obj, &errors);
  if (group == "admissionregistration.k8s.io" &&
      (kind == "MutatingWebhookConfiguration" || kind == "ValidatingWebhookConfiguration")) {
    for (auto& e : ValidateWebhookConfiguration(obj, old_obj, kind == "MutatingWebhookConfiguration"))
      errors.push_back(std::move(e));
  }
  if (group == "admissionregistration.k8s.io" && kind == "ValidatingAdmissionPolicy") {
    for (auto& e : ValidateAdmissionPolicy(obj)) errors.push_back(std::move(e));
  }
  if (group == "admissionregistration.k8s.io" && kind == "ValidatingAdmissionPolicyBinding") {
    for (auto& e : ValidateAdmissionPolicyBinding(obj)) errors.push_back(std::move(e));
  }
  if (group.empty() && kind == "Service") {
    for (auto& e : ValidateServiceRules(obj)) errors.push_back(std::move(e));
  }
  if (group == "networking.k8s.io") {
    std::vector<FieldError> found;
    if (kind == "Ingress") found = ValidateIngressRules(obj, old_obj);
    if (kind == "IngressClass") found = ValidateIngressClassRules(obj);
    if (kind == "NetworkPolicy") found = ValidateNetworkPolicyRules(obj);
    for (auto& e : found) errors.push_back(std::move(e));
  }
  if (group == "autoscaling" && kind == "HorizontalPodAutoscaler") CheckScaleToZero(obj, &errors);
  if (group.empty() && kind == "PersistentVolumeClaim" && old_obj != nullptr) {
    for (auto& e : ValidatePersistentVolumeClaimUpdate(obj, *old_obj)) errors.push_back(std::move(e));
  }
  if ((group == "apps" &&
       (kind == "Deployment" || kind == "ReplicaSet" || kind == "StatefulSet" || kind == "DaemonSet")) ||
      (group == "batch" && kind == "Job" && base::FindPath(obj, {"spec", "selector"}) &&
       base::GetBool(obj, {"spec", "manualSelector"}))) {
    CheckWorkloadSelector(kind, obj, &errors);
  }
  return errors;
}

}  // namespace skiff::api
