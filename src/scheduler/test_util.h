// Builders of Node and Pod objects for the scheduler's unit tests (test-only, header-only).
// Thread-safety: pure functions. Ownership: returns shared immutable objects. Failure: aborts the
// test on malformed JSON literals (a bug in the test itself).
#ifndef SKIFF_SCHEDULER_TEST_UTIL_H_
#define SKIFF_SCHEDULER_TEST_UTIL_H_

#include <cstdlib>
#include <memory>
#include <string>

#include "base/json.h"
#include "client/client.h"
#include "scheduler/node_info.h"

namespace skiff::scheduler::testing {

inline boost::json::value Json(const std::string& text) {
  auto v = base::ParseJson(text);
  if (!v.ok()) std::abort();
  return *v;
}

inline client::Object Obj(boost::json::value v) {
  return std::make_shared<const boost::json::value>(std::move(v));
}

// A node with allocatable cpu/memory/pods and extra labels (JSON object text).
inline client::Object MakeNode(const std::string& name, const std::string& cpu = "4",
                               const std::string& memory = "8Gi", const std::string& labels = "{}",
                               const std::string& spec = "{}") {
  boost::json::value node = Json(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":""},"spec":{},
      "status":{"allocatable":{"pods":"110"}}})");
  node.as_object()["metadata"].as_object()["name"] = name;
  boost::json::object l = Json(labels).as_object();
  l["kubernetes.io/hostname"] = name;
  node.as_object()["metadata"].as_object()["labels"] = l;
  node.as_object()["spec"] = Json(spec);
  auto& alloc = node.as_object()["status"].as_object()["allocatable"].as_object();
  alloc["cpu"] = cpu;
  alloc["memory"] = memory;
  return Obj(std::move(node));
}

// A pod with one container requesting cpu/memory; `spec_extra` fields are merged into spec.
inline client::Object MakePod(const std::string& name, const std::string& cpu = "",
                              const std::string& memory = "", const std::string& labels = "{}",
                              const std::string& spec_extra = "{}", const std::string& ns = "default") {
  boost::json::value pod = Json(R"({"apiVersion":"v1","kind":"Pod","metadata":{},
      "spec":{"containers":[{"name":"c","image":"busybox","resources":{}}]}})");
  auto& meta = pod.as_object()["metadata"].as_object();
  meta["name"] = name;
  meta["namespace"] = ns;
  meta["uid"] = "uid-" + name;
  meta["labels"] = Json(labels);
  auto& spec = pod.as_object()["spec"].as_object();
  boost::json::object requests;
  if (!cpu.empty()) requests["cpu"] = cpu;
  if (!memory.empty()) requests["memory"] = memory;
  if (!requests.empty())
    spec["containers"].as_array()[0].as_object()["resources"].as_object()["requests"] = requests;
  boost::json::value extra = Json(spec_extra);
  for (const auto& [k, v] : extra.as_object()) spec[k] = v;
  return Obj(std::move(pod));
}

// A NodeInfo holding `node` and the given pods (their nodeName is set to the node).
inline std::shared_ptr<NodeInfo> MakeNodeInfo(const client::Object& node,
                                              std::vector<client::Object> pods = {}) {
  auto info = std::make_shared<NodeInfo>(base::GetString(*node, {"metadata", "name"}));
  info->SetNode(node);
  for (auto& p : pods) {
    auto pod = std::make_shared<PodInfo>(*MakePodInfo(p));
    pod->node_name = info->name();
    info->AddPod(pod);
  }
  return info;
}

// A snapshot of the given node infos.
inline Snapshot MakeSnapshot(const std::vector<std::shared_ptr<NodeInfo>>& nodes) {
  Snapshot s;
  for (const auto& n : nodes) {
    s.index[n->name()] = s.nodes.size();
    s.nodes.push_back(n);
  }
  return s;
}

// Pod spec fields (JSON text): one topology spread constraint over `key` for pods labelled
// app=web; `extra` is appended inside the constraint (e.g. `,"minDomains":3`).
inline std::string Spread(const std::string& key, int max_skew, const std::string& extra = "",
                          const std::string& when_unsatisfiable = "DoNotSchedule") {
  return R"({"topologySpreadConstraints":[{"maxSkew":)" + std::to_string(max_skew) + R"(,"topologyKey":")" +
         key + R"(","whenUnsatisfiable":")" + when_unsatisfiable +
         R"(","labelSelector":{"matchLabels":{"app":"web"}})" + extra + "}]}";
}

// Three nodes: n1 in zone a running two app=web pods, n2 in zone b running one, and an empty n3
// in `n3_zone` (no zone label when empty).
inline std::vector<std::shared_ptr<NodeInfo>> WebPodsAcrossZones(const std::string& n3_zone) {
  return {
      MakeNodeInfo(MakeNode("n1", "4", "8Gi", R"({"zone":"a"})"),
                   {MakePod("a1", "", "", R"({"app":"web"})"), MakePod("a2", "", "", R"({"app":"web"})")}),
      MakeNodeInfo(MakeNode("n2", "4", "8Gi", R"({"zone":"b"})"),
                   {MakePod("b1", "", "", R"({"app":"web"})")}),
      MakeNodeInfo(n3_zone.empty() ? MakeNode("n3")
                                   : MakeNode("n3", "4", "8Gi", R"({"zone":")" + n3_zone + R"("})"))};
}

}  // namespace skiff::scheduler::testing

#endif  // SKIFF_SCHEDULER_TEST_UTIL_H_
