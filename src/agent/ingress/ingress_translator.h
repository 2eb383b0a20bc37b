// Translates networking.k8s.io/v1 Ingresses of this controller's classes into the RouteTable
// (route_table.h): one virtual host per rule host (a rule without host is the catch-all), one
// route per path (Exact; Prefix; ImplementationSpecific as Prefix), spec.defaultBackend as the
// table's default route, spec.tls entries as certificates from kubernetes.io/tls Secrets chosen by
// SNI, and each backend's ready endpoints from the Service's EndpointSlices (the Service port named
// by name or number, its targetPort resolved per slice through the slice port of the same name).
// Ingresses are taken oldest first (then by namespace/name), so where two claim the same host and
// path, or both give a default backend, the older one wins, as with ingress-nginx.
//
// Thread-safety: pure functions over the inputs. Ownership: borrows the inputs during the call.
// Failure: never fails; what cannot be served (a missing Service or port, a Secret that is absent
// or not kubernetes.io/tls, a resource backend) is described in warnings and, for backends, in
// Backend::problem (such a route answers 503).
#ifndef SKIFF_AGENT_INGRESS_INGRESS_TRANSLATOR_H_
#define SKIFF_AGENT_INGRESS_INGRESS_TRANSLATOR_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/ingress/route_table.h"
#include "boost/json/value.hpp"
#include "client/client.h"

namespace skiff::agent::ingress {

// The IngressClass controller name this controller implements, and its default class.
inline constexpr char kIngressController[] = "skiff.dev/ingress";
inline constexpr char kDefaultIngressClass[] = "skiff";

struct IngressInputs {
  std::vector<client::Object> ingresses;  // all of them; filtered by class here
  // Names of the IngressClasses whose spec.controller is kIngressController (kDefaultIngressClass
  // is always included).
  std::set<std::string> classes;
  std::map<std::string, client::Object> services;                   // by "namespace/name"
  std::map<std::string, std::vector<client::Object>> slices;        // by "namespace/service"
  std::map<std::string, client::Object> secrets;                    // by "namespace/name"
};

// Whether this controller serves the Ingress: spec.ingressClassName names one of `classes`, or
// it is unset and the legacy kubernetes.io/ingress.class annotation is unset or names one of them.
bool IsOurIngress(const boost::json::value& ingress, const std::set<std::string>& classes);

// The Secrets the inputs' Ingresses of our classes reference in spec.tls ("namespace/name").
std::set<std::string> ReferencedSecrets(const std::vector<client::Object>& ingresses,
                                        const std::set<std::string>& classes);

// The Services (by "namespace/name") the Ingresses of our classes send traffic to.
std::set<std::string> ReferencedServices(const std::vector<client::Object>& ingresses,
                                         const std::set<std::string>& classes);

// Fills in the ready endpoints of `backend` (ns, service and port_name or port_number set) from the
// Service (by "namespace/name") and its EndpointSlices (by "namespace/service"), or sets
// backend.problem when the Service or its TCP port is missing. Shared with gateway_translator.h.
Backend ResolveServiceBackend(const std::map<std::string, client::Object>& services,
                              const std::map<std::string, std::vector<client::Object>>& slices, Backend backend);

// The certificate of a kubernetes.io/tls Secret, for `hosts` (may be empty: its own names); on
// failure sets *problem ("type is not kubernetes.io/tls", ...) and returns nullopt.
std::optional<TlsCertificate> CertificateFromSecret(const boost::json::value& secret, std::vector<std::string> hosts,
                                                    std::string source, std::string* problem);

RouteTable TranslateIngresses(const IngressInputs& inputs, std::vector<std::string>* warnings);

}  // namespace skiff::agent::ingress

#endif  // SKIFF_AGENT_INGRESS_INGRESS_TRANSLATOR_H_
