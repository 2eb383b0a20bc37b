#include "agent/podspec/volumes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "agent/podspec/downward.h"
#include "agent/podspec/env.h"
#include "agent/podspec/mounts.h"
#include "agent/podspec/resources.h"
#include "api/object_meta.h"
#include "api/quantity.h"
#include "base/json.h"
#include "base/strings.h"

namespace skiff::agent::podspec {

namespace fs = std::filesystem;

namespace {

constexpr uint32_t kDefaultFileMode = 0644;
constexpr char kEmptyDirPlugin[] = "kubernetes.io~empty-dir";
constexpr char kConfigMapPlugin[] = "kubernetes.io~configmap";
constexpr char kSecretPlugin[] = "kubernetes.io~secret";
constexpr char kDownwardApiPlugin[] = "kubernetes.io~downward-api";
constexpr char kProjectedPlugin[] = "kubernetes.io~projected";
constexpr char kHostPathPlugin[] = "kubernetes.io~host-path";
constexpr char kPvcPlugin[] = "kubernetes.io~pvc";

absl::Status Wrap(const std::string& volume, const absl::Status& cause) {
  return absl::Status(
      cause.code(), absl::StrCat("MountVolume.SetUp failed for volume \"", volume, "\" : ",
                                 base::Av(std::string_view(cause.message().data(), cause.message().size()))));
}

uint32_t ModeOf(const boost::json::value& obj, const char* field, uint32_t fallback) {
  const boost::json::value* v = base::Find(obj, field);
  if (v == nullptr || !v->is_number()) return fallback;
  return static_cast<uint32_t>(base::GetInt(obj, {field})) & 07777;
}

bool IsOptional(const boost::json::value& ref) { return base::GetBool(ref, {"optional"}); }

// ConfigMap or Secret entries -> payload (kubelet MakePayload).
absl::StatusOr<Payload> KeyedPayload(const boost::json::value& source, const std::vector<EnvVar>& entries,
                                     uint32_t default_mode, bool optional, std::string_view kind) {
  Payload payload;
  const boost::json::value* items = base::Find(source, "items");
  if (items == nullptr || !items->is_array() || items->as_array().empty()) {
    for (const EnvVar& e : entries) payload[e.name] = {e.value, default_mode};
    return payload;
  }
  for (const auto& item : items->as_array()) {
    std::string key = base::GetString(item, {"key"});
    auto it = std::find_if(entries.begin(), entries.end(), [&](const EnvVar& e) { return e.name == key; });
    if (it == entries.end()) {
      if (optional) continue;
      return absl::InvalidArgumentError(
          kind == "configmap" ? absl::StrCat("configmap references non-existent config key: ", key)
                              : absl::StrCat("references non-existent secret key: ", key));
    }
    payload[base::GetString(item, {"path"})] = {it->value, ModeOf(item, "mode", default_mode)};
  }
  return payload;
}

absl::StatusOr<Payload> ConfigMapPayload(ObjectSource& objects, const std::string& ns,
                                         const boost::json::value& src, uint32_t default_mode) {
  auto cm = objects.Get(ObjectKind::kConfigMap, ns, base::GetString(src, {"name"}));
  std::vector<EnvVar> entries;
  if (cm.ok()) {
    entries = ConfigMapEntries(**cm, true);
  } else if (!(absl::IsNotFound(cm.status()) && IsOptional(src))) {
    return cm.status();
  }
  return KeyedPayload(src, entries, default_mode, IsOptional(src), "configmap");
}

absl::StatusOr<Payload> SecretPayload(ObjectSource& objects, const std::string& ns,
                                      const boost::json::value& src, uint32_t default_mode, bool projected) {
  // A secret volume names its object "secretName"; a projected secret source "name".
  auto secret =
      objects.Get(ObjectKind::kSecret, ns, base::GetString(src, {projected ? "name" : "secretName"}));
  std::vector<EnvVar> entries;
  if (secret.ok()) {
    entries = SecretEntries(**secret);
  } else if (!(absl::IsNotFound(secret.status()) && IsOptional(src))) {
    return secret.status();
  }
  return KeyedPayload(src, entries, default_mode, IsOptional(src), "secret");
}

const boost::json::value* FindContainer(const boost::json::value& pod, const std::string& name) {
  for (const char* field : {"containers", "initContainers"}) {
    const boost::json::value* list = base::FindPath(pod, {"spec", field});
    if (list == nullptr || !list->is_array()) continue;
    for (const auto& c : list->as_array()) {
      if (base::GetString(c, {"name"}) == name) return &c;
    }
  }
  return nullptr;
}

absl::StatusOr<Payload> DownwardApiPayload(const boost::json::value& pod, const boost::json::value& src,
                                           uint32_t default_mode, const PodContext& ctx) {
  Payload payload;
  const boost::json::value* items = base::Find(src, "items");
  if (items == nullptr || !items->is_array()) return payload;
  for (const auto& item : items->as_array()) {
    std::string path = base::GetString(item, {"path"});
    absl::StatusOr<std::string> value;
    if (const boost::json::value* f = base::Find(item, "fieldRef")) {
      value = PodFieldValue(pod, *f, ctx);
    } else if (const boost::json::value* r = base::Find(item, "resourceFieldRef")) {
      std::string container_name = base::GetString(*r, {"containerName"});
      const boost::json::value* container = FindContainer(pod, container_name);
      if (container == nullptr) {
        value = absl::InvalidArgumentError(absl::StrCat("container ", container_name, " not found in pod"));
      } else {
        value = ContainerResourceValue(*r, *container, ctx.node);
      }
    } else {
      continue;
    }
    if (!value.ok()) return value.status();
    payload[path] = {*value, ModeOf(item, "mode", default_mode)};
  }
  return payload;
}

absl::StatusOr<Payload> ProjectedPayload(ObjectSource& objects, const ServiceAccountTokenFunc& token_fn,
                                         const boost::json::value& pod, const boost::json::value& src,
                                         const PodContext& ctx) {
  const std::string ns = api::Namespace(pod);
  uint32_t default_mode = ModeOf(src, "defaultMode", kDefaultFileMode);
  Payload payload;
  const boost::json::value* sources = base::Find(src, "sources");
  if (sources == nullptr || !sources->is_array()) return payload;
  for (const auto& source : sources->as_array()) {
    absl::StatusOr<Payload> part;
    if (const boost::json::value* cm = base::Find(source, "configMap")) {
      part = ConfigMapPayload(objects, ns, *cm, default_mode);
    } else if (const boost::json::value* secret = base::Find(source, "secret")) {
      part = SecretPayload(objects, ns, *secret, default_mode, true);
    } else if (const boost::json::value* downward = base::Find(source, "downwardAPI")) {
      part = DownwardApiPayload(pod, *downward, default_mode, ctx);
    } else if (const boost::json::value* token = base::Find(source, "serviceAccountToken")) {
      std::string text;
      if (token_fn) {
        auto got = token_fn(pod, base::GetString(*token, {"audience"}),
                            base::GetInt(*token, {"expirationSeconds"}, 3600));
        if (!got.ok()) return got.status();
        text = *got;
      }
      part = Payload{{base::GetString(*token, {"path"}), {text, default_mode}}};
    } else {
      return absl::InvalidArgumentError(
          "unsupported projected volume source (supported: configMap, secret, "
          "downwardAPI, serviceAccountToken)");
    }
    if (!part.ok()) return part.status();
    for (auto& [path, file] : *part) payload[path] = std::move(file);
  }
  return payload;
}

absl::Status CheckHostPathType(const std::string& path, const std::string& type) {
  struct stat st;
  bool exists = stat(path.c_str(), &st) == 0;
  auto fail = [&](std::string_view what) {
    return absl::FailedPreconditionError(
        absl::StrCat("hostPath type check failed: ", path, " is not a ", base::Av(what)));
  };
  if (type.empty()) return absl::OkStatus();
  if (type == "DirectoryOrCreate" && !exists) {
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec) return absl::InternalError(absl::StrCat("creating ", path, ": ", ec.message()));
    chmod(path.c_str(), 0755);
    return absl::OkStatus();
  }
  if (type == "DirectoryOrCreate" || type == "Directory") {
    return exists && S_ISDIR(st.st_mode) ? absl::OkStatus() : fail("directory");
  }
  if (type == "FileOrCreate" && !exists) {
    int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) return absl::InternalError(absl::StrCat("creating ", path, ": ", std::strerror(errno)));
    close(fd);
    return absl::OkStatus();
  }
  if (type == "FileOrCreate" || type == "File")
    return exists && S_ISREG(st.st_mode) ? absl::OkStatus() : fail("file");
  if (type == "Socket") return exists && S_ISSOCK(st.st_mode) ? absl::OkStatus() : fail("socket file");
  if (type == "CharDevice")
    return exists && S_ISCHR(st.st_mode) ? absl::OkStatus() : fail("character device");
  if (type == "BlockDevice") return exists && S_ISBLK(st.st_mode) ? absl::OkStatus() : fail("block device");
  return absl::InvalidArgumentError(absl::StrCat(type, " is an invalid volume type"));
}

