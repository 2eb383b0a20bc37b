#include "agent/node/node_status_reporter.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "spdlog/spdlog.h"

namespace skiff::agent::node {

namespace json = boost::json;

namespace {

constexpr char kFieldManager[] = "skiff-agent";
constexpr char kAttachDetachAnnotation[] = "volumes.kubernetes.io/controller-managed-attach-detach";

// The metadata patch that (re)sets the default labels on an adopted node; null when they are set.
std::optional<json::value> AdoptionPatch(const json::value& node, const NodeConfig& config) {
  json::object labels;
  for (const auto& [key, value] : DefaultNodeLabels(config)) {
    const json::value* current = base::FindPath(node, {"metadata", "labels", key});
    if (current == nullptr || *current != value) labels[key] = value;
  }
  json::object metadata;
  if (!labels.empty()) metadata["labels"] = std::move(labels);
  json::object annotations;
  if (base::FindPath(node, {"metadata", "annotations", kAttachDetachAnnotation}) == nullptr) {
    annotations[kAttachDetachAnnotation] = "true";
  }
  if (!config.local_path_root.empty() &&
      base::GetString(node, {"metadata", "annotations", kLocalPathRootAnnotation}) != config.local_path_root) {
    annotations[kLocalPathRootAnnotation] = config.local_path_root;
  }
  if (!annotations.empty()) metadata["annotations"] = std::move(annotations);
  if (metadata.empty()) return std::nullopt;
  return json::value(json::object{{"metadata", std::move(metadata)}});
}

}  // namespace

NodeStatusReporter::NodeStatusReporter(client::Client* client, Options options, RuntimeStateFn runtime_state)
    : client_(client),
      options_(std::move(options)),
      runtime_state_(std::move(runtime_state)),
      clock_(options_.clock ? options_.clock : &base::RealClock()),
      nodes_(client::Resource("", "v1", "nodes")),
      probe_(options_.host_root),
      loop_([this] {
        if (auto s = SyncStatus(); !s.ok()) {
          spdlog::warn("agent: node {} status: {}", options_.node.node_name, s.status().ToString());
        }
        return ready() ? options_.update_period : std::min(options_.update_period, options_.not_ready_period);
      }) {
  if (options_.node.hostname.empty()) options_.node.hostname = options_.node.node_name;
}

NodeStatusReporter::~NodeStatusReporter() { Stop(); }

void NodeStatusReporter::Start() { loop_.Start(); }
void NodeStatusReporter::Stop() { loop_.Stop(); }
void NodeStatusReporter::RequestSync() { loop_.Wake(); }

client::Object NodeStatusReporter::node() const {
  std::lock_guard lock(mu_);
  return node_;
}

bool NodeStatusReporter::ready() const {
  std::lock_guard lock(mu_);
  return ready_;
}

int64_t NodeStatusReporter::status_writes() const {
  std::lock_guard lock(mu_);
  return status_writes_;
}

absl::Status NodeStatusReporter::EnsureFacts() {
  if (facts_) return absl::OkStatus();
  absl::StatusOr<HostFacts> facts = probe_.Facts();
  if (!facts.ok()) return facts.status();
  facts_ = *std::move(facts);
  return absl::OkStatus();
}

absl::StatusOr<client::Object> NodeStatusReporter::Register() {
  if (absl::Status s = EnsureFacts(); !s.ok()) return s;
  const std::string& name = options_.node.node_name;
  absl::StatusOr<client::Object> node =
      client_->Create(nodes_, "", NewNodeObject(options_.node), {.field_manager = kFieldManager});
  if (node.ok()) {
    spdlog::info("agent: registered node {}", name);
  } else if (client::ErrorReason(node.status()) == "AlreadyExists") {
    node = client_->Get(nodes_, "", name);
    if (!node.ok()) return node.status();
    if (std::optional<json::value> patch = AdoptionPatch(**node, options_.node)) {
      node = client_->Patch(nodes_, "", name, client::PatchType::kStrategicMerge, *patch,
                            {.field_manager = kFieldManager});
      if (!node.ok()) return node.status();
    }
    spdlog::info("agent: adopted existing node {}", name);
  } else {
    return absl::Status(node.status().code(),
                        absl::StrCat("registering node ", name, ": ", node.status().message()));
  }
  absl::StatusOr<HostUsage> usage = probe_.Usage(options_.nodefs_path, options_.imagefs_path);
  if (!usage.ok()) return usage.status();
  json::value status = BuildNodeStatus(options_.node, *facts_, *usage, runtime_state_(),
                                       base::Find(**node, "status"), clock_->Now());
  {
    std::lock_guard lock(mu_);
    ready_ = api::IsStatusConditionTrue(status, "Ready");
  }
  return WriteStatus(*node, status);
}

absl::StatusOr<bool> NodeStatusReporter::SyncStatus() {
  if (absl::Status s = EnsureFacts(); !s.ok()) return s;
  absl::StatusOr<client::Object> node = client_->Get(nodes_, "", options_.node.node_name);
  if (absl::IsNotFound(node.status())) {
    spdlog::warn("agent: node {} was deleted; registering it again", options_.node.node_name);
    absl::StatusOr<client::Object> registered = Register();
    if (!registered.ok()) return registered.status();
    return true;
  }
  if (!node.ok()) return node.status();
  absl::StatusOr<HostUsage> usage = probe_.Usage(options_.nodefs_path, options_.imagefs_path);
  if (!usage.ok()) return usage.status();
  const absl::Time now = clock_->Now();
  const json::value* current = base::Find(**node, "status");
  json::value status = BuildNodeStatus(options_.node, *facts_, *usage, runtime_state_(), current, now);
  {
    std::lock_guard lock(mu_);
    ready_ = api::IsStatusConditionTrue(status, "Ready");
  }
  const bool changed = current == nullptr || NodeStatusChanged(*current, status);
  const bool due = !last_write_ || now - *last_write_ >= options_.report_period;
  if (!changed && !due) {
    std::lock_guard lock(mu_);
    node_ = *node;
    return false;
  }
  absl::StatusOr<client::Object> written = WriteStatus(*node, status);
  if (!written.ok()) return written.status();
  return true;
}

absl::StatusOr<client::Object> NodeStatusReporter::WriteStatus(const client::Object& node,
                                                               const json::value& status) {
  const std::string name = api::Name(*node);
  // Strategic merge, as the kubelet: conditions and addresses merge by type, so conditions other
  // components own (NetworkUnavailable...) survive.
  absl::StatusOr<client::Object> written =
      client_->Patch(nodes_, "", name, client::PatchType::kStrategicMerge, json::object{{"status", status}},
                     {.field_manager = kFieldManager, .subresource = "status"});
  if (!written.ok()) {
    return absl::Status(written.status().code(),
                        absl::StrCat("writing status of node ", name, ": ", written.status().message()));
  }
  last_write_ = clock_->Now();
  std::lock_guard lock(mu_);
  node_ = *written;
  ++status_writes_;
  return *written;
}

}  // namespace skiff::agent::node
