#include "apiserver/podsecurity/config.h"

#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "base/file.h"
#include "base/json.h"
#include "base/strings.h"

namespace skiff::apiserver::podsecurity {

namespace {

namespace json = boost::json;

constexpr std::string_view kApiVersions[] = {"pod-security.admission.config.k8s.io/v1",
                                             "pod-security.admission.config.k8s.io/v1beta1",
                                             "pod-security.admission.config.k8s.io/v1alpha1"};

absl::Status Bad(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("PodSecurityConfiguration ", base::Av(field), ": ", base::Av(why)));
}

// defaults.<mode> and defaults.<mode>-version into *lv.
absl::Status ReadMode(const json::value* defaults, std::string_view mode, LevelVersion* lv) {
  std::string level_key(mode), version_key = absl::StrCat(base::Av(mode), "-version");
  for (const std::string& key : {level_key, version_key}) {
    const json::value* v = defaults ? base::Find(*defaults, key) : nullptr;
    if (!v || v->is_null()) continue;
    const json::string* text = v->if_string();
    if (!text) return Bad(absl::StrCat("defaults.", key), "must be a string");
    std::string_view s(text->data(), text->size());
    if (key == level_key) {
      auto level = ParseLevel(s);
      if (!level.ok()) return Bad(absl::StrCat("defaults.", key), std::string(level.status().message()));
      lv->level = *level;
    } else {
      auto version = ParseVersion(s);
      if (!version.ok()) return Bad(absl::StrCat("defaults.", key), std::string(version.status().message()));
      lv->version = *version;
    }
  }
  return absl::OkStatus();
}

absl::Status ReadList(const json::value* exemptions, std::string_view key, std::vector<std::string>* out) {
  const json::value* v = exemptions ? base::Find(*exemptions, key) : nullptr;
  if (!v || v->is_null()) return absl::OkStatus();
  std::string field = absl::StrCat("exemptions.", base::Av(key));
  if (!v->is_array()) return Bad(field, "must be a list of strings");
  for (const auto& item : v->get_array()) {
    if (!item.is_string() || item.get_string().empty())
      return Bad(field, "must be a list of non-empty strings");
    out->emplace_back(item.get_string());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Options> ParseConfig(std::string_view text) {
  auto doc = api::YamlToJson(text);
  if (!doc.ok())
    return absl::InvalidArgumentError(absl::StrCat("PodSecurityConfiguration: ", doc.status().message()));
  if (!doc->is_object()) return Bad("", "must be an object");
  std::string api_version = base::GetString(*doc, {"apiVersion"});
  bool known = false;
  for (auto v : kApiVersions) known = known || api_version == v;
  if (!known) return Bad("apiVersion", absl::StrCat("unsupported \"", api_version, "\""));
  if (base::GetString(*doc, {"kind"}) != "PodSecurityConfiguration")
    return Bad("kind", "must be PodSecurityConfiguration");
  Options options;
  const json::value* defaults = base::Find(*doc, "defaults");
  if (auto s = ReadMode(defaults, "enforce", &options.defaults.enforce); !s.ok()) return s;
  if (auto s = ReadMode(defaults, "audit", &options.defaults.audit); !s.ok()) return s;
  if (auto s = ReadMode(defaults, "warn", &options.defaults.warn); !s.ok()) return s;
  const json::value* exemptions = base::Find(*doc, "exemptions");
  if (auto s = ReadList(exemptions, "usernames", &options.exempt_usernames); !s.ok()) return s;
  if (auto s = ReadList(exemptions, "runtimeClasses", &options.exempt_runtime_classes); !s.ok()) return s;
  if (auto s = ReadList(exemptions, "namespaces", &options.exempt_namespaces); !s.ok()) return s;
  return options;
}

absl::StatusOr<Options> LoadConfig(const std::string& path) {
  auto text = base::ReadFile(path);
  if (!text.ok()) return text.status();
  auto options = ParseConfig(*text);
  if (!options.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", options.status().message()));
  return options;
}

}  // namespace skiff::apiserver::podsecurity
