// Table printers for the core/v1 kinds other than Pods and Events: Services, Nodes, Namespaces,
// ConfigMaps, Secrets, ServiceAccounts, Endpoints, ReplicationControllers, ResourceQuotas,
// PersistentVolumes and PersistentVolumeClaims.
#include <algorithm>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/object_meta.h"
#include "api/table_internal.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::api::table_internal {
namespace {

namespace json = boost::json;
using base::FindPath;
using base::GetInt;
using base::GetString;

std::vector<std::string> Strings(const json::value& o, Path path) {
  std::vector<std::string> out;
  if (const auto* list = Array(o, path)) {
    for (const auto& v : *list) {
      if (v.is_string()) out.emplace_back(v.get_string());
    }
  }
  return out;
}

std::string ClusterIp(const json::value& o) {
  if (const auto* ips = Array(o, {"spec", "clusterIPs"}); ips && !ips->empty() && (*ips)[0].is_string()) {
    return std::string((*ips)[0].get_string());
  }
  return OrNone(GetString(o, {"spec", "clusterIP"}));
}

std::string ExternalIp(const json::value& o) {
  std::string type = GetString(o, {"spec", "type"}, "ClusterIP");
  std::vector<std::string> external = Strings(o, {"spec", "externalIPs"});
  if (type == "ClusterIP" || type == "NodePort")
    return external.empty() ? "<none>" : absl::StrJoin(external, ",");
  if (type == "ExternalName") return GetString(o, {"spec", "externalName"});
  if (type != "LoadBalancer") return "<unknown>";
  std::set<std::string> balancer;  // sorted and de-duplicated, as Kubernetes prints them
  if (const auto* ingress = Array(o, {"status", "loadBalancer", "ingress"})) {
    for (const auto& i : *ingress) {
      std::string ip = GetString(i, {"ip"});
      if (ip.empty()) ip = GetString(i, {"hostname"});
      if (!ip.empty()) balancer.insert(ip);
    }
  }
  if (balancer.empty() && external.empty()) return "<pending>";
  std::vector<std::string> all(balancer.begin(), balancer.end());
  all.insert(all.end(), external.begin(), external.end());
  return absl::StrJoin(all, ",");
}

std::string ServicePorts(const json::value& o) {
  std::vector<std::string> parts;
  if (const auto* ports = Array(o, {"spec", "ports"})) {
    for (const auto& p : *ports) {
      std::string text = std::to_string(GetInt(p, {"port"}));
      if (int64_t node_port = GetInt(p, {"nodePort"}); node_port > 0) absl::StrAppend(&text, ":", node_port);
      absl::StrAppend(&text, "/", GetString(p, {"protocol"}, "TCP"));
      parts.push_back(std::move(text));
    }
  }
  return parts.empty() ? "<none>" : absl::StrJoin(parts, ",");
}

std::string NodeStatus(const json::value& o) {
  std::string status = "Unknown";
  if (const auto* conds = Array(o, {"status", "conditions"})) {
    for (const auto& c : *conds) {
      if (GetString(c, {"type"}) == "Ready")
        status = GetString(c, {"status"}) == "True" ? "Ready" : "NotReady";
    }
  }
  if (base::GetBool(o, {"spec", "unschedulable"})) status += ",SchedulingDisabled";
  return status;
}

std::string NodeRoles(const json::value& o) {
  constexpr std::string_view kRolePrefix = "node-role.kubernetes.io/";
  std::set<std::string> roles;
  if (const auto* labels = Object(o, {"metadata", "labels"})) {
    for (const auto& [k, v] : *labels) {
      std::string_view key = k;
      if (key.starts_with(kRolePrefix) && key.size() > kRolePrefix.size()) {
        roles.emplace(key.substr(kRolePrefix.size()));
      } else if (key == "kubernetes.io/role" && v.is_string() && !v.get_string().empty()) {
        roles.emplace(v.get_string());
      }
    }
  }
  return roles.empty() ? "<none>" : absl::StrJoin(roles, ",");
}

std::string NodeAddress(const json::value& o, std::string_view type) {
  if (const auto* addrs = Array(o, {"status", "addresses"})) {
    for (const auto& a : *addrs) {
      if (GetString(a, {"type"}) == type) return GetString(a, {"address"});
    }
  }
  return "<none>";
}

std::string OrUnknown(std::string s) { return s.empty() ? "<unknown>" : s; }

std::string HostPort(const std::string& ip, int64_t port) {
  return ip.find(':') != std::string::npos ? absl::StrCat("[", ip, "]:", port) : absl::StrCat(ip, ":", port);
}

std::string EndpointsText(const json::value& o) {
  const auto* subsets = Array(o, {"subsets"});
  if (!subsets || subsets->empty()) return "<none>";
  constexpr size_t kMax = 3;
  std::vector<std::string> shown;
  size_t total = 0;
  for (const auto& subset : *subsets) {
    const auto* addrs = Array(subset, {"addresses"});
    size_t n = addrs ? addrs->size() : 0;
    const auto* ports = Array(subset, {"ports"});
    if (!ports || ports->empty()) {  // headless services may have no ports
      total += n;
      for (size_t i = 0; i < n && shown.size() < kMax; ++i) shown.push_back(GetString((*addrs)[i], {"ip"}));
      continue;
    }
    for (const auto& port : *ports) {
      total += n;
      for (size_t i = 0; i < n && shown.size() < kMax; ++i) {
        shown.push_back(HostPort(GetString((*addrs)[i], {"ip"}), GetInt(port, {"port"})));
      }
    }
  }
  return JoinWithMore(shown, total, kMax);
}

// "cpu: 100m/1, pods: 2/10" for the requests (or "limits.*") entries of status.hard.
std::string QuotaColumn(const json::value& o, bool limits) {
  const auto* hard = Object(o, {"status", "hard"});
  if (!hard) return "";
  std::vector<std::string> names;
  for (const auto& [k, v] : *hard) {
    if (std::string_view(k).starts_with("limits.") == limits) names.emplace_back(k);
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> parts;
  for (const auto& name : names) {
    parts.push_back(absl::StrCat(name, ": ", QuantityText(o, {"status", "used", name}), "/",
                                 QuantityText(o, {"status", "hard", name})));
  }
  return absl::StrJoin(parts, ", ");
}

// Storage class of a PV or PVC: the beta annotation wins over spec.storageClassName.
std::string StorageClassOf(const json::value& o) {
  if (const auto* v = FindPath(o, {"metadata", "annotations", "volume.beta.kubernetes.io/storage-class"});
      v && v->is_string()) {
    return std::string(v->get_string());
  }
  return GetString(o, {"spec", "storageClassName"});
}

std::string PhaseOrTerminating(const json::value& o) {
  if (IsBeingDeleted(o)) return "Terminating";
  return GetString(o, {"status", "phase"}, "Pending");
}

}  // namespace

Printer ServicePrinter() {
  return {{NameColumn(),
           {"Type", "string", 0, "The service type: ClusterIP, NodePort, LoadBalancer or ExternalName."},
           {"Cluster-IP", "string", 0, "The cluster-internal IP of the service."},
           {"External-IP", "string", 0, "External IPs and load balancer addresses."},
           {"Port(s)", "string", 0, "The ports the service exposes."},
           AgeColumn(),
           {"Selector", "string", 1, "Pods with these labels receive the service's traffic."}},
          [](const json::value& o, absl::Time now) {
            return json::array{Name(o),
                               GetString(o, {"spec", "type"}, "ClusterIP"),
                               ClusterIp(o),
                               ExternalIp(o),
                               ServicePorts(o),
                               Age(o, now),
                               FormatLabels(o, {"spec", "selector"})};
          }};
}

Printer NodePrinter() {
  return {{NameColumn(),
           {"Status", "string", 0, "The status of the node."},
           {"Roles", "string", 0, "The roles of the node."},
           AgeColumn(),
           {"Version", "string", 0, "Kubelet version."},
           {"Internal-IP", "string", 1, "The node's internal address."},
           {"External-IP", "string", 1, "The node's external address."},
           {"OS-Image", "string", 1, "OS image reported by the node."},
           {"Kernel-Version", "string", 1, "Kernel version reported by the node."},
           {"Container-Runtime", "string", 1, "Container runtime and version."}},
          [](const json::value& o, absl::Time now) {
            return json::array{Name(o),
                               NodeStatus(o),
                               NodeRoles(o),
                               Age(o, now),
                               GetString(o, {"status", "nodeInfo", "kubeletVersion"}),
                               NodeAddress(o, "InternalIP"),
                               NodeAddress(o, "ExternalIP"),
                               OrUnknown(GetString(o, {"status", "nodeInfo", "osImage"})),
                               OrUnknown(GetString(o, {"status", "nodeInfo", "kernelVersion"})),
                               OrUnknown(GetString(o, {"status", "nodeInfo", "containerRuntimeVersion"}))};
          }};
}

Printer NamespacePrinter() {
  return {{NameColumn(), {"Status", "string", 0, "The status of the namespace."}, AgeColumn()},
          [](const json::value& o, absl::Time now) {
            return json::array{Name(o), GetString(o, {"status", "phase"}, "Active"), Age(o, now)};
          }};
}

Printer ConfigMapPrinter() {
  return {{NameColumn(), {"Data", "string", 0, "Number of data and binaryData entries."}, AgeColumn()},
          [](const json::value& o, absl::Time now) {
            return json::array{Name(o), Count(o, {"data"}) + Count(o, {"binaryData"}), Age(o, now)};
          }};
}

Printer SecretPrinter() {
  return {{NameColumn(),
           {"Type", "string", 0, "The secret type."},
           {"Data", "string", 0, "Number of data entries."},
           AgeColumn()},
          [](const json::value& o, absl::Time now) {
            return json::array{Name(o), GetString(o, {"type"}), Count(o, {"data"}), Age(o, now)};
          }};
}

Printer ServiceAccountPrinter() {
  return {{NameColumn(),
           {"Secrets", "string", 0, "Number of secrets listed by the service account."},
           AgeColumn()},
          [](const json::value& o, absl::Time now) {
            return json::array{Name(o), Count(o, {"secrets"}), Age(o, now)};
          }};
}

Printer EndpointsPrinter() {
  return {{NameColumn(), {"Endpoints", "string", 0, "Ready addresses and ports."}, AgeColumn()},
          [](const json::value& o, absl::Time now) {
            return json::array{Name(o), EndpointsText(o), Age(o, now)};
          }};
}

Printer ReplicationControllerPrinter() {
  return {{NameColumn(),
           {"Desired", "integer", 0, "Desired replicas."},
           {"Current", "integer", 0, "Observed replicas."},
           {"Ready", "integer", 0, "Ready replicas."},
           AgeColumn(),
           {"Containers", "string", 1, "Names of each container in the template."},
           {"Images", "string", 1, "Images referenced by each container in the template."},
           {"Selector", "string", 1, "Pods with these labels are counted as replicas."}},
          [](const json::value& o, absl::Time now) {
            auto [names, images] = ContainerCells(o, {"spec", "template", "spec", "containers"});
            return json::array{Name(o),
                               GetInt(o, {"spec", "replicas"}, 1),
                               GetInt(o, {"status", "replicas"}),
                               GetInt(o, {"status", "readyReplicas"}),
                               Age(o, now),
                               names,
                               images,
                               FormatLabels(o, {"spec", "selector"})};
          }};
}

Printer ResourceQuotaPrinter() {
  return {{NameColumn(),
           {"Request", "string", 0, "Used / hard limits of the quota's requests and counts."},
           {"Limit", "string", 0, "Used / hard limits of the quota's limits.* entries."},
           AgeColumn()},
          [](const json::value& o, absl::Time now) {
            return json::array{Name(o), QuotaColumn(o, false), QuotaColumn(o, true), Age(o, now)};
          }};
}

Printer PersistentVolumePrinter() {
  return {{NameColumn(),
           {"Capacity", "string", 0, "Storage capacity of the volume."},
           {"Access Modes", "string", 0, "Ways the volume can be mounted."},
           {"Reclaim Policy", "string", 0, "What happens to the volume when its claim is released."},
           {"Status", "string", 0, "Phase of the volume."},
           {"Claim", "string", 0, "The claim bound to the volume."},
           {"StorageClass", "string", 0, "StorageClass of the pv"},
           {"VolumeAttributesClass", "string", 0, "VolumeAttributesClass of the pv"},
           {"Reason", "string", 0, "Why the volume is in its phase."},
           AgeColumn(),
           {"VolumeMode", "string", 1, "Filesystem or Block."}},
          [](const json::value& o, absl::Time now) {
            std::string claim;
            if (FindPath(o, {"spec", "claimRef"})) {
              claim = absl::StrCat(GetString(o, {"spec", "claimRef", "namespace"}), "/",
                                   GetString(o, {"spec", "claimRef", "name"}));
            }
            return json::array{Name(o),
                               QuantityText(o, {"spec", "capacity", "storage"}),
                               AccessModes(o, {"spec", "accessModes"}),
                               GetString(o, {"spec", "persistentVolumeReclaimPolicy"}),
                               PhaseOrTerminating(o),
                               claim,
                               StorageClassOf(o),
                               GetString(o, {"spec", "volumeAttributesClassName"}, "<unset>"),
                               GetString(o, {"status", "reason"}),
                               Age(o, now),
                               GetString(o, {"spec", "volumeMode"}, "<unset>")};
          }};
}

Printer PersistentVolumeClaimPrinter() {
  return {{NameColumn(),
           {"Status", "string", 0, "Phase of the claim."},
           {"Volume", "string", 0, "The volume bound to the claim."},
           {"Capacity", "string", 0, "Storage capacity of the bound volume."},
           {"Access Modes", "string", 0, "Ways the bound volume can be mounted."},
           {"StorageClass", "string", 0, "StorageClass of the pvc"},
           {"VolumeAttributesClass", "string", 0, "VolumeAttributesClass of the pvc"},
           AgeColumn(),
           {"VolumeMode", "string", 1, "Filesystem or Block."}},
          [](const json::value& o, absl::Time now) {
            std::string volume = GetString(o, {"spec", "volumeName"});
            std::string capacity, modes;
            if (!volume.empty()) {  // capacity and modes are the bound volume's
              capacity = QuantityText(o, {"status", "capacity", "storage"});
              modes = AccessModes(o, {"status", "accessModes"});
            }
            return json::array{Name(o),
                               PhaseOrTerminating(o),
                               volume,
                               capacity,
                               modes,
                               StorageClassOf(o),
                               GetString(o, {"spec", "volumeAttributesClassName"}, "<unset>"),
                               Age(o, now),
                               GetString(o, {"spec", "volumeMode"}, "<unset>")};
          }};
}

}  // namespace skiff::api::table_internal
