// Table printers for the smaller API groups: admissionregistration (webhook configurations),
// apiregistration (APIService), certificates
// (CertificateSigningRequest), coordination (Lease),
// discovery (EndpointSlice), policy (PodDisruptionBudget), scheduling (PriorityClass), storage
// (StorageClass) and rbac (RoleBinding, ClusterRoleBinding).
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/object_meta.h"
#include "api/table_internal.h"
#include "base/clock.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::api::table_internal {
namespace {

namespace json = boost::json;
using base::FindPath;
using base::GetInt;
using base::GetString;

// "80,443,dns + 2 more...", "<unset>" without ports; a port without number or name is "*".
std::string SlicePorts(const json::value& o) {
  std::vector<std::string> shown;
  const auto* ports = Array(o, {"ports"});
  size_t total = ports ? ports->size() : 0;
  for (size_t i = 0; i < total && shown.size() < 3; ++i) {
    const json::value& p = (*ports)[i];
    if (const auto* n = FindPath(p, {"port"}); n && !n->is_null()) {
      shown.push_back(std::to_string(GetInt(p, {"port"})));
    } else if (const auto* name = FindPath(p, {"name"}); name && name->is_string()) {
      shown.emplace_back(name->get_string());
    } else {
      shown.push_back("*");
    }
  }
  return shown.empty() ? "<unset>" : JoinWithMore(shown, total, 3);
}

std::string SliceEndpoints(const json::value& o) {
  std::vector<std::string> shown;
  size_t total = 0;
  if (const auto* endpoints = Array(o, {"endpoints"})) {
    for (const auto& e : *endpoints) {
      if (const auto* addrs = Array(e, {"addresses"})) {
        for (const auto& a : *addrs) {
          if (shown.size() < 3 && a.is_string()) shown.emplace_back(a.get_string());
          ++total;
        }
      }
    }
  }
  return shown.empty() ? "<unset>" : JoinWithMore(shown, total, 3);
}

bool IsDefaultClass(const json::value& o) {
  for (const char* key :
       {"storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class"}) {
    if (GetString(o, {"metadata", "annotations", key}) == "true") return true;
  }
  return false;
}

// Subjects of a binding split by kind: users, groups and "namespace/name" service accounts.
struct Subjects {
  std::vector<std::string> users, groups, service_accounts;
};

Subjects SplitSubjects(const json::value& o) {
  Subjects s;
  if (const auto* subjects = Array(o, {"subjects"})) {
    for (const auto& subject : *subjects) {
      std::string kind = GetString(subject, {"kind"});
      std::string name = GetString(subject, {"name"});
      if (kind == "ServiceAccount") {
        s.service_accounts.push_back(absl::StrCat(GetString(subject, {"namespace"}), "/", name));
      } else if (kind == "User") {
        s.users.push_back(name);
      } else if (kind == "Group") {
        s.groups.push_back(name);
      }
    }
  }
  return s;
}

// "Approved,Issued", "Denied", "Pending,Failed"...: the decision (Denied wins over Approved),
// then Failed and Issued, as Kubernetes' CSR printer.
std::string CsrCondition(const json::value& o) {
  bool approved = false, denied = false, failed = false;
  if (const auto* conditions = Array(o, {"status", "conditions"})) {
    for (const auto& c : *conditions) {
      std::string type = GetString(c, {"type"});
      approved = approved || type == "Approved";
      denied = denied || type == "Denied";
      failed = failed || type == "Failed";
    }
  }
  std::string text = denied ? "Denied" : approved ? "Approved" : "Pending";
  if (failed) text += ",Failed";
  if (!GetString(o, {"status", "certificate"}).empty()) text += ",Issued";
  return text;
}

}  // namespace

