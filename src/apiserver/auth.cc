#include "apiserver/auth.h"

#include <algorithm>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "apiserver/serviceaccount/claims.h"
#include "apiserver/serviceaccount/token_verifier.h"
#include "boost/json.hpp"

namespace skiff::apiserver {
namespace {

// Splits one CSV line, honouring double quotes (groups are quoted: "a,b").
std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

}  // namespace

void Authenticator::AddToken(const std::string& token, User user) { tokens_[token] = std::move(user); }

absl::Status Authenticator::LoadTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read token file ", path));
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    auto fields = SplitCsv(std::string(trimmed));
    if (fields.size() < 3 || fields[0].empty() || fields[1].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_no, ": expected token,user,uid[,\"group1,group2\"]"));
    }
    User user{fields[1], fields[2], {}};
    if (fields.size() > 3) {
      for (auto g : absl::StrSplit(fields[3], ',', absl::SkipWhitespace())) user.groups.emplace_back(g);
    }
    tokens_[fields[0]] = std::move(user);
  }
  return absl::OkStatus();
}

absl::StatusOr<TokenUser> Authenticator::AuthenticateToken(const std::string& token,
                                                           const std::vector<std::string>& audiences) const {
  if (auto it = tokens_.find(token); it != tokens_.end()) {
    // Audience-agnostic tokens serve the API audiences (k8s' WrapAudienceAgnosticToken).
    TokenUser out{it->second, {}};
    if (service_accounts_) {
      const std::vector<std::string>& api = service_accounts_->api_audiences();
      for (const auto& a : audiences.empty() ? api : audiences) {
        if (std::find(api.begin(), api.end(), a) != api.end()) out.audiences.push_back(a);
      }
      if (out.audiences.empty()) return absl::UnauthenticatedError("token audiences are not the API audiences");
    }
    out.user.groups.push_back("system:authenticated");
    return out;
  }
  if (service_accounts_) {
    auto id = service_accounts_->Verify(token, audiences);
    if (id.ok()) {
      TokenUser out{User{serviceaccount::ServiceAccountUserName(id->ns, id->name), id->uid,
                         {"system:serviceaccounts", absl::StrCat("system:serviceaccounts:", id->ns),
                          "system:authenticated"}},
                    id->audiences};
      auto& extra = out.user.extra;
      if (!id->pod_name.empty() && !id->pod_uid.empty()) {
        extra["authentication.kubernetes.io/pod-name"] = {id->pod_name};
        extra["authentication.kubernetes.io/pod-uid"] = {id->pod_uid};
      }
      if (!id->credential_id.empty()) extra["authentication.kubernetes.io/credential-id"] = {id->credential_id};
      if (!id->node_name.empty()) {
        extra["authentication.kubernetes.io/node-name"] = {id->node_name};
        if (!id->node_uid.empty()) extra["authentication.kubernetes.io/node-uid"] = {id->node_uid};
      }
      return out;
    }
    if (!absl::IsNotFound(id.status())) return id.status();
  }
  return absl::UnauthenticatedError("invalid bearer token");
}

absl::StatusOr<User> Authenticator::Authenticate(const http::HttpRequest& request) const {
  std::string auth = request.Header("authorization");
  if (!auth.empty()) {
    if (absl::StartsWithIgnoreCase(auth, "bearer ")) {
      auto token = AuthenticateToken(std::string(absl::StripAsciiWhitespace(auth.substr(7))));
      if (!token.ok()) return token.status();
      return std::move(token->user);
    }
    return absl::UnauthenticatedError("invalid bearer token");
  }
  if (request.peer && !request.peer->common_name.empty()) {
    User user{request.peer->common_name, "", request.peer->organizations};
    user.groups.push_back("system:authenticated");
    return user;
  }
  return absl::UnauthenticatedError("no credentials");
}

absl::Status AuthorizeRequest(const Authorizer& authorizer, const User& user, const RequestInfo& request,
                              std::string* reason) {
  if (auto s = authorizer.Authorize(user, request, reason); !s.ok()) return s;
  bool connect = request.is_resource && request.verb == "get" && request.group.empty() &&
                 request.resource == "pods" &&
                 (request.subresource == "exec" || request.subresource == "attach" ||
                  request.subresource == "portforward");
  if (!connect) return absl::OkStatus();
  RequestInfo create = request;
  create.verb = "create";
  return authorizer.Authorize(user, create, reason);
}

absl::Status AllowAllAuthorizer::Authorize(const User&, const RequestInfo&, std::string* reason) const {
  if (reason) *reason = "every authenticated user is allowed (--authorization-mode=AlwaysAllow)";
  return absl::OkStatus();
}

boost::json::object AllowAllAuthorizer::RulesReview(const User&, const std::string&) const {
  namespace json = boost::json;
  return json::object{
      {"resourceRules", json::array{json::object{
                            {"verbs", json::array{"*"}}, {"apiGroups", json::array{"*"}}, {"resources", json::array{"*"}}}}},
      {"nonResourceRules", json::array{json::object{{"verbs", json::array{"*"}}, {"nonResourceURLs", json::array{"*"}}}}},
      {"incomplete", false}};
}

}  // namespace skiff::apiserver
