// Table printers for workload kinds: apps/v1 (Deployment, ReplicaSet, StatefulSet, DaemonSet,
// ControllerRevision), batch/v1 (Job, CronJob) and autoscaling (HorizontalPodAutoscaler).
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "api/conversion.h"
#include "api/label_selector.h"
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

Column ContainersColumn() { return {"Containers", "string", 1, "Names of each container in the template."}; }
Column ImagesColumn() {
  return {"Images", "string", 1, "Images referenced by each container in the template."};
}
Column SelectorColumn() {
  return {"Selector", "string", 1, "Label query over the pods this object manages."};
}

// Job status from its conditions, in Kubernetes' order of precedence.
std::string JobStatus(const json::value& o) {
  auto has = [&](std::string_view type) {
    if (const auto* conds = Array(o, {"status", "conditions"})) {
      for (const auto& c : *conds) {
        if (GetString(c, {"type"}) == type) return GetString(c, {"status"}) == "True";
      }
    }
    return false;
  };
  if (has("Complete")) return "Complete";
  if (has("Failed")) return "Failed";
  if (IsBeingDeleted(o)) return "Terminating";
  if (has("Suspended")) return "Suspended";
  if (has("FailureTarget")) return "FailureTarget";
  return "Running";
}

std::string JobCompletions(const json::value& o) {
  int64_t succeeded = GetInt(o, {"status", "succeeded"});
  if (const auto* c = FindPath(o, {"spec", "completions"}); c && !c->is_null()) {
    return absl::StrCat(succeeded, "/", GetInt(o, {"spec", "completions"}));
  }
  int64_t parallelism = GetInt(o, {"spec", "parallelism"});
  if (parallelism > 1) return absl::StrCat(succeeded, "/1 of ", parallelism);
  return absl::StrCat(succeeded, "/1");
}

std::string JobDuration(const json::value& o, absl::Time now) {
  absl::Time start, end = now;
  if (!base::ParseRfc3339(GetString(o, {"status", "startTime"}), &start)) return "";
  base::ParseRfc3339(GetString(o, {"status", "completionTime"}), &end);
  return base::HumanDuration(end - start);
}

// "Kind.group/name" (lower-cased) of the controlling owner, "<none>" without one.
std::string ControllerOf(const json::value& o) {
  const json::value* ref = ControllerRef(o);
  if (ref == nullptr) return "<none>";
  std::string api_version = GetString(*ref, {"apiVersion"});
  size_t slash = api_version.find('/');
  std::string kind = GetString(*ref, {"kind"});
  if (slash != std::string::npos) absl::StrAppend(&kind, ".", api_version.substr(0, slash));
  std::string name = GetString(*ref, {"name"});
  return kind.empty() ? name : absl::StrCat(absl::AsciiStrToLower(kind), "/", name);
}

// One HPA metric as "cpu: 40%/80%", "<unknown>/100 (avg)", ... (formatHPAMetrics).
std::string HpaMetric(const json::value& spec, const json::value* status) {
  std::string type = GetString(spec, {"type"});
  auto current = [&](const char* source, const char* field) -> std::string {
    if (!status || !FindPath(*status, {source})) return "<unknown>";
    return QuantityText(*status, {source, "current", field});
  };
  if (type == "External" || type == "Object") {
    const char* source = type == "External" ? "external" : "object";
    if (FindPath(spec, {source, "target", "averageValue"})) {
      return absl::StrCat(current(source, "averageValue"), "/",
                          QuantityText(spec, {source, "target", "averageValue"}), " (avg)");
    }
    return absl::StrCat(current(source, "value"), "/", QuantityText(spec, {source, "target", "value"}));
  }
  if (type == "Pods") {
    return absl::StrCat(current("pods", "averageValue"), "/",
                        QuantityText(spec, {"pods", "target", "averageValue"}));
  }
  if (type == "Resource" || type == "ContainerResource") {
    const char* source = type == "Resource" ? "resource" : "containerResource";
    std::string name = GetString(spec, {source, "name"});
    if (FindPath(spec, {source, "target", "averageValue"})) {
      return absl::StrCat(name, ": ", current(source, "averageValue"), "/",
                          QuantityText(spec, {source, "target", "averageValue"}));
    }
    std::string now_text = "<unknown>";
    if (status && FindPath(*status, {source, "current", "averageUtilization"})) {
      now_text = absl::StrCat(GetInt(*status, {source, "current", "averageUtilization"}), "%");
    }
    std::string target = "<auto>";
    if (FindPath(spec, {source, "target", "averageUtilization"})) {
      target = absl::StrCat(GetInt(spec, {source, "target", "averageUtilization"}), "%");
    }
    return absl::StrCat(name, ": ", now_text, "/", target);
  }
  return "<unknown type>";
}

