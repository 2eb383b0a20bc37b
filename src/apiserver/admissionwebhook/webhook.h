// Webhook: one webhook of a Mutating- or ValidatingWebhookConfiguration, parsed once from the
// stored (defaulted, validated) object, with what the dispatcher needs: rules, policies,
// selectors, timeout and where to call it.
// Thread-safety: immutable values. Ownership: values.
// Failure: ParseWebhooks never fails; a webhook whose selectors cannot be used (which validation
// prevents) matches nothing rather than everything.
#ifndef SKIFF_APISERVER_ADMISSIONWEBHOOK_WEBHOOK_H_
#define SKIFF_APISERVER_ADMISSIONWEBHOOK_WEBHOOK_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "api/label_selector.h"
#include "apiserver/admissioncel/match_conditions.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::admissionwebhook {

struct Rule {
  std::vector<std::string> operations;  // CREATE, UPDATE, DELETE, CONNECT, *
  std::vector<std::string> api_groups;
  std::vector<std::string> api_versions;
  std::vector<std::string> resources;  // "pods", "pods/status", "*", "*/*", "pods/*", "*/status"
  std::string scope = "*";             // "*", "Cluster", "Namespaced"
};

struct ClientConfig {
  std::string url;  // set for URL webhooks
  // set for Service webhooks
  std::string service_namespace;
  std::string service_name;
  std::string service_path;
  int service_port = 443;
  std::string ca_bundle_pem;  // decoded caBundle; empty = system trust store
};

struct Webhook {
  std::string configuration;  // the configuration's name
  std::string name;
  bool mutating = false;
  std::vector<Rule> rules;
  bool fail_open = false;    // failurePolicy Ignore
  bool match_exact = false;  // matchPolicy Exact
  api::LabelSelector namespace_selector;
  api::LabelSelector object_selector;
  bool namespace_selector_empty = true;
  bool object_selector_empty = true;
  std::string side_effects;  // None, NoneOnDryRun, Some, Unknown
  absl::Duration timeout = absl::Seconds(10);
  std::string review_version = "v1";  // the version we send: v1 when listed, else v1beta1
  bool reinvoke_if_needed = false;    // reinvocationPolicy IfNeeded (mutating only)
  ClientConfig client;
  // matchConditions, compiled once (empty: every request that the rules and selectors let through).
  admissioncel::MatchConditions match_conditions;

  // Side effects None or NoneOnDryRun: safe to call for a dry-run request.
  bool DryRunSafe() const { return side_effects == "None" || side_effects == "NoneOnDryRun"; }
};

// A stored clientConfig (url, or service with namespace/name/path/port, and caBundle); the port
// defaults to 443.
ClientConfig ParseClientConfig(const boost::json::value& client_config);

// The webhooks of one stored configuration object, in order.
std::vector<Webhook> ParseWebhooks(const boost::json::value& configuration, bool mutating);

}  // namespace skiff::apiserver::admissionwebhook

#endif  // SKIFF_APISERVER_ADMISSIONWEBHOOK_WEBHOOK_H_
