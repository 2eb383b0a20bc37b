// Discovery documents: /version, aggregated discovery (/api, /apis as APIGroupDiscoveryList), and
// legacy discovery (/api, /apis, /api/v1, /apis/<g>/<v>, /apis/<g>), all derived from the resource
// catalogue in api/resources.h. The root documents are cached per catalogue generation, so custom
// resources appear and disappear with their CRDs.
// Thread-safety: functions are safe to call concurrently. Never fails.
#ifndef SKIFF_APISERVER_DISCOVERY_H_
#define SKIFF_APISERVER_DISCOVERY_H_

#include <cstdint>
#include <optional>
#include <string>

namespace skiff::apiserver {

inline constexpr char kAggregatedDiscoveryContentType[] =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

const std::string& VersionDocument();
// core == true: /api; false: /apis.
std::string AggregatedDiscovery(bool core);
const std::string& LegacyApiVersions(const std::string& server_address);
std::string LegacyApiGroupList();
// /api/v1 or /apis/<g>/<v>; nullopt when the group version is not served.
std::optional<std::string> LegacyResourceList(const std::string& group, const std::string& version);
// /apis/<g>; nullopt when the group is not served.
std::optional<std::string> LegacyApiGroup(const std::string& group);

// True when the Accept header asks for aggregated discovery.
bool WantsAggregatedDiscovery(const std::string& accept);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_DISCOVERY_H_
