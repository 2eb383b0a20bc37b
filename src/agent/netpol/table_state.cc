#include "agent/netpol/table_state.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace skiff::agent::netpol {
namespace {

// "<verb> element ip T S { e1, e2 }" in chunks, keeping single commands a reasonable size.
void AppendElements(std::string& out, const char* verb, const std::string& table, const std::string& set,
                    const std::vector<std::string>& elements) {
  constexpr size_t kChunk = 512;
  for (size_t i = 0; i < elements.size(); i += kChunk) {
    const auto begin = elements.begin() + static_cast<std::ptrdiff_t>(i);
    const auto end = elements.begin() + static_cast<std::ptrdiff_t>(std::min(elements.size(), i + kChunk));
    absl::StrAppend(&out, verb, " element ip ", table, " ", set, " { ",
                    absl::StrJoin(std::vector<std::string>(begin, end), ", "), " }\n");
  }
}

void AppendSet(std::string& out, const std::string& table, const std::string& name, const SetState& set) {
  absl::StrAppend(&out, "add ", set.is_map ? "map" : "set", " ip ", table, " ", name, " { ", set.spec, " }\n");
}

void AppendChain(std::string& out, const std::string& table, const std::string& name, const ChainState& chain) {
  absl::StrAppend(&out, "add chain ip ", table, " ", name);
  if (!chain.spec.empty()) absl::StrAppend(&out, " { ", chain.spec, " }");
  out += "\n";
}

void AppendRules(std::string& out, const std::string& table, const std::string& name, const ChainState& chain) {
  for (const std::string& rule : chain.rules) absl::StrAppend(&out, "add rule ip ", table, " ", name, " ", rule, "\n");
}

std::vector<std::string> Minus(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// Maps are keyed by the part before " : ": an element whose verdict changes is deleted by key.
std::string MapKey(const std::string& element) { return element.substr(0, element.find(" : ")); }

}  // namespace

std::string DeleteTableTransaction(const std::string& table) {
  return absl::StrCat("add table ip ", table, "\ndelete table ip ", table, "\n");
}

std::string FullTransaction(const std::string& table, const TableState& state) {
  std::string out = DeleteTableTransaction(table);
  absl::StrAppend(&out, "add table ip ", table, "\n");
  for (const auto& [name, set] : state.sets) AppendSet(out, table, name, set);
  for (const auto& [name, chain] : state.chains) AppendChain(out, table, name, chain);
  for (const auto& [name, chain] : state.chains) AppendRules(out, table, name, chain);
  for (const auto& [name, set] : state.sets) {
    AppendElements(out, "add", table, name, std::vector<std::string>(set.elements.begin(), set.elements.end()));
  }
  return out;
}

std::string DiffTransaction(const std::string& table, const TableState& before, const TableState& after) {
  std::string out;
  // A set or chain whose spec changed is replaced under the same name: removed first, then added.
  auto replaced_set = [&](const std::string& name) {
    auto old = before.sets.find(name);
    auto now = after.sets.find(name);
    return old != before.sets.end() && now != after.sets.end() &&
           (old->second.spec != now->second.spec || old->second.is_map != now->second.is_map);
  };
  auto replaced_chain = [&](const std::string& name) {
    auto old = before.chains.find(name);
    auto now = after.chains.find(name);
    return old != before.chains.end() && now != after.chains.end() && old->second.spec != now->second.spec;
  };
  for (const auto& [name, set] : after.sets) {
    if (!before.sets.contains(name)) AppendSet(out, table, name, set);
  }
  for (const auto& [name, chain] : after.chains) {
    if (!before.chains.contains(name)) AppendChain(out, table, name, chain);
  }
  for (const auto& [name, chain] : after.chains) {
    auto old = before.chains.find(name);
    if (old == before.chains.end()) {
      AppendRules(out, table, name, chain);
    } else if (old->second.rules != chain.rules && !replaced_chain(name)) {
      absl::StrAppend(&out, "flush chain ip ", table, " ", name, "\n");
      AppendRules(out, table, name, chain);
    }
  }
  for (const auto& [name, set] : after.sets) {
    auto old = before.sets.find(name);
    if (old == before.sets.end()) {
      AppendElements(out, "add", table, name, std::vector<std::string>(set.elements.begin(), set.elements.end()));
      continue;
    }
    if (old->second.elements == set.elements || replaced_set(name)) continue;
    std::vector<std::string> gone = Minus(old->second.elements, set.elements);
    if (set.is_map) {
      for (std::string& e : gone) e = MapKey(e);
    }
    AppendElements(out, "delete", table, name, gone);
    AppendElements(out, "add", table, name, Minus(set.elements, old->second.elements));
  }
  // Gone (or replaced) chains: flush them all first, so none still jumps to another being deleted.
  std::vector<std::string> stale_chains;
  for (const auto& [name, chain] : before.chains) {
    if (!after.chains.contains(name) || replaced_chain(name)) stale_chains.push_back(name);
  }
  std::vector<std::string> stale_sets;
  for (const auto& [name, set] : before.sets) {
    if (!after.sets.contains(name) || replaced_set(name)) stale_sets.push_back(name);
  }
  for (const std::string& name : stale_chains) absl::StrAppend(&out, "flush chain ip ", table, " ", name, "\n");
  for (const std::string& name : stale_chains) absl::StrAppend(&out, "delete chain ip ", table, " ", name, "\n");
  for (const std::string& name : stale_sets) {
    absl::StrAppend(&out, "delete ", before.sets.at(name).is_map ? "map" : "set", " ip ", table, " ", name, "\n");
  }
  for (const std::string& name : stale_sets) {
    if (!after.sets.contains(name)) continue;
    const SetState& set = after.sets.at(name);
    AppendSet(out, table, name, set);
    AppendElements(out, "add", table, name, std::vector<std::string>(set.elements.begin(), set.elements.end()));
  }
  for (const std::string& name : stale_chains) {
    if (!after.chains.contains(name)) continue;
    AppendChain(out, table, name, after.chains.at(name));
    AppendRules(out, table, name, after.chains.at(name));
  }
  return out;
}

}  // namespace skiff::agent::netpol