// kubelet's calculateEmptyDirMemorySize: the smallest positive of node allocatable memory, the
// pod's memory limit and the volume's sizeLimit (0 = the kernel's default).
int64_t TmpfsSize(const boost::json::value& pod, const boost::json::value& empty_dir, const PodContext& ctx) {
  int64_t size = ctx.node.memory ? ctx.node.memory->Value() : 0;
  auto consider = [&](int64_t candidate) {
    if (candidate > 0 && (size == 0 || candidate <= size)) size = candidate;
  };
  consider(PodLinuxResources(pod).memory_limit_in_bytes);
  if (const boost::json::value* limit = base::Find(empty_dir, "sizeLimit")) {
    auto q = api::Quantity::FromJson(*limit);
    if (q.ok()) consider(q->Value());
  }
  return size;
}

}  // namespace

std::string AtomicPluginName(const boost::json::value& volume) {
  if (base::Find(volume, "configMap") != nullptr) return kConfigMapPlugin;
  if (base::Find(volume, "secret") != nullptr) return kSecretPlugin;
  if (base::Find(volume, "downwardAPI") != nullptr) return kDownwardApiPlugin;
  if (base::Find(volume, "projected") != nullptr) return kProjectedPlugin;
  return "";
}

std::string VolumeManager::PodDir(const std::string& pod_uid) const {
  return (fs::path(options_.pods_dir) / pod_uid).string();
}