Printer CertificateSigningRequestPrinter() {
  return {{NameColumn(),
           AgeColumn(),
           {"SignerName", "string", 0, "The signer asked to issue the certificate."},
           {"Requestor", "string", 0, "The user who created the request."},
           {"RequestedDuration", "string", 0, "The validity the requester asked for."},
           {"Condition", "string", 0, "Approval state, and whether the certificate failed or was issued."}},
          [](const json::value& o, absl::Time now) {
            const json::value* seconds = FindPath(o, {"spec", "expirationSeconds"});
            std::string duration = seconds && seconds->is_int64()
                                       ? base::HumanDuration(absl::Seconds(seconds->get_int64()))
                                       : "<none>";
            return json::array{Name(o), Age(o, now), GetString(o, {"spec", "signerName"}),
                               GetString(o, {"spec", "username"}), duration, CsrCondition(o)};
          }};
}

Printer LeasePrinter() {
  return {
      {NameColumn(), {"Holder", "string", 0, "Identity of the current holder of the lease."}, AgeColumn()},
      [](const json::value& o, absl::Time now) {
        return json::array{Name(o), GetString(o, {"spec", "holderIdentity"}), Age(o, now)};
      }};
}

Printer EndpointSlicePrinter() {
  return {{NameColumn(),
           {"AddressType", "string", 0, "IPv4, IPv6 or FQDN."},
           {"Ports", "string", 0, "Ports exposed by the endpoints."},
           {"Endpoints", "string", 0, "Addresses of the endpoints."},
           AgeColumn()},
          [](const json::value& o, absl::Time now) {
            return json::array{Name(o), GetString(o, {"addressType"}), SlicePorts(o), SliceEndpoints(o),
                               Age(o, now)};
          }};
}

Printer PodDisruptionBudgetPrinter() {
  return {
      {NameColumn(),
       {"Min Available", "string", 0, "The minimum number of pods that must be available."},
       {"Max Unavailable", "string", 0, "The maximum number of pods that may be unavailable."},
       {"Allowed Disruptions", "integer", 0, "Calculated number of pods that may be disrupted at this time."},
       AgeColumn()},
      [](const json::value& o, absl::Time now) {
        return json::array{Name(o), IntOrStringText(o, {"spec", "minAvailable"}, "N/A"),
                           IntOrStringText(o, {"spec", "maxUnavailable"}, "N/A"),
                           GetInt(o, {"status", "disruptionsAllowed"}), Age(o, now)};
      }};
}

Printer WebhookConfigurationPrinter() {
  return {{NameColumn(), {"Webhooks", "integer", 0, "Number of webhooks in the configuration."}, AgeColumn()},
          [](const json::value& o, absl::Time now) {
            const auto* hooks = Array(o, {"webhooks"});
            return json::array{Name(o), static_cast<int64_t>(hooks ? hooks->size() : 0), Age(o, now)};
          }};
}

Printer ValidatingAdmissionPolicyPrinter() {
  return {{NameColumn(),
           {"Validations", "integer", 0, "Number of validations of the policy."},
           {"ParamKind", "string", 0, "The kind of the policy's parameters."},
           AgeColumn()},
          [](const json::value& o, absl::Time now) {
            const auto* validations = Array(o, {"spec", "validations"});
            std::string param_kind = "<unset>";
            if (const auto* kind = base::FindPath(o, {"spec", "paramKind"}); kind && kind->is_object()) {
              param_kind = absl::StrCat(GetString(*kind, {"apiVersion"}), "/", GetString(*kind, {"kind"}));
            }
            return json::array{Name(o), static_cast<int64_t>(validations ? validations->size() : 0), param_kind,
                               Age(o, now)};
          }};
}

// kube's PARAMREF column: namespace/name ("*/name" without a namespace), else the selector.
Printer ValidatingAdmissionPolicyBindingPrinter() {
  return {{NameColumn(),
           {"PolicyName", "string", 0, "The policy the binding applies."},
           {"ParamRef", "string", 0, "The parameter objects of the binding."},
           AgeColumn()},
          [](const json::value& o, absl::Time now) {
            std::string param_ref = "<unset>";
            if (const auto* ref = base::FindPath(o, {"spec", "paramRef"}); ref && ref->is_object()) {
              std::string ns = GetString(*ref, {"namespace"});
              std::string name = GetString(*ref, {"name"});
              if (!name.empty()) {
                param_ref = absl::StrCat(ns.empty() ? "*" : ns, "/", name);
              } else if (const auto* selector = base::Find(*ref, "selector"); selector) {
                param_ref = json::serialize(*selector);
              }
            }
            return json::array{Name(o), GetString(o, {"spec", "policyName"}), param_ref, Age(o, now)};
          }};
}

