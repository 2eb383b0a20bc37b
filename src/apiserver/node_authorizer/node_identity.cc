#include "apiserver/node_authorizer/node_identity.h"

#include <algorithm>

#include "absl/strings/match.h"

namespace skiff::apiserver::node_authorizer {

std::optional<std::string> NodeNameOf(const User& user) {
  constexpr char kPrefix[] = "system:node:";
  if (std::find(user.groups.begin(), user.groups.end(), "system:nodes") == user.groups.end())
    return std::nullopt;
  if (!absl::StartsWith(user.name, kPrefix)) return std::string();
  return user.name.substr(sizeof(kPrefix) - 1);
}

}  // namespace skiff::apiserver::node_authorizer
