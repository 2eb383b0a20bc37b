#include "agent/proxy/shared_elements.h"

namespace skiff::agent::proxy {

void SharedElements::Replace(const std::string& service, const ElementTable& before,
                             const ElementTable& after) {
  for (const auto& [set, entries] : before) {
    for (const auto& [key, value] : entries) {
      auto it = claims_.find({set, key});
      if (it == claims_.end()) continue;
      it->second.erase(service);
      if (it->second.empty()) claims_.erase(it);
    }
  }
  for (const auto& [set, entries] : after) {
    for (const auto& [key, value] : entries) claims_[{set, key}][service] = value;
  }
}

ElementTable SharedElements::Effective(const ElementTable& keys) const {
  ElementTable out;
  for (const auto& [set, entries] : keys) {
    for (const auto& [key, unused] : entries) {
      auto it = claims_.find({set, key});
      if (it != claims_.end()) out[set][key] = it->second.begin()->second;  // lowest service key
    }
  }
  return out;
}

ElementTable MergeElements(const std::map<std::string, ServiceRules>& services) {
  ElementTable out;
  for (const auto& [service, rules] : services) {  // ascending keys: the first claim wins
    for (const auto& [set, entries] : rules.elements) {
      for (const auto& [key, value] : entries) out[set].try_emplace(key, value);
    }
  }
  return out;
}

ElementTable UnionKeys(const ElementTable& a, const ElementTable& b) {
  ElementTable out;
  for (const ElementTable* t : {&a, &b}) {
    for (const auto& [set, entries] : *t) {
      for (const auto& [key, unused] : entries) out[set][key] = "";
    }
  }
  return out;
}

}  // namespace skiff::agent::proxy
