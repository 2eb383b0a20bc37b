#include "agent/podspec/container_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "agent/podspec/dns.h"
#include "agent/podspec/resources.h"
#include "agent/podspec/sandbox_config.h"
#include "api/object_meta.h"
#include "base/file.h"
#include "base/json.h"
#include "base/strings.h"

namespace skiff::agent::podspec {

namespace v1 = ::runtime::v1;
namespace fs = std::filesystem;

namespace {

constexpr char kEtcHosts[] = "/etc/hosts";

std::vector<std::string> Strings(const boost::json::value* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& item : v->as_array()) {
    if (item.is_string()) out.emplace_back(item.as_string());
  }
  return out;
}

// Writes in place (running containers bind-mount this inode), only when the content differs.
absl::Status WriteInPlace(const std::string& path, const std::string& content, mode_t mode) {
  if (absl::StatusOr<std::string> existing = base::ReadFile(path); existing.ok() && *existing == content) {
    return absl::OkStatus();
  }
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec)
    return absl::InternalError(
        absl::StrCat("creating ", fs::path(path).parent_path().string(), ": ", ec.message()));
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return absl::InternalError(absl::StrCat("creating ", path, ": ", std::strerror(errno)));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return absl::InternalError(absl::StrCat("writing ", path, ": ", std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  fchmod(fd, mode);
  close(fd);
  return absl::OkStatus();
}

v1::MountPropagation Propagation(const std::string& mode) {
  if (mode == "HostToContainer") return v1::PROPAGATION_HOST_TO_CONTAINER;
  if (mode == "Bidirectional") return v1::PROPAGATION_BIDIRECTIONAL;
  return v1::PROPAGATION_PRIVATE;
}

// volume path + subPath, created when missing, and proven not to escape the volume.
absl::StatusOr<std::string> ResolveSubPath(const std::string& volume_path, const std::string& sub_path,
                                           const std::string& mount_name, const std::string& container_name) {
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("failed to prepare subPath for volumeMount \"", mount_name,
                                                   "\" of container \"", container_name,
                                                   "\": ", base::Av(why)));
  };
  if (sub_path.starts_with("/")) return invalid("subPath must be a relative path");
  for (absl::string_view element : absl::StrSplit(sub_path, '/')) {
    if (element == "..") return invalid("subPath must not contain '..'");
  }
  fs::path host = fs::path(volume_path) / sub_path;
  struct stat st;
  if (lstat(host.c_str(), &st) != 0) {
    struct stat volume_st;
    mode_t mode = stat(volume_path.c_str(), &volume_st) == 0 ? (volume_st.st_mode & 07777) : 0755;
    std::error_code ec;
    fs::create_directories(host, ec);
    if (ec) return invalid(ec.message());
    chmod(host.c_str(), mode);
  }
  char* real_volume = realpath(volume_path.c_str(), nullptr);
  char* real_host = realpath(host.c_str(), nullptr);
  std::string volume_resolved = real_volume != nullptr ? real_volume : "";
  std::string host_resolved = real_host != nullptr ? real_host : "";
  std::free(real_volume);
  std::free(real_host);
  if (volume_resolved.empty() || host_resolved.empty()) return invalid("cannot resolve the path");
  if (host_resolved != volume_resolved && !host_resolved.starts_with(volume_resolved + "/")) {
    return absl::FailedPreconditionError(
        absl::StrCat("subpath \"", host_resolved, "\" not within volume path \"", volume_resolved, "\""));
  }
  return host_resolved;
}

void SetProfile(const boost::json::value* profile, const std::string& seccomp_root,
                v1::SecurityProfile* out) {
  std::string type = profile != nullptr ? base::GetString(*profile, {"type"}) : "";
  if (type == "RuntimeDefault") {
    out->set_profile_type(v1::SecurityProfile::RuntimeDefault);
  } else if (type == "Localhost") {
    out->set_profile_type(v1::SecurityProfile::Localhost);
    out->set_localhost_ref(
        (fs::path(seccomp_root) / base::GetString(*profile, {"localhostProfile"})).string());
  } else {
    out->set_profile_type(v1::SecurityProfile::Unconfined);
  }
}

