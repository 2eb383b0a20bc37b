#include "agent/podspec/service_env.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "api/object_meta.h"
#include "base/json.h"

namespace skiff::agent::podspec {
namespace {

// The Service kubelet always exposes, from the default namespace ("master services").
constexpr char kMasterService[] = "kubernetes";
constexpr char kMasterNamespace[] = "default";

// "my-svc" -> "MY_SVC".
std::string VarName(const std::string& name) {
  return absl::AsciiStrToUpper(absl::StrReplaceAll(name, {{"-", "_"}}));
}

bool HasClusterIp(const boost::json::value& service) {
  std::string ip = base::GetString(service, {"spec", "clusterIP"});
  return !ip.empty() && ip != "None";
}

void AppendServiceVars(const boost::json::value& service, std::vector<EnvVar>& out) {
  const boost::json::value* ports = base::FindPath(service, {"spec", "ports"});
  if (ports == nullptr || !ports->is_array() || ports->as_array().empty()) return;
  const std::string prefix = VarName(api::Name(service));
  const std::string ip = base::GetString(service, {"spec", "clusterIP"});
  const std::string host_var = absl::StrCat(prefix, "_SERVICE_HOST");
  const std::string port_var = absl::StrCat(prefix, "_SERVICE_PORT");
  const auto& list = ports->as_array();
  out.push_back({host_var, ip});
  out.push_back({port_var, absl::StrCat(base::GetInt(list[0], {"port"}))});
  for (const auto& port : list) {
    std::string name = base::GetString(port, {"name"});
    if (!name.empty())
      out.push_back({absl::StrCat(port_var, "_", VarName(name)), absl::StrCat(base::GetInt(port, {"port"}))});
  }
  // Docker link variables (the first port also gets the short <NAME>_PORT).
  for (size_t i = 0; i < list.size(); ++i) {
    int64_t number = base::GetInt(list[i], {"port"});
    std::string protocol = base::GetString(list[i], {"protocol"}, "TCP");
    std::string lower = absl::AsciiStrToLower(protocol);
    std::string url = absl::StrCat(lower, "://", ip, ":", number);
    if (i == 0) out.push_back({absl::StrCat(prefix, "_PORT"), url});
    std::string port_prefix = absl::StrCat(prefix, "_PORT_", number, "_", absl::AsciiStrToUpper(protocol));
    out.push_back({port_prefix, url});
    out.push_back({absl::StrCat(port_prefix, "_PROTO"), lower});
    out.push_back({absl::StrCat(port_prefix, "_PORT"), absl::StrCat(number)});
    out.push_back({absl::StrCat(port_prefix, "_ADDR"), ip});
  }
}

}  // namespace

std::vector<EnvVar> ServiceEnvironment(const std::vector<client::Object>& services, const std::string& ns,
                                       bool service_links) {
  // By name, as the kubelet's map: the pod's own namespace's Service wins over the master one of
  // the same name only when the pod is in that namespace anyway.
  std::map<std::string, const boost::json::value*> chosen;
  for (const client::Object& service : services) {
    if (!service || !HasClusterIp(*service)) continue;
    const std::string name = api::Name(*service);
    const std::string service_ns = api::Namespace(*service);
    if (service_ns == kMasterNamespace && name == kMasterService) {
      chosen.emplace(name, service.get());  // does not replace a same-named Service of `ns`
    } else if (service_ns == ns && service_links) {
      chosen[name] = service.get();
    }
  }
  std::vector<EnvVar> all;
  for (const auto& [name, service] : chosen) AppendServiceVars(*service, all);
  // Later definitions win, at the position of the first.
  std::vector<EnvVar> out;
  std::map<std::string, size_t> index;
  for (EnvVar& var : all) {
    auto [it, inserted] = index.emplace(var.name, out.size());
    if (inserted) {
      out.push_back(std::move(var));
    } else {
      out[it->second].value = std::move(var.value);
    }
  }
  return out;
}

}  // namespace skiff::agent::podspec
