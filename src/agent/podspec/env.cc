#include "agent/podspec/env.h"

#include <algorithm>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/podspec/downward.h"
#include "api/object_meta.h"
#include "base/json.h"
#include "base/strings.h"

namespace skiff::agent::podspec {

std::string ExpandVars(std::string_view input,
                       const std::function<std::optional<std::string>(std::string_view)>& lookup) {
  std::string out;
  out.reserve(input.size());
  size_t i = 0;
  while (i < input.size()) {
    char c = input[i];
    if (c != '$' || i + 1 == input.size()) {
      out += c;
      ++i;
      continue;
    }
    char next = input[i + 1];
    if (next == '$') {  // escaped operator
      out += '$';
      i += 2;
    } else if (next == '(') {
      size_t close = input.find(')', i + 2);
      if (close == std::string_view::npos) {  // incomplete reference: kept, scanning resumes after "$("
        out += "$(";
        i += 2;
        continue;
      }
      std::string_view name = input.substr(i + 2, close - i - 2);
      std::optional<std::string> value = lookup(name);
      if (value) {
        out += *value;
      } else {
        absl::StrAppend(&out, "$(", base::Av(name), ")");
      }
      i = close + 1;
    } else {  // a lone $ followed by an ordinary character
      out += '$';
      out += next;
      i += 2;
    }
  }
  return out;
}

std::string ExpandVars(std::string_view input, const std::vector<EnvVar>& env) {
  return ExpandVars(input, [&](std::string_view name) -> std::optional<std::string> {
    for (auto it = env.rbegin(); it != env.rend(); ++it) {
      if (it->name == name) return it->value;
    }
    return std::nullopt;
  });
}

bool IsValidEnvVarName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return c >= 32 && c <= 126 && c != '='; });
}

std::optional<std::string> SecretValue(const boost::json::value& secret, std::string_view key) {
  if (const boost::json::value* v = base::FindPath(secret, {"data", key}); v != nullptr && v->is_string()) {
    std::string decoded;
    if (absl::Base64Unescape(base::Av(std::string_view(v->as_string())), &decoded)) return decoded;
    return std::nullopt;
  }
  if (const boost::json::value* v = base::FindPath(secret, {"stringData", key});
      v != nullptr && v->is_string()) {
    return std::string(v->as_string());
  }
  return std::nullopt;
}

std::vector<EnvVar> SecretEntries(const boost::json::value& secret) {
  std::vector<EnvVar> out;
  for (const char* field : {"data", "stringData"}) {
    const boost::json::value* data = base::Find(secret, field);
    if (data == nullptr || !data->is_object()) continue;
    for (const auto& [k, v] : data->as_object()) {
      std::string key(k);
      if (std::any_of(out.begin(), out.end(), [&](const EnvVar& e) { return e.name == key; })) continue;
      if (auto value = SecretValue(secret, key)) out.push_back({key, *value});
    }
  }
  return out;
}

std::vector<EnvVar> ConfigMapEntries(const boost::json::value& config_map, bool include_binary) {
  std::vector<EnvVar> out;
  if (const boost::json::value* data = base::Find(config_map, "data"); data != nullptr && data->is_object()) {
    for (const auto& [k, v] : data->as_object()) {
      out.push_back({std::string(k), v.is_string() ? std::string(v.as_string()) : ""});
    }
  }
  if (!include_binary) return out;
  if (const boost::json::value* data = base::Find(config_map, "binaryData");
      data != nullptr && data->is_object()) {
    for (const auto& [k, v] : data->as_object()) {
      std::string decoded;
      if (v.is_string() && absl::Base64Unescape(base::Av(std::string_view(v.as_string())), &decoded)) {
        out.push_back({std::string(k), decoded});
      }
    }
  }
  return out;
}

namespace {

// The container's variables so far, in first-definition order.
class EnvBuilder {
 public:
  void Set(const std::string& name, std::string value) {
    auto [it, inserted] = index_.try_emplace(name, vars_.size());
    if (inserted) {
      vars_.push_back({name, std::move(value)});
    } else {
      vars_[it->second].value = std::move(value);
    }
  }
  const std::string* Lookup(std::string_view name) const {
    auto it = index_.find(std::string(name));
    return it == index_.end() ? nullptr : &vars_[it->second].value;
  }
  std::vector<EnvVar>& vars() { return vars_; }

 private:
  std::vector<EnvVar> vars_;
  std::map<std::string, size_t> index_;
};

// Fetches (and caches per call) ConfigMaps and Secrets.
class ObjectCache {
 public:
  ObjectCache(ObjectSource& objects, std::string ns) : objects_(objects), ns_(std::move(ns)) {}
  absl::StatusOr<client::Object> Get(ObjectKind kind, const std::string& name) {
    auto key = std::make_pair(kind, name);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    auto got = objects_.Get(kind, ns_, name);
    if (got.ok()) cache_.emplace(key, *got);
    return got;
  }

 private:
  ObjectSource& objects_;
  std::string ns_;
  std::map<std::pair<ObjectKind, std::string>, client::Object> cache_;
};

bool Optional(const boost::json::value& ref) { return base::GetBool(ref, {"optional"}); }

}  // namespace

