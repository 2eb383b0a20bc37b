#include "controllers/rootcacertpublisher/root_ca_publisher.h"

#include "base/json.h"
#include "client/informer.h"

namespace skiff::controllers {
namespace {

namespace json = boost::json;

// The text kube-controller-manager writes, so the ConfigMaps look alike.
constexpr char kDescription[] =
    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as "
    "the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of "
    "Kubernetes clusters.";

const api::ResourceInfo& Namespaces() { return client::Resource("", "v1", "namespaces"); }
const api::ResourceInfo& ConfigMaps() { return client::Resource("", "v1", "configmaps"); }

bool Terminating(const json::value& ns) {
  return base::FindPath(ns, {"metadata", "deletionTimestamp"}) != nullptr ||
         base::GetString(ns, {"status", "phase"}) == "Terminating";
}

}  // namespace

RootCaPublisher::RootCaPublisher(const client::ControllerContext& context, int workers)
    : context_(context),
      workers_(workers),
      namespaces_(&context.informers->For(Namespaces())),
      config_maps_(&context.informers->For(ConfigMaps())) {}

RootCaPublisher::~RootCaPublisher() { Stop(); }

void RootCaPublisher::Start() {
  if (context_.options.root_ca_pem.empty()) return;
  controller_ = std::make_unique<client::Controller>("root-ca-cert-publisher", this, workers_);
  client::InformerHandlers ns_handlers;
  ns_handlers.on_add = [this](const client::Object& ns) {
    controller_->queue().Add(base::GetString(*ns, {"metadata", "name"}));
  };
  namespaces_->AddHandlers(std::move(ns_handlers));
  auto ours = [this](const client::Object& cm) {
    if (base::GetString(*cm, {"metadata", "name"}) == kConfigMapName) {
      controller_->queue().Add(base::GetString(*cm, {"metadata", "namespace"}));
    }
  };
  client::InformerHandlers cm_handlers;
  cm_handlers.on_update = [ours](const client::Object&, const client::Object& cm) { ours(cm); };
  cm_handlers.on_delete = ours;
  config_maps_->AddHandlers(std::move(cm_handlers));
  controller_->Start();
}

void RootCaPublisher::Stop() {
  if (controller_) controller_->Stop();
}

client::ReconcileResult RootCaPublisher::Reconcile(const std::string& ns) {
  client::Object namespace_obj = namespaces_->Get(ns);
  if (!namespace_obj || Terminating(*namespace_obj)) return {};
  const std::string& pem = context_.options.root_ca_pem;
  json::object data{{"ca.crt", pem}};
  client::Object current = config_maps_->Get(client::MakeKey(ns, kConfigMapName));
  absl::Status status;
  if (!current) {
    json::value cm = json::object{
        {"apiVersion", "v1"},
        {"kind", "ConfigMap"},
        {"metadata", json::object{{"name", kConfigMapName},
                                  {"namespace", ns},
                                  {"annotations", json::object{{kDescriptionAnnotation, kDescription}}}}},
        {"data", data}};
    status = context_.client->Create(ConfigMaps(), ns, std::move(cm), {.field_manager = "root-ca-cert-publisher"})
                 .status();
  } else {
    const json::value* current_data = base::Find(*current, "data");
    bool same_data = current_data && current_data->is_object() && current_data->as_object() == data;
    if (same_data && !base::GetString(*current, {"metadata", "annotations", kDescriptionAnnotation}).empty()) {
      return {};
    }
    json::value cm = *current;
    cm.as_object()["data"] = data;
    json::value& annotations = cm.as_object()["metadata"].as_object()["annotations"];
    if (!annotations.is_object()) annotations = json::object{};
    annotations.as_object()[kDescriptionAnnotation] = kDescription;
    status = context_.client->Update(ConfigMaps(), ns, std::move(cm), "", {.field_manager = "root-ca-cert-publisher"})
                 .status();
  }
  if (status.ok()) return {};
  int code = client::HttpCode(status);
  // 404/403: the namespace is gone or terminating meanwhile. 409: our cache lags; the informer's
  // event for the newer object requeues the namespace.
  if (code == 404 || code == 403 || code == 409) return {};
  return {status};
}

std::unique_ptr<client::Runnable> NewRootCaPublisher(const client::ControllerContext& context) {
  return std::make_unique<RootCaPublisher>(context);
}

}  // namespace skiff::controllers
