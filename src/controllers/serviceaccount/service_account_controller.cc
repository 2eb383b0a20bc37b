#include "controllers/serviceaccount/service_account_controller.h"

#include "api/object_meta.h"
#include "base/json.h"
#include "client/informer.h"

namespace skiff::controllers {
namespace {

namespace json = boost::json;

const api::ResourceInfo& Namespaces() { return client::Resource("", "v1", "namespaces"); }
const api::ResourceInfo& ServiceAccounts() { return client::Resource("", "v1", "serviceaccounts"); }

bool Terminating(const json::value& ns) {
  return api::IsBeingDeleted(ns) || base::GetString(ns, {"status", "phase"}) == "Terminating";
}

}  // namespace

ServiceAccountController::ServiceAccountController(const client::ControllerContext& context, int workers)
    : context_(context),
      workers_(workers),
      namespaces_(&context.informers->For(Namespaces())),
      service_accounts_(&context.informers->For(ServiceAccounts())) {}

ServiceAccountController::~ServiceAccountController() { Stop(); }

void ServiceAccountController::Start() {
  controller_ = std::make_unique<client::Controller>("serviceaccount", this, workers_);
  client::InformerHandlers ns_handlers;
  ns_handlers.on_add = [this](const client::Object& ns) { controller_->queue().Add(api::Name(*ns)); };
  namespaces_->AddHandlers(std::move(ns_handlers));
  client::InformerHandlers sa_handlers;
  sa_handlers.on_delete = [this](const client::Object& sa) {
    if (api::Name(*sa) == kDefaultName) {
      controller_->queue().Add(api::Namespace(*sa));
    }
  };
  service_accounts_->AddHandlers(std::move(sa_handlers));
  controller_->Start();
}

void ServiceAccountController::Stop() {
  if (controller_) controller_->Stop();
}

client::ReconcileResult ServiceAccountController::Reconcile(const std::string& ns) {
  client::Object namespace_obj = namespaces_->Get(ns);
  if (!namespace_obj || Terminating(*namespace_obj)) return {};
  if (service_accounts_->Get(client::MakeKey(ns, kDefaultName))) return {};
  json::value sa = json::object{{"apiVersion", "v1"},
                                {"kind", "ServiceAccount"},
                                {"metadata", json::object{{"name", kDefaultName}, {"namespace", ns}}}};
  auto created =
      context_.client->Create(ServiceAccounts(), ns, std::move(sa), {.field_manager = "serviceaccount"});
  if (created.ok()) return {};
  int code = client::HttpCode(created.status());
  // 409: it exists (our cache lags); 404/403: the namespace is gone or terminating meanwhile.
  if (code == 409 || code == 404 || code == 403) return {};
  return {created.status()};
}

std::unique_ptr<client::Runnable> NewServiceAccountController(const client::ControllerContext& context) {
  return std::make_unique<ServiceAccountController>(context);
}

}  // namespace skiff::controllers
