#include "client/client.h"

#include <cstdlib>

#include "api/errors.h"
#include "base/json.h"
#include "spdlog/spdlog.h"

namespace skiff::client {

int HttpCode(const absl::Status& status) { return status.ok() ? 200 : api::HttpCode(status); }

std::string ErrorReason(const absl::Status& status) {
  if (status.ok()) return "";
  return base::GetString(api::StatusObject(status), {"reason"});
}

const api::ResourceInfo& Resource(const std::string& group, const std::string& version,
                                  const std::string& plural) {
  const api::ResourceInfo* r = api::FindResource(group, version, plural);
  if (r == nullptr) {
    spdlog::critical("unknown resource {}/{}/{}", group, version, plural);
    std::abort();
  }
  return *r;
}

}  // namespace skiff::client
