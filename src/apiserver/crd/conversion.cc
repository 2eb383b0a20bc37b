#include "apiserver/crd/conversion.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "api/conversion.h"
#include "api/errors.h"
#include "api/uid.h"
#include "apiserver/admissionwebhook/call.h"
#include "apiserver/admissionwebhook/webhook.h"
#include "apiserver/crd/conversion_review.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::crd {
namespace {

namespace json = boost::json;

// kube answers a failed conversion with a plain error: 500, no reason.
absl::Status Failed(const std::string& message) { return api::ToStatus({500, "", message}); }

// "g/v1, Kind=Widget": how kube names the objects being converted (by the first one sent).
std::string SourceGvk(const json::value& obj) {
  return absl::StrCat(base::GetString(obj, {"apiVersion"}), ", Kind=", base::GetString(obj, {"kind"}));
}

std::vector<std::string> Strings(const json::value* v) {
  std::vector<std::string> out;
  if (!v || !v->is_array()) return out;
  for (const auto& s : v->get_array()) {
    if (s.is_string()) out.emplace_back(s.get_string());
  }
  return out;
}

}  // namespace

bool Converter::CallsWebhook(const api::ResourceInfo& from, const api::ResourceInfo& to) {
  const api::CustomResourceInfo* custom = to.custom ? to.custom.get() : from.custom.get();
  return custom && base::GetString(custom->conversion, {"strategy"}) == "Webhook";
}

json::value Converter::Relabel(json::value object, const api::ResourceInfo& from, const api::ResourceInfo& to) {
  if (!to.custom) return api::ConvertObject(object, from, to);
  // A custom resource's object says its version (it may predate a change of storage version).
  if (object.is_object()) object.as_object()["apiVersion"] = to.GroupVersion();
  return object;
}

absl::StatusOr<json::value> Converter::Convert(json::value object, const api::ResourceInfo& from,
                                               const api::ResourceInfo& to) const {
  if (!CallsWebhook(from, to)) return Relabel(std::move(object), from, to);
  std::vector<json::value> one;
  one.push_back(std::move(object));
  auto converted = CallWebhook(std::move(one), from, to);
  if (!converted.ok()) return converted.status();
  return std::move(converted->front());
}

absl::StatusOr<std::vector<json::value>> Converter::Convert(std::vector<json::value> objects,
                                                            const api::ResourceInfo& from,
                                                            const api::ResourceInfo& to) const {
  if (!CallsWebhook(from, to)) {
    for (auto& o : objects) o = Relabel(std::move(o), from, to);
    return objects;
  }
  return CallWebhook(std::move(objects), from, to);
}

absl::StatusOr<std::vector<json::value>> Converter::CallWebhook(std::vector<json::value> objects,
                                                                const api::ResourceInfo& from,
                                                                const api::ResourceInfo& to) const {
  const std::string desired = to.GroupVersion();
  std::vector<size_t> sent;  // indexes of the objects not yet in the desired version
  std::vector<json::value> to_send;
  for (size_t i = 0; i < objects.size(); ++i) {
    if (base::GetString(objects[i], {"apiVersion"}) == desired) continue;
    sent.push_back(i);
    to_send.push_back(objects[i]);
  }
  if (sent.empty()) return objects;
  const std::string what = SourceGvk(to_send.front());
  const json::value& conversion = to.custom ? to.custom->conversion : from.custom->conversion;
  auto review_version = ReviewVersion(Strings(base::FindPath(conversion, {"webhook", "conversionReviewVersions"})));
  if (!review_version.ok()) return Failed(std::string(review_version.status().message()));
  const json::value* client_config = base::FindPath(conversion, {"webhook", "clientConfig"});
  admissionwebhook::ClientConfig client =
      admissionwebhook::ParseClientConfig(client_config ? *client_config : json::value());
  std::string uid = api::NewUid();
  std::string body = json::serialize(BuildConversionReview(*review_version, uid, desired, to_send));
  auto answer = admissionwebhook::PostToWebhook(client, kTimeout, "kube-apiserver", std::move(body), services_);
  if (!answer.ok()) return Failed(absl::StrCat("conversion webhook for ", what, " failed: ", answer.status().message()));
  auto converted = ConvertedObjects(*answer, *review_version, uid);
  if (!converted.ok()) {
    return Failed(absl::StrCat("conversion webhook for ", what, " failed: ", converted.status().message()));
  }
  if (converted->size() != sent.size()) {
    return Failed(absl::StrCat("conversion webhook for ", what, " returned ", converted->size(), " objects, expected ",
                               sent.size()));
  }
  for (size_t n = 0; n < sent.size(); ++n) {
    json::value& original = objects[sent[n]];
    json::value& result = (*converted)[n];
    // kube counts the object it reports from 1 here (its index has moved past it).
    if (auto s = CheckConvertedIdentity(original, result, desired); !s.ok()) {
      return Failed(absl::StrCat("conversion webhook for ", what, " returned invalid converted object at index ", n + 1,
                                 ": ", s.message()));
    }
    auto restored = RestoreMetadata(original, std::move(result));
    if (!restored.ok()) {
      return Failed(absl::StrCat("conversion webhook for ", what, " returned invalid metadata in object at index ", n + 1,
                                 ": ", restored.status().message()));
    }
    original = std::move(*restored);
  }
  return objects;
}

}  // namespace skiff::apiserver::crd
