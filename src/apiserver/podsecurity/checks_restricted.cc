// The restricted checks of the Pod Security Standards (k8s.io/pod-security-admission/policy).
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "apiserver/podsecurity/check_util.h"
#include "apiserver/podsecurity/checks.h"

namespace skiff::apiserver::podsecurity {

namespace json = boost::json;

namespace {

CheckResult Forbid(std::string reason, std::string detail) {
  return {false, std::move(reason), std::move(detail)};
}

std::vector<std::string> Sorted(const std::set<std::string>& values) {
  return {values.begin(), values.end()};
}

// The volume sources restricted pods may use.
constexpr const char* kAllowedVolumeSources[] = {"configMap", "csi",       "downwardAPI",
                                                 "emptyDir",  "ephemeral", "persistentVolumeClaim",
                                                 "projected", "secret"};
// The other sources, in the order Kubernetes names the first one a volume uses.
constexpr const char* kRestrictedVolumeSources[] = {"hostPath",
                                                    "gcePersistentDisk",
                                                    "awsElasticBlockStore",
                                                    "gitRepo",
                                                    "nfs",
                                                    "iscsi",
                                                    "glusterfs",
                                                    "rbd",
                                                    "flexVolume",
                                                    "cinder",
                                                    "cephfs",
                                                    "flocker",
                                                    "fc",
                                                    "azureFile",
                                                    "vsphereVolume",
                                                    "quobyte",
                                                    "azureDisk",
                                                    "photonPersistentDisk",
                                                    "portworxVolume",
                                                    "scaleIO",
                                                    "storageos"};

}  // namespace

CheckResult RestrictedVolumes(const json::value&, const json::value& spec) {
  std::vector<std::string> bad;
  std::set<std::string> types;
  if (const auto* volumes = Field(&spec, "volumes"); volumes && volumes->is_array()) {
    for (const auto& volume : volumes->get_array()) {
      bool allowed = false;
      for (const char* source : kAllowedVolumeSources) allowed = allowed || Field(&volume, source);
      if (allowed) continue;
      bad.push_back(StringField(&volume, "name").value_or(""));
      const char* type = "unknown";
      for (const char* source : kRestrictedVolumeSources) {
        if (Field(&volume, source)) {
          type = source;
          break;
        }
      }
      types.insert(type);
    }
  }
  if (bad.empty()) return {};
  return Forbid("restricted volume types",
                absl::StrCat(Pluralize("volume", "volumes", bad.size()), " ", JoinQuote(bad), " ",
                             Pluralize("uses", "use", bad.size()), " ",
                             Pluralize("restricted volume type", "restricted volume types", types.size()),
                             " ", JoinQuote(Sorted(types))));
}

CheckResult AllowPrivilegeEscalation_1_8(const json::value&, const json::value& spec) {
  std::vector<std::string> bad;
  VisitContainers(spec, [&](const json::value& c) {
    if (BoolField(Field(&c, "securityContext"), "allowPrivilegeEscalation") != false)
      bad.push_back(ContainerName(c));
  });
  if (bad.empty()) return {};
  return Forbid(
      "allowPrivilegeEscalation != false",
      absl::StrCat(ContainersPhrase(bad), " must set securityContext.allowPrivilegeEscalation=false"));
}

CheckResult AllowPrivilegeEscalation_1_25(const json::value& meta, const json::value& spec) {
  // API validation refuses the field on Windows pods, so they cannot set it.
  if (IsWindowsPod(spec)) return {};
  return AllowPrivilegeEscalation_1_8(meta, spec);
}

CheckResult RunAsNonRoot(const json::value&, const json::value& spec) {
  std::vector<std::string> setters;  // what explicitly sets runAsNonRoot=false
  bool pod_non_root = false;
  if (auto pod = BoolField(Field(&spec, "securityContext"), "runAsNonRoot")) {
    if (*pod) {
      pod_non_root = true;
    } else {
      setters.push_back("pod");
    }
  }
  std::vector<std::string> explicitly_bad, implicitly_bad;
  VisitContainers(spec, [&](const json::value& c) {
    auto value = BoolField(Field(&c, "securityContext"), "runAsNonRoot");
    if (value) {
      if (!*value) explicitly_bad.push_back(ContainerName(c));
    } else if (!pod_non_root) {
      implicitly_bad.push_back(ContainerName(c));
    }
  });
  if (!explicitly_bad.empty()) setters.push_back(ContainersPhrase(explicitly_bad));
  if (!setters.empty()) {
    return Forbid("runAsNonRoot != true", absl::StrCat(absl::StrJoin(setters, " and "),
                                                       " must not set securityContext.runAsNonRoot=false"));
  }
  if (!implicitly_bad.empty()) {
    return Forbid("runAsNonRoot != true", absl::StrCat("pod or ", ContainersPhrase(implicitly_bad),
                                                       " must set securityContext.runAsNonRoot=true"));
  }
  return {};
}

CheckResult RunAsUser(const json::value&, const json::value& spec) {
  std::vector<std::string> setters;
  if (IntField(Field(&spec, "securityContext"), "runAsUser") == 0) setters.push_back("pod");
  std::vector<std::string> bad;
  VisitContainers(spec, [&](const json::value& c) {
    if (IntField(Field(&c, "securityContext"), "runAsUser") == 0) bad.push_back(ContainerName(c));
  });
  if (!bad.empty()) setters.push_back(ContainersPhrase(bad));
  if (setters.empty()) return {};
  return Forbid("runAsUser=0", absl::StrCat(absl::StrJoin(setters, " and "), " must not set runAsUser=0"));
}

CheckResult SeccompProfileRestricted_1_19(const json::value&, const json::value& spec) {
  auto valid = [](const json::value* profile) {
    auto type = StringField(profile, "type");
    return type == "RuntimeDefault" || type == "Localhost";
  };
  std::vector<std::string> setters;
  std::set<std::string> bad_values;
  bool pod_set = false;
  if (const auto* profile = Field(Field(&spec, "securityContext"), "seccompProfile")) {
    if (valid(profile)) {
      pod_set = true;
    } else {
      setters.push_back("pod");
      bad_values.insert(StringField(profile, "type").value_or(""));
    }
  }
  std::vector<std::string> explicitly_bad, implicitly_bad;
  VisitContainers(spec, [&](const json::value& c) {
    if (const auto* profile = Field(Field(&c, "securityContext"), "seccompProfile")) {
      if (!valid(profile)) {
        explicitly_bad.push_back(ContainerName(c));
        bad_values.insert(StringField(profile, "type").value_or(""));
      }
    } else if (!pod_set) {
      implicitly_bad.push_back(ContainerName(c));
    }
  });
  if (!explicitly_bad.empty()) setters.push_back(ContainersPhrase(explicitly_bad));
  if (!setters.empty()) {
    return Forbid("seccompProfile", absl::StrCat(absl::StrJoin(setters, " and "),
                                                 " must not set securityContext.seccompProfile.type to ",
                                                 JoinQuote(Sorted(bad_values))));
  }
  if (!implicitly_bad.empty()) {
    return Forbid(
        "seccompProfile",
        absl::StrCat("pod or ", ContainersPhrase(implicitly_bad),
                     R"( must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"));
  }
  return {};
}

CheckResult SeccompProfileRestricted_1_25(const json::value& meta, const json::value& spec) {
  if (IsWindowsPod(spec)) return {};
  return SeccompProfileRestricted_1_19(meta, spec);
}

CheckResult CapabilitiesRestricted_1_22(const json::value&, const json::value& spec) {
  std::vector<std::string> missing_drop_all, adding_forbidden;
  std::set<std::string> forbidden;
  VisitContainers(spec, [&](const json::value& c) {
    const auto* capabilities = Field(Field(&c, "securityContext"), "capabilities");
    if (!capabilities) {
      missing_drop_all.push_back(ContainerName(c));
      return;
    }
    auto drop = StringsField(capabilities, "drop");
    if (std::find(drop.begin(), drop.end(), "ALL") == drop.end())
      missing_drop_all.push_back(ContainerName(c));
    bool added = false;
    for (const auto& cap : StringsField(capabilities, "add")) {
      if (cap != "NET_BIND_SERVICE") {
        added = true;
        forbidden.insert(cap);
      }
    }
    if (added) adding_forbidden.push_back(ContainerName(c));
  });
  std::vector<std::string> details;
  if (!missing_drop_all.empty()) {
    details.push_back(absl::StrCat(ContainersPhrase(missing_drop_all),
                                   R"( must set securityContext.capabilities.drop=["ALL"])"));
  }
  if (!adding_forbidden.empty()) {
    details.push_back(absl::StrCat(ContainersPhrase(adding_forbidden), " must not include ",
                                   JoinQuote(Sorted(forbidden)), " in securityContext.capabilities.add"));
  }
  if (details.empty()) return {};
  return Forbid("unrestricted capabilities", absl::StrJoin(details, "; "));
}

CheckResult CapabilitiesRestricted_1_25(const json::value& meta, const json::value& spec) {
  if (IsWindowsPod(spec)) return {};
  return CapabilitiesRestricted_1_22(meta, spec);
}

}  // namespace skiff::apiserver::podsecurity
