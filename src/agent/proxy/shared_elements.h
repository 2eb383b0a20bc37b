// SharedElements: who claims each element of the table's shared maps and sets. Several services
// may claim the same element — the hairpin entry of an endpoint IP that backs two services, or
// two services that (wrongly) use the same address:port. The kernel holds an element while any
// service claims it, with the value of the claim from the lowest service key, so the outcome does
// not depend on the order of events.
// Thread-safety: none (the proxy's sync thread owns it). Ownership: values. Failure: none.
#ifndef SKIFF_AGENT_PROXY_SHARED_ELEMENTS_H_
#define SKIFF_AGENT_PROXY_SHARED_ELEMENTS_H_

#include <map>
#include <string>
#include <utility>

#include "agent/proxy/service_rules.h"

namespace skiff::agent::proxy {

// Set or map name -> element key -> value ("" for sets).
using ElementTable = std::map<std::string, std::map<std::string, std::string>>;

class SharedElements {
 public:
  // Replaces the claims of `service`: `before` must be what it claimed so far.
  void Replace(const std::string& service, const ElementTable& before, const ElementTable& after);
  // What the kernel holds for each (set, key) of `keys` (values of `keys` are ignored); elements
  // nobody claims are absent.
  ElementTable Effective(const ElementTable& keys) const;
  void Clear() { claims_.clear(); }

 private:
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::string>> claims_;
};

// Every claimed element once, as SharedElements would settle it (for a full sync).
ElementTable MergeElements(const std::map<std::string, ServiceRules>& services);

// The keys of both tables.
ElementTable UnionKeys(const ElementTable& a, const ElementTable& b);

}  // namespace skiff::agent::proxy

#endif  // SKIFF_AGENT_PROXY_SHARED_ELEMENTS_H_
