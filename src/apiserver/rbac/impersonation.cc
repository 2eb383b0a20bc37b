#include "apiserver/rbac/impersonation.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "api/errors.h"

namespace skiff::apiserver::rbac {
namespace {

constexpr char kUser[] = "impersonate-user";
constexpr char kUid[] = "impersonate-uid";
constexpr char kGroup[] = "impersonate-group";
constexpr char kExtraPrefix[] = "impersonate-extra-";
constexpr char kServiceAccountPrefix[] = "system:serviceaccount:";
constexpr char kAuthenticationGroup[] = "authentication.k8s.io";

std::vector<std::string> SplitValues(const std::string& value) {
  std::vector<std::string> out;
  for (absl::string_view v : absl::StrSplit(value, ',')) {
    v = absl::StripAsciiWhitespace(v);
    if (!v.empty()) out.emplace_back(v);
  }
  return out;
}

// Extra keys travel percent-encoded in header names (RFC 7230 token characters only).
std::string UnescapeExtraKey(const std::string& key) {
  std::string out;
  for (size_t i = 0; i < key.size(); ++i) {
    if (key[i] == '%' && i + 2 < key.size() && absl::ascii_isxdigit(key[i + 1]) &&
        absl::ascii_isxdigit(key[i + 2])) {
      out += static_cast<char>(std::strtol(key.substr(i + 1, 2).c_str(), nullptr, 16));
      i += 2;
    } else {
      out += key[i];
    }
  }
  return out;
}

// "system:serviceaccount:ns:name" -> (ns, name); false for other users.
bool SplitServiceAccount(const std::string& user, std::string* ns, std::string* name) {
  if (!absl::StartsWith(user, kServiceAccountPrefix)) return false;
  std::vector<std::string> parts = absl::StrSplit(user.substr(strlen(kServiceAccountPrefix)), ':');
  if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) return false;
  *ns = parts[0];
  *name = parts[1];
  return true;
}

}  // namespace

bool IsImpersonationHeader(const std::string& name) { return absl::StartsWith(name, "impersonate-"); }

absl::StatusOr<std::optional<ImpersonationRequest>> ParseImpersonation(
    const std::map<std::string, std::string>& headers) {
  ImpersonationRequest out;
  bool any_other = false;
  std::vector<std::string> others;
  for (const auto& [name, value] : headers) {
    if (name == kUser) {
      out.user = std::string(absl::StripAsciiWhitespace(value));
    } else if (name == kUid) {
      out.uid = std::string(absl::StripAsciiWhitespace(value));
      any_other = true;
      others.push_back("Impersonate-Uid");
    } else if (name == kGroup) {
      for (auto& g : SplitValues(value)) out.groups.push_back(std::move(g));
      any_other = true;
      others.push_back("Impersonate-Group");
    } else if (absl::StartsWith(name, kExtraPrefix) && name.size() > strlen(kExtraPrefix)) {
      std::string key = UnescapeExtraKey(absl::AsciiStrToLower(name.substr(strlen(kExtraPrefix))));
      for (auto& v : SplitValues(value)) out.extra[key].push_back(std::move(v));
      any_other = true;
      others.push_back("Impersonate-Extra-" + key);
    }
  }
  if (out.user.empty()) {
    if (!any_other) return std::nullopt;
    return api::BadRequestError(absl::StrCat("requested [", absl::StrJoin(others, " "),
                                             "] without impersonating a user"));
  }
  return out;
}

std::vector<Attributes> ImpersonationChecks(const ImpersonationRequest& request) {
  std::vector<Attributes> checks;
  std::string sa_ns, sa_name;
  if (SplitServiceAccount(request.user, &sa_ns, &sa_name)) {
    checks.push_back({.verb = "impersonate", .resource = "serviceaccounts", .namespace_name = sa_ns, .name = sa_name});
  } else {
    checks.push_back({.verb = "impersonate", .resource = "users", .name = request.user});
  }
  for (const auto& g : request.groups) checks.push_back({.verb = "impersonate", .resource = "groups", .name = g});
  for (const auto& [key, values] : request.extra) {
    for (const auto& v : values) {
      checks.push_back({.verb = "impersonate",
                        .api_group = kAuthenticationGroup,
                        .resource = "userextras",
                        .subresource = key,
                        .name = v});
    }
  }
  if (request.uid) {
    checks.push_back({.verb = "impersonate", .api_group = kAuthenticationGroup, .resource = "uids", .name = *request.uid});
  }
  return checks;
}

Identity ImpersonatedIdentity(const ImpersonationRequest& request) {
  Identity out{request.user, request.uid.value_or(""), request.groups, request.extra};
  std::string sa_ns, sa_name;
  if (out.groups.empty() && SplitServiceAccount(request.user, &sa_ns, &sa_name)) {
    out.groups = {"system:serviceaccounts", absl::StrCat("system:serviceaccounts:", sa_ns)};
  }
  auto has = [&](const char* g) { return std::find(out.groups.begin(), out.groups.end(), g) != out.groups.end(); };
  if (out.name == "system:anonymous") {
    if (!has("system:unauthenticated")) out.groups.push_back("system:unauthenticated");
  } else if (!has("system:authenticated") && !has("system:unauthenticated")) {
    out.groups.push_back("system:authenticated");
  }
  return out;
}

}  // namespace skiff::apiserver::rbac
