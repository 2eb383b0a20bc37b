#include "apiserver/podsecurity/check_util.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace skiff::apiserver::podsecurity {

const boost::json::value* Field(const boost::json::value* v, std::string_view key) {
  if (!v) return nullptr;
  const auto* object = v->if_object();
  if (!object) return nullptr;
  const auto* field = object->if_contains(key);
  return field && !field->is_null() ? field : nullptr;
}

std::optional<bool> BoolField(const boost::json::value* v, std::string_view key) {
  const auto* f = Field(v, key);
  if (!f || !f->is_bool()) return std::nullopt;
  return f->get_bool();
}

std::optional<std::string> StringField(const boost::json::value* v, std::string_view key) {
  const auto* f = Field(v, key);
  if (!f || !f->is_string()) return std::nullopt;
  return std::string(f->get_string());
}

std::optional<int64_t> IntField(const boost::json::value* v, std::string_view key) {
  const auto* f = Field(v, key);
  if (!f) return std::nullopt;
  if (f->is_int64()) return f->get_int64();
  if (f->is_uint64()) return static_cast<int64_t>(f->get_uint64());
  if (f->is_double()) return static_cast<int64_t>(f->get_double());
  return std::nullopt;
}

std::vector<std::string> StringsField(const boost::json::value* v, std::string_view key) {
  std::vector<std::string> out;
  const auto* f = Field(v, key);
  if (!f || !f->is_array()) return out;
  for (const auto& item : f->get_array()) {
    if (item.is_string()) out.emplace_back(item.get_string());
  }
  return out;
}

void VisitContainers(const boost::json::value& spec,
                     const std::function<void(const boost::json::value&)>& visit) {
  for (std::string_view list : {"initContainers", "containers", "ephemeralContainers"}) {
    const auto* containers = Field(&spec, list);
    if (!containers || !containers->is_array()) continue;
    for (const auto& container : containers->get_array()) {
      if (container.is_object()) visit(container);
    }
  }
}

std::string ContainerName(const boost::json::value& container) {
  return StringField(&container, "name").value_or("");
}

bool IsWindowsPod(const boost::json::value& spec) {
  return StringField(Field(&spec, "os"), "name") == "windows";
}

std::string JoinQuote(const std::vector<std::string>& items) {
  if (items.empty()) return "";
  return absl::StrCat("\"", absl::StrJoin(items, "\", \""), "\"");
}

const char* Pluralize(const char* singular, const char* plural, size_t count) {
  return count == 1 ? singular : plural;
}

std::string ContainersPhrase(const std::vector<std::string>& names) {
  return absl::StrCat(Pluralize("container", "containers", names.size()), " ", JoinQuote(names));
}

}  // namespace skiff::apiserver::podsecurity
