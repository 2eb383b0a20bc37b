// Converter: moves objects between the served versions of a resource, as kube-apiserver's CR
// converters do. Built-in kinds convert in api/conversion.h; custom resources by their CRD's
// spec.conversion — strategy None only relabels apiVersion, strategy Webhook POSTs one
// ConversionReview (conversion_review.h) for all the objects not yet in the wanted version to
// the webhook's clientConfig (url, or a Service's ready endpoint; admissionwebhook/call.h),
// checks the answer and each converted object, and keeps the original's metadata except labels
// and annotations. A custom resource's objects are taken in the version their apiVersion names
// (objects written before a change of storage version keep theirs), so objects already in the
// wanted version are never sent; nothing to send, no call.
// Thread-safety: Convert may run concurrently. Ownership: borrows the ServiceResolver, which must
// outlive the Converter.
// Failure: a webhook that cannot be called or answers badly fails the whole conversion with
// kube's message, `conversion webhook for <group>/<version>, Kind=<Kind> failed: ...` (or
// `... returned N objects, expected M`, `... returned invalid converted object at index N: ...`),
// as a 500 Status (api/errors.h) without a reason, which kubectl prints as "Error from server: ...".
#ifndef SKIFF_APISERVER_CRD_CONVERSION_H_
#define SKIFF_APISERVER_CRD_CONVERSION_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/resources.h"
#include "apiserver/admissionwebhook/sources.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::crd {

class Converter {
 public:
  // `services` resolves webhooks registered by Service; null: only URL webhooks can be called.
  explicit Converter(const admissionwebhook::ServiceResolver* services) : services_(services) {}

  // Converts `objects` of resource `from` (custom resources: in the versions their apiVersion
  // names) to the version of `to` (the same group and kind), keeping their order.
  absl::StatusOr<std::vector<boost::json::value>> Convert(std::vector<boost::json::value> objects,
                                                          const api::ResourceInfo& from,
                                                          const api::ResourceInfo& to) const;
  // One object.
  absl::StatusOr<boost::json::value> Convert(boost::json::value object, const api::ResourceInfo& from,
                                             const api::ResourceInfo& to) const;

  // True when converting may call a webhook (a custom resource whose CRD has strategy Webhook):
  // callers batch such objects.
  static bool CallsWebhook(const api::ResourceInfo& from, const api::ResourceInfo& to);

  // kube's conversion webhook client timeout.
  static constexpr absl::Duration kTimeout = absl::Seconds(30);

 private:
  // Built-ins: api::ConvertObject; custom resources (strategy None): the apiVersion alone.
  static boost::json::value Relabel(boost::json::value object, const api::ResourceInfo& from,
                                    const api::ResourceInfo& to);
  absl::StatusOr<std::vector<boost::json::value>> CallWebhook(std::vector<boost::json::value> objects,
                                                              const api::ResourceInfo& from,
                                                              const api::ResourceInfo& to) const;

  const admissionwebhook::ServiceResolver* services_;
};

}  // namespace skiff::apiserver::crd

#endif  // SKIFF_APISERVER_CRD_CONVERSION_H_
