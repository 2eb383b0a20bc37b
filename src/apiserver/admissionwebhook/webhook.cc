#include "apiserver/admissionwebhook/webhook.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "api/object_meta.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::admissionwebhook {
namespace {

namespace json = boost::json;

std::vector<std::string> Strings(const json::value& obj, const char* field) {
  std::vector<std::string> out;
  const auto* v = base::Find(obj, field);
  if (!v || !v->is_array()) return out;
  for (const auto& e : v->get_array()) {
    if (e.is_string()) out.emplace_back(e.get_string());
  }
  return out;
}

// A selector field: absent or {} selects everything; unusable selects nothing.
api::LabelSelector Selector(const json::value& hook, const char* field, bool* empty) {
  const auto* v = base::Find(hook, field);
  if (!v || v->is_null()) return api::LabelSelector();
  auto parsed = api::LabelSelector::FromJson(*v, field);
  if (!parsed.ok()) {
    *empty = false;
    return api::LabelSelector::Nothing();
  }
  *empty = parsed->Empty();
  return *parsed;
}

}  // namespace

ClientConfig ParseClientConfig(const json::value& cc) {
  ClientConfig client;
  client.url = base::GetString(cc, {"url"});
  if (const auto* svc = base::Find(cc, "service"); svc && svc->is_object()) {
    client.service_namespace = base::GetString(*svc, {"namespace"});
    client.service_name = base::GetString(*svc, {"name"});
    client.service_path = base::GetString(*svc, {"path"});
    client.service_port = static_cast<int>(base::GetInt(*svc, {"port"}, 443));
  }
  std::string ca = base::GetString(cc, {"caBundle"});
  // Undecodable bytes are kept as they are: loading them fails the call, as a bad PEM does.
  if (!ca.empty() && !absl::Base64Unescape(ca, &client.ca_bundle_pem)) client.ca_bundle_pem = ca;
  return client;
}

std::vector<Webhook> ParseWebhooks(const json::value& configuration, bool mutating) {
  std::vector<Webhook> out;
  const auto* hooks = base::Find(configuration, "webhooks");
  if (!hooks || !hooks->is_array()) return out;
  std::string config_name = api::Name(configuration);
  for (const auto& h : hooks->get_array()) {
    Webhook w;
    w.configuration = config_name;
    w.name = base::GetString(h, {"name"});
    w.mutating = mutating;
    if (const auto* rules = base::Find(h, "rules"); rules && rules->is_array()) {
      for (const auto& r : rules->get_array()) {
        Rule rule;
        rule.operations = Strings(r, "operations");
        rule.api_groups = Strings(r, "apiGroups");
        rule.api_versions = Strings(r, "apiVersions");
        rule.resources = Strings(r, "resources");
        std::string scope = base::GetString(r, {"scope"});
        if (!scope.empty()) rule.scope = scope;
        w.rules.push_back(std::move(rule));
      }
    }
    w.fail_open = base::GetString(h, {"failurePolicy"}) == "Ignore";
    w.match_exact = base::GetString(h, {"matchPolicy"}) == "Exact";
    w.namespace_selector = Selector(h, "namespaceSelector", &w.namespace_selector_empty);
    w.object_selector = Selector(h, "objectSelector", &w.object_selector_empty);
    w.side_effects = base::GetString(h, {"sideEffects"});
    w.timeout = absl::Seconds(base::GetInt(h, {"timeoutSeconds"}, 10));
    auto versions = Strings(h, "admissionReviewVersions");
    w.review_version = "v1";
    if (std::find(versions.begin(), versions.end(), "v1") == versions.end() &&
        std::find(versions.begin(), versions.end(), "v1beta1") != versions.end()) {
      w.review_version = "v1beta1";
    }
    w.reinvoke_if_needed = mutating && base::GetString(h, {"reinvocationPolicy"}) == "IfNeeded";
    if (const auto* cc = base::Find(h, "clientConfig"); cc && cc->is_object()) w.client = ParseClientConfig(*cc);
    w.match_conditions = admissioncel::MatchConditions::Compile(base::Find(h, "matchConditions"),
                                                                admissioncel::Environment::kMatchCondition);
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace skiff::apiserver::admissionwebhook
