// Cell formatting helpers shared by the table printers (see table_internal.h).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/label_selector.h"
#include "api/object_meta.h"
#include "api/quantity.h"
#include "api/table_internal.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/strings.h"
#include "boost/json.hpp"

namespace skiff::api::table_internal {

namespace json = boost::json;
using base::FindPath;
using base::GetString;

Column NameColumn() { return {"Name", "string", 0, "Name must be unique within a namespace.", "name"}; }

Column AgeColumn() { return {"Age", "string", 0, "Time since the object was created."}; }

std::string Since(const std::string& timestamp, absl::Time now) {
  absl::Time t;
  if (timestamp.empty() || !base::ParseRfc3339(timestamp, &t)) return "<unknown>";
  return base::HumanDuration(now - t);
}

std::string Age(const json::value& obj, absl::Time now) {
  return Since(GetString(obj, {"metadata", "creationTimestamp"}), now);
}

std::string OrNone(std::string s) { return s.empty() ? "<none>" : s; }

const json::array* Array(const json::value& obj, Path path) {
  const auto* v = FindPath(obj, path);
  return v && v->is_array() ? &v->get_array() : nullptr;
}

const json::object* Object(const json::value& obj, Path path) {
  const auto* v = FindPath(obj, path);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

int64_t Count(const json::value& obj, Path path) {
  const auto* v = FindPath(obj, path);
  if (!v) return 0;
  if (v->is_array()) return static_cast<int64_t>(v->get_array().size());
  if (v->is_object()) return static_cast<int64_t>(v->get_object().size());
  return 0;
}

std::string FormatLabels(const json::value& obj, Path path) {
  const auto* map = Object(obj, path);
  if (!map || map->empty()) return "<none>";
  std::vector<std::string> parts;
  for (const auto& [k, v] : *map) {
    std::string entry = std::string(std::string_view(k));
    entry += '=';
    if (v.is_string()) entry += std::string_view(v.get_string());
    parts.push_back(std::move(entry));
  }
  std::sort(parts.begin(), parts.end());
  return absl::StrJoin(parts, ",");
}

std::string FormatLabelSelector(const json::value& obj, Path path) {
  const auto* sel = FindPath(obj, path);
  if (!sel) return "<none>";
  auto parsed = LabelSelector::FromJson(*sel);
  if (!parsed.ok()) return "<error>";
  return OrNone(parsed->String());
}

std::pair<std::string, std::string> ContainerCells(const json::value& obj, Path path) {
  std::vector<std::string> names, images;
  if (const auto* containers = Array(obj, path)) {
    for (const auto& c : *containers) {
      names.push_back(GetString(c, {"name"}));
      images.push_back(GetString(c, {"image"}));
    }
  }
  return {absl::StrJoin(names, ","), absl::StrJoin(images, ",")};
}

std::string QuantityText(const json::value& obj, Path path) {
  const auto* v = FindPath(obj, path);
  if (!v) return "0";
  auto q = Quantity::FromJson(*v);
  if (!q.ok()) return v->is_string() ? std::string(v->get_string()) : "0";
  return q->String();
}

std::string AccessModes(const json::value& obj, Path path) {
  const auto* modes = Array(obj, path);
  if (!modes) return "";
  auto has = [&](std::string_view mode) {
    return std::any_of(modes->begin(), modes->end(),
                       [&](const json::value& m) { return m.is_string() && m.get_string() == mode; });
  };
  std::vector<std::string> out;
  if (has("ReadWriteOnce")) out.push_back("RWO");
  if (has("ReadOnlyMany")) out.push_back("ROX");
  if (has("ReadWriteMany")) out.push_back("RWX");
  if (has("ReadWriteOncePod")) out.push_back("RWOP");
  return absl::StrJoin(out, ",");
}

std::string IntOrStringText(const json::value& obj, Path path, std::string absent) {
  const auto* v = FindPath(obj, path);
  if (!v || v->is_null()) return absent;
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  return absent;
}

std::string JoinWithMore(const std::vector<std::string>& shown, size_t total, size_t max,
                         std::string_view sep) {
  std::string text = absl::StrJoin(shown.begin(), shown.begin() + std::min(shown.size(), max), base::Av(sep));
  if (total > max) absl::StrAppend(&text, " + ", total - max, " more...");
  return text;
}

std::string GoBool(bool b) { return b ? "True" : "False"; }

}  // namespace skiff::api::table_internal
