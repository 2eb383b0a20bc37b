#include "controllers/gateway/status.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::controllers::gateway {
namespace {

namespace json = boost::json;

const json::array* ArrayAt(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* found = base::FindPath(v, path);
  return found && found->is_array() ? &found->as_array() : nullptr;
}

// A condition; its lastTransitionTime is the previous one's when status and reason are unchanged.
json::object Condition(const json::array* previous, const std::string& type, bool status, const std::string& reason,
                       const std::string& message, int64_t generation, const std::string& now) {
  const std::string value = status ? "True" : "False";
  std::string since = now;
  for (size_t i = 0; previous && i < previous->size(); ++i) {
    const json::value& c = (*previous)[i];
    if (base::GetString(c, {"type"}) == type && base::GetString(c, {"status"}) == value &&
        base::GetString(c, {"reason"}) == reason) {
      since = base::GetString(c, {"lastTransitionTime"}, now);
    }
  }
  return json::object{{"type", type},      {"status", value},
                      {"reason", reason},  {"message", message},
                      {"observedGeneration", generation}, {"lastTransitionTime", since}};
}

int64_t Generation(const json::value& o) { return base::GetInt(o, {"metadata", "generation"}); }

std::string Key(const json::value& o) {
  return absl::StrCat(base::GetString(o, {"metadata", "namespace"}), "/", base::GetString(o, {"metadata", "name"}));
}

// ResolvedRefs of a route: the first backendRef that cannot be used decides the reason.
std::pair<std::string, std::string> ResolveRefs(const json::value& route, const std::set<std::string>& services,
                                                const std::vector<client::Object>& grants) {
  const std::string ns = base::GetString(route, {"metadata", "namespace"});
  const json::array* rules = ArrayAt(route, {"spec", "rules"});
  for (size_t i = 0; rules && i < rules->size(); ++i) {
    const json::array* refs = ArrayAt((*rules)[i], {"backendRefs"});
    for (size_t j = 0; refs && j < refs->size(); ++j) {
      const json::value& ref = (*refs)[j];
      const std::string name = base::GetString(ref, {"name"});
      const std::string target_ns = base::GetString(ref, {"namespace"}, ns);
      if (!base::GetString(ref, {"group"}).empty() || base::GetString(ref, {"kind"}, "Service") != "Service") {
        return {"InvalidKind", absl::StrCat("backendRef ", name, ": only Services are supported")};
      }
      if (!BackendRefPermitted(ns, target_ns, name, grants)) {
        return {"RefNotPermitted",
                absl::StrCat("backendRef ", target_ns, "/", name, " is not permitted by any ReferenceGrant")};
      }
      if (!services.count(absl::StrCat(target_ns, "/", name))) {
        return {"BackendNotFound", absl::StrCat("service ", target_ns, "/", name, " not found")};
      }
    }
  }
  return {"ResolvedRefs", "all references resolved"};
}

}  // namespace

json::value GatewayClassStatus(const json::value& gateway_class, const std::string& now) {
  json::value status = json::object{};
  if (const json::value* s = base::Find(gateway_class, "status"); s && s->is_object()) status = *s;
  const json::array* previous = ArrayAt(gateway_class, {"status", "conditions"});
  status.as_object()["conditions"] = json::array{
      Condition(previous, "Accepted", true, "Accepted", "handled by skiff's built-in proxy", Generation(gateway_class), now)};
  return status;
}

