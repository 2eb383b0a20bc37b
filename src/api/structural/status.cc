#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/structural/structural.h"

namespace skiff::api::structural {

absl::Status InvalidCustomResourceStatus(std::string_view group, std::string_view kind, std::string_view name,
                                         const std::vector<FieldError>& errors) {
  std::string qualified = group.empty() ? std::string(kind) : std::string(kind) + "." + std::string(group);
  ApiError err{422, "Invalid", InvalidObjectMessage(qualified, name, errors), std::string(name), std::string(group),
               std::string(kind)};
  for (const FieldError& e : errors) {
    std::string text = FormatFieldError(e);
    std::string prefix = e.field + ": ";
    if (text.compare(0, prefix.size(), prefix) == 0) text = text.substr(prefix.size());
    err.causes.push_back({e.type, text, e.field});
  }
  return ToStatus(err);
}

}  // namespace skiff::api::structural
