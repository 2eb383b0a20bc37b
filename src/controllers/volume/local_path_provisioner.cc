#include "controllers/volume/local_path_provisioner.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "base/json.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "controllers/volume/finalizers.h"
#include "controllers/volume/volume_util.h"

namespace skiff::controllers::volume {
namespace {

namespace json = boost::json;

constexpr char kClaimPrefix[] = "claim:";
constexpr char kVolumePrefix[] = "volume:";
constexpr char kComponent[] = "skiff.io/local-path";

json::value CopyOr(const json::value& obj, std::initializer_list<std::string_view> path, json::value fallback) {
  const json::value* v = base::FindPath(obj, path);
  return v != nullptr && !v->is_null() ? *v : fallback;
}

bool WantsUs(const json::value& claim) {
  return api::Annotation(claim, kAnnStorageProvisioner) == kLocalPathProvisioner &&
         base::GetString(claim, {"spec", "volumeName"}).empty() && !api::IsBeingDeleted(claim);
}

}  // namespace

absl::StatusOr<json::value> LocalPathVolume(const json::value& claim, const json::value& storage_class,
                                            const json::value& node) {
  const json::value* size = base::FindPath(claim, {"spec", "resources", "requests", "storage"});
  if (size == nullptr || size->is_null()) {
    return absl::InvalidArgumentError("the claim requests no storage (spec.resources.requests.storage)");
  }
  std::string node_name = api::Name(node);
  std::string root = api::Annotation(node, kAnnLocalPathRoot);
  bool has_agent = !root.empty();
  if (root.empty()) root = kDefaultLocalPathRoot;
  std::string uid = api::Uid(claim);
  std::string ns = api::Namespace(claim);
  std::string name = api::Name(claim);
  std::string hostname = api::Label(node, "kubernetes.io/hostname");
  json::object requirement =
      hostname.empty()
          ? json::object{{"matchFields", json::array{json::object{
                                             {"key", "metadata.name"}, {"operator", "In"}, {"values", json::array{node_name}}}}}}
          : json::object{{"matchExpressions",
                          json::array{json::object{
                              {"key", "kubernetes.io/hostname"}, {"operator", "In"}, {"values", json::array{hostname}}}}}};
  std::string policy = base::GetString(storage_class, {"reclaimPolicy"});
  json::object metadata{
      {"name", "pvc-" + uid},
      {"annotations", json::object{{kAnnProvisionedBy, kLocalPathProvisioner}, {kAnnLocalPathNode, node_name}}}};
  if (has_agent) metadata["finalizers"] = json::array{kLocalPathCleanupFinalizer};
  json::object spec{
      {"capacity", json::object{{"storage", *size}}},
      {"accessModes", CopyOr(claim, {"spec", "accessModes"}, json::array{"ReadWriteOnce"})},
      {"volumeMode", CopyOr(claim, {"spec", "volumeMode"}, "Filesystem")},
      {"persistentVolumeReclaimPolicy", policy.empty() ? "Delete" : policy},
      {"storageClassName", api::Name(storage_class)},
      {"hostPath", json::object{{"path", absl::StrCat(root, "/pvc-", uid, "_", ns, "_", name)},
                                {"type", "DirectoryOrCreate"}}},
      {"nodeAffinity",
       json::object{{"required", json::object{{"nodeSelectorTerms", json::array{std::move(requirement)}}}}}},
      {"claimRef", json::object{{"kind", "PersistentVolumeClaim"},
                                {"apiVersion", "v1"},
                                {"namespace", ns},
                                {"name", name},
                                {"uid", uid},
                                {"resourceVersion", api::ResourceVersion(claim)}}}};
  if (const json::value* options = base::FindPath(storage_class, {"mountOptions"}); options && options->is_array()) {
    spec["mountOptions"] = *options;
  }
  return json::value{
      {"apiVersion", "v1"}, {"kind", "PersistentVolume"}, {"metadata", std::move(metadata)}, {"spec", std::move(spec)}};
}

LocalPathProvisioner::LocalPathProvisioner(const client::ControllerContext& context, int workers)
    : context_(context),
      workers_(workers),
      claims_(&context.informers->For(Claims())),
      volumes_(&context.informers->For(Volumes())),
      classes_(&context.informers->For(StorageClasses())),
      nodes_(&context.informers->For(client::Resource("", "v1", "nodes"))) {}

LocalPathProvisioner::~LocalPathProvisioner() { Stop(); }

void LocalPathProvisioner::Start() {
  if (controller_) return;
  controller_ = std::make_unique<client::Controller>("local-path-provisioner", this, workers_);
  client::WorkQueue* queue = &controller_->queue();
  auto claim_event = [queue](const client::Object& claim) {
    if (WantsUs(*claim)) queue->Add(kClaimPrefix + client::KeyOf(*claim));
  };
  claims_->AddHandlers(
      {claim_event, [claim_event](const client::Object&, const client::Object& c) { claim_event(c); }, nullptr});
  auto volume_event = [queue](const client::Object& pv) {
    if (api::IsBeingDeleted(*pv) && api::HasFinalizer(*pv, kLocalPathCleanupFinalizer)) {
      queue->Add(kVolumePrefix + api::Name(*pv));
    }
  };
  volumes_->AddHandlers(
      {volume_event, [volume_event](const client::Object&, const client::Object& pv) { volume_event(pv); }, nullptr});
  controller_->Start();
}

void LocalPathProvisioner::Stop() {
  if (controller_) controller_->Stop();
}

client::ReconcileResult LocalPathProvisioner::Reconcile(const std::string& key) {
  if (absl::StartsWith(key, kClaimPrefix)) return Provision(key.substr(sizeof(kClaimPrefix) - 1));
  if (absl::StartsWith(key, kVolumePrefix)) return ReleaseOrphan(key.substr(sizeof(kVolumePrefix) - 1));
  return {};
}

client::ReconcileResult LocalPathProvisioner::Provision(const std::string& key) {
  client::Object claim = claims_->Get(key);
  if (claim == nullptr || !WantsUs(*claim)) return {};
  std::string pv_name = "pvc-" + api::Uid(*claim);
  if (volumes_->Get(pv_name) != nullptr) return {};  // provisioned; the PV controller binds it
  client::Object storage_class = classes_->Get(ClaimClass(*claim));
  auto fail = [&](const std::string& message) {
    if (context_.recorder != nullptr)
      context_.recorder->EventAs(kComponent, *claim, client::kEventWarning, "ProvisioningFailed", message);
    return client::ReconcileResult{};
  };
  if (storage_class == nullptr || base::GetString(*storage_class, {"provisioner"}) != kLocalPathProvisioner) {
    return fail(absl::StrCat("storageclass \"", ClaimClass(*claim), "\" is not provisioned by ", kLocalPathProvisioner));
  }
  std::string selected = api::Annotation(*claim, kAnnSelectedNode);
  if (selected.empty()) {
    if (DelaysBinding(storage_class.get())) return {};  // the scheduler has not placed a pod yet
    return fail("local-path volumes live on one node: the StorageClass needs volumeBindingMode WaitForFirstConsumer");
  }
  client::Object node = nodes_->Get(selected);
  if (node == nullptr) {
    auto fresh = context_.client->Get(client::Resource("", "v1", "nodes"), "", selected);
    if (!fresh.ok()) {
      if (client::HttpCode(fresh.status()) == 404) return fail(absl::StrCat("node \"", selected, "\" not found"));
      return {fresh.status()};
    }
    node = *fresh;
  }
  auto pv = LocalPathVolume(*claim, *storage_class, *node);
  if (!pv.ok()) return fail(std::string(pv.status().message()));
  auto created = context_.client->Create(Volumes(), "", *std::move(pv), {.field_manager = "local-path-provisioner"});
  if (!created.ok() && client::ErrorReason(created.status()) != "AlreadyExists") return {created.status()};
  if (created.ok() && context_.recorder != nullptr) {
    context_.recorder->EventAs(kComponent, *claim, client::kEventNormal, "ProvisioningSucceeded",
                               absl::StrCat("Successfully provisioned volume ", pv_name));
  }
  return {};
}

client::ReconcileResult LocalPathProvisioner::ReleaseOrphan(const std::string& name) {
  client::Object pv = volumes_->Get(name);
  if (pv == nullptr || !api::IsBeingDeleted(*pv) || !api::HasFinalizer(*pv, kLocalPathCleanupFinalizer)) return {};
  std::string node = api::Annotation(*pv, kAnnLocalPathNode);
  if (!node.empty() && nodes_->Get(node) != nullptr) return {};  // that node's agent cleans up
  auto fresh = node.empty() ? absl::NotFoundError("no node") : context_.client->Get(client::Resource("", "v1", "nodes"), "", node).status();
  if (fresh.ok()) return {};
  if (client::HttpCode(fresh) != 404) return {fresh};
  absl::Status s = RemoveFinalizer(context_.client, Volumes(), *pv, kLocalPathCleanupFinalizer, "local-path-provisioner");
  if (!s.ok() && client::HttpCode(s) != 404) return {s};
  return {};
}

std::unique_ptr<client::Runnable> NewLocalPathProvisioner(const client::ControllerContext& context) {
  return std::make_unique<LocalPathProvisioner>(context);
}

}  // namespace skiff::controllers::volume