std::string HpaTargets(const json::value& o) {
  const auto* specs = Array(o, {"spec", "metrics"});
  if (!specs || specs->empty()) return "<none>";
  const auto* statuses = Array(o, {"status", "currentMetrics"});
  std::vector<std::string> parts;
  for (size_t i = 0; i < specs->size(); ++i) {  // statuses pair with specs by position
    const json::value* status = statuses && i < statuses->size() ? &(*statuses)[i] : nullptr;
    parts.push_back(HpaMetric((*specs)[i], status));
  }
  return JoinWithMore(parts, parts.size(), 2, ", ");
}

}  // namespace

Printer DeploymentPrinter() {
  return {{NameColumn(),
           {"Ready", "string", 0, "Ready replicas / desired replicas."},
           {"Up-to-date", "string", 0, "Replicas running the current template."},
           {"Available", "string", 0, "Replicas available for at least minReadySeconds."},
           AgeColumn(),
           ContainersColumn(),
           ImagesColumn(),
           SelectorColumn()},
          [](const json::value& o, absl::Time now) {
            auto [names, images] = ContainerCells(o, {"spec", "template", "spec", "containers"});
            std::string selector = "";
            if (const auto* sel = FindPath(o, {"spec", "selector"})) {
              auto parsed = LabelSelector::FromJson(*sel);
              selector = parsed.ok() ? parsed->String() : "<invalid>";
            }
            return json::array{
                Name(o),
                absl::StrCat(GetInt(o, {"status", "readyReplicas"}), "/", GetInt(o, {"spec", "replicas"}, 1)),
                GetInt(o, {"status", "updatedReplicas"}),
                GetInt(o, {"status", "availableReplicas"}),
                Age(o, now),
                names,
                images,
                selector};
          }};
}

Printer ReplicaSetPrinter() {
  return {{NameColumn(),
           {"Desired", "integer", 0, "Desired replicas."},
           {"Current", "integer", 0, "Observed replicas."},
           {"Ready", "integer", 0, "Ready replicas."},
           AgeColumn(),
           ContainersColumn(),
           ImagesColumn(),
           SelectorColumn()},
          [](const json::value& o, absl::Time now) {
            auto [names, images] = ContainerCells(o, {"spec", "template", "spec", "containers"});
            return json::array{Name(o),
                               GetInt(o, {"spec", "replicas"}, 1),
                               GetInt(o, {"status", "replicas"}),
                               GetInt(o, {"status", "readyReplicas"}),
                               Age(o, now),
                               names,
                               images,
                               FormatLabelSelector(o, {"spec", "selector"})};
          }};
}

Printer StatefulSetPrinter() {
  return {{NameColumn(),
           {"Ready", "string", 0, "Ready replicas / desired replicas."},
           AgeColumn(),
           ContainersColumn(),
           ImagesColumn()},
          [](const json::value& o, absl::Time now) {
            auto [names, images] = ContainerCells(o, {"spec", "template", "spec", "containers"});
            return json::array{
                Name(o),
                absl::StrCat(GetInt(o, {"status", "readyReplicas"}), "/", GetInt(o, {"spec", "replicas"}, 1)),
                Age(o, now), names, images};
          }};
}

Printer DaemonSetPrinter() {
  return {{NameColumn(),
           {"Desired", "integer", 0, "Nodes that should run the daemon pod."},
           {"Current", "integer", 0, "Nodes running at least one daemon pod."},
           {"Ready", "integer", 0, "Nodes with a ready daemon pod."},
           {"Up-to-date", "integer", 0, "Nodes running the current template."},
           {"Available", "integer", 0, "Nodes with an available daemon pod."},
           {"Node Selector", "string", 0, "Nodes the daemon pods may run on."},
           AgeColumn(),
           ContainersColumn(),
           ImagesColumn(),
           SelectorColumn()},
          [](const json::value& o, absl::Time now) {
            auto [names, images] = ContainerCells(o, {"spec", "template", "spec", "containers"});
            return json::array{Name(o),
                               GetInt(o, {"status", "desiredNumberScheduled"}),
                               GetInt(o, {"status", "currentNumberScheduled"}),
                               GetInt(o, {"status", "numberReady"}),
                               GetInt(o, {"status", "updatedNumberScheduled"}),
                               GetInt(o, {"status", "numberAvailable"}),
                               FormatLabels(o, {"spec", "template", "spec", "nodeSelector"}),
                               Age(o, now),
                               names,
                               images,
                               FormatLabelSelector(o, {"spec", "selector"})};
          }};
}

