#include "agent/pods/spec_translator.h"

#include "api/object_meta.h"
#include "api/pod_util.h"
#include "base/json.h"

namespace skiff::agent::pods {
namespace json = boost::json;

namespace {

void CopyStringMap(const json::value* from, google::protobuf::Map<std::string, std::string>* to) {
  if (!from || !from->is_object()) return;
  for (const auto& [k, v] : from->as_object()) {
    if (v.is_string()) (*to)[std::string(k)] = std::string(v.as_string());
  }
}

void CopyStrings(const json::value* from, google::protobuf::RepeatedPtrField<std::string>* to) {
  if (!from || !from->is_array()) return;
  for (const auto& v : from->as_array()) {
    if (v.is_string()) to->Add(std::string(v.as_string()));
  }
}

}  // namespace

absl::StatusOr<cri::v1::PodSandboxConfig> BasicSpecTranslator::SandboxConfig(const json::value& pod,
                                                                             uint32_t attempt) {
  (void)attempt;
  cri::v1::PodSandboxConfig config;
  // Host-network pods share the node's UTS namespace: runc refuses to set their hostname.
  if (!base::GetBool(pod, {"spec", "hostNetwork"})) {
    std::string hostname = base::GetString(pod, {"spec", "hostname"});
    config.set_hostname(hostname.empty() ? api::Name(pod) : hostname);
  }
  CopyStringMap(api::Labels(pod), config.mutable_labels());
  CopyStringMap(api::Annotations(pod), config.mutable_annotations());
  if (base::GetBool(pod, {"spec", "hostNetwork"})) {
    config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
        cri::v1::NODE);
  }
  if (const json::array* containers = api::Containers(pod)) {
    for (const auto& c : *containers) {
      const json::value* ports = base::Find(c, "ports");
      if (!ports || !ports->is_array()) continue;
      for (const auto& p : ports->as_array()) {
        int64_t host_port = base::GetInt(p, {"hostPort"});
        if (host_port == 0) continue;
        auto* m = config.add_port_mappings();
        m->set_container_port(static_cast<int32_t>(base::GetInt(p, {"containerPort"})));
        m->set_host_port(static_cast<int32_t>(host_port));
        m->set_host_ip(base::GetString(p, {"hostIP"}));
        std::string protocol = base::GetString(p, {"protocol"}, "TCP");
        m->set_protocol(protocol == "UDP" ? cri::v1::UDP : protocol == "SCTP" ? cri::v1::SCTP : cri::v1::TCP);
      }
    }
  }
  return config;
}

absl::StatusOr<cri::v1::ContainerConfig> BasicSpecTranslator::ContainerConfig(
    const json::value& pod, const json::value& container, uint32_t attempt,
    const std::vector<std::string>& pod_ips) {
  (void)pod, (void)attempt, (void)pod_ips;
  cri::v1::ContainerConfig config;
  config.mutable_image()->set_image(base::GetString(container, {"image"}));
  CopyStrings(base::Find(container, "command"), config.mutable_command());
  CopyStrings(base::Find(container, "args"), config.mutable_args());
  config.set_working_dir(base::GetString(container, {"workingDir"}));
  if (const json::value* env = base::Find(container, "env"); env && env->is_array()) {
    for (const auto& e : env->as_array()) {
      if (base::Find(e, "valueFrom")) continue;  // needs the full translation (podspec)
      auto* kv = config.add_envs();
      kv->set_key(base::GetString(e, {"name"}));
      kv->set_value(base::GetString(e, {"value"}));
    }
  }
  config.set_stdin(base::GetBool(container, {"stdin"}));
  config.set_stdin_once(base::GetBool(container, {"stdinOnce"}));
  config.set_tty(base::GetBool(container, {"tty"}));
  return config;
}

}  // namespace skiff::agent::pods
