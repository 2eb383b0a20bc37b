#include "api/table.h"

#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/label_selector.h"
#include "base/clock.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::api {
namespace {

namespace json = boost::json;
using base::FindPath;
using base::GetInt;
using base::GetString;

struct Column {
  const char* name;
  const char* type;  // "string", "integer", "date"
  int priority;
  const char* description;
  const char* format = "";
};

using RowFn = std::function<json::array(const json::value& obj, absl::Time now)>;

struct Printer {
  std::vector<Column> columns;
  RowFn row;
};

std::string Age(const json::value& obj, absl::Time now) {
  absl::Time created;
  if (!base::ParseRfc3339(GetString(obj, {"metadata", "creationTimestamp"}), &created)) return "<unknown>";
  return base::HumanDuration(now - created);
}

std::string OrNone(std::string s) { return s.empty() ? "<none>" : s; }

const json::array* Array(const json::value& obj, std::initializer_list<std::string_view> path) {
  const auto* v = FindPath(obj, path);
  return v && v->is_array() ? &v->get_array() : nullptr;
}

size_t Size(const json::value& obj, std::initializer_list<std::string_view> path) {
  const auto* v = FindPath(obj, path);
  if (!v) return 0;
  if (v->is_array()) return v->get_array().size();
  if (v->is_object()) return v->get_object().size();
  return 0;
}

std::string Join(const json::array* list, std::string_view field) {
  if (!list) return "";
  std::vector<std::string> parts;
  for (const auto& item : *list) parts.push_back(GetString(item, {field}));
  return absl::StrJoin(parts, ",");
}

std::string SelectorString(const json::value& obj, std::initializer_list<std::string_view> path) {
  const auto* sel = FindPath(obj, path);
  if (!sel) return "<none>";
  auto parsed = LabelSelector::FromJson(*sel);
  if (!parsed.ok()) return "<invalid>";
  return OrNone(parsed->String());
}

std::string MapSelector(const json::value& obj, std::initializer_list<std::string_view> path) {
  const auto* sel = FindPath(obj, path);
  if (!sel || !sel->is_object() || sel->get_object().empty()) return "<none>";
  std::vector<std::string> parts;
  for (const auto& [k, v] : sel->get_object()) {
    parts.push_back(absl::StrCat(std::string(k), "=", v.is_string() ? std::string(v.get_string()) : ""));
  }
  std::sort(parts.begin(), parts.end());
  return absl::StrJoin(parts, ",");
}

json::value Int(const json::value& obj, std::initializer_list<std::string_view> path) { return GetInt(obj, path, 0); }

Printer PodPrinter() {
  return {{{"Name", "string", 0, "Name of the pod.", "name"},
           {"Ready", "string", 0, "Ready containers / all containers."},
           {"Status", "string", 0, "Aggregate status of the containers."},
           {"Restarts", "string", 0, "Restarts of the containers."},
           {"Age", "string", 0, "Time since creation."},
           {"IP", "string", 1, "Pod IP address."},
           {"Node", "string", 1, "Node the pod is bound to."},
           {"Nominated Node", "string", 1, "Node nominated by preemption."},
           {"Readiness Gates", "string", 1, "Readiness gates."}},
          [](const json::value& o, absl::Time now) {
            size_t total = Size(o, {"spec", "containers"});
            int ready = 0;
            int64_t restarts = 0;
            std::string reason = GetString(o, {"status", "reason"});
            if (reason.empty()) reason = GetString(o, {"status", "phase"}, "Pending");
            if (const auto* statuses = Array(o, {"status", "containerStatuses"})) {
              for (const auto& cs : *statuses) {
                if (base::GetBool(cs, {"ready"})) ++ready;
                restarts += GetInt(cs, {"restartCount"});
                std::string waiting = GetString(cs, {"state", "waiting", "reason"});
                std::string terminated = GetString(cs, {"state", "terminated", "reason"});
                if (!waiting.empty()) {
                  reason = waiting;
                } else if (!terminated.empty()) {
                  reason = terminated;
                }
              }
            }
            if (FindPath(o, {"metadata", "deletionTimestamp"})) reason = "Terminating";
            std::string gates = "<none>";
            if (const auto* g = Array(o, {"spec", "readinessGates"}); g && !g->empty()) {
              gates = absl::StrCat(0, "/", g->size());
            }
            return json::array{GetString(o, {"metadata", "name"}),
                               absl::StrCat(ready, "/", total),
                               reason,
                               std::to_string(restarts),
                               Age(o, now),
                               OrNone(GetString(o, {"status", "podIP"})),
                               OrNone(GetString(o, {"spec", "nodeName"})),
                               OrNone(GetString(o, {"status", "nominatedNodeName"})),
                               gates};
          }};
}

json::string Containers(const json::value& o, std::initializer_list<std::string_view> spec_path, const char* field) {
  const auto* cs = FindPath(o, spec_path);
  return json::string(Join(cs && cs->is_array() ? &cs->get_array() : nullptr, field));
}

Printer DeploymentPrinter() {
  return {{{"Name", "string", 0, "Name.", "name"},
           {"Ready", "string", 0, "Ready replicas / desired."},
           {"Up-to-date", "integer", 0, "Replicas with the current template."},
           {"Available", "integer", 0, "Available replicas."},
           {"Age", "string", 0, "Time since creation."},
           {"Containers", "string", 1, "Container names."},
           {"Images", "string", 1, "Container images."},
           {"Selector", "string", 1, "Label selector."}},
          [](const json::value& o, absl::Time now) {
            return json::array{GetString(o, {"metadata", "name"}),
                               absl::StrCat(GetInt(o, {"status", "readyReplicas"}), "/", GetInt(o, {"spec", "replicas"})),
                               Int(o, {"status", "updatedReplicas"}),
                               Int(o, {"status", "availableReplicas"}),
                               Age(o, now),
                               Containers(o, {"spec", "template", "spec", "containers"}, "name"),
                               Containers(o, {"spec", "template", "spec", "containers"}, "image"),
                               SelectorString(o, {"spec", "selector"})};
          }};
}

Printer ReplicaSetPrinter() {
  return {{{"Name", "string", 0, "Name.", "name"},
           {"Desired", "integer", 0, "Desired replicas."},
           {"Current", "integer", 0, "Current replicas."},
           {"Ready", "integer", 0, "Ready replicas."},
           {"Age", "string", 0, "Time since creation."},
           {"Containers", "string", 1, "Container names."},
           {"Images", "string", 1, "Container images."},
           {"Selector", "string", 1, "Label selector."}},
          [](const json::value& o, absl::Time now) {
            return json::array{GetString(o, {"metadata", "name"}),
                               Int(o, {"spec", "replicas"}),
                               Int(o, {"status", "replicas"}),
                               Int(o, {"status", "readyReplicas"}),
                               Age(o, now),
                               Containers(o, {"spec", "template", "spec", "containers"}, "name"),
                               Containers(o, {"spec", "template", "spec", "containers"}, "image"),
                               SelectorString(o, {"spec", "selector"})};
          }};
}

Printer StatefulSetPrinter() {
  return {{{"Name", "string", 0, "Name.", "name"},
           {"Ready", "string", 0, "Ready replicas / desired."},
           {"Age", "string", 0, "Time since creation."},
           {"Containers", "string", 1, "Container names."},
           {"Images", "string", 1, "Container images."}},
          [](const json::value& o, absl::Time now) {
            return json::array{GetString(o, {"metadata", "name"}),
                               absl::StrCat(GetInt(o, {"status", "readyReplicas"}), "/", GetInt(o, {"spec", "replicas"})),
                               Age(o, now), Containers(o, {"spec", "template", "spec", "containers"}, "name"),
                               Containers(o, {"spec", "template", "spec", "containers"}, "image")};
          }};
}

Printer DaemonSetPrinter() {
  return {{{"Name", "string", 0, "Name.", "name"},
           {"Desired", "integer", 0, "Nodes that should run the pod."},
           {"Current", "integer", 0, "Nodes running the pod."},
           {"Ready", "integer", 0, "Nodes with a ready pod."},
           {"Up-to-date", "integer", 0, "Nodes with the current template."},
           {"Available", "integer", 0, "Nodes with an available pod."},
           {"Node Selector", "string", 0, "Node selector."},
           {"Age", "string", 0, "Time since creation."},
           {"Containers", "string", 1, "Container names."},
           {"Images", "string", 1, "Container images."},
           {"Selector", "string", 1, "Label selector."}},
          [](const json::value& o, absl::Time now) {
            return json::array{GetString(o, {"metadata", "name"}),
                               Int(o, {"status", "desiredNumberScheduled"}),
                               Int(o, {"status", "currentNumberScheduled"}),
                               Int(o, {"status", "numberReady"}),
                               Int(o, {"status", "updatedNumberScheduled"}),
                               Int(o, {"status", "numberAvailable"}),
                               MapSelector(o, {"spec", "template", "spec", "nodeSelector"}),
                               Age(o, now),
                               Containers(o, {"spec", "template", "spec", "containers"}, "name"),
                               Containers(o, {"spec", "template", "spec", "containers"}, "image"),
                               SelectorString(o, {"spec", "selector"})};
          }};
}

std::string ServicePorts(const json::value& o) {
  std::vector<std::string> parts;
  if (const auto* ports = Array(o, {"spec", "ports"})) {
    for (const auto& p : *ports) {
      std::string s = std::to_string(GetInt(p, {"port"}));
      if (int64_t np = GetInt(p, {"nodePort"}); np > 0) absl::StrAppend(&s, ":", np);
      absl::StrAppend(&s, "/", GetString(p, {"protocol"}, "TCP"));
      parts.push_back(s);
    }
  }
  return parts.empty() ? "<none>" : absl::StrJoin(parts, ",");
}

std::string ExternalIp(const json::value& o) {
  std::string type = GetString(o, {"spec", "type"}, "ClusterIP");
  if (type == "ExternalName") return GetString(o, {"spec", "externalName"});
  std::vector<std::string> ips;
  if (const auto* ext = Array(o, {"spec", "externalIPs"})) {
    for (const auto& ip : *ext) {
      if (ip.is_string()) ips.emplace_back(ip.get_string());
    }
  }
  if (type == "LoadBalancer") {
    if (const auto* ingress = Array(o, {"status", "loadBalancer", "ingress"})) {
      for (const auto& i : *ingress) {
        std::string ip = GetString(i, {"ip"});
        ips.push_back(ip.empty() ? GetString(i, {"hostname"}) : ip);
      }
    }
    if (ips.empty()) return "<pending>";
  }
  return ips.empty() ? "<none>" : absl::StrJoin(ips, ",");
}

Printer ServicePrinter() {
  return {{{"Name", "string", 0, "Name.", "name"},
           {"Type", "string", 0, "Service type."},
           {"Cluster-IP", "string", 0, "Cluster IP."},
           {"External-IP", "string", 0, "External addresses."},
           {"Port(s)", "string", 0, "Service ports."},
           {"Age", "string", 0, "Time since creation."},
           {"Selector", "string", 1, "Pod selector."}},
          [](const json::value& o, absl::Time now) {
            return json::array{GetString(o, {"metadata", "name"}), GetString(o, {"spec", "type"}, "ClusterIP"),
                               OrNone(GetString(o, {"spec", "clusterIP"})), ExternalIp(o), ServicePorts(o),
                               Age(o, now), MapSelector(o, {"spec", "selector"})};
          }};
}

std::string NodeAddress(const json::value& o, std::string_view type) {
  if (const auto* addrs = Array(o, {"status", "addresses"})) {
    for (const auto& a : *addrs) {
      if (GetString(a, {"type"}) == type) return GetString(a, {"address"});
    }
  }
  return "<none>";
}

Printer NodePrinter() {
  return {{{"Name", "string", 0, "Name.", "name"},
           {"Status", "string", 0, "Readiness and scheduling state."},
           {"Roles", "string", 0, "Node roles."},
           {"Age", "string", 0, "Time since creation."},
           {"Version", "string", 0, "Kubelet version."},
           {"Internal-IP", "string", 1, "Internal address."},
           {"External-IP", "string", 1, "External address."},
           {"OS-Image", "string", 1, "OS image."},
           {"Kernel-Version", "string", 1, "Kernel version."},
           {"Container-Runtime", "string", 1, "Container runtime."}},
          [](const json::value& o, absl::Time now) {
            std::string status = "Unknown";
            if (const auto* conds = Array(o, {"status", "conditions"})) {
              for (const auto& c : *conds) {
                if (GetString(c, {"type"}) == "Ready") {
                  status = GetString(c, {"status"}) == "True" ? "Ready" : "NotReady";
                }
              }
            }
            if (base::GetBool(o, {"spec", "unschedulable"})) status += ",SchedulingDisabled";
            std::vector<std::string> roles;
            if (const auto* labels = FindPath(o, {"metadata", "labels"}); labels && labels->is_object()) {
              for (const auto& [k, v] : labels->get_object()) {
                constexpr std::string_view kRole = "node-role.kubernetes.io/";
                std::string_view key = k;
                if (key.substr(0, kRole.size()) == kRole && key.size() > kRole.size()) {
                  roles.emplace_back(key.substr(kRole.size()));
                }
              }
            }
            return json::array{GetString(o, {"metadata", "name"}),
                               status,
                               roles.empty() ? "<none>" : absl::StrJoin(roles, ","),
                               Age(o, now),
                               GetString(o, {"status", "nodeInfo", "kubeletVersion"}),
                               NodeAddress(o, "InternalIP"),
                               NodeAddress(o, "ExternalIP"),
                               OrNone(GetString(o, {"status", "nodeInfo", "osImage"})),
                               OrNone(GetString(o, {"status", "nodeInfo", "kernelVersion"})),
                               OrNone(GetString(o, {"status", "nodeInfo", "containerRuntimeVersion"}))};
          }};
}

Printer NamespacePrinter() {
  return {{{"Name", "string", 0, "Name.", "name"}, {"Status", "string", 0, "Phase."}, {"Age", "string", 0, "Age."}},
          [](const json::value& o, absl::Time now) {
            return json::array{GetString(o, {"metadata", "name"}), GetString(o, {"status", "phase"}, "Active"),
                               Age(o, now)};
          }};
}

std::string EventTime(const json::value& o, absl::Time now, bool first) {
  std::string t = GetString(o, {first ? "firstTimestamp" : "lastTimestamp"});
  if (t.empty()) t = GetString(o, {"eventTime"});
  if (t.empty()) t = GetString(o, {"metadata", "creationTimestamp"});
  absl::Time parsed;
  if (!base::ParseRfc3339(t, &parsed)) return "<unknown>";
  return base::HumanDuration(now - parsed);
}

Printer EventPrinter() {
  return {{{"Last Seen", "string", 0, "Time since last seen."},
           {"Type", "string", 0, "Event type."},
           {"Reason", "string", 0, "Reason."},
           {"Object", "string", 0, "Object the event is about."},
           {"Subobject", "string", 1, "Field path within the object."},
           {"Source", "string", 1, "Reporting component."},
           {"Message", "string", 0, "Message."},
           {"First Seen", "string", 1, "Time since first seen."},
           {"Count", "string", 1, "Occurrences."},
           {"Name", "string", 1, "Event name.", "name"}},
          [](const json::value& o, absl::Time now) {
            std::string kind = GetString(o, {"involvedObject", "kind"});
            for (auto& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            std::string source = GetString(o, {"source", "component"});
            if (source.empty()) source = GetString(o, {"reportingComponent"});
            if (std::string host = GetString(o, {"source", "host"}); !host.empty()) absl::StrAppend(&source, ", ", host);
            int64_t count = GetInt(o, {"count"}, 1);
            return json::array{EventTime(o, now, false),
                               GetString(o, {"type"}),
                               GetString(o, {"reason"}),
                               absl::StrCat(kind, "/", GetString(o, {"involvedObject", "name"})),
                               GetString(o, {"involvedObject", "fieldPath"}),
                               source,
                               GetString(o, {"message"}),
                               EventTime(o, now, true),
                               std::to_string(count),
                               GetString(o, {"metadata", "name"})};
          }};
}

Printer DataPrinter(bool secret) {
  std::vector<Column> cols = {{"Name", "string", 0, "Name.", "name"}};
  if (secret) cols.push_back({"Type", "string", 0, "Secret type."});
  cols.push_back({"Data", "integer", 0, "Number of data entries."});
  cols.push_back({"Age", "string", 0, "Time since creation."});
  return {cols, [secret](const json::value& o, absl::Time now) {
            json::array row{GetString(o, {"metadata", "name"})};
            if (secret) row.push_back(json::string(GetString(o, {"type"}, "Opaque")));
            row.push_back(static_cast<int64_t>(Size(o, {"data"}) + Size(o, {"binaryData"})));
            row.push_back(json::string(Age(o, now)));
            return row;
          }};
}

Printer JobPrinter() {
  return {{{"Name", "string", 0, "Name.", "name"},
           {"Status", "string", 0, "Job state."},
           {"Completions", "string", 0, "Succeeded / desired completions."},
           {"Duration", "string", 0, "Run time."},
           {"Age", "string", 0, "Time since creation."},
           {"Containers", "string", 1, "Container names."},
           {"Images", "string", 1, "Container images."},
           {"Selector", "string", 1, "Label selector."}},
          [](const json::value& o, absl::Time now) {
            std::string status = "Running";
            if (const auto* conds = Array(o, {"status", "conditions"})) {
              for (const auto& c : *conds) {
                if (GetString(c, {"status"}) != "True") continue;
                std::string t = GetString(c, {"type"});
                if (t == "Complete") status = "Complete";
                if (t == "Failed") status = "Failed";
                if (t == "Suspended") status = "Suspended";
              }
            }
            std::string duration;
            absl::Time start, end = now;
            if (base::ParseRfc3339(GetString(o, {"status", "startTime"}), &start)) {
              base::ParseRfc3339(GetString(o, {"status", "completionTime"}), &end);
              duration = base::HumanDuration(end - start);
            }
            return json::array{GetString(o, {"metadata", "name"}),
                               status,
                               absl::StrCat(GetInt(o, {"status", "succeeded"}), "/", GetInt(o, {"spec", "completions"}, 1)),
                               duration,
                               Age(o, now),
                               Containers(o, {"spec", "template", "spec", "containers"}, "name"),
                               Containers(o, {"spec", "template", "spec", "containers"}, "image"),
                               SelectorString(o, {"spec", "selector"})};
          }};
}

Printer CronJobPrinter() {
  return {{{"Name", "string", 0, "Name.", "name"},
           {"Schedule", "string", 0, "Cron schedule."},
           {"Timezone", "string", 0, "Time zone."},
           {"Suspend", "boolean", 0, "Suspended."},
           {"Active", "integer", 0, "Running jobs."},
           {"Last Schedule", "string", 0, "Time since last schedule."},
           {"Age", "string", 0, "Time since creation."}},
          [](const json::value& o, absl::Time now) {
            std::string last = "<none>";
            absl::Time t;
            if (base::ParseRfc3339(GetString(o, {"status", "lastScheduleTime"}), &t)) last = base::HumanDuration(now - t);
            return json::array{GetString(o, {"metadata", "name"}),
                               GetString(o, {"spec", "schedule"}),
                               OrNone(GetString(o, {"spec", "timeZone"})),
                               base::GetBool(o, {"spec", "suspend"}),
                               static_cast<int64_t>(Size(o, {"status", "active"})),
                               last,
                               Age(o, now)};
          }};
}

Printer EndpointsPrinter() {
  return {{{"Name", "string", 0, "Name.", "name"}, {"Endpoints", "string", 0, "Addresses."}, {"Age", "string", 0, "Age."}},
          [](const json::value& o, absl::Time now) {
            std::vector<std::string> eps;
            if (const auto* subsets = Array(o, {"subsets"})) {
              for (const auto& s : *subsets) {
                const auto* addrs = Array(s, {"addresses"});
                const auto* ports = Array(s, {"ports"});
                if (!addrs) continue;
                for (const auto& a : *addrs) {
                  if (!ports || ports->empty()) {
                    eps.push_back(GetString(a, {"ip"}));
                    continue;
                  }
                  for (const auto& p : *ports) eps.push_back(absl::StrCat(GetString(a, {"ip"}), ":", GetInt(p, {"port"})));
                }
              }
            }
            std::string text = eps.empty() ? "<none>" : absl::StrJoin(eps.begin(), eps.begin() + std::min<size_t>(3, eps.size()), ",");
            if (eps.size() > 3) absl::StrAppend(&text, " + ", eps.size() - 3, " more...");
            return json::array{GetString(o, {"metadata", "name"}), text, Age(o, now)};
          }};
}

Printer HpaPrinter() {
  return {{{"Name", "string", 0, "Name.", "name"},
           {"Reference", "string", 0, "The scaled object."},
           {"Targets", "string", 0, "Current / target metric values."},
           {"MinPods", "string", 0, "Lower replica limit."},
           {"MaxPods", "integer", 0, "Upper replica limit."},
           {"Replicas", "integer", 0, "Current replicas."},
           {"Age", "string", 0, "Time since creation."}},
          [](const json::value& o, absl::Time now) {
            std::vector<std::string> targets;
            if (const auto* metrics = Array(o, {"spec", "metrics"})) {
              for (const auto& m : *metrics) {
                if (GetString(m, {"type"}) != "Resource") continue;
                std::string current = "<unknown>";
                if (const auto* cur = Array(o, {"status", "currentMetrics"})) {
                  for (const auto& c : *cur) {
                    if (GetString(c, {"resource", "name"}) == GetString(m, {"resource", "name"}) &&
                        FindPath(c, {"resource", "current", "averageUtilization"})) {
                      current = absl::StrCat(GetInt(c, {"resource", "current", "averageUtilization"}), "%");
                    }
                  }
                }
                targets.push_back(absl::StrCat(GetString(m, {"resource", "name"}), ": ", current, "/",
                                               GetInt(m, {"resource", "target", "averageUtilization"}), "%"));
              }
            }
            int64_t min = GetInt(o, {"spec", "minReplicas"}, 1);
            return json::array{GetString(o, {"metadata", "name"}),
                               absl::StrCat(GetString(o, {"spec", "scaleTargetRef", "kind"}), "/",
                                            GetString(o, {"spec", "scaleTargetRef", "name"})),
                               targets.empty() ? "<none>" : absl::StrJoin(targets, ", "),
                               std::to_string(min),
                               Int(o, {"spec", "maxReplicas"}),
                               Int(o, {"status", "currentReplicas"}),
                               Age(o, now)};
          }};
}

Printer DefaultPrinter() {
  return {{{"Name", "string", 0, "Name of the object.", "name"}, {"Created At", "date", 0, "Creation time."}},
          [](const json::value& o, absl::Time) {
            return json::array{GetString(o, {"metadata", "name"}), GetString(o, {"metadata", "creationTimestamp"})};
          }};
}

Printer PrinterFor(const ResourceInfo& r) {
  const std::string& k = r.kind;
  if (r.group.empty()) {
    if (k == "Pod") return PodPrinter();
    if (k == "Service") return ServicePrinter();
    if (k == "Node") return NodePrinter();
    if (k == "Namespace") return NamespacePrinter();
    if (k == "Event") return EventPrinter();
    if (k == "ConfigMap") return DataPrinter(false);
    if (k == "Secret") return DataPrinter(true);
    if (k == "Endpoints") return EndpointsPrinter();
    if (k == "ReplicationController") return ReplicaSetPrinter();
  }
  if (r.group == "apps") {
    if (k == "Deployment") return DeploymentPrinter();
    if (k == "ReplicaSet") return ReplicaSetPrinter();
    if (k == "StatefulSet") return StatefulSetPrinter();
    if (k == "DaemonSet") return DaemonSetPrinter();
  }
  if (r.group == "autoscaling" && k == "HorizontalPodAutoscaler") return HpaPrinter();
  if (r.group == "batch") {
    if (k == "Job") return JobPrinter();
    if (k == "CronJob") return CronJobPrinter();
  }
  return DefaultPrinter();
}

json::object PartialMetadata(const json::value& obj) {
  json::object meta;
  if (const auto* m = FindPath(obj, {"metadata"}); m && m->is_object()) meta = m->get_object();
  meta.erase("managedFields");
  return json::object{{"kind", "PartialObjectMetadata"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", std::move(meta)}};
}

}  // namespace

IncludeObject ParseIncludeObject(std::string_view value) {
  if (value == "None") return IncludeObject::kNone;
  if (value == "Object") return IncludeObject::kObject;
  return IncludeObject::kMetadata;
}

json::value ToTable(const ResourceInfo& resource, const std::vector<const json::value*>& objects,
                    const TableOptions& options) {
  Printer printer = PrinterFor(resource);
  json::object table;
  table["kind"] = "Table";
  table["apiVersion"] = "meta.k8s.io/v1";
  json::object meta;
  meta["resourceVersion"] = options.resource_version;
  if (!options.continue_token.empty()) meta["continue"] = options.continue_token;
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
