#include "agent/podspec/downward.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/go_format.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "api/quantity.h"
#include "base/json.h"

namespace skiff::agent::podspec {

std::string FormatStringMap(const boost::json::value* map) {
  if (map == nullptr || !map->is_object()) return "";
  std::vector<std::pair<std::string, std::string>> entries;
  for (const auto& [k, v] : map->as_object()) {
    entries.emplace_back(std::string(k), v.is_string() ? std::string(v.as_string()) : "");
  }
  std::sort(entries.begin(), entries.end());
  std::string out;
  for (const auto& [k, v] : entries) {
    if (!out.empty()) out += '\n';
    absl::StrAppend(&out, k, "=", api::GoQuote(v));
  }
  return out;
}

namespace {

// "metadata.labels['app']" -> {"metadata.labels", "app"}.
bool SplitSubscript(std::string_view path, std::string_view* base, std::string_view* key) {
  if (!path.ends_with("']")) return false;
  std::string_view trimmed = path.substr(0, path.size() - 2);
  size_t open = trimmed.find("['");
  if (open == std::string_view::npos) return false;
  *base = trimmed.substr(0, open);
  *key = trimmed.substr(open + 2);
  return true;
}

// Ceil(a / b) for positive b, rounding away from zero like math.Ceil on positive values.
int64_t CeilDiv(int64_t a, int64_t b) {
  if (b == 0) return 0;
  int64_t q = a / b;
  if (a % b != 0 && ((a > 0) == (b > 0))) ++q;
  return q;
}

std::optional<api::Quantity> NodeDefault(std::string_view name, const NodeResources& node) {
  if (name == "cpu") return node.cpu;
  if (name == "memory") return node.memory;
  if (name == "ephemeral-storage") return node.ephemeral_storage;
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::string> PodFieldValue(const boost::json::value& pod,
                                          const boost::json::value& field_selector, const PodContext& ctx) {
  std::string version = base::GetString(field_selector, {"apiVersion"}, "v1");
  if (version != "v1") return absl::InvalidArgumentError(absl::StrCat("unsupported pod version: ", version));
  std::string path = base::GetString(field_selector, {"fieldPath"});
  std::string_view base_path, key;
  if (SplitSubscript(path, &base_path, &key)) {
    if (base_path != "metadata.labels" && base_path != "metadata.annotations") {
      return absl::InvalidArgumentError(absl::StrCat("field label not supported: ", path));
    }
    const char* map = base_path == "metadata.labels" ? "labels" : "annotations";
    return base::GetString(pod, {"metadata", map, key});
  }
  if (path == "metadata.name") return api::Name(pod);
  if (path == "metadata.namespace") return api::Namespace(pod);
  if (path == "metadata.uid") return api::Uid(pod);
  if (path == "metadata.labels") return FormatStringMap(api::Labels(pod));
  if (path == "metadata.annotations") return FormatStringMap(api::Annotations(pod));
  if (path == "spec.nodeName") return api::NodeName(pod);
  if (path == "spec.serviceAccountName") return base::GetString(pod, {"spec", "serviceAccountName"});
  if (path == "status.hostIP") {
    if (ctx.host_ips.empty()) return absl::UnavailableError("the node has no IP address yet");
    return ctx.host_ips.front();
  }
  if (path == "status.hostIPs") return absl::StrJoin(ctx.host_ips, ",");
  if (path == "status.podIP") return ctx.pod_ips.empty() ? std::string() : ctx.pod_ips.front();
  if (path == "status.podIPs") return absl::StrJoin(ctx.pod_ips, ",");
  return absl::InvalidArgumentError(absl::StrCat("unsupported fieldPath: ", path));
}

absl::StatusOr<std::string> ContainerResourceValue(const boost::json::value& resource_selector,
                                                   const boost::json::value& container,
                                                   const NodeResources& node) {
  std::string resource = base::GetString(resource_selector, {"resource"});
  api::Quantity divisor = api::Quantity::FromInt64(1);
  if (const boost::json::value* d = base::Find(resource_selector, "divisor")) {
    auto parsed = api::Quantity::FromJson(*d);
    if (!parsed.ok()) return parsed.status();
    if (!parsed->IsZero()) divisor = *parsed;
  }
  size_t dot = resource.find('.');
  std::string kind = dot == std::string::npos ? "" : resource.substr(0, dot);
  std::string name = dot == std::string::npos ? "" : resource.substr(dot + 1);
  bool known =
      name == "cpu" || name == "memory" || name == "ephemeral-storage" || name.starts_with("hugepages-");
  if ((kind != "limits" && kind != "requests") || !known) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported container resource : ", resource));
  }
  const boost::json::value* raw = base::FindPath(container, {"resources", kind, name});
  std::optional<api::Quantity> value;
  if (raw != nullptr) {
    auto parsed = api::Quantity::FromJson(*raw);
    if (!parsed.ok()) return parsed.status();
    value = *parsed;
  } else if (kind == "limits") {
    value = NodeDefault(name, node);
  }
  api::Quantity q = value.value_or(api::Quantity());
  if (name == "cpu") return absl::StrCat(CeilDiv(q.MilliValue(), divisor.MilliValue()));
  return absl::StrCat(CeilDiv(q.Value(), divisor.Value()));
}

}  // namespace skiff::agent::podspec