// Container-level value when present, else the pod-level one.
const boost::json::value* Effective(const boost::json::value* csc, const boost::json::value* psc,
                                    std::string_view field) {
  if (csc != nullptr && csc->is_object()) {
    if (const boost::json::value* v = base::Find(*csc, field); v != nullptr && !v->is_null()) return v;
  }
  if (psc != nullptr && psc->is_object()) {
    if (const boost::json::value* v = base::Find(*psc, field); v != nullptr && !v->is_null()) return v;
  }
  return nullptr;
}

int64_t AsInt(const boost::json::value& v) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64()) return static_cast<int64_t>(v.as_uint64());
  if (v.is_double()) return static_cast<int64_t>(v.as_double());
  return 0;
}

}  // namespace

std::string ContainerHash(const boost::json::value& container) {
  uint32_t hash = 2166136261u;
  for (unsigned char c : base::ToJson(container)) {
    hash ^= c;
    hash *= 16777619u;
  }
  return absl::StrFormat("%x", hash);
}

namespace {

// "\n# Entries added by HostAliases.\n<ip>\t<name>\t<name>\n..." or "" without aliases.
std::string HostAliasLines(const boost::json::value* host_aliases) {
  if (host_aliases == nullptr || !host_aliases->is_array() || host_aliases->as_array().empty()) return "";
  std::string out = "\n# Entries added by HostAliases.\n";
  for (const auto& alias : host_aliases->as_array()) {
    absl::StrAppend(&out, base::GetString(alias, {"ip"}), "\t",
                    absl::StrJoin(Strings(base::Find(alias, "hostnames")), "\t"), "\n");
  }
  return out;
}

}  // namespace

std::string ManagedHostsFile(const std::vector<std::string>& pod_ips, const std::string& hostname,
                             const std::string& domain, const boost::json::value* host_aliases) {
  std::string out =
      "# Kubernetes-managed hosts file.\n"
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "fe00::0\tip6-mcastprefix\n"
      "fe00::1\tip6-allnodes\n"
      "fe00::2\tip6-allrouters\n";
  for (const std::string& ip : pod_ips) {
    if (domain.empty()) {
      absl::StrAppend(&out, ip, "\t", hostname, "\n");
    } else {
      absl::StrAppend(&out, ip, "\t", hostname, ".", domain, "\t", hostname, "\n");
    }
  }
  return out + HostAliasLines(host_aliases);
}

v1::LinuxContainerSecurityContext ContainerSecurityContext(const boost::json::value& pod,
                                                           const boost::json::value& container,
                                                           const std::string& seccomp_root) {
  v1::LinuxContainerSecurityContext sc;
  const boost::json::value* psc = base::FindPath(pod, {"spec", "securityContext"});
  const boost::json::value* csc = base::Find(container, "securityContext");
  const bool privileged = base::GetBool(container, {"securityContext", "privileged"});
  sc.set_privileged(privileged);
  sc.set_readonly_rootfs(base::GetBool(container, {"securityContext", "readOnlyRootFilesystem"}));
  if (const boost::json::value* ape =
          base::FindPath(container, {"securityContext", "allowPrivilegeEscalation"});
      ape != nullptr && ape->is_bool()) {
    sc.set_no_new_privs(!ape->as_bool());
  }
  for (const auto& cap : Strings(base::FindPath(container, {"securityContext", "capabilities", "add"}))) {
    sc.mutable_capabilities()->add_add_capabilities(cap);
  }
  for (const auto& cap : Strings(base::FindPath(container, {"securityContext", "capabilities", "drop"}))) {
    sc.mutable_capabilities()->add_drop_capabilities(cap);
  }
  if (const boost::json::value* v = Effective(csc, psc, "runAsUser"); v != nullptr && v->is_number()) {
    sc.mutable_run_as_user()->set_value(AsInt(*v));
  }
  if (const boost::json::value* v = Effective(csc, psc, "runAsGroup"); v != nullptr && v->is_number()) {
    sc.mutable_run_as_group()->set_value(AsInt(*v));
  }
  if (psc != nullptr && psc->is_object()) {
    if (const boost::json::value* v = base::Find(*psc, "fsGroup"); v != nullptr && v->is_number()) {
      sc.add_supplemental_groups(AsInt(*v));
    }
    if (const boost::json::value* groups = base::Find(*psc, "supplementalGroups");
        groups != nullptr && groups->is_array()) {
      for (const auto& g : groups->as_array()) {
        if (g.is_number()) sc.add_supplemental_groups(AsInt(g));
      }
    }
  }
  if (const boost::json::value* se = Effective(csc, psc, "seLinuxOptions");
      se != nullptr && se->is_object()) {
    v1::SELinuxOption* opt = sc.mutable_selinux_options();
    opt->set_user(base::GetString(*se, {"user"}));
    opt->set_role(base::GetString(*se, {"role"}));
    opt->set_type(base::GetString(*se, {"type"}));
    opt->set_level(base::GetString(*se, {"level"}));
  }
  // Privileged containers are not confined by seccomp (as the kubelet decides).
  SetProfile(privileged ? nullptr : Effective(csc, psc, "seccompProfile"), seccomp_root,
             sc.mutable_seccomp());
  *sc.mutable_namespace_options() = PodNamespaceOptions(pod);
  return sc;
}