std::string VolumeManager::VolumesDir(const std::string& pod_uid) const {
  return (fs::path(PodDir(pod_uid)) / "volumes").string();
}

std::string VolumeManager::PluginDir(const std::string& pod_uid, const std::string& plugin,
                                     const std::string& name) const {
  return (fs::path(VolumesDir(pod_uid)) / plugin / name).string();
}

absl::StatusOr<Payload> VolumeManager::AtomicPayload(const boost::json::value& pod,
                                                     const boost::json::value& volume,
                                                     const PodContext& ctx) {
  const std::string ns = api::Namespace(pod);
  if (const boost::json::value* cm = base::Find(volume, "configMap")) {
    return ConfigMapPayload(*objects_, ns, *cm, ModeOf(*cm, "defaultMode", kDefaultFileMode));
  }
  if (const boost::json::value* secret = base::Find(volume, "secret")) {
    return SecretPayload(*objects_, ns, *secret, ModeOf(*secret, "defaultMode", kDefaultFileMode), false);
  }
  if (const boost::json::value* downward = base::Find(volume, "downwardAPI")) {
    return DownwardApiPayload(pod, *downward, ModeOf(*downward, "defaultMode", kDefaultFileMode), ctx);
  }
  if (const boost::json::value* projected = base::Find(volume, "projected")) {
    return ProjectedPayload(*objects_, options_.service_account_token, pod, *projected, ctx);
  }
  return absl::InvalidArgumentError("not a configMap, secret, downwardAPI or projected volume");
}

absl::StatusOr<VolumeInfo> VolumeManager::SetupOne(const boost::json::value& pod,
                                                   const boost::json::value& volume, const PodContext& ctx) {
  const std::string uid = api::Uid(pod);
  const std::string ns = api::Namespace(pod);
  const std::string name = base::GetString(volume, {"name"});
  std::error_code ec;

  if (std::string plugin = AtomicPluginName(volume); !plugin.empty()) {
    VolumeInfo info{PluginDir(uid, plugin, name), plugin, true};
    auto payload = AtomicPayload(pod, volume, ctx);
    if (!payload.ok()) return payload.status();
    auto written = AtomicWriter(info.host_path).Write(*payload);
    if (!written.ok()) return written.status();
    return info;
  }
  if (const boost::json::value* empty_dir = base::Find(volume, "emptyDir")) {
    VolumeInfo info{PluginDir(uid, kEmptyDirPlugin, name), kEmptyDirPlugin, false};
    fs::create_directories(info.host_path, ec);
    if (ec) return absl::InternalError(absl::StrCat("creating ", info.host_path, ": ", ec.message()));
    std::string medium = base::GetString(*empty_dir, {"medium"});
    if (medium == "Memory") {
      if (!IsMountPoint(info.host_path)) {
        if (absl::Status s = MountTmpfs(info.host_path, TmpfsSize(pod, *empty_dir, ctx)); !s.ok()) return s;
      }
    } else if (!medium.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("emptyDir medium ", medium, " is not supported"));
    }
    // World-writable like the kubelet's emptyDir, so non-root containers can use it.
    if (chmod(info.host_path.c_str(), 0777) != 0) {
      return absl::InternalError(absl::StrCat("chmod ", info.host_path, ": ", std::strerror(errno)));
    }
    return info;
  }
  if (const boost::json::value* host_path = base::Find(volume, "hostPath")) {
    VolumeInfo info{base::GetString(*host_path, {"path"}), kHostPathPlugin, false};
    if (absl::Status s = CheckHostPathType(info.host_path, base::GetString(*host_path, {"type"})); !s.ok())
      return s;
    return info;
  }
  if (const boost::json::value* claim = base::Find(volume, "persistentVolumeClaim")) {
    std::string claim_name = base::GetString(*claim, {"claimName"});
    auto pvc = objects_->Get(ObjectKind::kPersistentVolumeClaim, ns, claim_name);
    if (!pvc.ok()) return pvc.status();
    std::string pv_name = base::GetString(**pvc, {"spec", "volumeName"});
    if (pv_name.empty() || base::GetString(**pvc, {"status", "phase"}) != "Bound") {
      return absl::FailedPreconditionError(absl::StrCat("PVC ", ns, "/", claim_name, " is not bound"));
    }
    auto pv = objects_->Get(ObjectKind::kPersistentVolume, "", pv_name);
    if (!pv.ok()) return pv.status();
    std::string bound_claim = base::GetString(**pv, {"spec", "claimRef", "name"});
    if (!bound_claim.empty() &&
        (bound_claim != claim_name || base::GetString(**pv, {"spec", "claimRef", "namespace"}) != ns)) {
      return absl::FailedPreconditionError(
          absl::StrCat("PV ", pv_name, " is bound to another claim, not ", ns, "/", claim_name));
    }
    VolumeInfo info{"", kPvcPlugin, base::GetBool(*claim, {"readOnly"})};
    if (const boost::json::value* hp = base::FindPath(**pv, {"spec", "hostPath"})) {
      info.host_path = base::GetString(*hp, {"path"});
      if (absl::Status s = CheckHostPathType(info.host_path, base::GetString(*hp, {"type"})); !s.ok())
        return s;
    } else if (const boost::json::value* local = base::FindPath(**pv, {"spec", "local"})) {
      info.host_path = base::GetString(*local, {"path"});
      struct stat st;
      if (stat(info.host_path.c_str(), &st) != 0) {
        return absl::FailedPreconditionError(absl::StrCat("path \"", info.host_path, "\" does not exist"));
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unsupported persistent volume source for PV \"",
                                                     pv_name, "\": only hostPath and local are supported"));
    }
    return info;
  }
  return absl::InvalidArgumentError(
      "unsupported volume type (supported: emptyDir, hostPath, configMap, secret, "
      "downwardAPI, projected, persistentVolumeClaim)");
}

