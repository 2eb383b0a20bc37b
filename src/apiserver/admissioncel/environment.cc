#include "apiserver/admissioncel/environment.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "apiserver/request_info.h"
#include "boost/json.hpp"

namespace skiff::apiserver::admissioncel {
namespace {

namespace json = boost::json;
namespace cel = api::cel;

const json::value& Null() {
  static const json::value null;
  return null;
}

const std::vector<cel::Variable>& Variables(Environment environment) {
  static const std::vector<cel::Variable> match = {
      {.name = "object"}, {.name = "oldObject"}, {.name = "request"}, {.name = "authorizer"}};
  static const std::vector<cel::Variable> policy = {
      {.name = "object"}, {.name = "oldObject"},       {.name = "request"},  {.name = "authorizer"},
      {.name = "params"}, {.name = "namespaceObject"}, {.name = "variables"}};
  return environment == Environment::kPolicy ? policy : match;
}

json::object GroupVersionKind(const api::ResourceInfo& r) {
  return {{"group", r.group}, {"version", r.version}, {"kind", r.kind}};
}
json::object GroupVersionResource(const api::ResourceInfo& r) {
  return {{"group", r.group}, {"version", r.version}, {"resource", r.plural}};
}

}  // namespace

absl::StatusOr<std::shared_ptr<const cel::Program>> CompileExpression(std::string_view expression,
                                                                     Environment environment) {
  return cel::Compile(expression, Variables(environment));
}

json::value RequestObject(const AdmissionRequest& request, const json::value* options) {
  json::object out;
  if (request.resource) {
    out["kind"] = GroupVersionKind(*request.resource);
    out["resource"] = GroupVersionResource(*request.resource);
    out["requestKind"] = GroupVersionKind(*request.resource);
    out["requestResource"] = GroupVersionResource(*request.resource);
  }
  out["subResource"] = std::string(request.subresource);
  out["requestSubResource"] = std::string(request.subresource);
  out["name"] = std::string(request.name);
  out["namespace"] = std::string(request.ns);
  out["operation"] = std::string(OperationName(request.operation));
  json::object user;
  if (request.user) {
    user["username"] = request.user->name;
    user["uid"] = request.user->uid;
    json::array groups;
    for (const auto& g : request.user->groups) groups.emplace_back(g);
    user["groups"] = std::move(groups);
    json::object extra;
    for (const auto& [k, values] : request.user->extra) {
      json::array list;
      for (const auto& v : values) list.emplace_back(v);
      extra[k] = std::move(list);
    }
    user["extra"] = std::move(extra);
  }
  out["userInfo"] = std::move(user);
  out["dryRun"] = request.dry_run;
  if (options) out["options"] = *options;
  return out;
}

cel::AuthorizationDecision RequestAuthorizer::Check(const cel::AuthorizationCheck& check) const {
  cel::AuthorizationDecision d;
  if (authorizer_ == nullptr) {
    d.decision = "noOpinion";
    d.error = "no authorizer is configured";
    return d;
  }
  User as;
  const User* user = user_;
  if (!check.service_account_name.empty()) {
    // kube's serviceaccount.UserInfo: the ServiceAccount's user name and groups.
    as.name = absl::StrCat("system:serviceaccount:", check.service_account_namespace, ":", check.service_account_name);
    as.groups = {"system:serviceaccounts", absl::StrCat("system:serviceaccounts:", check.service_account_namespace),
                 "system:authenticated"};
    user = &as;
  }
  static const User kAnonymous{"system:anonymous", "", {"system:unauthenticated"}};
  if (user == nullptr) user = &kAnonymous;
  RequestInfo info;
  info.is_resource = check.is_resource;
  info.group = check.group;
  info.resource = check.resource;
  info.subresource = check.subresource;
  info.namespace_name = check.ns;
  info.name = check.name;
  info.path = check.path;
  info.verb = check.verb;
  std::string reason;
  absl::Status s = authorizer_->Authorize(*user, info, &reason);
  if (s.ok()) {
    d.decision = "allow";
  } else {
    d.decision = "deny";
    d.reason = reason;
  }
  return d;
}

RequestBindings::RequestBindings(const AdmissionRequest& request, const json::value* obj, const json::value* old,
                                 const Authorizer* authz)
    : request_object_(RequestObject(request)),
      object_(obj ? obj : &Null()),
      old_object_(old ? old : &Null()),
      authorizer_(authz, request.user) {}

cel::Activation RequestBindings::Activation() {
  if (!converted_) {
    converted_ = true;
    for (const auto& [name, json] : {std::pair<const char*, const json::value*>{"object", object_},
                                     {"oldObject", old_object_},
                                     {"request", &request_object_}}) {
      absl::StatusOr<cel::Value> value = cel::ValueFromJson(*json, nullptr);
      if (value.ok()) {
        activation_.values.emplace_back(name, std::move(*value));
      } else {
        activation_.json.emplace_back(name, json);
      }
    }
    activation_.values.emplace_back("authorizer", cel::AuthorizerValue());
    activation_.authorizer = &authorizer_;
  }
  return activation_;
}

}  // namespace skiff::apiserver::admissioncel