json::value GatewayStatus(const json::value& gateway, const Attachments& attachments,
                          const std::vector<std::string>& addresses, const std::set<std::string>& certificates,
                          const std::string& now) {
  const std::string ns = base::GetString(gateway, {"metadata", "namespace"});
  // ResolvedRefs of a listener: its certificateRefs (HTTPS) resolve to kubernetes.io/tls Secrets.
  auto resolved = [&](const json::value& listener) -> std::pair<std::string, std::string> {
    bool cross_namespace = false;
    const std::vector<std::string> names = ListenerCertificateSecrets(listener, ns, &cross_namespace);
    if (cross_namespace) return {"RefNotPermitted", "certificateRefs to other namespaces are not supported"};
    if (base::GetString(listener, {"protocol"}) == "HTTPS" && names.empty()) {
      return {"InvalidCertificateRef", "an HTTPS listener needs a certificateRef to a Secret"};
    }
    for (const std::string& name : names) {
      if (!certificates.count(absl::StrCat(ns, "/", name))) {
        return {"InvalidCertificateRef", absl::StrCat("Secret ", ns, "/", name, " is missing or not kubernetes.io/tls")};
      }
    }
    return {"ResolvedRefs", "references resolved"};
  };
  const int64_t generation = Generation(gateway);
  json::object status;
  json::array address_list;
  for (const std::string& a : addresses) address_list.push_back(json::object{{"type", "IPAddress"}, {"value", a}});
  if (!address_list.empty()) status["addresses"] = std::move(address_list);
  const json::array* previous = ArrayAt(gateway, {"status", "conditions"});
  const bool programmed = !addresses.empty();
  status["conditions"] = json::array{
      Condition(previous, "Accepted", true, "Accepted", "accepted by skiff.dev/gateway-controller", generation, now),
      Condition(previous, "Programmed", programmed, programmed ? "Programmed" : "AddressNotAssigned",
                programmed ? "served by the ingress proxy of every Ready node" : "no Ready node", generation, now)};
  // Previous listener statuses by name, for their transition times.
  std::map<std::string, const json::array*> previous_listeners;
  if (const json::array* old = ArrayAt(gateway, {"status", "listeners"})) {
    for (const json::value& l : *old) previous_listeners[base::GetString(l, {"name"})] = ArrayAt(l, {"conditions"});
  }
  json::array listeners;
  auto counts = attachments.attached_routes.find(Key(gateway));
  if (const json::array* spec = ArrayAt(gateway, {"spec", "listeners"})) {
    for (const json::value& l : *spec) {
      const std::string name = base::GetString(l, {"name"});
      const std::string protocol = base::GetString(l, {"protocol"});
      const bool supported = protocol == "HTTP" || protocol == "HTTPS";
      const json::array* prev = previous_listeners.count(name) ? previous_listeners[name] : nullptr;
      const std::pair<std::string, std::string> refs = resolved(l);
      int64_t attached = 0;
      if (counts != attachments.attached_routes.end() && counts->second.count(name)) attached = counts->second.at(name);
      json::array kinds;
      if (supported) kinds.push_back(json::object{{"group", kGroup}, {"kind", "HTTPRoute"}});
      listeners.push_back(json::object{
          {"name", name},
          {"supportedKinds", std::move(kinds)},
          {"attachedRoutes", attached},
          {"conditions",
           json::array{
               Condition(prev, "Accepted", supported, supported ? "Accepted" : "UnsupportedProtocol",
                         supported ? "listener accepted" : absl::StrCat("protocol ", protocol, " is not supported"),
                         generation, now),
               Condition(prev, "Programmed", supported && programmed, supported && programmed ? "Programmed" : "Invalid",
                         supported && programmed ? "listener programmed" : "listener not programmed", generation, now),
               Condition(prev, "ResolvedRefs", refs.first == "ResolvedRefs", refs.first, refs.second, generation, now),
               Condition(prev, "Conflicted", false, "NoConflicts", "no conflicts", generation, now)}}});
    }
  }
  status["listeners"] = std::move(listeners);
  return status;
}

json::value HttpRouteStatus(const RouteAttachment& route, const std::set<std::string>& services,
                            const std::vector<client::Object>& grants, const std::string& now) {
  const json::value& object = *route.route;
  const int64_t generation = Generation(object);
  const auto [refs_reason, refs_message] = ResolveRefs(object, services, grants);
  const json::array* refs = ArrayAt(object, {"spec", "parentRefs"});
  json::array parents;
  // Other controllers' entries stay; ours are replaced.
  std::vector<const json::value*> previous_ours;
  if (const json::array* old = ArrayAt(object, {"status", "parents"})) {
    for (const json::value& p : *old) {
      if (base::GetString(p, {"controllerName"}) != kControllerName) {
        parents.push_back(p);
      } else {
        previous_ours.push_back(&p);
      }
    }
  }
  for (const ParentAttachment& parent : route.parents) {
    const json::value& ref = (*refs)[parent.ref_index];
    const json::array* prev = nullptr;
    for (const json::value* p : previous_ours) {
      if (base::GetString(*p, {"parentRef", "name"}) == base::GetString(ref, {"name"}) &&
          base::GetString(*p, {"parentRef", "sectionName"}) == base::GetString(ref, {"sectionName"})) {
        prev = ArrayAt(*p, {"conditions"});
      }
    }
    parents.push_back(json::object{
        {"parentRef", ref},
        {"controllerName", kControllerName},
        {"conditions", json::array{Condition(prev, "Accepted", parent.accepted, parent.reason, parent.message,
                                             generation, now),
                                   Condition(prev, "ResolvedRefs", refs_reason == "ResolvedRefs", refs_reason,
                                             refs_message, generation, now)}}});
  }
  json::value status = json::object{};
  if (const json::value* s = base::Find(object, "status"); s && s->is_object()) status = *s;
  status.as_object()["parents"] = std::move(parents);
  return status;
}

}  // namespace skiff::controllers::gateway
