// The baseline checks of the Pod Security Standards (k8s.io/pod-security-admission/policy).
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/go_format.h"
#include "apiserver/podsecurity/check_util.h"
#include "apiserver/podsecurity/checks.h"

namespace skiff::apiserver::podsecurity {

namespace json = boost::json;

namespace {

CheckResult Forbid(std::string reason, std::string detail) {
  return {false, std::move(reason), std::move(detail)};
}

// "pod", `containers "a", "b"` or both joined by " and ": who set a forbidden value.
std::string Setters(bool pod, const std::vector<std::string>& containers) {
  std::vector<std::string> setters;
  if (pod) setters.push_back("pod");
  if (!containers.empty()) setters.push_back(ContainersPhrase(containers));
  return absl::StrJoin(setters, " and ");
}

std::vector<std::string> Sorted(const std::set<std::string>& values) {
  return {values.begin(), values.end()};
}

}  // namespace

CheckResult WindowsHostProcess(const json::value&, const json::value& spec) {
  std::vector<std::string> bad;
  VisitContainers(spec, [&](const json::value& c) {
    if (BoolField(Field(Field(&c, "securityContext"), "windowsOptions"), "hostProcess") == true) {
      bad.push_back(ContainerName(c));
    }
  });
  bool pod = BoolField(Field(Field(&spec, "securityContext"), "windowsOptions"), "hostProcess") == true;
  if (!pod && bad.empty()) return {};
  return Forbid("hostProcess", absl::StrCat(Setters(pod, bad),
                                            " must not set securityContext.windowsOptions.hostProcess=true"));
}

CheckResult HostNamespaces(const json::value&, const json::value& spec) {
  std::vector<std::string> shared;
  for (const char* field : {"hostNetwork", "hostPID", "hostIPC"}) {
    if (BoolField(&spec, field) == true) shared.push_back(absl::StrCat(field, "=true"));
  }
  if (shared.empty()) return {};
  return Forbid("host namespaces", absl::StrJoin(shared, ", "));
}

CheckResult Privileged(const json::value&, const json::value& spec) {
  std::vector<std::string> bad;
  VisitContainers(spec, [&](const json::value& c) {
    if (BoolField(Field(&c, "securityContext"), "privileged") == true) bad.push_back(ContainerName(c));
  });
  if (bad.empty()) return {};
  return Forbid("privileged",
                absl::StrCat(ContainersPhrase(bad), " must not set securityContext.privileged=true"));
}

CheckResult CapabilitiesBaseline(const json::value&, const json::value& spec) {
  static const std::set<std::string> kAllowed = {
      "AUDIT_WRITE",      "CHOWN",   "DAC_OVERRIDE", "FOWNER",  "FSETID", "KILL",      "MKNOD",
      "NET_BIND_SERVICE", "SETFCAP", "SETGID",       "SETPCAP", "SETUID", "SYS_CHROOT"};
  std::vector<std::string> bad;
  std::set<std::string> added;
  VisitContainers(spec, [&](const json::value& c) {
    bool valid = true;
    for (const auto& cap : StringsField(Field(Field(&c, "securityContext"), "capabilities"), "add")) {
      if (!kAllowed.contains(cap)) {
        valid = false;
        added.insert(cap);
      }
    }
    if (!valid) bad.push_back(ContainerName(c));
  });
  if (bad.empty()) return {};
  return Forbid("non-default capabilities",
                absl::StrCat(ContainersPhrase(bad), " must not include ", JoinQuote(Sorted(added)),
                             " in securityContext.capabilities.add"));
}

CheckResult HostPathVolumes(const json::value&, const json::value& spec) {
  std::vector<std::string> bad;
  if (const auto* volumes = Field(&spec, "volumes"); volumes && volumes->is_array()) {
    for (const auto& volume : volumes->get_array()) {
      if (Field(&volume, "hostPath")) bad.push_back(StringField(&volume, "name").value_or(""));
    }
  }
  if (bad.empty()) return {};
  return Forbid("hostPath volumes",
                absl::StrCat(Pluralize("volume", "volumes", bad.size()), " ", JoinQuote(bad)));
}

CheckResult HostPorts(const json::value&, const json::value& spec) {
  std::vector<std::string> bad;
  std::set<std::string> ports;  // sorted as strings, as Kubernetes' sets.String
  VisitContainers(spec, [&](const json::value& c) {
    bool valid = true;
    if (const auto* list = Field(&c, "ports"); list && list->is_array()) {
      for (const auto& port : list->get_array()) {
        int64_t host_port = IntField(&port, "hostPort").value_or(0);
        if (host_port != 0) {
          valid = false;
          ports.insert(std::to_string(host_port));
        }
      }
    }
    if (!valid) bad.push_back(ContainerName(c));
  });
  if (bad.empty()) return {};
  return Forbid("hostPort", absl::StrCat(ContainersPhrase(bad), " ", Pluralize("uses", "use", bad.size()),
                                         " ", Pluralize("hostPort", "hostPorts", ports.size()), " ",
                                         absl::StrJoin(ports, ", ")));
}

CheckResult AppArmorProfile(const json::value& meta, const json::value& spec) {
  auto allowed_type = [](const std::optional<std::string>& type) {
    return type == "RuntimeDefault" || type == "Localhost";
  };
  std::vector<std::string> setters;
  std::set<std::string> bad_values;
  if (const auto* profile = Field(Field(&spec, "securityContext"), "appArmorProfile")) {
    auto type = StringField(profile, "type");
    if (!allowed_type(type)) {
      setters.push_back("pod");
      bad_values.insert(type.value_or(""));
    }
  }
  std::vector<std::string> bad_containers;
  VisitContainers(spec, [&](const json::value& c) {
    if (const auto* profile = Field(Field(&c, "securityContext"), "appArmorProfile")) {
      auto type = StringField(profile, "type");
      if (!allowed_type(type)) {
        bad_containers.push_back(ContainerName(c));
        bad_values.insert(type.value_or(""));
      }
    }
  });
  if (!bad_containers.empty()) setters.push_back(ContainersPhrase(bad_containers));
  constexpr std::string_view kPrefix = "container.apparmor.security.beta.kubernetes.io/";
  std::vector<std::string> annotations;
  if (const auto* map = Field(&meta, "annotations"); map && map->is_object()) {
    for (const auto& annotation : map->get_object()) {
      std::string_view key(annotation.key().data(), annotation.key().size());
      const auto* text = annotation.value().if_string();
      if (!key.starts_with(kPrefix) || !text) continue;
      std::string_view v(text->data(), text->size());
      if (v.empty() || v == "runtime/default" || v.starts_with("localhost/")) continue;
      annotations.push_back(absl::StrCat(std::string(key), "=", api::GoQuote(v)));
    }
  }
  std::vector<std::string> values = Sorted(bad_values);
  if (!annotations.empty()) {
    std::sort(annotations.begin(), annotations.end());
    values.insert(values.end(), annotations.begin(), annotations.end());
    setters.push_back(Pluralize("annotation", "annotations", annotations.size()));
  }
  if (setters.empty()) return {};
  return Forbid(Pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", values.size()),
                absl::StrCat(absl::StrJoin(setters, " and "), " must not set AppArmor profile type to ",
                             JoinQuote(values)));
}

namespace {

CheckResult SeLinuxOptions(const json::value& spec, const std::set<std::string>& allowed_types) {
  std::set<std::string> bad_types;
  bool set_user = false, set_role = false;
  auto valid = [&](const json::value* options) {
    bool ok = true;
    std::string type = StringField(options, "type").value_or("");
    if (!allowed_types.contains(type)) {
      ok = false;
      bad_types.insert(type);
    }
    if (!StringField(options, "user").value_or("").empty()) ok = false, set_user = true;
    if (!StringField(options, "role").value_or("").empty()) ok = false, set_role = true;
    return ok;
  };
  bool pod = false;
  if (const auto* options = Field(Field(&spec, "securityContext"), "seLinuxOptions")) pod = !valid(options);
  std::vector<std::string> bad;
  VisitContainers(spec, [&](const json::value& c) {
    if (const auto* options = Field(Field(&c, "securityContext"), "seLinuxOptions");
        options && !valid(options)) {
      bad.push_back(ContainerName(c));
    }
  });
  if (!pod && bad.empty()) return {};
  std::vector<std::string> data;
  if (!bad_types.empty()) {
    data.push_back(
        absl::StrCat(Pluralize("type", "types", bad_types.size()), " ", JoinQuote(Sorted(bad_types))));
  }
  if (set_user) data.push_back("user may not be set");
  if (set_role) data.push_back("role may not be set");
  return Forbid("seLinuxOptions",
                absl::StrCat(Setters(pod, bad),
                             " set forbidden securityContext.seLinuxOptions: ", absl::StrJoin(data, "; ")));
}

}  // namespace

CheckResult SeLinuxOptions_1_0(const json::value&, const json::value& spec) {
  return SeLinuxOptions(spec, {"", "container_t", "container_init_t", "container_kvm_t"});
}

CheckResult SeLinuxOptions_1_31(const json::value&, const json::value& spec) {
  return SeLinuxOptions(spec,
                        {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"});
}

CheckResult ProcMount(const json::value&, const json::value& spec) {
  std::vector<std::string> bad;
  std::set<std::string> types;
  VisitContainers(spec, [&](const json::value& c) {
    auto mount = StringField(Field(&c, "securityContext"), "procMount");
    if (mount && *mount != "Default") {
      bad.push_back(ContainerName(c));
      types.insert(*mount);
    }
  });
  if (bad.empty()) return {};
  return Forbid("procMount",
                absl::StrCat(ContainersPhrase(bad), " must not set securityContext.procMount to ",
                             JoinQuote(Sorted(types))));
}

CheckResult SeccompProfileBaseline_1_0(const json::value& meta, const json::value& spec) {
  const auto* annotations = Field(&meta, "annotations");
  std::set<std::string> forbidden;
  auto check = [&](const std::string& key) {
    auto value = StringField(annotations, key);
    if (!value) return;
    if (*value == "runtime/default" || *value == "docker/default" || value->starts_with("localhost/")) return;
    forbidden.insert(absl::StrCat(key, "=", api::GoQuote(*value)));
  };
  check("seccomp.security.alpha.kubernetes.io/pod");
  VisitContainers(spec, [&](const json::value& c) {
    check(absl::StrCat("container.seccomp.security.alpha.kubernetes.io/", ContainerName(c)));
  });
  if (forbidden.empty()) return {};
  return Forbid("seccompProfile",
                absl::StrCat("forbidden ", Pluralize("annotation", "annotations", forbidden.size()), " ",
                             absl::StrJoin(forbidden, ", ")));
}

CheckResult SeccompProfileBaseline_1_19(const json::value&, const json::value& spec) {
  auto valid = [](const json::value* profile) {
    auto type = StringField(profile, "type");
    return type == "RuntimeDefault" || type == "Localhost";
  };
  std::set<std::string> bad_values;
  bool pod = false;
  if (const auto* profile = Field(Field(&spec, "securityContext"), "seccompProfile");
      profile && !valid(profile)) {
    pod = true;
    bad_values.insert(StringField(profile, "type").value_or(""));
  }
  std::vector<std::string> bad;
  VisitContainers(spec, [&](const json::value& c) {
    if (const auto* profile = Field(Field(&c, "securityContext"), "seccompProfile");
        profile && !valid(profile)) {
      bad.push_back(ContainerName(c));
      bad_values.insert(StringField(profile, "type").value_or(""));
    }
  });
  if (!pod && bad.empty()) return {};
  return Forbid("seccompProfile",
                absl::StrCat(Setters(pod, bad), " must not set securityContext.seccompProfile.type to ",
                             JoinQuote(Sorted(bad_values))));
}

namespace {

const std::set<std::string>& SafeSysctls(int minor) {
  static const std::set<std::string> v1_0 = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                                             "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
                                             "net.ipv4.ip_unprivileged_port_start"};
  static const std::set<std::string> v1_27 = [] {
    auto s = v1_0;
    s.insert("net.ipv4.ip_local_reserved_ports");
    return s;
  }();
  static const std::set<std::string> v1_29 = [] {
    auto s = v1_27;
    s.insert({"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
              "net.ipv4.tcp_keepalive_probes"});
    return s;
  }();
  static const std::set<std::string> v1_32 = [] {
    auto s = v1_29;
    s.insert({"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"});
    return s;
  }();
  if (minor >= 32) return v1_32;
  if (minor >= 29) return v1_29;
  if (minor >= 27) return v1_27;
  return v1_0;
}

CheckResult Sysctls(const json::value& spec, int minor) {
  const auto& allowed = SafeSysctls(minor);
  std::vector<std::string> forbidden;
  if (const auto* list = Field(Field(&spec, "securityContext"), "sysctls"); list && list->is_array()) {
    for (const auto& sysctl : list->get_array()) {
      std::string name = StringField(&sysctl, "name").value_or("");
      if (!allowed.contains(name)) forbidden.push_back(name);
    }
  }
  if (forbidden.empty()) return {};
  return Forbid("forbidden sysctls", absl::StrJoin(forbidden, ", "));
}

}  // namespace

CheckResult Sysctls_1_0(const json::value&, const json::value& spec) { return Sysctls(spec, 0); }
CheckResult Sysctls_1_27(const json::value&, const json::value& spec) { return Sysctls(spec, 27); }
CheckResult Sysctls_1_29(const json::value&, const json::value& spec) { return Sysctls(spec, 29); }
CheckResult Sysctls_1_32(const json::value&, const json::value& spec) { return Sysctls(spec, 32); }

}  // namespace skiff::apiserver::podsecurity
