// Table printing of custom resources: the Name column, then each additionalPrinterColumn of the
// CRD, its cell found by the column's JSONPath (a simple field path with [index] and ['key']
// steps, as kube-apiserver allows) and typed as kube's table convertor types it.
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "api/table_internal.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::api::table_internal {
namespace {

namespace json = boost::json;

// The value at a simple JSONPath (".spec.replicas", ".status.conditions[0].type",
// ".metadata.labels['app.kubernetes.io/name']"), or nullptr.
const json::value* Lookup(const json::value& obj, std::string_view path) {
  if (path.size() >= 2 && path.front() == '{' && path.back() == '}') path = path.substr(1, path.size() - 2);
  const json::value* cur = &obj;
  size_t i = 0;
  while (i < path.size() && cur) {
    if (path[i] == '.') {
      size_t end = path.find_first_of(".[", i + 1);
      if (end == std::string_view::npos) end = path.size();
      std::string_view key = path.substr(i + 1, end - i - 1);
      i = end;
      if (key.empty()) continue;
      const auto* o = cur->if_object();
      cur = o ? o->if_contains(key) : nullptr;
    } else if (path[i] == '[') {
      size_t end = path.find(']', i);
      if (end == std::string_view::npos) return nullptr;
      std::string_view inner = path.substr(i + 1, end - i - 1);
      i = end + 1;
      if (inner.size() >= 2 && (inner.front() == '\'' || inner.front() == '"')) {
        const auto* o = cur->if_object();
        cur = o ? o->if_contains(inner.substr(1, inner.size() - 2)) : nullptr;
      } else {
        int index = 0;
        const auto* a = cur->if_array();
        if (!a || !absl::SimpleAtoi(absl::string_view(inner.data(), inner.size()), &index) || index < 0 || static_cast<size_t>(index) >= a->size())
          return nullptr;
        cur = &(*a)[static_cast<size_t>(index)];
      }
    } else {
      return nullptr;
    }
  }
  return cur;
}

json::value Cell(const PrinterColumn& column, const json::value* v, absl::Time now) {
  if (!v || v->is_null()) return nullptr;
  const std::string& type = column.type;
  if (type == "integer") {
    if (v->is_int64() || v->is_uint64()) return *v;
    if (v->is_double()) return static_cast<int64_t>(v->get_double());
    return nullptr;
  }
  if (type == "number") return v->is_number() ? *v : json::value(nullptr);
  if (type == "boolean") return v->is_bool() ? *v : json::value(nullptr);
  if (type == "date") return v->is_string() ? json::value(Since(std::string(v->get_string()), now)) : json::value(nullptr);
  if (v->is_string()) return v->get_string();
  return json::string(base::ToJson(*v));
}

}  // namespace

Printer CustomResourcePrinter(const CustomResourceInfo& custom) {
  Printer p;
  p.columns.push_back(NameColumn());
  for (const auto& c : custom.printer_columns) {
    p.columns.push_back({c.name.c_str(), c.type.c_str(), c.priority, c.description.c_str(), c.format.c_str()});
  }
  const std::vector<PrinterColumn>* columns = &custom.printer_columns;  // lives as long as the catalogue
  p.row = [columns](const json::value& obj, absl::Time now) {
    json::array cells{json::string(base::GetString(obj, {"metadata", "name"}))};
    for (const auto& c : *columns) cells.push_back(Cell(c, Lookup(obj, c.json_path), now));
    return cells;
  };
  return p;
}

}  // namespace skiff::api::table_internal
