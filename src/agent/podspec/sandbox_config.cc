#include "agent/podspec/sandbox_config.h"

#include <filesystem>
#include <set>
#include <tuple>

#include "agent/podspec/resources.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "base/json.h"

namespace skiff::agent::podspec {

namespace v1 = ::runtime::v1;

namespace {

v1::Protocol ToProtocol(const std::string& protocol) {
  if (protocol == "UDP") return v1::UDP;
  if (protocol == "SCTP") return v1::SCTP;
  return v1::TCP;
}

void ToCri(const LinuxResources& r, v1::LinuxContainerResources* out) {
  out->set_cpu_shares(r.cpu_shares);
  out->set_cpu_quota(r.cpu_quota);
  out->set_cpu_period(r.cpu_period);
  out->set_memory_limit_in_bytes(r.memory_limit_in_bytes);
}

bool AnyPrivileged(const boost::json::value& pod) {
  for (const char* field : {"containers", "initContainers", "ephemeralContainers"}) {
    const boost::json::value* list = base::FindPath(pod, {"spec", field});
    if (list == nullptr || !list->is_array()) continue;
    for (const auto& c : list->as_array()) {
      if (base::GetBool(c, {"securityContext", "privileged"})) return true;
    }
  }
  return false;
}

void AddPortMappings(const boost::json::value& pod, v1::PodSandboxConfig& config) {
  const boost::json::array* containers = api::Containers(pod);
  if (containers == nullptr) return;
  std::set<std::tuple<std::string, int64_t, int64_t, std::string>> seen;
  for (const auto& c : *containers) {
    const boost::json::value* ports = base::Find(c, "ports");
    if (ports == nullptr || !ports->is_array()) continue;
    for (const auto& p : ports->as_array()) {
      std::string protocol = base::GetString(p, {"protocol"}, "TCP");
      int64_t container_port = base::GetInt(p, {"containerPort"});
      int64_t host_port = base::GetInt(p, {"hostPort"});
      std::string host_ip = base::GetString(p, {"hostIP"});
      if (!seen.emplace(protocol, container_port, host_port, host_ip).second) continue;
      v1::PortMapping* m = config.add_port_mappings();
      m->set_protocol(ToProtocol(protocol));
      m->set_container_port(static_cast<int32_t>(container_port));
      m->set_host_port(static_cast<int32_t>(host_port));
      m->set_host_ip(host_ip);
    }
  }
}

void CopyStringMap(const boost::json::value* from, google::protobuf::Map<std::string, std::string>* to) {
  if (from == nullptr || !from->is_object()) return;
  for (const auto& [k, v] : from->as_object()) {
    if (v.is_string()) (*to)[std::string(k)] = std::string(v.as_string());
  }
}

}  // namespace

std::string PodLogDirectory(const std::string& pods_dir, const std::string& pod_uid) {
  return (std::filesystem::path(pods_dir) / pod_uid / "logs").string();
}

v1::NamespaceOption PodNamespaceOptions(const boost::json::value& pod) {
  v1::NamespaceOption ns;
  ns.set_network(base::GetBool(pod, {"spec", "hostNetwork"}) ? v1::NODE : v1::POD);
  ns.set_ipc(base::GetBool(pod, {"spec", "hostIPC"}) ? v1::NODE : v1::POD);
  if (base::GetBool(pod, {"spec", "hostPID"})) {
    ns.set_pid(v1::NODE);
  } else {
    ns.set_pid(base::GetBool(pod, {"spec", "shareProcessNamespace"}) ? v1::POD : v1::CONTAINER);
  }
  return ns;
}

absl::StatusOr<v1::PodSandboxConfig> BuildSandboxConfig(const boost::json::value& pod,
                                                        const SandboxOptions& options) {
  v1::PodSandboxConfig config;
  const std::string name = api::Name(pod);
  const std::string ns = api::Namespace(pod);
  const std::string uid = api::Uid(pod);
  v1::PodSandboxMetadata* meta = config.mutable_metadata();
  meta->set_name(name);
  meta->set_namespace_(ns);
  meta->set_uid(uid);
  meta->set_attempt(options.attempt);

  const bool host_network = base::GetBool(pod, {"spec", "hostNetwork"});
  if (!host_network) {
    auto hostname = PodKernelHostname(pod, options.dns.cluster_domain);
    if (!hostname.ok()) return hostname.status();
    config.set_hostname(*hostname);
  }
  config.set_log_directory(PodLogDirectory(options.pods_dir, uid));

  DnsSettings dns = PodDnsConfig(pod, options.dns);
  v1::DNSConfig* dns_config = config.mutable_dns_config();
  for (const auto& s : dns.servers) dns_config->add_servers(s);
  for (const auto& s : dns.searches) dns_config->add_searches(s);
  for (const auto& s : dns.options) dns_config->add_options(s);

  AddPortMappings(pod, config);

  CopyStringMap(api::Labels(pod), config.mutable_labels());
  (*config.mutable_labels())[kPodNameLabel] = name;
  (*config.mutable_labels())[kPodNamespaceLabel] = ns;
  (*config.mutable_labels())[kPodUidLabel] = uid;
  CopyStringMap(api::Annotations(pod), config.mutable_annotations());

  v1::LinuxPodSandboxConfig* linux = config.mutable_linux();
  linux->set_cgroup_parent(PodCgroupParent(pod, options.cgroup_root));
  v1::LinuxSandboxSecurityContext* sc = linux->mutable_security_context();
  sc->set_privileged(AnyPrivileged(pod));
  sc->mutable_seccomp()->set_profile_type(v1::SecurityProfile::RuntimeDefault);
  *sc->mutable_namespace_options() = PodNamespaceOptions(pod);
  if (const boost::json::value* psc = base::FindPath(pod, {"spec", "securityContext"});
      psc != nullptr && psc->is_object()) {
    if (const boost::json::value* v = base::Find(*psc, "runAsUser"); v != nullptr && v->is_number()) {
      sc->mutable_run_as_user()->set_value(base::GetInt(*psc, {"runAsUser"}));
    }
    if (const boost::json::value* v = base::Find(*psc, "runAsGroup"); v != nullptr && v->is_number()) {
      sc->mutable_run_as_group()->set_value(base::GetInt(*psc, {"runAsGroup"}));
    }
    if (const boost::json::value* v = base::Find(*psc, "fsGroup"); v != nullptr && v->is_number()) {
      sc->add_supplemental_groups(base::GetInt(*psc, {"fsGroup"}));
    }
    if (const boost::json::value* groups = base::Find(*psc, "supplementalGroups");
        groups != nullptr && groups->is_array()) {
      for (const auto& g : groups->as_array()) {
        if (g.is_int64()) sc->add_supplemental_groups(g.as_int64());
        if (g.is_uint64()) sc->add_supplemental_groups(static_cast<int64_t>(g.as_uint64()));
      }
    }
    if (const boost::json::value* sysctls = base::Find(*psc, "sysctls");
        sysctls != nullptr && sysctls->is_array()) {
      for (const auto& s : sysctls->as_array()) {
        (*linux->mutable_sysctls())[base::GetString(s, {"name"})] = base::GetString(s, {"value"});
      }
    }
  }
  ToCri(PodLinuxResources(pod), linux->mutable_resources());
  if (auto overhead = PodOverheadLinuxResources(pod)) ToCri(*overhead, linux->mutable_overhead());
  return config;
}

}  // namespace skiff::agent::podspec