absl::StatusOr<Environment> MakeEnvironment(const boost::json::value& pod,
                                            const boost::json::value& container, const PodContext& ctx,
                                            ObjectSource& objects, const ServiceEnvFunc& service_env) {
  const std::string ns = api::Namespace(pod);
  std::vector<EnvVar> service_vars;
  if (service_env) service_vars = service_env(ns, base::GetBool(pod, {"spec", "enableServiceLinks"}, true));
  ObjectCache cache(objects, ns);
  EnvBuilder env;
  Environment result;

  if (const boost::json::value* env_from = base::Find(container, "envFrom");
      env_from != nullptr && env_from->is_array()) {
    for (const auto& source : env_from->as_array()) {
      std::string prefix = base::GetString(source, {"prefix"});
      const boost::json::value* cm_ref = base::Find(source, "configMapRef");
      const boost::json::value* secret_ref = base::Find(source, "secretRef");
      const boost::json::value* ref = cm_ref != nullptr ? cm_ref : secret_ref;
      if (ref == nullptr) continue;
      ObjectKind kind = cm_ref != nullptr ? ObjectKind::kConfigMap : ObjectKind::kSecret;
      std::string name = base::GetString(*ref, {"name"});
      auto obj = cache.Get(kind, name);
      if (!obj.ok()) {
        if (absl::IsNotFound(obj.status()) && Optional(*ref)) continue;
        return obj.status();
      }
      std::vector<EnvVar> entries =
          kind == ObjectKind::kConfigMap ? ConfigMapEntries(**obj, false) : SecretEntries(**obj);
      std::vector<std::string> invalid;
      for (auto& [key, value] : entries) {
        std::string full = prefix + key;
        if (!IsValidEnvVarName(full)) {
          invalid.push_back(full);
          continue;
        }
        env.Set(full, std::move(value));
      }
      if (!invalid.empty()) {
        std::sort(invalid.begin(), invalid.end());
        result.events.push_back(
            {"Warning", "InvalidEnvironmentVariableNames",
             absl::StrCat("Keys [", absl::StrJoin(invalid, ", "), "] from the EnvFrom ",
                          kind == ObjectKind::kConfigMap ? "configMap " : "secret ", ns, "/", name,
                          " were skipped since they are considered invalid environment variable names.")});
      }
    }
  }

  auto lookup = [&](std::string_view name) -> std::optional<std::string> {
    if (const std::string* v = env.Lookup(name)) return *v;
    for (const EnvVar& s : service_vars) {
      if (s.name == name) return s.value;
    }
    return std::nullopt;
  };

  if (const boost::json::value* list = base::Find(container, "env"); list != nullptr && list->is_array()) {
    for (const auto& var : list->as_array()) {
      std::string name = base::GetString(var, {"name"});
      std::string value = base::GetString(var, {"value"});
      const boost::json::value* from = base::Find(var, "valueFrom");
      if (!value.empty()) {
        value = ExpandVars(value, lookup);
      } else if (from != nullptr && from->is_object()) {
        if (const boost::json::value* f = base::Find(*from, "fieldRef")) {
          auto v = PodFieldValue(pod, *f, ctx);
          if (!v.ok()) return v.status();
          value = *v;
        } else if (const boost::json::value* r = base::Find(*from, "resourceFieldRef")) {
          // containerName is only meaningful for volumes; env always describes this container.
          auto v = ContainerResourceValue(*r, container, ctx.node);
          if (!v.ok()) return v.status();
          value = *v;
        } else if (const boost::json::value* ref = base::Find(*from, "configMapKeyRef")) {
          std::string cm_name = base::GetString(*ref, {"name"});
          std::string key = base::GetString(*ref, {"key"});
          auto cm = cache.Get(ObjectKind::kConfigMap, cm_name);
          if (!cm.ok()) {
            if (absl::IsNotFound(cm.status()) && Optional(*ref)) continue;
            return cm.status();
          }
          const boost::json::value* data = base::FindPath(**cm, {"data", key});
          if (data == nullptr || !data->is_string()) {
            if (Optional(*ref)) continue;
            return absl::InvalidArgumentError(
                absl::StrCat("couldn't find key ", key, " in ConfigMap ", ns, "/", cm_name));
          }
          value = std::string(data->as_string());
        } else if (const boost::json::value* sref = base::Find(*from, "secretKeyRef")) {
          std::string secret_name = base::GetString(*sref, {"name"});
          std::string key = base::GetString(*sref, {"key"});
          auto secret = cache.Get(ObjectKind::kSecret, secret_name);
          if (!secret.ok()) {
            if (absl::IsNotFound(secret.status()) && Optional(*sref)) continue;
            return secret.status();
          }
          std::optional<std::string> data = SecretValue(**secret, key);
          if (!data) {
            if (Optional(*sref)) continue;
            return absl::InvalidArgumentError(
                absl::StrCat("couldn't find key ", key, " in Secret ", ns, "/", secret_name));
          }
          value = *data;
        }
      }
      env.Set(name, std::move(value));
    }
  }

  result.vars = std::move(env.vars());
  for (EnvVar& s : service_vars) {
    bool present = std::any_of(result.vars.begin(), result.vars.end(),
                               [&](const EnvVar& v) { return v.name == s.name; });
    if (!present) result.vars.push_back(std::move(s));
  }
  return result;
}

}  // namespace skiff::agent::podspec