absl::StatusOr<ContainerConfigResult> BuildContainerConfig(const boost::json::value& pod,
                                                           const boost::json::value& container,
                                                           const VolumeMap& volumes, ObjectSource& objects,
                                                           const ContainerOptions& options) {
  ContainerConfigResult result;
  v1::ContainerConfig& config = result.config;
  const std::string name = base::GetString(container, {"name"});
  const std::string pod_name = api::Name(pod);
  const std::string ns = api::Namespace(pod);
  const std::string uid = api::Uid(pod);
  const fs::path pod_dir = fs::path(options.pods_dir) / uid;

  config.mutable_metadata()->set_name(name);
  config.mutable_metadata()->set_attempt(options.attempt);
  std::string image = base::GetString(container, {"image"});
  config.mutable_image()->set_image(image);
  config.mutable_image()->set_user_specified_image(image);

  auto env = MakeEnvironment(pod, container, options.ctx, objects, options.service_env);
  if (!env.ok()) return env.status();
  result.events = std::move(env->events);
  for (const EnvVar& var : env->vars) {
    v1::KeyValue* kv = config.add_envs();
    kv->set_key(var.name);
    kv->set_value(var.value);
  }
  for (const auto& arg : Strings(base::Find(container, "command")))
    config.add_command(ExpandVars(arg, env->vars));
  for (const auto& arg : Strings(base::Find(container, "args"))) config.add_args(ExpandVars(arg, env->vars));
  config.set_working_dir(base::GetString(container, {"workingDir"}));

  // Mounts from volumeMounts.
  bool mounts_etc_hosts = false;
  if (const boost::json::value* list = base::Find(container, "volumeMounts");
      list != nullptr && list->is_array()) {
    for (const auto& vm : list->as_array()) {
      std::string volume_name = base::GetString(vm, {"name"});
      auto it = volumes.find(volume_name);
      if (it == volumes.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot find volume \"", volume_name, "\" to mount into container \"", name, "\""));
      }
      std::string host_path = it->second.host_path;
      std::string sub_path = base::GetString(vm, {"subPath"});
      if (std::string expr = base::GetString(vm, {"subPathExpr"}); !expr.empty())
        sub_path = ExpandVars(expr, env->vars);
      if (!sub_path.empty()) {
        auto resolved = ResolveSubPath(host_path, sub_path, volume_name, name);
        if (!resolved.ok()) return resolved.status();
        host_path = *resolved;
      }
      std::string mount_path = base::GetString(vm, {"mountPath"});
      if (mount_path == kEtcHosts) mounts_etc_hosts = true;
      v1::Mount* m = config.add_mounts();
      m->set_container_path(mount_path);
      m->set_host_path(host_path);
      m->set_readonly(base::GetBool(vm, {"readOnly"}) || it->second.read_only);
      m->set_propagation(Propagation(base::GetString(vm, {"mountPropagation"})));
    }
  }

  // The kubelet-managed /etc/hosts, once the pod has addresses.
  const bool host_network = base::GetBool(pod, {"spec", "hostNetwork"});
  std::vector<std::string> ips = options.ctx.pod_ips;
  if (ips.empty() && host_network) ips = options.ctx.host_ips;
  if (!mounts_etc_hosts && !ips.empty()) {
    std::string content;
    const boost::json::value* aliases = base::FindPath(pod, {"spec", "hostAliases"});
    if (host_network) {
      content = absl::StrCat("# Kubernetes-managed hosts file (host network).\n",
                             base::ReadFile(options.host_etc_hosts).value_or(""), HostAliasLines(aliases));
    } else {
      auto names = PodHostnameAndDomain(pod, options.cluster_domain);
      if (!names.ok()) return names.status();
      content = ManagedHostsFile(ips, names->hostname, names->domain, aliases);
    }
    std::string hosts_path = (pod_dir / "etc-hosts").string();
    if (absl::Status s = WriteInPlace(hosts_path, content, 0644); !s.ok()) return s;
    v1::Mount* m = config.add_mounts();
    m->set_container_path(kEtcHosts);
    m->set_host_path(hosts_path);
  }

  // The termination message file, fresh for every start.
  std::string termination_path = base::GetString(container, {"terminationMessagePath"});
  if (!termination_path.empty()) {
    std::string host = (pod_dir / "containers" / name / absl::StrCat(options.attempt)).string();
    std::error_code ec;
    fs::remove(host, ec);
    if (absl::Status s = WriteInPlace(host, "", 0666); !s.ok()) return s;
    chmod(host.c_str(), 0666);
    v1::Mount* m = config.add_mounts();
    m->set_container_path(termination_path);
    m->set_host_path(host);
    result.termination_message_host_path = host;
  }

  (*config.mutable_labels())[kContainerNameLabel] = name;
  (*config.mutable_labels())[kPodNameLabel] = pod_name;
  (*config.mutable_labels())[kPodNamespaceLabel] = ns;
  (*config.mutable_labels())[kPodUidLabel] = uid;
  auto& annotations = *config.mutable_annotations();
  annotations[kContainerHashAnnotation] = ContainerHash(container);
  annotations[kContainerRestartCountAnnotation] = absl::StrCat(options.attempt);
  annotations[kTerminationMessagePathAnnotation] = termination_path;
  annotations[kTerminationMessagePolicyAnnotation] =
      base::GetString(container, {"terminationMessagePolicy"}, "File");
  annotations[kTerminationGracePeriodAnnotation] =
      absl::StrCat(base::GetInt(pod, {"spec", "terminationGracePeriodSeconds"}, 30));
  if (const boost::json::value* ports = base::Find(container, "ports");
      ports != nullptr && ports->is_array() && !ports->as_array().empty()) {
    annotations[kContainerPortsAnnotation] = base::ToJson(*ports);
  }
  if (const boost::json::value* pre_stop = base::FindPath(container, {"lifecycle", "preStop"})) {
    annotations[kPreStopHandlerAnnotation] = base::ToJson(*pre_stop);
  }

  config.set_log_path(absl::StrCat(name, "/", options.attempt, ".log"));
  config.set_stdin(base::GetBool(container, {"stdin"}));
  config.set_stdin_once(base::GetBool(container, {"stdinOnce"}));
  config.set_tty(base::GetBool(container, {"tty"}));

  v1::LinuxContainerConfig* linux = config.mutable_linux();
  LinuxResources r = ContainerLinuxResources(pod, container, options.ctx.node.memory_capacity_bytes);
  v1::LinuxContainerResources* res = linux->mutable_resources();
  res->set_cpu_shares(r.cpu_shares);
  res->set_cpu_quota(r.cpu_quota);
  res->set_cpu_period(r.cpu_period);
  res->set_memory_limit_in_bytes(r.memory_limit_in_bytes);
  res->set_oom_score_adj(r.oom_score_adj);
  *linux->mutable_security_context() = ContainerSecurityContext(pod, container, options.seccomp_root);
  return result;
}

}  // namespace skiff::agent::podspec