Printer ControllerRevisionPrinter() {
  return {{NameColumn(),
           {"Controller", "string", 0, "Controller of the object."},
           {"Revision", "string", 0, "Revision number of the stored state."},
           AgeColumn()},
          [](const json::value& o, absl::Time now) {
            return json::array{Name(o), ControllerOf(o), GetInt(o, {"revision"}), Age(o, now)};
          }};
}

Printer JobPrinter() {
  return {{NameColumn(),
           {"Status", "string", 0, "Status of the job."},
           {"Completions", "string", 0, "Succeeded pods / desired completions."},
           {"Duration", "string", 0, "Time required to complete the job."},
           AgeColumn(),
           ContainersColumn(),
           ImagesColumn(),
           SelectorColumn()},
          [](const json::value& o, absl::Time now) {
            auto [names, images] = ContainerCells(o, {"spec", "template", "spec", "containers"});
            return json::array{Name(o),
                               JobStatus(o),
                               JobCompletions(o),
                               JobDuration(o, now),
                               Age(o, now),
                               names,
                               images,
                               FormatLabelSelector(o, {"spec", "selector"})};
          }};
}

Printer CronJobPrinter() {
  return {{NameColumn(),
           {"Schedule", "string", 0, "The schedule in Cron format."},
           {"Timezone", "string", 0, "Time zone the schedule is interpreted in."},
           {"Suspend", "boolean", 0, "Whether new runs are suspended."},
           {"Active", "integer", 0, "Running jobs."},
           {"Last Schedule", "string", 0, "Time since a job was last scheduled."},
           AgeColumn(),
           ContainersColumn(),
           ImagesColumn(),
           SelectorColumn()},
          [](const json::value& o, absl::Time now) {
            std::string last = "<none>";
            if (std::string t = GetString(o, {"status", "lastScheduleTime"}); !t.empty())
              last = Since(t, now);
            std::string suspend = "<unset>";
            if (const auto* s = FindPath(o, {"spec", "suspend"}); s && s->is_bool())
              suspend = GoBool(s->get_bool());
            auto [names, images] =
                ContainerCells(o, {"spec", "jobTemplate", "spec", "template", "spec", "containers"});
            return json::array{Name(o),
                               GetString(o, {"spec", "schedule"}),
                               GetString(o, {"spec", "timeZone"}, "<none>"),
                               suspend,
                               Count(o, {"status", "active"}),
                               last,
                               Age(o, now),
                               names,
                               images,
                               FormatLabelSelector(o, {"spec", "jobTemplate", "spec", "selector"})};
          }};
}

Printer HorizontalPodAutoscalerPrinter(const ResourceInfo& served) {
  const ResourceInfo* from = &served;
  return {{NameColumn(),
           {"Reference", "string", 0, "The scaled object."},
           {"Targets", "string", 0, "Current / target value of each metric."},
           {"MinPods", "string", 0, "Lower limit of replicas."},
           {"MaxPods", "string", 0, "Upper limit of replicas."},
           {"Replicas", "string", 0, "Current replicas."},
           AgeColumn()},
          [from](const json::value& served_obj, absl::Time now) {
            // Metrics are read in the v2 shape, whatever version the object is served in.
            json::value o = ConvertObject(served_obj, *from, StorageVersionOf(*from));
            std::string min = "<unset>";
            if (const auto* m = FindPath(o, {"spec", "minReplicas"}); m && !m->is_null()) {
              min = std::to_string(GetInt(o, {"spec", "minReplicas"}));
            }
            return json::array{Name(o),
                               absl::StrCat(GetString(o, {"spec", "scaleTargetRef", "kind"}), "/",
                                            GetString(o, {"spec", "scaleTargetRef", "name"})),
                               HpaTargets(o),
                               min,
                               GetInt(o, {"spec", "maxReplicas"}),
                               GetInt(o, {"status", "currentReplicas"}),
                               Age(o, now)};
          }};
}

}  // namespace skiff::api::table_internal