absl::StatusOr<VolumeMap> VolumeManager::Setup(const boost::json::value& pod, const PodContext& ctx) {
  VolumeMap volumes;
  const boost::json::value* list = base::FindPath(pod, {"spec", "volumes"});
  if (list == nullptr || !list->is_array()) return volumes;
  for (const auto& volume : list->as_array()) {
    std::string name = base::GetString(volume, {"name"});
    auto info = SetupOne(pod, volume, ctx);
    if (!info.ok()) return Wrap(name, info.status());
    volumes.emplace(name, std::move(*info));
  }
  return volumes;
}

absl::StatusOr<std::vector<std::string>> VolumeManager::Update(const boost::json::value& pod,
                                                               const PodContext& ctx) {
  std::vector<std::string> changed;
  absl::Status first_error;
  const boost::json::value* list = base::FindPath(pod, {"spec", "volumes"});
  if (list == nullptr || !list->is_array()) return changed;
  const std::string uid = api::Uid(pod);
  for (const auto& volume : list->as_array()) {
    std::string plugin = AtomicPluginName(volume);
    if (plugin.empty()) continue;
    std::string name = base::GetString(volume, {"name"});
    auto payload = AtomicPayload(pod, volume, ctx);
    absl::StatusOr<bool> written =
        payload.ok() ? AtomicWriter(PluginDir(uid, plugin, name)).Write(*payload) : payload.status();
    if (!written.ok()) {
      if (first_error.ok()) first_error = Wrap(name, written.status());
      continue;
    }
    if (*written) changed.push_back(name);
  }
  if (!first_error.ok()) return first_error;
  return changed;
}

absl::Status VolumeManager::CleanupVolumes(const std::string& pod_uid) {
  if (pod_uid.empty()) return absl::InvalidArgumentError("empty pod uid");
  std::string dir = VolumesDir(pod_uid);
  if (absl::Status s = UnmountAllUnder(dir); !s.ok()) return s;
  if (!MountPointsUnder(dir).empty()) return absl::InternalError(absl::StrCat("mounts remain under ", dir));
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("removing ", dir, ": ", ec.message()));
  return absl::OkStatus();
}

absl::Status VolumeManager::RemovePodDir(const std::string& pod_uid) {
  if (pod_uid.empty()) return absl::InvalidArgumentError("empty pod uid");
  std::string dir = PodDir(pod_uid);
  if (absl::Status s = UnmountAllUnder(dir); !s.ok()) return s;
  if (!MountPointsUnder(dir).empty()) return absl::InternalError(absl::StrCat("mounts remain under ", dir));
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("removing ", dir, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace skiff::agent::podspec
