#include "apiserver/rbac_bootstrap.h"

#include "api/errors.h"
#include "api/resources.h"
#include "apiserver/rbac/bootstrap_policy.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "spdlog/spdlog.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

using Reconcile = std::optional<json::value> (*)(const json::value&, const json::value*);

absl::Status EnsureAll(ResourceStorage* storage, const char* plural, const std::vector<json::value>& objects,
                       Reconcile reconcile) {
  const api::ResourceInfo* r = api::FindResource("rbac.authorization.k8s.io", "v1", plural);
  if (!r) return absl::InternalError(absl::StrCat("no resource ", plural));
  WriteOptions options;
  options.field_manager = "skiff-rbac-bootstrap";
  for (const auto& expected : objects) {
    std::string name = base::GetString(expected, {"metadata", "name"});
    auto current = storage->Get(*r, "", name);
    if (!current.ok() && !absl::IsNotFound(current.status())) return current.status();
    json::value existing = current.ok() ? (*current)->Parse() : json::value();
    auto wanted = reconcile(expected, current.ok() ? &existing : nullptr);
    if (!wanted) continue;
    absl::Status s;
    if (!current.ok()) {
      s = storage->Create(*r, "", *wanted, options).status();
    } else if (base::GetString(*wanted, {"roleRef", "name"}) != base::GetString(existing, {"roleRef", "name"})) {
      // A binding's roleRef is immutable: replace the binding.
      bool deleted = false;
      s = storage->Delete(*r, "", name, DeleteOptions{}, &deleted).status();
      if (s.ok()) s = storage->Create(*r, "", expected, options).status();
    } else {
      json::value next = *wanted;
      s = storage->Update(*r, "", name, [&](const ObjectPtr&) -> absl::StatusOr<json::value> { return next; },
                          options, /*retry_on_conflict=*/false)
              .status();
    }
    if (!s.ok() && api::HttpCode(s) != 409) return s;
    spdlog::info("rbac bootstrap: {} {} {}", current.ok() ? "reconciled" : "created", plural, name);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status EnsureBootstrapPolicy(ResourceStorage* storage) {
  if (auto s = EnsureAll(storage, "clusterroles", rbac::BootstrapClusterRoles(), rbac::ReconcileClusterRole);
      !s.ok()) {
    return s;
  }
  return EnsureAll(storage, "clusterrolebindings", rbac::BootstrapClusterRoleBindings(),
                   rbac::ReconcileClusterRoleBinding);
}

}  // namespace skiff::apiserver
