#include "agent/node/lease_renewer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "spdlog/spdlog.h"

namespace skiff::agent::node {

namespace json = boost::json;

namespace {

constexpr char kFieldManager[] = "skiff-agent";

json::object OwnerReference(const std::string& node_name, const std::string& uid) {
  return json::object{{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node_name}, {"uid", uid}};
}

bool HasOwner(const json::value& lease, const std::string& uid) {
  const json::array* refs = api::OwnerReferences(lease);
  if (refs == nullptr) return false;
  return std::any_of(refs->begin(), refs->end(),
                     [&](const json::value& r) { return base::GetString(r, {"uid"}) == uid; });
}

}  // namespace

LeaseRenewer::LeaseRenewer(client::Client* client, Options options)
    : client_(client),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &base::RealClock()),
      leases_(client::Resource("coordination.k8s.io", "v1", "leases")),
      loop_([this] { return RunOnce(); }) {}

LeaseRenewer::~LeaseRenewer() { Stop(); }

void LeaseRenewer::Start() { loop_.Start(); }
void LeaseRenewer::Stop() { loop_.Stop(); }

void LeaseRenewer::SetNodeUid(const std::string& uid) {
  std::lock_guard lock(mu_);
  node_uid_ = uid;
}

int64_t LeaseRenewer::renewals() const {
  std::lock_guard lock(mu_);
  return renewals_;
}

json::value LeaseRenewer::NewLease(const Options& options, const std::string& node_uid, absl::Time now) {
  json::object metadata{{"name", options.node_name}, {"namespace", kNodeLeaseNamespace}};
  if (!node_uid.empty())
    metadata["ownerReferences"] = json::array{OwnerReference(options.node_name, node_uid)};
  return json::object{{"apiVersion", "coordination.k8s.io/v1"},
                      {"kind", "Lease"},
                      {"metadata", std::move(metadata)},
                      {"spec", json::object{{"holderIdentity", options.node_name},
                                            {"leaseDurationSeconds", options.lease_duration_seconds},
                                            {"renewTime", base::FormatRfc3339Micro(now)}}}};
}

absl::Status LeaseRenewer::RenewOnce() {
  std::string uid;
  {
    std::lock_guard lock(mu_);
    uid = node_uid_;
  }
  const absl::Time now = clock_->Now();
  const std::string& name = options_.node_name;
  absl::StatusOr<client::Object> result;
  if (lease_ == nullptr) {
    result = client_->Get(leases_, kNodeLeaseNamespace, name);
    if (result.ok()) lease_ = *result;
  }
  if (lease_ == nullptr) {
    if (!absl::IsNotFound(result.status())) return result.status();
    result = client_->Create(leases_, kNodeLeaseNamespace, NewLease(options_, uid, now),
                             {.field_manager = kFieldManager});
  } else {
    json::value lease = *lease_;
    json::object& spec = base::EnsureObject(lease, {"spec"});
    spec["holderIdentity"] = name;
    spec["leaseDurationSeconds"] = options_.lease_duration_seconds;
    spec["renewTime"] = base::FormatRfc3339Micro(now);
    if (!uid.empty() && !HasOwner(lease, uid)) {
      // A node registered again has a new uid: the old owner is gone, so replace it.
      base::EnsureObject(lease, {"metadata"})["ownerReferences"] = json::array{OwnerReference(name, uid)};
    }
    result =
        client_->Update(leases_, kNodeLeaseNamespace, std::move(lease), "", {.field_manager = kFieldManager});
  }
  if (!result.ok()) {
    lease_ = nullptr;  // re-read (conflict) or re-create (deleted) on the next try
    return absl::Status(result.status().code(),
                        absl::StrCat("renewing lease of node ", name, ": ", result.status().message()));
  }
  lease_ = *result;
  std::lock_guard lock(mu_);
  ++renewals_;
  return absl::OkStatus();
}

absl::Duration LeaseRenewer::RunOnce() {
  absl::Status s = RenewOnce();
  if (s.ok()) {
    backoff_ = absl::ZeroDuration();
    return options_.renew_interval;
  }
  backoff_ =
      std::min(backoff_ == absl::ZeroDuration() ? absl::Seconds(1) : backoff_ * 2, options_.renew_interval);
  spdlog::warn("agent: {} (retrying in {})", s.ToString(), absl::FormatDuration(backoff_));
  return backoff_;
}

}  // namespace skiff::agent::node