Printer PriorityClassPrinter() {
  return {{NameColumn(),
           {"Value", "integer", 0, "The priority pods of this class get."},
           {"Global-Default", "boolean", 0, "Whether pods without a class get this one."},
           AgeColumn(),
           {"PreemptionPolicy", "string", 0, "Whether pods of this class may preempt others."}},
          [](const json::value& o, absl::Time now) {
            return json::array{Name(o), GetInt(o, {"value"}), base::GetBool(o, {"globalDefault"}),
                               Age(o, now), GetString(o, {"preemptionPolicy"})};
          }};
}

Printer StorageClassPrinter() {
  return {{NameColumn(),
           {"Provisioner", "string", 0, "The volume plugin that provisions volumes of this class."},
           {"ReclaimPolicy", "string", 0, "Reclaim policy of the volumes provisioned."},
           {"VolumeBindingMode", "string", 0, "When volumes are bound and provisioned."},
           {"AllowVolumeExpansion", "string", 0, "Whether volumes of this class can be expanded."},
           AgeColumn()},
          [](const json::value& o, absl::Time now) {
            std::string name = Name(o);
            if (IsDefaultClass(o)) name += " (default)";
            return json::array{name,
                               GetString(o, {"provisioner"}),
                               GetString(o, {"reclaimPolicy"}, "Delete"),
                               GetString(o, {"volumeBindingMode"}, "Immediate"),
                               base::GetBool(o, {"allowVolumeExpansion"}),
                               Age(o, now)};
          }};
}

Printer RoleBindingPrinter(bool cluster) {
  return {
      {NameColumn(),
       {"Role", "string", 0, "The role the binding grants: Kind/name."},
       AgeColumn(),
       {"Users", "string", 1, cluster ? "Users in the clusterRoleBinding" : "Users in the roleBinding"},
       {"Groups", "string", 1, cluster ? "Groups in the clusterRoleBinding" : "Groups in the roleBinding"},
       {"ServiceAccounts", "string", 1,
        cluster ? "ServiceAccounts in the clusterRoleBinding" : "ServiceAccounts in the roleBinding"}},
      [](const json::value& o, absl::Time now) {
        Subjects s = SplitSubjects(o);
        return json::array{
            Name(o),
            absl::StrCat(GetString(o, {"roleRef", "kind"}), "/", GetString(o, {"roleRef", "name"})),
            Age(o, now),
            absl::StrJoin(s.users, ", "),
            absl::StrJoin(s.groups, ", "),
            absl::StrJoin(s.service_accounts, ", ")};
      }};
}

// The aggregator's own columns (kube-aggregator's apiservice REST ConvertToTable).
Printer APIServicePrinter() {
  return {{NameColumn(),
           {"Service", "string", 0, "The reference to the service that hosts this API endpoint."},
           {"Available", "string", 0, "Whether this service is available."},
           AgeColumn()},
          [](const json::value& o, absl::Time now) {
            std::string service = "Local";
            if (const auto* ref = FindPath(o, {"spec", "service"}); ref && ref->is_object()) {
              service = absl::StrCat(GetString(*ref, {"namespace"}), "/", GetString(*ref, {"name"}));
            }
            std::string available = "Unknown";
            if (const auto* conditions = Array(o, {"status", "conditions"})) {
              for (const auto& c : *conditions) {
                if (GetString(c, {"type"}) != "Available") continue;
                std::string status = GetString(c, {"status"});
                std::string reason = GetString(c, {"reason"});
                available = status == "True" || reason.empty() ? status : absl::StrCat(status, " (", reason, ")");
                break;
              }
            }
            return json::array{Name(o), service, available, Age(o, now)};
          }};
}

}  // namespace skiff::api::table_internal
